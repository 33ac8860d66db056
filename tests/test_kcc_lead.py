"""The team lead's live view (/kcc/leiding): what it shows, who may see it, reassigning and
releasing questions (one or many, a question changed meanwhile left alone and reported),
and claims that go back to the queue by themselves after MIJN_CLAIM_IDLE_MINUTES.

On SQLite and PostgreSQL; the races are in tests/test_claims_concurrency.py."""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, _audits, _ids

from conftest import Auth, Runner, form_fields
from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.notifications.mail import Connection
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.claims import release_idle
from mijn.questions.common import list_topics
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.workflow import add_note, claim_next, staff_question
from mijn.settings import Settings, load_settings
from mijn.staff.service import record_login
from mijn.worker import release_idle_claims, run_worker

AGENT = ("agent",)
LONG_AGO = timedelta(hours=2)


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data (demo-agent, demo-lead, demo-specialist; the permits team)."""
    result: Ids = run(_ids)
    return result


async def _held(session: AsyncSession, ids: Ids, settings: Settings, n: int,
                ago: timedelta = timedelta(0)) -> list[str]:
    """n new questions of Jan's, claimed by demo-agent `ago` ago; their references."""
    agent = Staff(ids.staff["demo-agent"], AGENT)
    references = []
    for i in range(n):
        await ask(session, NewQuestion(ids.jan, ids.topic, f"Vraag voor de teamleider {i}"),
                  settings.calendar)
        reference = await claim_next(session, agent, now=utcnow() - ago)
        assert reference is not None
        references.append(reference)
    return references


async def _rows(session: AsyncSession, references: list[str]) -> dict[str, tuple[str, int | None]]:
    found = await session.execute(select(Question.reference, Question.state, Question.assignee_id)
                                  .where(Question.reference.in_(references)))
    return {ref: (state, holder) for ref, state, holder in found}


async def _events(session: AsyncSession, reference: str) -> list[tuple[str, str, int, str | None,
                                                                       int | None]]:
    found = await session.scalars(
        select(QuestionEvent).join(Question, Question.id == QuestionEvent.question_id)
        .where(Question.reference == reference).order_by(QuestionEvent.id))
    return [(e.action, e.actor_type, e.actor_id, e.actor_role, e.target_staff_id) for e in found]


async def _second_agent(session: AsyncSession) -> int:
    member = await record_login(session, "test|bas", "Bas Kok", AGENT, ())
    return member.id


def _picks(page: str) -> dict[str, str]:
    """The checkbox values of the lead's form, by reference."""
    values = re.findall(r'name="vraag" value="([^"]+)"', page)
    return {value.split("@")[0]: value for value in values}


def test_the_page_shows_the_queue_what_each_agent_holds_and_the_teams(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    held = run(_held, ids, settings, 2, timedelta(minutes=95))
    auth.login_staff("demo-lead")
    page = client.get("/kcc/leiding")
    assert page.status_code == 200
    text = page.text
    assert '<h1 class="utrecht-heading-1">Teamoverzicht</h1>' in text
    assert 'href="/kcc/leiding"' in text  # in the menu of a lead
    queue = re.search(r"<dt>Niet toegewezen</dt><dd>(.*?)</dd>", text, re.S)
    assert queue is not None and ">1 vraag<" in queue.group(1)  # demo-2
    assert re.search(r"<dt>Wacht het langst</dt><dd>sinds ", text)
    # Anouk holds the two questions, each for 1 hour 35 minutes.
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", text, re.S)
    assert caption is not None and caption.group(1) == "Anouk Bakker: 2 vragen"
    assert set(_picks(text)) == set(held)
    assert text.count("1 uur 35 min") == 2
    assert re.search(r'<th scope="row">Vergunningen</th><td>1</td><td>0</td>', text)
    assert 'name="csrf_token"' in text and 'value="toewijzen"' in text
    assert f'<option value="{ids.staff["demo-agent"]}">Anouk Bakker</option>' in text
    assert f'<option value="{ids.staff["demo-specialist"]}">' not in text  # no queue worker


@pytest.mark.parametrize("persona", ["demo-agent", "demo-specialist", "demo-editor"])
def test_only_a_team_lead_finds_the_page_or_changes_anything(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings, persona: str,
) -> None:
    [held] = run(_held, ids, settings, 1)
    before = run(_rows, [held])
    auth.login_staff(persona)
    assert client.get("/kcc/leiding").status_code == 404
    assert 'href="/kcc/leiding"' not in client.get("/kcc/kennisbank").text
    token = auth.csrf()
    for action in ("teruggeven", "toewijzen"):
        refused = client.post("/kcc/leiding", data={
            "csrf_token": token, "vraag": held, "actie": action,
            "collega": str(ids.staff["demo-lead"])})
        assert refused.status_code == 404
    assert run(_rows, [held]) == before
    assert run(_events, held)[-1][0] == "claim"


def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1)
    auth.login_staff("demo-lead")
    refused = client.post("/kcc/leiding", data={"vraag": held, "actie": "teruggeven"})
    assert refused.status_code == 403
    assert run(_rows, [held])[held] == ("claimed", ids.staff["demo-agent"])


def test_the_lead_reassigns_one_and_then_many(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    held = run(_held, ids, settings, 3)
    bas = run(_second_agent)
    lead = ids.staff["demo-lead"]
    auth.login_staff("demo-lead")
    picks = _picks(client.get("/kcc/leiding").text)
    token = auth.csrf()

    one = client.post("/kcc/leiding", data={"csrf_token": token, "vraag": picks[held[0]],
                                            "actie": "toewijzen", "collega": str(bas)})
    assert one.status_code == 303 and one.headers["location"] == "/kcc/leiding?gedaan=1"
    assert run(_rows, held) == {held[0]: ("claimed", bas),
                                held[1]: ("claimed", ids.staff["demo-agent"]),
                                held[2]: ("claimed", ids.staff["demo-agent"])}
    assert run(_events, held[0])[-1] == ("reassign", "staff", lead, "lead", bas)

    page = client.get(one.headers["location"])
    assert "1 vraag is gewijzigd." in page.text
    assert "Bas Kok: 1 vraag" in page.text
    many = client.post("/kcc/leiding", data={
        "csrf_token": token, "vraag": [picks[held[1]], picks[held[2]]], "actie": "toewijzen",
        "collega": str(bas)})
    assert many.headers["location"] == "/kcc/leiding?gedaan=2"
    assert {holder for _state, holder in run(_rows, held).values()} == {bas}
    audited = run(_audits, "kcc.question.reassign")
    assert len(audited) == 3 and {a.actor_id for a in audited} == {str(lead)}
    assert {a.actor_role for a in audited} == {"lead"} and all(a.party_id == ids.jan
                                                              for a in audited)


def test_the_lead_releases_one_and_then_many_to_the_queue(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    held = run(_held, ids, settings, 3)
    agent, lead = ids.staff["demo-agent"], ids.staff["demo-lead"]
    auth.login_staff("demo-lead")
    picks = _picks(client.get("/kcc/leiding").text)
    token = auth.csrf()
    one = client.post("/kcc/leiding", data={"csrf_token": token, "vraag": picks[held[0]],
                                            "actie": "teruggeven"})
    assert one.headers["location"] == "/kcc/leiding?gedaan=1"
    assert run(_rows, [held[0]]) == {held[0]: ("new", None)}
    assert run(_events, held[0])[-1] == ("release", "staff", lead, "lead", agent)
    many = client.post("/kcc/leiding", data={
        "csrf_token": token, "vraag": [picks[held[1]], picks[held[2]]], "actie": "teruggeven"})
    assert many.headers["location"] == "/kcc/leiding?gedaan=2"
    assert set(run(_rows, held).values()) == {("new", None)}
    assert len(run(_audits, "kcc.question.release")) == 3
    page = client.get("/kcc/leiding").text
    assert "Niemand heeft nu een vraag in behandeling." in page
    assert ">4 vragen<" in page  # demo-2 and the three released


def test_a_question_changed_meanwhile_is_left_alone_and_reported(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    held = run(_held, ids, settings, 2)
    bas, agent = run(_second_agent), ids.staff["demo-agent"]
    auth.login_staff("demo-lead")
    picks = _picks(client.get("/kcc/leiding").text)

    async def note(session: AsyncSession) -> None:  # the holder works on it meanwhile
        question = await staff_question(session, held[1], Staff(agent, AGENT), lock=True)
        assert question is not None
        await add_note(session, question, Staff(agent, AGENT), "Ik bel de klant nu.")

    run(note)
    moved = client.post("/kcc/leiding", data={
        "csrf_token": auth.csrf(), "vraag": [picks[held[0]], picks[held[1]]],
        "actie": "toewijzen", "collega": str(bas)})
    assert moved.headers["location"] == f"/kcc/leiding?gedaan=1&gewijzigd={held[1]}"
    assert run(_rows, held) == {held[0]: ("claimed", bas), held[1]: ("claimed", agent)}
    assert [e[0] for e in run(_events, held[1])] == ["ask", "claim"]
    page = client.get(moved.headers["location"]).text
    assert "intussen veranderd" in page
    assert f'<a class="utrecht-link" href="/kcc/vragen/{held[1]}">{held[1]}</a>' in page
    # Unknown or malformed references in the address are not echoed.
    odd = client.get("/kcc/leiding?gewijzigd=%3Cscript%3E,V-ONBEKEND").text
    assert "intussen veranderd" not in odd and "<script>" not in odd


def test_a_reassign_needs_a_colleague_who_works_the_queue(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1)
    auth.login_staff("demo-lead")
    token = auth.csrf()
    for colleague in ("", str(ids.staff["demo-specialist"]), "999999"):
        refused = client.post("/kcc/leiding", data={
            "csrf_token": token, "vraag": held, "actie": "toewijzen", "collega": colleague})
        assert refused.headers["location"] == "/kcc/leiding?fout=collega"
    nothing = client.post("/kcc/leiding", data={"csrf_token": token, "actie": "teruggeven"})
    assert nothing.headers["location"] == "/kcc/leiding?fout=keuze"
    assert "Kies een collega" in client.get("/kcc/leiding?fout=collega").text
    assert run(_rows, [held])[held] == ("claimed", ids.staff["demo-agent"])
    assert run(_audits, "kcc.question.reassign") == []


def test_a_waiting_question_is_reassigned_but_not_released(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1)

    async def wait(session: AsyncSession) -> None:
        question = await session.scalar(select(Question).where(Question.reference == held))
        assert question is not None
        question.state = "waiting"

    run(wait)
    auth.login_staff("demo-lead")
    picks = _picks(client.get("/kcc/leiding").text)
    token = auth.csrf()
    release = client.post("/kcc/leiding", data={"csrf_token": token, "vraag": picks[held],
                                                "actie": "teruggeven"})
    assert release.headers["location"] == f"/kcc/leiding?gedaan=0&gewijzigd={held}"
    moved = client.post("/kcc/leiding", data={"csrf_token": token, "vraag": picks[held],
                                              "actie": "toewijzen",
                                              "collega": str(ids.staff["demo-lead"])})
    assert moved.headers["location"] == "/kcc/leiding?gedaan=1"
    assert run(_rows, [held])[held] == ("waiting", ids.staff["demo-lead"])


# -- claims nobody works on go back to the queue ----------------------------------------------


def test_idle_claims_return_to_the_queue_by_themselves(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    agent = ids.staff["demo-agent"]
    idle, noted = run(_held, ids, settings, 2, LONG_AGO)
    [fresh] = run(_held, ids, settings, 1, timedelta(minutes=10))

    async def note(session: AsyncSession) -> None:  # the holder worked on it 5 minutes ago
        question = await staff_question(session, noted, Staff(agent, AGENT))
        assert question is not None
        await add_note(session, question, Staff(agent, AGENT), "Nog mee bezig.")

    run(note)
    assert run(release_idle, 0) == []  # 0 minutes: never
    assert run(release_idle, 30) == [idle]
    assert run(_rows, [idle, noted, fresh]) == {
        idle: ("new", None), noted: ("claimed", agent), fresh: ("claimed", agent)}
    assert run(_events, idle)[-1] == ("release", "system", 0, None, agent)
    assert run(release_idle, 30) == []  # once only
    auth.login_staff("demo-agent")  # the history says who did it and why, not "klant"
    history = client.get(f"/kcc/vragen/{idle}").text
    history = history[history.index('id="historie-kop"'):]
    assert "automatisch" in history and "deed er te lang niets mee" in history
    assert "klant" not in history.split("automatisch")[1].split("</li>")[0]
    # After the holder's last action, their claim too becomes idle.
    later = utcnow() + timedelta(minutes=31)
    assert sorted(run(release_idle, 30, later)) == sorted([noted, fresh])


def test_a_reassigned_question_is_not_idle_for_its_new_holder(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1, LONG_AGO)
    auth.login_staff("demo-lead")
    picks = _picks(client.get("/kcc/leiding").text)
    client.post("/kcc/leiding", data={"csrf_token": auth.csrf(), "vraag": picks[held],
                                      "actie": "toewijzen",
                                      "collega": str(ids.staff["demo-lead"])})
    assert run(release_idle, 30) == []
    assert run(_rows, [held])[held] == ("claimed", ids.staff["demo-lead"])


def test_the_worker_round_releases_idle_claims(
    client: TestClient, app: object, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1, timedelta(minutes=50))
    assert client.portal is not None
    sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    strict = replace(settings, claim_idle_minutes=60)
    assert client.portal.call(release_idle_claims, sessionmaker, strict) == 0
    assert client.portal.call(release_idle_claims, sessionmaker, settings) == 1
    assert run(_rows, [held])[held] == ("new", None)


class NoMail:
    """A mailer for a worker round with nothing to deliver: opening a connection fails."""

    def connection(self) -> AbstractAsyncContextManager[Connection]:
        raise AssertionError("nothing was due, yet the worker opened an SMTP connection")


async def _quiet_world(session: AsyncSession, settings: Settings) -> tuple[int, list[str]]:
    """An agent with two claims (two hours ago, and now) and no news due for anyone."""
    party = await get_or_create_party(session, "bsn", "999990019", "Jan Jansen")
    agent = Staff((await record_login(session, "test|anouk", "Anouk", AGENT, ())).id, AGENT)
    topic = (await list_topics(session))[0]
    claimed = []
    for ago in (LONG_AGO, timedelta(0)):
        await ask(session, NewQuestion(party.id, topic.id, "Vraag"), settings.calendar)
        reference = await claim_next(session, agent, now=utcnow() - ago)
        assert reference is not None
        claimed.append(reference)
    return agent.id, claimed


def test_mijn_worker_once_returns_idle_claims_to_the_queue(
    client: TestClient, run: Runner, settings: Settings,
) -> None:
    agent, [idle, fresh] = run(_quiet_world, settings)
    assert client.portal is not None
    report = client.portal.call(partial(run_worker, settings, once=True, mailer=NoMail()))
    assert report.handled == 0
    assert run(_rows, [idle, fresh]) == {idle: ("new", None), fresh: ("claimed", agent)}
    assert run(_events, idle)[-1] == ("release", "system", 0, None, agent)


def test_the_idle_time_is_a_setting() -> None:
    assert load_settings({}).claim_idle_minutes == 30
    assert load_settings({"MIJN_CLAIM_IDLE_MINUTES": "45"}).claim_idle_minutes == 45


def test_the_form_fields_carry_the_version(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
) -> None:
    [held] = run(_held, ids, settings, 1)
    auth.login_staff("demo-lead")
    page = client.get("/kcc/leiding").text
    reference, _, version = _picks(page)[held].partition("@")
    assert reference == held and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", version)
    assert form_fields(page)["csrf_token"]
