"""Closing with a reason and the handover's follow-up, over HTTP: a close needs a reason (the
citizen of an unanswered question is told why, in plain words, never the staff's own); the
handover note in labelled parts; the team and the named specialist see news until they open
it; the KCC reads only after handing over; a specialist hands a question back to the KCC.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, post, question, snapshot, textarea
from test_kcc_http import ids as ids  # noqa: F401 - the fixture

from conftest import Auth, Runner
from mijn.notifications.models import Notification
from mijn.questions.handover import HandoverNote, parse_note
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.workflow import Handover

CLOSED_BY_PHONE = "Wij hebben uw vraag met u besproken aan de telefoon."


def version_of_page(page: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def _events(session: AsyncSession, reference: str) -> list[QuestionEvent]:
    found = await session.scalars(
        select(QuestionEvent).join(Question, Question.id == QuestionEvent.question_id)
        .where(Question.reference == reference).order_by(QuestionEvent.id))
    return list(found)


def events(run: Runner, reference: str) -> list[QuestionEvent]:
    result: list[QuestionEvent] = run(_events, reference)
    return result


async def _notifications(session: AsyncSession, kind: str) -> list[Notification]:
    return list(await session.scalars(select(Notification).where(Notification.kind == kind)))


def notifications(run: Runner, kind: str) -> list[Notification]:
    result: list[Notification] = run(_notifications, kind)
    return result


# --- closing ------------------------------------------------------------------------------------


def test_close_without_a_reason_is_refused_with_the_text_kept(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    before = snapshot(run)
    response = post(client, f"/kcc/vragen/{ids.demo2}/close",
                    {"reason": "", "reason_text": "Klant belde al"}, token)
    assert response.status_code == 422
    assert "Kies waarom u deze vraag sluit." in response.text
    assert 'href="#veld-reden"' in response.text and 'id="veld-reden"' in response.text
    assert textarea(response.text, "reason_text") == "Klant belde al"
    unknown = post(client, f"/kcc/vragen/{ids.demo2}/close", {"reason": "whatever"}, token)
    assert unknown.status_code == 422 and "Kies waarom u deze vraag sluit." in unknown.text
    other = post(client, f"/kcc/vragen/{ids.demo2}/close",
                 {"reason": "other", "reason_text": "  "}, token)
    assert other.status_code == 422 and "Schrijf uw tekst in het tekstvak." in other.text
    assert 'value="other" checked' in other.text  # the choice is kept too
    assert snapshot(run) == before
    assert question(run, ids.demo2).state == "new"


def test_closing_an_unanswered_question_tells_the_citizen_why_never_the_staff_text(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    form = {"reason": "other", "reason_text": "INTERN-k2 klant was onbeleefd"}
    response = post(client, f"/kcc/vragen/{ids.demo2}/close", form, token)
    assert response.status_code == 303
    closed = question(run, ids.demo2)
    assert closed.state == "closed" and closed.closed_at is not None
    last = events(run, ids.demo2)[-1]
    assert (last.action, last.reason, last.reason_text) == (
        "close", "other", "INTERN-k2 klant was onbeleefd")
    staff_page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert "reden: Anders (INTERN-k2 klant was onbeleefd)" in staff_page  # the history

    citizen = client.get(f"/mijn/vragen/{ids.demo2}").text
    assert "Wij hebben uw vraag gesloten." in citizen
    assert "INTERN-k2" not in citizen and "onbeleefd" not in citizen
    told = [n for n in notifications(run, "close") if n.question_id == closed.id]
    assert len(told) == 1 and told[0].party_id == ids.jan
    inbox = client.get("/mijn/berichten").text
    assert "Wij hebben uw vraag gesloten. Lees waarom:" in inbox and ids.demo2 in inbox


@pytest.mark.parametrize(("reason", "text"), [
    ("phone", CLOSED_BY_PHONE),
    ("duplicate", "U stelde deze vraag al eerder."),
    ("no_answer_needed", "Uw bericht vraagt geen antwoord van ons."),
    ("withdrawn", "U liet ons weten dat u geen antwoord meer nodig heeft."),
])
def test_each_reason_reads_plainly_for_the_citizen(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, reason: str, text: str
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    assert post(client, f"/kcc/vragen/{ids.demo2}/close", {"reason": reason},
                auth.csrf()).status_code == 303
    assert text in client.get(f"/mijn/vragen/{ids.demo2}").text


def test_the_citizen_reads_the_reason_in_english(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    assert post(client, f"/kcc/vragen/{ids.demo2}/close", {"reason": "phone"}, token).status_code == 303
    client.post("/taal", data={"lang": "en", "next": "/mijn/vragen", "csrf_token": token})
    page = client.get(f"/mijn/vragen/{ids.demo2}").text
    assert "We talked about your question on the phone." in page
    assert CLOSED_BY_PHONE not in page


def test_closing_an_answered_question_is_no_news_for_the_citizen(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    before = len(notifications(run, "close"))
    response = post(client, f"/kcc/vragen/{ids.demo1}/close", {"reason": "phone"}, auth.csrf())
    assert response.status_code == 303
    assert events(run, ids.demo1)[-1].reason == "phone"
    assert CLOSED_BY_PHONE not in client.get(f"/mijn/vragen/{ids.demo1}").text
    assert len(notifications(run, "close")) == before


def test_a_stale_close_is_refused_with_the_text_kept(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    version = version_of_page(client.get(f"/kcc/vragen/{ids.demo2}").text)
    assert post(client, f"/kcc/vragen/{ids.demo2}/note", {"note": "Eerst dit."}, token).status_code == 303
    form = {"reason": "other", "reason_text": "Dubbel met een mail", "version": version}
    response = post(client, f"/kcc/vragen/{ids.demo2}/close", form, token)
    assert response.status_code == 409
    assert "Dubbel met een mail" in response.text
    assert question(run, ids.demo2).state == "new"


def test_only_the_holder_closes(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-lead")
    assert post(client, f"/kcc/vragen/{ids.demo2}/claim", {}, auth.csrf()).status_code == 303
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert "Waarom sluit u deze vraag?" not in page
    response = post(client, f"/kcc/vragen/{ids.demo2}/close", {"reason": ""}, auth.csrf())
    assert response.status_code == 409  # not theirs: refused before the missing reason
    assert question(run, ids.demo2).state == "claimed"


# --- the handover -----------------------------------------------------------------------------


def hand_to(client: TestClient, ids: Ids, token: str, reference: str, **target: str) -> None:
    form = {"team": "", "specialist": "", "who": "Mevrouw Jansen\nbelt na 14 uur",
            "what": "Wil een dakkapel", "tried": "", **target}
    assert post(client, f"/kcc/vragen/{reference}/hand_over", form, token).status_code == 303


def news(page: str, label: str) -> int | None:
    found = re.search(re.escape(label) + r' <strong class="mijn-status mijn-status--new">\((\d+)\)',
                      page)
    return int(found.group(1)) if found else None


def test_the_team_sees_news_until_a_member_opens_the_question(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-specialist")
    before = news(client.get("/kcc").text, "Aan uw team doorgezet") or 0
    auth.login_staff("demo-agent")
    hand_to(client, ids, auth.csrf(), ids.demo2, team=str(ids.team))
    assert news(client.get("/kcc").text, "Aan uw team doorgezet") is None  # not the agent's

    auth.login_staff("demo-specialist")
    queue = client.get("/kcc?weergave=team").text
    assert news(queue, "Aan uw team doorgezet") == before + 1
    assert f"{before + 1} vragen zijn aan uw team doorgezet en nog niet geopend." in queue
    row = next(r for r in queue.split("<tr>") if ids.demo2 in r)
    assert "Nieuw: aan u doorgezet" in row
    page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert "Wie vraagt het" in page
    assert question(run, ids.demo2).handover_unread is False
    queue = client.get("/kcc?weergave=team").text
    assert (news(queue, "Aan uw team doorgezet") or 0) == before
    row = next(r for r in queue.split("<tr>") if ids.demo2 in r)
    assert "Nieuw: aan u doorgezet" not in row


def test_the_named_specialist_sees_it_as_theirs(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    hand_to(client, ids, auth.csrf(), ids.demo2, specialist=str(ids.staff["demo-specialist"]))
    auth.login_staff("demo-specialist")
    queue = client.get("/kcc").text
    assert news(queue, "Aan u doorgezet") == 1
    assert "1 vraag is aan u doorgezet en nog niet geopend." in queue
    client.get(f"/kcc/vragen/{ids.demo2}")
    assert news(client.get("/kcc").text, "Aan u doorgezet") is None


def test_the_note_shows_in_labelled_parts_and_the_agent_only_reads(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    hand_to(client, ids, token, ids.demo2, team=str(ids.team))
    page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert '<dt>Wie vraagt het</dt><dd class="mijn-text">Mevrouw Jansen\nbelt na 14 uur</dd>' in page
    assert '<dt>Wat wil de klant</dt><dd class="mijn-text">Wil een dakkapel</dd>' in page
    assert '<dt>Wat is al geprobeerd</dt><dd class="mijn-text">–</dd>' in page
    assert "Doorgezet naar Vergunningen op " in page
    assert "U kunt deze vraag nu alleen lezen." in page
    for gone in ("Antwoord versturen", "Waarom sluit u deze vraag?", "Warm doorzetten"):
        assert gone not in page
    before = snapshot(run)
    refused = post(client, f"/kcc/vragen/{ids.demo2}/reply", {"body": "Toch nog dit"}, token)
    assert refused.status_code == 409 and "Toch nog dit" in refused.text
    assert post(client, f"/kcc/vragen/{ids.demo2}/close", {"reason": "phone"}, token).status_code == 409
    assert snapshot(run) == before
    assert post(client, f"/kcc/vragen/{ids.demo2}/note", {"note": "Nog een tip"}, token).status_code == 303


def test_a_specialist_hands_back_to_the_kcc_with_a_note(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    page = client.get(f"/kcc/vragen/{ids.demo3}").text
    assert "Terug naar KCC" in page
    before = snapshot(run)
    empty = post(client, f"/kcc/vragen/{ids.demo3}/hand_back", {"handback": " "}, token)
    assert empty.status_code == 422 and 'href="#veld-terug"' in empty.text
    assert snapshot(run) == before
    form = {"handback": "TERUG-z7 geen vergunning nodig", "version": version_of_page(page)}
    response = post(client, f"/kcc/vragen/{ids.demo3}/hand_back", form, token)
    assert response.status_code == 303 and response.headers["location"] == "/kcc"
    back = question(run, ids.demo3)
    assert (back.state, back.team_id, back.assignee_id, back.handed_over) == ("new", None, None,
                                                                              False)
    last = events(run, ids.demo3)[-1]
    assert (last.action, last.from_state, last.to_state, last.team_id) == (
        "hand_back", "handed_over", "new", ids.team)
    assert client.get(f"/kcc/vragen/{ids.demo3}").status_code == 404  # out of their sight

    auth.login_staff("demo-agent")
    assert ids.demo3 in client.get("/kcc?weergave=queue").text
    page = client.get(f"/kcc/vragen/{ids.demo3}").text
    assert "Terug naar KCC (intern)" in page and "TERUG-z7 geen vergunning nodig" in page
    assert "terug naar het KCC" in page  # the history
    assert "Antwoord versturen" in page  # the KCC answers it again
    assert "TERUG-z7" not in client.get(f"/mijn/vragen/{ids.demo3}").text
    reply = post(client, f"/kcc/vragen/{ids.demo3}/reply", {"body": "Dat mag zo."}, auth.csrf())
    assert reply.status_code == 303
    answered = question(run, ids.demo3)
    assert answered.state == "answered"
    assert answered.first_contact_resolution is False  # it was handed over on the way


def test_only_a_specialist_hands_back(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-lead")
    before = snapshot(run)
    response = post(client, f"/kcc/vragen/{ids.demo3}/hand_back", {"handback": "Terug"},
                    auth.csrf())
    assert response.status_code == 409
    assert snapshot(run) == before


# --- the note's parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "parts"), [
    (Handover(1, None, "Jan", "Dakkapel", "Regels").note(),
     HandoverNote("Jan", "Dakkapel", "Regels")),
    (Handover(1, None, "Jan\ntweede regel", "Dakkapel").note(),
     HandoverNote("Jan\ntweede regel", "Dakkapel", "")),
    ("[who] Jan\n[who] nog eens\n[what] Iets", HandoverNote("Jan\n[who] nog eens", "Iets", "")),
    ("[what] Iets\n[who] Jan", HandoverNote("", "Iets\n[who] Jan", "")),
    ("Een oude notitie zonder delen", None),
    ("voor [who] Jan", None),
    ("", None),
])
def test_parse_note(body: str, parts: HandoverNote | None) -> None:
    assert parse_note(body) == parts
