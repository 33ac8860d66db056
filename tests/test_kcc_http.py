"""Questions and the KCC over HTTP: the citizen's flow, the staff workspace, the authorisation
matrix (every route x every role, another citizen's ids: 404), CSRF on every state change,
contacts and callbacks, the audit of staff views, and no personal data in URLs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.audit.models import AuditEvent
from mijn.db import utcnow
from mijn.dev.personas import CITIZENS
from mijn.dossiers.models import Dossier
from mijn.http.common import LOCAL_TZ
from mijn.parties.models import Party
from mijn.questions import asking
from mijn.questions.asking import NewQuestion
from mijn.questions.models import Contact, Question, QuestionEvent, QuestionMessage, Topic
from mijn.settings import Settings
from mijn.staff.models import StaffMember, Team
from mijn.workingtime import WorkingCalendar

JAN_BSN, FATIMA_BSN = CITIZENS[0].bsn, CITIZENS[1].bsn
STAFF_PERSONAS = ("demo-agent", "demo-specialist", "demo-lead")
ACTIONS = ("claim", "release", "take", "take_over", "reply", "wait", "note", "hand_over", "close",
           "hand_back")
UNKNOWN_REFERENCE = "V-0000000000"
# Text of Jan's that must never reach anyone else (demo-2's body, his name, his BSN).
JAN_DATA = ("tekeningen opsturen", "Jan Jansen", JAN_BSN)



# --- helpers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ids:
    """The demo's references and ids, as the tests need them in paths and forms."""

    demo1: str  # answered by the agent
    demo2: str  # new, in the queue
    demo3: str  # handed over to team vergunningen
    jan: int
    fatima: int
    team: int  # vergunningen
    topic: int  # "dossier"
    topics: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)

    def fill(self, text: str) -> str:
        """A path or form value with {demo2}, {jan}, {team}, {tomorrow}... filled in
        ({tomorrow}: the next working day, when a callback may be planned)."""
        tomorrow = next_working_day().isoformat()
        return text.format(
            demo1=self.demo1, demo2=self.demo2, demo3=self.demo3, jan=self.jan,
            team=self.team, topic=self.topic, tomorrow=tomorrow,
        )


def next_working_day(calendar: WorkingCalendar | None = None) -> date:
    """The first working day after today (of the tests' calendar: Monday to Friday)."""
    calendar = calendar or WorkingCalendar()
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=1)
    while calendar.period(day) is None:
        day += timedelta(days=1)
    return day


async def _ids(session: AsyncSession) -> Ids:
    refs = dict((await session.execute(
        select(Question.submit_key, Question.reference).where(Question.submit_key.like("demo-%"))
    )).all())
    parties = dict((await session.execute(
        select(Party.identifier, Party.id).where(Party.identifier.in_((JAN_BSN, FATIMA_BSN)))
    )).all())
    topics = dict((await session.execute(select(Topic.code, Topic.id))).all())
    staff = {
        subject.rsplit("|", 1)[1]: staff_id
        for subject, staff_id in (await session.execute(
            select(StaffMember.subject, StaffMember.id)
        )).all()
    }
    team = await session.scalar(select(Team.id).where(Team.code == "vergunningen"))
    assert team is not None
    return Ids(refs["demo-1"], refs["demo-2"], refs["demo-3"], parties[JAN_BSN],
               parties[FATIMA_BSN], team, topics["dossier"], topics, staff)


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data, with its references and ids."""
    result: Ids = run(_ids)
    return result


@pytest.fixture
def urls(client: TestClient) -> Iterator[list[str]]:
    """Every URL the browser requested and every redirect Location it was sent to."""
    seen: list[str] = []

    def record(response: httpx.Response) -> None:
        seen.append(str(response.request.url))
        if "location" in response.headers:
            seen.append(response.headers["location"])
        if "hx-redirect" in response.headers:
            seen.append(response.headers["hx-redirect"])

    client.event_hooks["response"].append(record)
    yield seen
    client.event_hooks["response"].remove(record)


def login(auth: Auth, persona: str) -> None:
    """Log a citizen or a staff member in (into their own session); anonymous: nothing."""
    if persona in STAFF_PERSONAS:
        auth.login_staff(persona)
    elif persona != "anonymous":
        auth.login(persona)


def post(client: TestClient, path: str, data: dict[str, str], token: str | None,
         *, htmx: bool = False) -> httpx.Response:
    """A form post as the browser sends it: with the token in the form, or in htmx's header."""
    headers = {}
    form = dict(data)
    if htmx:
        headers["HX-Request"] = "true"
        if token is not None:
            headers["X-CSRF-Token"] = token
    elif token is not None:
        form["csrf_token"] = token
    response: httpx.Response = client.post(path, data=form, headers=headers)
    return response


async def _question(session: AsyncSession, reference: str) -> Question:
    question = await session.scalar(select(Question).where(Question.reference == reference))
    assert question is not None, reference
    return question


def question(run: Runner, reference: str) -> Question:
    """A question as it is in the database now."""
    result: Question = run(_question, reference)
    return result


async def _count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def count(run: Runner, model: Any) -> int:
    """How many rows a table has."""
    result: int = run(_count, model)
    return result


async def _snapshot(session: AsyncSession) -> tuple[object, ...]:
    rows = (await session.execute(
        select(Question.reference, Question.state, Question.assignee_id, Question.team_id,
               Question.party_unread).order_by(Question.reference)
    )).all()
    counts = [await _count(session, m) for m in (QuestionMessage, QuestionEvent, Contact)]
    return (tuple(rows), *counts)


def snapshot(run: Runner) -> tuple[object, ...]:
    """Everything a question or contact action could change (audit rows left out)."""
    result: tuple[object, ...] = run(_snapshot)
    return result


async def _set_due(session: AsyncSession, reference: str, due: datetime) -> None:
    await session.execute(
        update(Question).where(Question.reference == reference).values(sla_due_at=due)
    )


async def _audits(session: AsyncSession, action: str) -> list[AuditEvent]:
    found = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return list(found)


def card(page: str, reference: str) -> str:
    """The card of one question on Mijn vragen."""
    found = [c for c in page.split('<li class="mijn-card">') if reference in c]
    assert len(found) == 1, reference
    return found[0]


def textarea(page: str, name: str) -> str:
    """The content of a named textarea (as the browser shows it, unescaped)."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None, name
    return html.unescape(match.group(1))


def ask(client: TestClient, token: str, ids: Ids, body: str, **extra: str) -> httpx.Response:
    """Jan asks a question with the form of /mijn/vragen/nieuw."""
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    # suggestions_seen: as when the suggested answers came while typing (see test_answers_http)
    data = {"submit_key": fields["submit_key"], "topic": str(ids.topic), "body": body,
            "suggestions_seen": "1", **extra}
    return post(client, "/mijn/vragen", data, token)


def reference_of(response: httpx.Response) -> str:
    """The question reference a redirect leads to."""
    match = re.search(r"/vragen/(V-[0-9A-Z]{10})", response.headers["location"])
    assert match is not None, response.headers["location"]
    return match.group(1)


# --- the citizen's flow -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("   ", "Schrijf uw tekst in het tekstvak."),
        ("a" * 4001, "Deze tekst is te lang. Maak hem korter."),
        ("\u200b\u200e\u202e \u2066", "Schrijf uw tekst in het tekstvak."),
        ("Mijn vraag\x00 met een NUL", "In deze tekst staan tekens die wij niet kunnen bewaren."),
    ],
    ids=["empty", "4001-characters", "only-invisible-characters", "nul-byte"],
)
def test_ask_refuses_empty_or_too_long_and_keeps_the_text(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, body: str, error: str
) -> None:
    auth.login("demo-jan")
    before = count(run, Question)
    response = ask(client, auth.csrf(), ids, body)
    assert response.status_code == 422
    assert error in response.text and "Er ging iets mis" in response.text
    assert "Wat u had ingevuld staat er nog." in response.text
    assert textarea(response.text, "body") == body
    assert f'<option value="{ids.topic}" selected>' in response.text  # the topic is kept too
    assert 'aria-invalid="true"' in response.text
    assert count(run, Question) == before


def test_ask_without_topic_keeps_the_text(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login("demo-jan")
    before = count(run, Question)
    response = ask(client, auth.csrf(), ids, "Mijn vraag zonder onderwerp", topic="")
    assert response.status_code == 422
    assert "Kies waar uw vraag over gaat." in response.text
    assert textarea(response.text, "body") == "Mijn vraag zonder onderwerp"
    assert count(run, Question) == before


def test_ask_names_every_error_at_once_and_each_links_to_its_field(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    """No topic and no text: both in the summary (which takes the focus), both fields marked."""
    auth.login("demo-jan")
    before = count(run, Question)
    response = ask(client, auth.csrf(), ids, "   ", topic="")
    assert response.status_code == 422
    summary = response.text[response.text.index('id="fouten"'):]
    summary = summary[:summary.index("</ul>")]
    assert 'tabindex="-1"' in response.text.split('id="fouten"')[1][:40]
    topic, body = summary.index('href="#veld-topic"'), summary.index('href="#veld-body"')
    assert topic < body  # in the form's order
    assert "Kies waar uw vraag over gaat." in summary and "Schrijf uw tekst in het tekstvak." in summary
    assert re.search(r'id="veld-topic"[^>]*aria-invalid="true"', response.text)
    assert re.search(r'id="veld-body"[^>]*aria-invalid="true"', response.text)
    assert count(run, Question) == before


def test_ask_of_exactly_4000_characters_is_accepted(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    response = ask(client, auth.csrf(), ids, "a" * 4000)
    assert response.status_code == 303


def test_ask_saves_once_and_shows_the_question(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    token = auth.csrf()
    before = count(run, Question)
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    data = {"submit_key": fields["submit_key"], "topic": str(ids.topic),
            "body": "Wanneer komt de ploeg de stoeptegel maken?", "suggestions_seen": "1"}
    first = post(client, "/mijn/vragen", data, token)
    assert first.status_code == 303
    assert re.fullmatch(r"/mijn/vragen/V-[0-9A-Z]{10}\?verstuurd=1", first.headers["location"])
    again = post(client, "/mijn/vragen", data, token)  # the same form, sent twice
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert count(run, Question) == before + 1
    page = client.get(first.headers["location"])
    assert page.status_code == 200
    assert "Uw vraag is verstuurd" in page.text
    assert "Wanneer komt de ploeg de stoeptegel maken?" in page.text
    assert question(run, reference_of(first)).state == "new"
    assert reference_of(first) in client.get("/mijn/vragen").text


def test_ask_from_a_dossier_page_links_the_dossier(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    dossier_page = client.get("/mijn/dossiers/Z-2026-0001")
    fields = form_fields(dossier_page.text)
    assert fields["dossier"] == "Z-2026-0001"
    fields.update(topic=str(ids.topics["vergunning"]), body="Mag het raam groter?")
    response = client.post("/mijn/vragen", data=fields)
    assert response.status_code == 303
    reference = reference_of(response)

    async def dossier_of(session: AsyncSession) -> str | None:
        return await session.scalar(
            select(Dossier.reference).join(Question, Question.dossier_id == Dossier.id)
            .where(Question.reference == reference)
        )

    assert run(dossier_of) == "Z-2026-0001"
    page = client.get(f"/mijn/vragen/{reference}")
    assert 'href="/mijn/dossiers/Z-2026-0001"' in page.text
    assert "Dakkapel aan de achterkant" in page.text
    assert reference in client.get("/mijn/dossiers/Z-2026-0001").text  # listed on the dossier


def test_dossier_page_title_is_only_the_title(client: TestClient, auth: Auth, ids: Ids) -> None:
    """The dossier page's <title> holds its title, not the question form (and its CSRF token)."""
    auth.login("demo-jan")
    page = client.get("/mijn/dossiers/Z-2026-0001").text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert "<" not in title.group(1), title.group(1)[:200]
    assert page.count('action="/mijn/vragen"') == 1


def test_ask_about_another_citizens_dossier_is_refused(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    fields = form_fields(client.get("/mijn/dossiers/Z-2026-0001").text)
    fields.update(dossier="Z-2026-0101", topic=str(ids.topic), body="Over het dossier van Fatima")
    before = count(run, Question)
    response = client.post("/mijn/vragen", data=fields)
    assert response.status_code == 422
    assert "Dit dossier kennen wij niet" in response.text
    assert textarea(response.text, "body") == "Over het dossier van Fatima"
    assert "Vergoeding waterkosten" not in response.text  # Fatima's dossier's title
    assert count(run, Question) == before


def test_new_reply_is_marked_until_the_question_is_read(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    reference = reference_of(ask(client, token, ids, "Hoe lang duurt een vergunning?"))
    assert "Nieuw antwoord" not in card(client.get("/mijn/vragen").text, reference)
    reply = post(client, f"/kcc/vragen/{reference}/reply", {"body": "Acht weken."}, token)
    assert reply.status_code == 303
    assert "Nieuw antwoord" in card(client.get("/mijn/vragen").text, reference)
    page = client.get(f"/mijn/vragen/{reference}")
    assert "Acht weken." in page.text and "Beantwoord" in page.text
    assert "Nieuw antwoord" not in card(client.get("/mijn/vragen").text, reference)
    assert question(run, reference).party_unread is False


def test_reply_reopens_close_closes_reply_reopens_again(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    token = auth.csrf()
    path = f"/mijn/vragen/{ids.demo1}"
    assert question(run, ids.demo1).state == "answered"
    assert "Nog een vraag hierover?" in client.get(path).text

    empty = post(client, f"{path}/reactie", {"body": "  "}, token)
    assert empty.status_code == 422 and "Schrijf uw tekst in het tekstvak." in empty.text
    assert question(run, ids.demo1).state == "answered"

    reopened = post(client, f"{path}/reactie", {"body": "Ik heb nog steeds niets gehoord."}, token)
    assert reopened.status_code == 303 and reopened.headers["location"] == path
    assert question(run, ids.demo1).state == "new"  # answered, not handed over: to the queue
    page = client.get(path).text
    assert "Ik heb nog steeds niets gehoord." in page and "Ontvangen" in page

    closed = post(client, f"{path}/sluiten", {}, token)
    assert closed.status_code == 303
    assert question(run, ids.demo1).state == "closed"
    page = client.get(path).text
    assert "Gesloten" in page and f"{path}/sluiten" not in page  # no close button any more
    assert post(client, f"{path}/sluiten", {}, token).status_code == 409

    again = post(client, f"{path}/reactie", {"body": "Toch nog een vraag."}, token)
    assert again.status_code == 303
    assert question(run, ids.demo1).state == "new"
    assert question(run, ids.demo1).closed_at is None


def test_reply_to_a_handed_over_question_goes_back_to_the_specialist(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    assert post(client, f"/kcc/vragen/{ids.demo3}/reply", {"body": "Ja, dat mag."}, token).status_code == 303
    assert post(client, f"/mijn/vragen/{ids.demo3}/reactie", {"body": "En 4 meter?"}, token).status_code == 303
    assert question(run, ids.demo3).state == "handed_over"
    assert ids.demo3 in client.get("/kcc?weergave=team").text


# --- what a citizen never sees ----------------------------------------------------------------


def test_citizen_never_sees_internal_or_handover_notes(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    ref = ids.demo2
    assert post(client, f"/kcc/vragen/{ref}/note", {"note": "NOTITIE-7f3k klant is lastig"}, token).status_code == 303
    handover = {"team": str(ids.team), "who": "WIE-q8z2 meneer", "what": "WAT-m4x9 tekeningen",
                "tried": "GEPROBEERD-h5v1 regels bekeken"}
    assert post(client, f"/kcc/vragen/{ref}/hand_over", handover, token).status_code == 303
    auth.login_staff("demo-specialist")  # handed over: the KCC only reads it now
    token = auth.csrf()
    assert post(client, f"/kcc/vragen/{ref}/reply", {"body": "ANTWOORD-p2w6 nee"}, token).status_code == 303

    staff_page = client.get(f"/kcc/vragen/{ref}").text
    for marker in ("NOTITIE-7f3k", "WIE-q8z2", "WAT-m4x9", "GEPROBEERD-h5v1", "ANTWOORD-p2w6"):
        assert marker in staff_page

    citizen_page = client.get(f"/mijn/vragen/{ref}")
    assert citizen_page.status_code == 200
    assert "ANTWOORD-p2w6" in citizen_page.text
    assert "Uw vraag is doorgezet naar een specialist." in citizen_page.text
    for marker in ("NOTITIE-7f3k", "lastig", "WIE-q8z2", "WAT-m4x9", "GEPROBEERD-h5v1", "Anouk"):
        assert marker not in citizen_page.text
    listing = client.get("/mijn/vragen").text
    for marker in ("NOTITIE-7f3k", "WIE-q8z2", "WAT-m4x9", "GEPROBEERD-h5v1"):
        assert marker not in listing
    htmx = client.get(f"/mijn/vragen/{ref}", headers={"HX-Request": "true"}).text
    assert "NOTITIE-7f3k" not in htmx and "WIE-q8z2" not in htmx


# --- the authorisation matrix: citizens' routes -------------------------------------------------

CITIZEN_ROUTES = [
    ("GET", "/mijn/vragen"),
    ("GET", "/mijn/vragen/nieuw"),
    ("GET", "/mijn/vragen/{demo2}"),
    ("GET", "/mijn/vragen/" + UNKNOWN_REFERENCE),
    ("POST", "/mijn/vragen"),
    ("POST", "/mijn/vragen/{demo2}/reactie"),
    ("POST", "/mijn/vragen/{demo2}/sluiten"),
    ("POST", "/mijn/vragen/{demo2}/bestaat-niet"),
    ("POST", f"/mijn/vragen/{UNKNOWN_REFERENCE}/reactie"),
]
# route: (Jan, the owner; Fatima, another citizen). Anonymous and staff-only: to /inloggen.
CITIZEN_EXPECTED = {
    "/mijn/vragen": (200, 200),
    "/mijn/vragen/nieuw": (200, 200),
    "/mijn/vragen/{demo2}": (200, 404),
    "/mijn/vragen/" + UNKNOWN_REFERENCE: (404, 404),
    "/mijn/vragen/{demo2}/reactie": (303, 404),
    "/mijn/vragen/{demo2}/sluiten": (303, 404),
    "/mijn/vragen/{demo2}/bestaat-niet": (404, 404),
    f"/mijn/vragen/{UNKNOWN_REFERENCE}/reactie": (404, 404),
}
CITIZEN_FORM = {"body": "Een vraag uit de matrix", "topic": "{topic}", "submit_key": "matrix",
                "suggestions_seen": "1"}


@pytest.mark.parametrize(("method", "route"), CITIZEN_ROUTES, ids=[f"{m} {r}" for m, r in CITIZEN_ROUTES])
@pytest.mark.parametrize("who", ["anonymous", "demo-jan", "demo-fatima", "demo-agent"])
def test_citizen_routes_matrix(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, method: str, route: str, who: str
) -> None:
    login(auth, who)
    token = auth.csrf()
    before = snapshot(run)
    path = ids.fill(route)
    if method == "GET":
        response = client.get(path)
    else:
        response = post(client, path, {k: ids.fill(v) for k, v in CITIZEN_FORM.items()}, token)
    if who in ("anonymous", "demo-agent"):  # no citizen session (a staff one is not one)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/inloggen?next=")
        assert snapshot(run) == before
        return
    if route == "/mijn/vragen" and method == "POST":
        assert response.status_code == 303  # a question of one's own
        return
    expected = CITIZEN_EXPECTED[route][0 if who == "demo-jan" else 1]
    assert response.status_code == expected
    if who == "demo-fatima":
        for text in JAN_DATA + (ids.demo1, ids.demo3):
            assert text not in response.text
        assert snapshot(run) == before
    if expected == 404:
        assert "Pagina niet gevonden" in response.text
        assert snapshot(run) == before


def test_another_citizens_question_answers_like_an_unknown_one(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-fatima")
    token = auth.csrf()
    foreign = client.get(f"/mijn/vragen/{ids.demo2}")
    unknown = client.get(f"/mijn/vragen/{UNKNOWN_REFERENCE}")
    assert foreign.status_code == unknown.status_code == 404
    # the same page but for the reference and the session's seconds left (the two requests
    # may fall in different seconds on a busy machine)
    def plain(page: str, reference: str) -> str:
        return re.sub(r'(data-session-[a-z-]*seconds)="\d+"', r'\1=""',
                      page.replace(reference, "X"))

    assert plain(foreign.text, ids.demo2) == plain(unknown.text, UNKNOWN_REFERENCE)
    for action in ("reactie", "sluiten"):
        foreign = post(client, f"/mijn/vragen/{ids.demo2}/{action}", {"body": "x"}, token)
        unknown = post(client, f"/mijn/vragen/{UNKNOWN_REFERENCE}/{action}", {"body": "x"}, token)
        assert foreign.status_code == unknown.status_code == 404


# --- the authorisation matrix: the KCC ----------------------------------------------------------

KCC_ROUTES = [
    ("GET", "/kcc"),
    ("GET", "/kcc?weergave=queue"),
    ("GET", "/kcc?weergave=mine"),
    ("GET", "/kcc?weergave=team"),
    ("GET", "/kcc?weergave=escalated"),
    ("GET", "/kcc?weergave=queue&kanaal=phone&te_laat=1&onderwerp={topic}"),
    ("GET", "/kcc/vragen/{demo1}"),
    ("GET", "/kcc/vragen/{demo2}"),
    ("GET", "/kcc/vragen/{demo3}"),
    ("GET", "/kcc/vragen/" + UNKNOWN_REFERENCE),
    ("GET", "/kcc/klanten"),
    ("GET", "/kcc/klanten/{jan}"),
    ("GET", "/kcc/klanten/999999"),
    ("POST", "/kcc/volgende"),
    *[("POST", f"/kcc/vragen/{{demo2}}/{action}") for action in ACTIONS],
    *[("POST", f"/kcc/vragen/{{demo3}}/{action}") for action in ACTIONS],
    ("POST", "/kcc/vragen/{demo2}/bestaat-niet"),
    ("POST", "/kcc/klanten"),
    ("POST", "/kcc/klanten/{jan}/contact"),
    ("POST", "/kcc/klanten/{jan}/vraag"),
    ("POST", "/kcc/klanten/{jan}/terugbellen"),
    ("POST", "/kcc/klanten/999999/contact"),
]
# One form that every KCC post accepts (each reads only its own fields).
KCC_FORM = {
    "identifier_type": "bsn", "identifier": JAN_BSN, "body": "Tekst uit de matrix",
    "note": "Notitie uit de matrix", "summary": "Samenvatting uit de matrix", "channel": "phone",
    "topic": "{topic}", "team": "{team}", "who": "Jan", "what": "Een vraag", "phone": "0612345678",
    "day": "{tomorrow}", "from": "10:00", "until": "11:00", "submit_key": "matrix",
    "reason": "phone", "handback": "Terug uit de matrix",
}
# What agents and team leads get (both see everything). demo-2 is new, demo-3 handed over.
AGENT_EXPECTED: dict[str, int] = {
    "/kcc/vragen/" + UNKNOWN_REFERENCE: 404,
    "/kcc/klanten/999999": 404,
    "/kcc/volgende": 303,
    "/kcc/vragen/{demo2}/claim": 303,
    "/kcc/vragen/{demo2}/release": 409,  # nobody holds it
    "/kcc/vragen/{demo2}/take": 409,  # not handed over
    "/kcc/vragen/{demo2}/take_over": 409,  # nobody holds it (and only a lead takes over)
    "/kcc/vragen/{demo2}/reply": 303,
    "/kcc/vragen/{demo2}/wait": 409,  # unclaimed: nobody to wait
    "/kcc/vragen/{demo2}/note": 303,
    "/kcc/vragen/{demo2}/hand_over": 303,
    "/kcc/vragen/{demo2}/close": 303,
    "/kcc/vragen/{demo3}/claim": 409,
    "/kcc/vragen/{demo3}/release": 409,
    "/kcc/vragen/{demo3}/take": 409,  # taking a handed-over question is for specialists
    "/kcc/vragen/{demo3}/take_over": 409,  # handed to a team: nobody holds it
    # Handed over to a team: the KCC only reads it (and notes) until it comes back.
    "/kcc/vragen/{demo3}/reply": 409,
    "/kcc/vragen/{demo3}/wait": 409,
    "/kcc/vragen/{demo3}/note": 303,
    "/kcc/vragen/{demo3}/hand_over": 409,
    "/kcc/vragen/{demo3}/close": 409,
    "/kcc/vragen/{demo2}/hand_back": 409,  # handing back is for specialists
    "/kcc/vragen/{demo3}/hand_back": 409,
    "/kcc/vragen/{demo2}/bestaat-niet": 404,
    "POST /kcc/klanten": 303,  # finds Jan (GET /kcc/klanten, the form, is a 200)
    "/kcc/klanten/{jan}/contact": 303,
    "/kcc/klanten/{jan}/vraag": 303,
    "/kcc/klanten/{jan}/terugbellen": 303,
    "/kcc/klanten/999999/contact": 404,
}
# The specialist (team vergunningen) sees demo-3 only, never the queue or the party search.
SPECIALIST_EXPECTED: dict[str, int] = {
    "/kcc/vragen/{demo3}": 200,
    "/kcc/vragen/{demo3}/claim": 409,  # specialists do not claim from the queue
    "/kcc/vragen/{demo3}/release": 409,
    "/kcc/vragen/{demo3}/take": 303,
    "/kcc/vragen/{demo3}/take_over": 409,  # for team leads only
    "/kcc/vragen/{demo3}/reply": 303,
    "/kcc/vragen/{demo3}/wait": 303,
    "/kcc/vragen/{demo3}/note": 303,
    "/kcc/vragen/{demo3}/hand_over": 303,  # to the same team again
    "/kcc/vragen/{demo3}/close": 303,
    "/kcc/vragen/{demo3}/hand_back": 303,
}


def kcc_expected(who: str, method: str, route: str) -> int:
    """The status a KCC route answers this visitor with."""
    if who in ("anonymous", "demo-jan"):
        return 303  # to the staff login
    if who == "demo-specialist":
        if route.startswith("/kcc?"):
            return 200
        return SPECIALIST_EXPECTED.get(route, 200 if route == "/kcc" else 404)
    return AGENT_EXPECTED.get(f"{method} {route}", AGENT_EXPECTED.get(
        route, 200 if method == "GET" else 303
    ))


@pytest.mark.parametrize(("method", "route"), KCC_ROUTES, ids=[f"{m} {r}" for m, r in KCC_ROUTES])
@pytest.mark.parametrize("who", ["anonymous", "demo-jan", "demo-agent", "demo-specialist", "demo-lead"])
def test_kcc_routes_matrix(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, method: str, route: str, who: str
) -> None:
    login(auth, who)
    token = auth.csrf()
    before = snapshot(run)
    path = ids.fill(route)
    if method == "GET":
        response = client.get(path)
    else:
        response = post(client, path, {k: ids.fill(v) for k, v in KCC_FORM.items()}, token)
    expected = kcc_expected(who, method, route)
    assert response.status_code == expected, response.text[:500]
    refused = who in ("anonymous", "demo-jan") or expected in (404, 409)
    if who in ("anonymous", "demo-jan"):
        assert response.headers["location"].startswith("/kcc/inloggen?next=")
        assert JAN_BSN not in response.headers["location"]
    if refused:
        if expected != 409:  # a 409 shows the question as it is now: theirs to see
            for text in JAN_DATA:  # never any data
                assert text not in response.text
        assert snapshot(run) == before  # and nothing changed


def test_kcc_login_page_is_open_and_shows_no_data(client: TestClient, auth: Auth, ids: Ids) -> None:
    auth.login("demo-jan")
    page = client.get("/kcc/inloggen?next=/kcc")
    assert page.status_code == 200 and "Inloggen voor medewerkers" in page.text
    for text in JAN_DATA:
        assert text not in page.text


def test_htmx_request_without_staff_session_is_sent_to_the_staff_login(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-jan")
    response = client.get("/kcc?weergave=queue", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["hx-redirect"].startswith("/kcc/inloggen?next=")


def test_agent_sees_every_question_specialist_only_their_teams(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login_staff("demo-agent")
    queue = client.get("/kcc?weergave=queue").text
    assert ids.demo2 in queue and ids.demo3 not in queue
    for ref in (ids.demo1, ids.demo2, ids.demo3):
        assert client.get(f"/kcc/vragen/{ref}").status_code == 200
    assert "Volgende vraag" in queue and "Klant zoeken" in queue

    auth.login_staff("demo-specialist")
    team = client.get("/kcc").text
    assert ids.demo3 in team and ids.demo2 not in team and ids.demo1 not in team
    assert "Volgende vraag" not in team and "Klant zoeken" not in team
    assert "Bijna of te laat" not in team and "Niet toegewezen" not in team
    for view in ("queue", "escalated", "mine", "onzin"):
        listing = client.get(f"/kcc?weergave={view}").text
        assert ids.demo2 not in listing and ids.demo1 not in listing
    page = client.get(f"/kcc/vragen/{ids.demo3}").text
    assert "Ik pak dit op" in page and "Oppakken" not in page
    # the party's picture on the question page links only to questions they may open
    assert "/kcc/klanten/" not in page


def test_lead_sees_the_escalated_view(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    run(_set_due, ids.demo2, utcnow() + timedelta(minutes=20))
    auth.login_staff("demo-lead")
    page = client.get("/kcc?weergave=escalated")
    assert page.status_code == 200
    assert "Bijna of te laat" in page.text
    assert re.search(r'weergave=escalated"[^>]*aria-current="page"', page.text)
    assert ids.demo2 in page.text and ids.demo1 not in page.text
    fragment = client.get("/kcc?weergave=escalated", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="wachtrij">') and "<html" not in fragment.text

    auth.login_staff("demo-specialist")
    assert ids.demo2 not in client.get("/kcc?weergave=escalated").text


def test_queue_filters(client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings) -> None:
    async def phone_question(session: AsyncSession) -> str:
        q, _ = await asking.ask(
            session, NewQuestion(ids.jan, ids.topics["belasting"], "Over de WOZ", channel="phone"),
            settings.calendar,
        )
        return q.reference

    phone = run(phone_question)
    run(_set_due, ids.demo2, utcnow() - timedelta(hours=2))
    auth.login_staff("demo-agent")
    by_channel = client.get("/kcc?weergave=queue&kanaal=phone").text
    assert phone in by_channel and ids.demo2 not in by_channel
    by_topic = client.get(f"/kcc?weergave=queue&onderwerp={ids.topics['belasting']}").text
    assert phone in by_topic and ids.demo2 not in by_topic
    overdue = client.get("/kcc?weergave=queue&te_laat=1").text
    assert ids.demo2 in overdue and phone not in overdue and "te laat" in overdue


# --- staff and citizen sessions side by side ------------------------------------------------------


def test_staff_and_citizen_sessions_live_side_by_side(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    assert client.cookies.get("mijn_session") and client.cookies.get("mijn_staff")
    mine = client.get("/mijn/vragen")
    assert mine.status_code == 200 and ids.demo2 in mine.text
    assert "Wachtrij" not in mine.text  # the citizen side shows no staff navigation
    kcc = client.get("/kcc")
    assert kcc.status_code == 200 and "Wachtrij" in kcc.text and "Mijn dossiers" not in kcc.text

    token = auth.csrf()
    assert post(client, "/kcc/uitloggen", {}, token).status_code == 303
    assert client.get("/kcc").headers["location"].startswith("/kcc/inloggen")
    assert client.get("/mijn/vragen").status_code == 200  # the citizen is still logged in

    auth.login_staff("demo-agent")
    assert auth.logout().status_code == 303  # the citizen logs out
    assert client.get("/mijn/vragen").headers["location"].startswith("/inloggen")
    assert client.get("/kcc").status_code == 200  # the staff member is still logged in


def test_staff_logout_leaves_the_citizens_login_marker_alone(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    """Logging out on the staff side (even with no staff session) must not touch the citizen's
    cookies: mijn_active tells the citizen's expired session from never having logged in."""
    auth.login("demo-jan")
    assert client.cookies.get("mijn_active") == "1"
    response = post(client, "/kcc/uitloggen", {}, auth.csrf())
    assert response.status_code == 303
    assert client.get("/mijn/vragen").status_code == 200  # still logged in
    client.cookies.delete("mijn_session")  # as if the citizen's session ran out
    assert "reden=verlopen" in client.get("/mijn/vragen").headers["location"]
    assert client.cookies.get("mijn_active") == "1"


def test_expired_citizen_session_is_told_apart(client: TestClient, auth: Auth, ids: Ids) -> None:
    """The control for the test above: without a staff logout, an expiry says so."""
    auth.login("demo-jan")
    client.cookies.delete("mijn_session")
    assert "reden=verlopen" in client.get("/mijn/vragen").headers["location"]


def test_a_session_cookie_does_not_work_in_the_other_slot(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-jan")
    citizen_cookie = client.cookies.get("mijn_session")
    client.cookies.delete("mijn_session")
    auth.login_staff("demo-agent")
    staff_cookie = client.cookies.get("mijn_staff")
    assert citizen_cookie and staff_cookie
    client.cookies.set("mijn_session", staff_cookie)  # a staff session as the citizen's
    client.cookies.delete("mijn_staff")
    client.cookies.set("mijn_staff", citizen_cookie)  # and Jan's session as a staff one
    assert client.get("/mijn/vragen").headers["location"].startswith("/inloggen")
    assert client.get("/kcc").headers["location"].startswith("/kcc/inloggen")
    assert client.get(f"/kcc/vragen/{ids.demo2}").headers["location"].startswith("/kcc/inloggen")


# --- CSRF on every state change -------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """A valid post of one route: who sends it, where, what; and where it should lead."""

    persona: str
    path: str
    data: dict[str, str]
    leads_to: str
    prep: tuple[str, ...] = ()  # posts (as the same persona) that set the scene
    changes: bool = True


POSTS: dict[str, Post] = {
    "ask": Post("demo-jan", "/mijn/vragen",
                {"topic": "{topic}", "body": "Gevraagd met htmx", "submit_key": "htmx",
                 "suggestions_seen": "1"},
                "/mijn/vragen/V-"),
    "reactie": Post("demo-jan", "/mijn/vragen/{demo1}/reactie", {"body": "Nog iets"},
                    "/mijn/vragen/{demo1}"),
    "sluiten": Post("demo-jan", "/mijn/vragen/{demo1}/sluiten", {}, "/mijn/vragen/{demo1}"),
    "volgende": Post("demo-agent", "/kcc/volgende", {}, "/kcc/vragen/{demo2}"),
    "claim": Post("demo-agent", "/kcc/vragen/{demo2}/claim", {}, "/kcc/vragen/{demo2}"),
    "release": Post("demo-agent", "/kcc/vragen/{demo2}/release", {}, "/kcc/vragen/{demo2}",
                    prep=("/kcc/vragen/{demo2}/claim",)),
    "take": Post("demo-specialist", "/kcc/vragen/{demo3}/take", {}, "/kcc/vragen/{demo3}"),
    "reply": Post("demo-agent", "/kcc/vragen/{demo2}/reply", {"body": "Nee."},
                  "/kcc/vragen/{demo2}"),
    "wait": Post("demo-specialist", "/kcc/vragen/{demo3}/wait", {"body": "Hoe breed precies?"},
                 "/kcc/vragen/{demo3}"),
    "note": Post("demo-agent", "/kcc/vragen/{demo2}/note", {"note": "Belt vaak."},
                 "/kcc/vragen/{demo2}"),
    "hand_over": Post("demo-agent", "/kcc/vragen/{demo2}/hand_over",
                      {"team": "{team}", "who": "Jan", "what": "Tekeningen"},
                      "/kcc/vragen/{demo2}"),
    "close": Post("demo-agent", "/kcc/vragen/{demo2}/close", {"reason": "duplicate"},
                  "/kcc/vragen/{demo2}"),
    "hand_back": Post("demo-specialist", "/kcc/vragen/{demo3}/hand_back",
                      {"handback": "Hoort bij het KCC."}, "/kcc"),
    "find": Post("demo-agent", "/kcc/klanten", {"identifier_type": "bsn", "identifier": JAN_BSN},
                 "/kcc/klanten/{jan}", changes=False),
    "contact": Post("demo-agent", "/kcc/klanten/{jan}/contact",
                    {"channel": "counter", "summary": "Aan de balie geweest."},
                    "/kcc/klanten/{jan}?opgeslagen=contact"),
    "vraag": Post("demo-agent", "/kcc/klanten/{jan}/vraag",
                  {"topic": "{topic}", "channel": "phone", "body": "Gebeld", "submit_key": "k"},
                  "/kcc/klanten/{jan}?opgeslagen=vraag"),
    "terugbellen": Post("demo-agent", "/kcc/klanten/{jan}/terugbellen",
                        {"topic": "{topic}", "phone": "06 12345678", "day": "{tomorrow}",
                         "from": "10:00", "until": "11:00", "team": "{team}", "who": "Jan",
                         "what": "Terugbellen over de dakkapel"},
                        "/kcc/klanten/{jan}?opgeslagen=terugbellen"),
    "kcc-uitloggen": Post("demo-agent", "/kcc/uitloggen", {}, "uitgelogd", changes=False),
}


def _scene(client: TestClient, auth: Auth, ids: Ids, case: Post) -> str:
    login(auth, case.persona)
    token = auth.csrf()
    for path in case.prep:
        assert post(client, ids.fill(path), {}, token).status_code == 303
    return token


@pytest.mark.parametrize("name", list(POSTS))
def test_post_without_csrf_token_is_refused(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, name: str
) -> None:
    case = POSTS[name]
    _scene(client, auth, ids, case)
    before = snapshot(run)
    data = {k: ids.fill(v) for k, v in case.data.items()}
    plain = post(client, ids.fill(case.path), data, None)
    assert plain.status_code == 403 and "Formulier verlopen" in plain.text
    htmx = post(client, ids.fill(case.path), data, None, htmx=True)
    assert htmx.status_code == 403
    forged = post(client, ids.fill(case.path), data, "forged.token")
    assert forged.status_code == 403
    assert snapshot(run) == before
    if case.persona in STAFF_PERSONAS:
        assert client.get("/kcc").status_code == 200  # not logged out either
    else:
        assert client.get("/mijn/vragen").status_code == 200


@pytest.mark.parametrize("name", list(POSTS))
def test_post_with_csrf_header_from_htmx_works(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, name: str
) -> None:
    case = POSTS[name]
    token = _scene(client, auth, ids, case)
    before = snapshot(run)
    data = {k: ids.fill(v) for k, v in case.data.items()}
    response = post(client, ids.fill(case.path), data, token, htmx=True)
    assert response.status_code == 204, response.text[:500]
    assert ids.fill(case.leads_to) in response.headers["hx-redirect"]
    assert (snapshot(run) != before) is case.changes


# --- staff actions ------------------------------------------------------------------------------


def test_next_question_claims_the_most_urgent_then_says_the_queue_is_empty(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings
) -> None:
    async def two_questions(session: AsyncSession) -> tuple[str, str]:
        made = []
        for body in ("Dringend", "Heeft de tijd"):
            q, _ = await asking.ask(session, NewQuestion(ids.fatima, ids.topic, body),
                                     settings.calendar)
            made.append(q.reference)
        return made[0], made[1]

    urgent, later = run(two_questions)
    now = utcnow()
    run(_set_due, urgent, now - timedelta(hours=1))
    run(_set_due, ids.demo2, now + timedelta(hours=5))
    run(_set_due, later, now + timedelta(days=30))
    auth.login_staff("demo-agent")
    token = auth.csrf()
    agent = ids.staff["demo-agent"]
    for expected in (urgent, ids.demo2, later):
        response = post(client, "/kcc/volgende", {}, token)
        assert response.status_code == 303
        assert response.headers["location"] == f"/kcc/vragen/{expected}?opgepakt=1"
        claimed = question(run, expected)
        assert claimed.state == "claimed" and claimed.assignee_id == agent
    mine = client.get("/kcc?weergave=mine").text
    assert all(ref in mine for ref in (urgent, ids.demo2, later))
    empty = post(client, "/kcc/volgende", {}, token)
    assert empty.status_code == 303 and empty.headers["location"] == "/kcc?leeg=1"
    assert "Er staan geen vragen meer in de wachtrij." in client.get("/kcc?leeg=1").text


def test_warm_handover_reaches_the_team_and_only_says_so_to_the_citizen(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    form = {"team": str(ids.team), "specialist": "", "who": "Meneer Jansen, belt na 14 uur",
            "what": "Wil weten of tekeningen nodig zijn", "tried": "Omgevingsloket doorzocht"}
    response = post(client, f"/kcc/vragen/{ids.demo2}/hand_over", form, token)
    assert response.status_code == 303
    assert response.headers["location"] == f"/kcc/vragen/{ids.demo2}"
    handed = question(run, ids.demo2)
    assert handed.state == "handed_over" and handed.team_id == ids.team and handed.handed_over

    auth.login_staff("demo-specialist")
    team = client.get("/kcc?weergave=team").text
    assert ids.demo2 in team and "Vergunningen" in team
    page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert "Overdracht (intern)" in page
    for label, text in (("Wie vraagt het", "Meneer Jansen, belt na 14 uur"),
                        ("Wat wil de klant", "Wil weten of tekeningen nodig zijn"),
                        ("Wat is al geprobeerd", "Omgevingsloket doorzocht")):
        assert f"<dt>{label}</dt><dd class=\"mijn-text\">{text}</dd>" in page
    assert "[who]" not in page and "[tried]" not in page

    citizen = client.get(f"/mijn/vragen/{ids.demo2}").text
    assert "Doorgezet naar een specialist" in citizen  # the state as the citizen reads it
    assert "Uw vraag is doorgezet naar een specialist. Die neemt uw vraag nu over." in citizen
    for word in ("14 uur", "Omgevingsloket", "doorzocht", "[who]", "[what]", "[tried]",
                 "Wil weten"):
        assert word not in citizen


def test_handover_without_who_or_what_keeps_what_was_typed(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    before = snapshot(run)
    form = {"team": str(ids.team), "who": "", "what": "Tekeningen nodig?",
            "tried": "Regels bekeken"}
    response = post(client, f"/kcc/vragen/{ids.demo2}/hand_over", form, token)
    assert response.status_code == 422
    assert "Schrijf op wie de vraag stelt." in response.text
    assert textarea(response.text, "what") == "Tekeningen nodig?"
    assert textarea(response.text, "tried") == "Regels bekeken"
    assert f'<option value="{ids.team}" selected>' in response.text
    form = {"team": str(ids.team), "who": "Jan Jansen", "what": " ", "tried": ""}
    response = post(client, f"/kcc/vragen/{ids.demo2}/hand_over", form, token)
    assert response.status_code == 422
    assert "Schrijf op wat de klant wil weten of wil." in response.text
    assert textarea(response.text, "who") == "Jan Jansen"
    form = {"team": "", "specialist": "", "who": "Jan", "what": "Iets"}
    response = post(client, f"/kcc/vragen/{ids.demo2}/hand_over", form, token)
    assert response.status_code == 422 and "Kies een team of een specialist." in response.text
    assert snapshot(run) == before


def test_staff_reply_error_keeps_the_text(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-agent")
    response = post(client, f"/kcc/vragen/{ids.demo2}/reply", {"body": "x" * 4001}, auth.csrf())
    assert response.status_code == 422
    assert "Deze tekst is te lang" in response.text
    assert textarea(response.text, "body") == "x" * 4001
    assert question(run, ids.demo2).state == "new"


# --- contacts, questions on someone's behalf, callbacks ---------------------------------------------


def _find_jan(client: TestClient, token: str, ids: Ids) -> str:
    response = post(client, "/kcc/klanten", {"identifier_type": "bsn", "identifier": JAN_BSN}, token)
    assert response.status_code == 303
    assert response.headers["location"] == f"/kcc/klanten/{ids.jan}"
    return response.headers["location"]


def test_contacts_public_and_internal(
    client: TestClient, auth: Auth, ids: Ids, urls: list[str]
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    party = _find_jan(client, token, ids)
    public = {"channel": "counter", "summary": "PUBLIEK-r7 aan de balie uitgelegd", "dossier": ""}
    internal = {"channel": "phone", "summary": "INTERN-k3 was boos", "internal": "1"}
    for form in (public, internal):
        response = post(client, f"{party}/contact", form, token)
        assert response.status_code == 303
        assert response.headers["location"] == f"{party}?opgeslagen=contact"
    picture = client.get(f"{party}?opgeslagen=contact").text
    assert "Het contact is vastgelegd." in picture
    assert "PUBLIEK-r7" in picture and "INTERN-k3" in picture
    mine = client.get("/mijn/vragen").text
    assert "PUBLIEK-r7 aan de balie uitgelegd" in mine and "Balie" in mine
    assert "INTERN-k3" not in mine and "boos" not in mine

    empty = post(client, f"{party}/contact", {"channel": "phone", "summary": " "}, token)
    assert empty.status_code == 422
    assert "Schrijf een korte samenvatting van het contact." in empty.text
    assert all(JAN_BSN not in url for url in urls), [u for u in urls if JAN_BSN in u]


def test_question_on_behalf_answered_at_once_is_first_contact_resolution(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, urls: list[str]
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    party = _find_jan(client, token, ids)
    fields = form_fields(client.get(party).text)
    form = {"topic": str(ids.topics["belasting"]), "channel": "phone", "dossier": "",
            "body": "Wanneer moet ik de aanslag betalen?", "answer": "Voor 31 mei.",
            "submit_key": fields["submit_key"]}
    before = count(run, Question)
    response = post(client, f"{party}/vraag", form, token)
    assert response.status_code == 303
    assert response.headers["location"] == f"{party}?opgeslagen=vraag"
    assert post(client, f"{party}/vraag", form, token).status_code == 303  # sent twice
    assert count(run, Question) == before + 1

    async def newest(session: AsyncSession) -> Question | None:
        return await session.scalar(
            select(Question).where(Question.created_by_id == ids.staff["demo-agent"])
        )

    made = run(newest)
    assert made is not None
    assert made.state == "answered" and made.channel == "phone"
    assert made.first_contact_resolution is True
    page = client.get(f"/kcc/vragen/{made.reference}").text
    assert re.search(r"Opgelost bij eerste contact</dt>\s*<dd>ja</dd>", page)
    assert "Beantwoord" in page
    citizen = client.get(f"/mijn/vragen/{made.reference}").text
    assert "Voor 31 mei." in citizen and "Uw vraag, genoteerd door onze medewerker" in citizen
    assert "Telefoon" in citizen
    assert all(JAN_BSN not in url for url in urls)


def test_question_on_behalf_with_bad_answer_keeps_values(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    before = count(run, Question)
    form = {"topic": str(ids.topic), "channel": "phone", "body": "Vraag aan de telefoon",
            "answer": "y" * 4001, "submit_key": "x"}
    response = post(client, f"/kcc/klanten/{ids.jan}/vraag", form, token)
    assert response.status_code == 422
    assert textarea(response.text, "body") == "Vraag aan de telefoon"
    assert count(run, Question) == before


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"day": "{yesterday}"}, "Deze tijd is al voorbij."),
        ({"phone": "bel me"}, "Vul een geldig telefoonnummer in"),
        ({"phone": "12"}, "Vul een geldig telefoonnummer in"),
        ({"from": "11:00", "until": "10:00"}, "De eindtijd moet na de begintijd liggen."),
        ({"day": "morgen"}, "Vul een datum en een begin- en eindtijd in."),
        ({"who": ""}, "Schrijf op wie de vraag stelt."),
    ],
    ids=["past", "letters", "too-short", "order", "no-date", "no-who"],
)
def test_bad_callback_is_refused_with_values_kept(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, change: dict[str, str], error: str
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    yesterday = (datetime.now(LOCAL_TZ) - timedelta(days=1)).date().isoformat()
    form = {"topic": str(ids.topics["vergunning"]), "phone": "06 12345678",
            "day": ids.fill("{tomorrow}"), "from": "10:00", "until": "11:00",
            "team": str(ids.team), "who": "Jan, liever na de lunch", "what": "Dakkapel breedte",
            "tried": ""}
    form.update({k: v.replace("{yesterday}", yesterday) for k, v in change.items()})
    before = snapshot(run)
    response = post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, token)
    assert response.status_code == 422
    assert error in response.text
    page = response.text
    kept = form_fields(page[page.index('id="form-terugbellen"'):])
    for name in ("phone", "day", "from", "until"):
        assert kept[name] == form[name], name
    assert textarea(page[page.index('id="form-terugbellen"'):], "what") == "Dakkapel breedte"
    assert snapshot(run) == before


def test_callback_lands_in_the_specialists_team_queue(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, urls: list[str]
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    party = _find_jan(client, token, ids)
    form = {"topic": str(ids.topics["vergunning"]), "phone": "06 12345678",
            "day": ids.fill("{tomorrow}"), "from": "10:00", "until": "11:00",
            "team": str(ids.team), "who": "TERUG-w1 liever na de lunch",
            "what": "TERUG-w2 breedte dakkapel", "tried": ""}
    response = post(client, f"{party}/terugbellen", form, token)
    assert response.status_code == 303
    assert response.headers["location"] == f"{party}?opgeslagen=terugbellen"
    assert "Het terugbelverzoek staat bij de specialist." in client.get(response.headers["location"]).text

    async def callback(session: AsyncSession) -> Question | None:
        return await session.scalar(select(Question).where(Question.kind == "callback"))

    made = run(callback)
    assert made is not None and made.state == "handed_over" and made.team_id == ids.team
    assert made.callback_phone == "06 12345678"

    auth.login_staff("demo-specialist")
    team = client.get("/kcc?weergave=team").text
    assert made.reference in team and "Terugbelverzoek" in team
    page = client.get(f"/kcc/vragen/{made.reference}").text
    assert "06 12345678" in page and "TERUG-w1" in page

    citizen = client.get(f"/mijn/vragen/{made.reference}").text
    assert "Wij bellen u terug" in citizen
    assert "TERUG-w1" not in citizen and "TERUG-w2" not in citizen
    assert all(JAN_BSN not in url for url in urls)


def test_find_keeps_the_bsn_out_of_every_url(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, urls: list[str]
) -> None:
    unknown_bsn = "999990044"
    post(client, "/kcc/klanten", {"identifier_type": "bsn", "identifier": JAN_BSN}, auth.csrf())
    auth.login_staff("demo-agent")
    token = auth.csrf()
    find_page = client.get("/kcc/klanten").text
    assert 'method="post" action="/kcc/klanten"' in find_page
    _find_jan(client, token, ids)

    invalid = post(client, "/kcc/klanten", {"identifier_type": "bsn", "identifier": "123456789"}, token)
    assert invalid.status_code == 422
    assert "Dit nummer klopt niet" in invalid.text
    assert 'value="123456789"' in invalid.text  # kept in the form, not in a URL

    unknown = post(client, "/kcc/klanten", {"identifier_type": "bsn", "identifier": unknown_bsn}, token)
    assert unknown.status_code == 200 and "Deze klant is nog niet bekend" in unknown.text
    created = post(client, "/kcc/klanten",
                   {"identifier_type": "bsn", "identifier": unknown_bsn, "create": "1"}, token)
    assert created.status_code == 303
    assert re.fullmatch(r"/kcc/klanten/\d+", created.headers["location"])
    assert client.get(created.headers["location"]).status_code == 200

    htmx = post(client, "/kcc/klanten", {"identifier_type": "bsn", "identifier": JAN_BSN}, token,
                htmx=True)
    assert htmx.status_code == 204
    for url in urls:
        assert JAN_BSN not in url and unknown_bsn not in url and "123456789" not in url, url


# --- the audit of staff views ---------------------------------------------------------------------


def test_staff_views_are_audited(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-agent")
    assert client.get(f"/kcc/vragen/{ids.demo2}").status_code == 200
    assert client.get(f"/kcc/klanten/{ids.jan}").status_code == 200
    auth.login_staff("demo-specialist")
    assert client.get(f"/kcc/vragen/{ids.demo3}").status_code == 200
    assert client.get(f"/kcc/vragen/{ids.demo2}").status_code == 404  # refused: not audited
    assert client.get(f"/kcc/klanten/{ids.jan}").status_code == 404
    auth.login_staff("demo-lead")
    assert client.get(f"/kcc/vragen/{ids.demo1}").status_code == 200

    views = [(e.actor_type, e.actor_id, e.actor_role, e.party_id)
             for e in run(_audits, "kcc.question.view")]
    agent, specialist = str(ids.staff["demo-agent"]), str(ids.staff["demo-specialist"])
    lead = str(ids.staff["demo-lead"])
    assert sorted(views) == sorted([
        ("staff", agent, "agent", ids.jan),
        ("staff", specialist, "specialist", ids.jan),
        ("staff", lead, "agent", ids.jan),  # the lead also has the agent role
    ])
    parties = [(e.actor_type, e.actor_id, e.actor_role, e.party_id)
               for e in run(_audits, "kcc.party.view")]
    assert parties == [("staff", agent, "agent", ids.jan)]
    for event in run(_audits, "kcc.question.view") + run(_audits, "kcc.party.view"):
        assert event.at is not None


def test_citizen_views_of_a_question_are_audited_as_the_party(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    client.get(f"/mijn/vragen/{ids.demo2}")
    auth.logout()
    auth.login("demo-fatima")
    client.get(f"/mijn/vragen/{ids.demo2}")  # 404: not audited
    events = [(e.actor_type, e.actor_id, e.party_id) for e in run(_audits, "question.view")]
    assert events == [("party", str(ids.jan), ids.jan)]



# --- robustness: tampered forms, expired sessions, markup in text --------------------------------


@pytest.mark.parametrize("target", ["team", "specialist"])
def test_handover_to_an_unknown_team_or_specialist_is_a_form_error(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, target: str
) -> None:
    """A team or specialist that does not exist (a tampered form, or one removed meanwhile)
    is the user's error to correct (422), not a server error."""
    auth.login_staff("demo-agent")
    token = auth.csrf()
    before = snapshot(run)
    form = {target: "999999", "who": "Jan", "what": "Tekeningen nodig?"}
    try:
        response = post(client, f"/kcc/vragen/{ids.demo2}/hand_over", form, token)
    except IntegrityError as exc:
        pytest.fail(f"500 instead of a form error: {type(exc.orig).__name__}")
    assert response.status_code == 422
    assert "Kies een team of een specialist." in response.text
    assert textarea(response.text, "what") == "Tekeningen nodig?"
    assert snapshot(run) == before


def test_callback_to_an_unknown_team_is_a_form_error(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    form = {"topic": str(ids.topic), "phone": "0612345678", "day": ids.fill("{tomorrow}"),
            "from": "10:00", "until": "11:00", "team": "999999", "who": "Jan", "what": "Bellen"}
    before = snapshot(run)
    try:
        response = post(client, f"/kcc/klanten/{ids.jan}/terugbellen", form, auth.csrf())
    except IntegrityError as exc:
        pytest.fail(f"500 instead of a form error: {type(exc.orig).__name__}")
    assert response.status_code == 422
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("persona", "path", "page"),
    [
        ("demo-jan", "/mijn/vragen/{demo1}/reactie", "/mijn/vragen/{demo1}"),
        ("demo-agent", "/kcc/vragen/{demo2}/reply", "/kcc/vragen/{demo2}"),
        ("demo-agent", "/kcc/volgende", "/kcc"),
    ],
    ids=["citizen-reply", "staff-reply", "next-question"],
)
def test_a_post_after_the_session_ran_out_returns_to_a_page_after_login(
    client: TestClient, auth: Auth, ids: Ids, persona: str, path: str, page: str
) -> None:
    """A form sent after the session ran out: after logging in again the browser lands on a
    page (the one the form was on), not on the form's POST-only address (405)."""
    referer = f"http://testserver{ids.fill(page)}"
    response = client.post(ids.fill(path), data={"body": "Nog een vraag", "csrf_token": auth.csrf()},
                           headers={"Referer": referer})
    assert response.status_code == 303
    next_url = unquote(response.headers["location"].split("next=", 1)[1].split("&")[0])
    done = auth.login_staff(persona, next_url) if persona in STAFF_PERSONAS else auth.login(
        persona, next_url
    )
    landed = client.get(done.headers["location"])
    assert landed.status_code == 200, f"{done.headers['location']} -> {landed.status_code}"


def test_markup_in_a_question_is_shown_as_text(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    reference = reference_of(ask(client, token, ids, '<script>alert("x")</script><b>vet</b>'))
    assert post(client, f"/kcc/vragen/{reference}/reply", {"body": "<img src=x onerror=alert(1)>"},
                token).status_code == 303
    for path in (f"/mijn/vragen/{reference}", f"/kcc/vragen/{reference}"):
        text = client.get(path).text
        assert "&lt;script&gt;" in text and "<script>alert" not in text and "<b>vet" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<img src=x" not in text
