"""Two people act on one question at the same moment, through the HTTP layer.

Every action of the KCC workspace on a specific question (claim, reply, note, handover,
close), and the citizen's reply against the agent's close: exactly one of two agents wins,
the other gets a 409 page that says what happened (in Dutch: who claimed, answered, closed
it) with the question as it is now and their typed text kept; the database holds one claim
event, one reply, one note.

The races run on PostgreSQL, each request on its own staff session and its own pooled
connection, both through the ASGI app. To make them overlap every time (not just when the
scheduler happens to interleave them), a third connection holds the question's row while
both requests start; it lets go once both wait for that row (pg_stat_activity says so), or
are done. With the portal's row lock, the requests then take turns; without it, both act
on the state they read (two claim events): removing any of the locks makes these tests
fail. SQLite is skipped for the races: it serves one writer at a time, with no row locks.

Stale forms (a page shown before a colleague or the citizen changed the question, posted
after) need no concurrency: they run on both databases. The form carries the version of
the question it was based on; a mismatch is the same 409, never an action on a state the
agent did not see.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import BASE_URL, Auth, Runner, form_fields
from mijn.access.identity import Identity
from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.http.session import STAFF_SESSION_COOKIE, limits
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask, citizen_reply
from mijn.questions.common import list_topics
from mijn.questions.models import Question, QuestionEvent, QuestionMessage
from mijn.questions.workflow import Handover, claim, hand_over, reply
from mijn.sessions.service import open_session
from mijn.settings import Settings
from mijn.staff.service import ensure_team, record_login

JAN_BSN = "999990019"  # demo-jan, who logs in through the development provider
AGENTS = {"a": "Ans de Wit", "b": "Bas Kok"}
SPECIALISTS = {"s1": "Sara Vos", "s2": "Tim Bakker"}  # both in team Vergunningen
WAIT = 10.0  # seconds: how long both requests may take to reach the question's row


@pytest.fixture
def postgres(database_url: str) -> None:
    """Races need PostgreSQL: SQLite serves one writer at a time and has no row locks."""
    if not database_url.startswith("postgresql"):
        pytest.skip("races need PostgreSQL: SQLite serves one writer at a time (no row "
                    "locks, nothing to race); the stale-form tests cover SQLite")


# -- the world: a citizen, two agents (each their own staff session), a team ---------------

@dataclass
class World:
    """Who is there, by key: 'a' and 'b' are agents, 'jan' is the citizen."""

    party_id: int
    staff: dict[str, Staff]
    tokens: dict[str, str]
    team_id: int
    topic_id: int


async def _seed(session: AsyncSession, settings: Settings) -> World:
    party = await get_or_create_party(session, "bsn", JAN_BSN, "Jan Jansen")
    team = await ensure_team(session, "vergunningen", "Vergunningen", "Permits")
    staff, tokens = {}, {}
    people: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]
    people = [(key, name, ("agent",), ()) for key, name in AGENTS.items()]
    people += [(key, name, ("specialist",), ("vergunningen",))
               for key, name in SPECIALISTS.items()]
    for key, name, roles, teams in people:
        member = await record_login(session, f"test|{key}", name, roles, teams)
        staff[key] = Staff(member.id, roles)
        identity = Identity(party_id=member.id, audience="staff", roles=roles, loa="")
        tokens[key] = await open_session(session, identity, utcnow(), limits(settings, "staff"))
    topics = await list_topics(session)
    return World(party.id, staff, tokens, team.id, topics[0].id)


@dataclass
class Desk:
    """The test's side of the counter: HTTP clients per person, on the app's event loop."""

    client: TestClient
    app: Starlette
    run: Runner
    world: World
    database_url: str
    browsers: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def call(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        assert self.client.portal is not None
        return self.client.portal.call(fn, *args)

    def ask(self, body: str = "Mag mijn schuur 3 meter hoog worden?") -> str:
        """A new question of Jan's; its reference."""
        async def _ask(session: AsyncSession) -> str:
            new = NewQuestion(self.world.party_id, self.world.topic_id, body)
            question, _ = await ask(session, new, self.app.state.settings.calendar)
            return question.reference
        reference: str = self.run(_ask)
        return reference

    def do(self, reference: str, fn: Callable[..., Awaitable[None]], who: str,
           *args: Any) -> None:
        """A service call on the question (as agent `who`), committed: a colleague's work."""
        async def _do(session: AsyncSession) -> None:
            question = await session.scalar(
                select(Question).where(Question.reference == reference))
            assert question is not None
            await fn(session, question, self.world.staff[who], *args)
        self.run(_do)

    def page(self, who: str, reference: str) -> dict[str, str]:
        """Open the question's page as `who`; the hidden fields its forms carry."""
        async def _page() -> httpx.Response:
            return await self.browsers[who].get(self._page_url(who, reference))
        response: httpx.Response = self.call(_page)
        assert response.status_code == 200, response.text
        return form_fields(response.text)

    def _page_url(self, who: str, reference: str) -> str:
        return f"/mijn/vragen/{reference}" if who == "jan" else f"/kcc/vragen/{reference}"

    def post(self, who: str, reference: str, action: str, data: dict[str, str],
             page: dict[str, str]) -> httpx.Response:
        """One post, as the form of the page `who` opened sends it."""
        async def _post() -> httpx.Response:
            return await self._send(who, reference, action, data, page)
        response: httpx.Response = self.call(_post)
        return response

    async def _send(self, who: str, reference: str, action: str, data: dict[str, str],
                    page: dict[str, str]) -> httpx.Response:
        form = {"csrf_token": page["csrf_token"], **data}
        if who != "jan":
            form["version"] = page["version"]
        path = f"{self._page_url(who, reference)}/{action}"
        return await self.browsers[who].post(path, data=form)

    def race(self, reference: str, *posts: Post) -> list[httpx.Response]:
        """Send the posts at once; the first reaches the question's row first."""
        responses: list[httpx.Response] = self.call(self._race, reference, posts)
        return responses

    async def _race(self, reference: str, posts: tuple[Post, ...]) -> list[httpx.Response]:
        plain = self.database_url.replace("postgresql+asyncpg://", "postgresql://")
        holder, watcher = await asyncpg.connect(plain), await asyncpg.connect(plain)
        try:
            hold = holder.transaction()
            await hold.start()
            await holder.execute("SELECT 1 FROM questions WHERE reference = $1 FOR UPDATE",
                                 reference)
            tasks: list[asyncio.Task[httpx.Response]] = []
            for post in posts:  # one after the other into the row's queue: a fixed order
                tasks.append(asyncio.create_task(self._send(
                    post.who, reference, post.action, post.data, post.page)))
                await _queued(watcher, tasks)
            await hold.rollback()
            return list(await asyncio.gather(*tasks))
        finally:
            await holder.close()
            await watcher.close()

    def count(self, reference: str, model: type[QuestionEvent] | type[QuestionMessage],
              kind: str) -> int:
        """How many events (by action) or messages (by kind) the question has."""
        async def _count(session: AsyncSession) -> int:
            column = QuestionEvent.action if model is QuestionEvent else QuestionMessage.kind
            return int(await session.scalar(
                select(func.count()).select_from(model)
                .join(Question, Question.id == model.question_id)
                .where(Question.reference == reference, column == kind)
            ) or 0)
        result: int = self.run(_count)
        return result

    def question(self, reference: str) -> Question:
        async def _get(session: AsyncSession) -> Question:
            question = await session.scalar(
                select(Question).where(Question.reference == reference))
            assert question is not None
            return question
        result: Question = self.run(_get)
        return result

    def history(self, reference: str) -> list[tuple[str, str | None, str]]:
        """(action, from, to) of every event, oldest first."""
        async def _events(session: AsyncSession) -> list[tuple[str, str | None, str]]:
            rows = await session.execute(
                select(QuestionEvent.action, QuestionEvent.from_state, QuestionEvent.to_state)
                .join(Question, Question.id == QuestionEvent.question_id)
                .where(Question.reference == reference)
                .order_by(QuestionEvent.at, QuestionEvent.id)
            )
            return [(a, f, t) for a, f, t in rows.all()]
        result: list[tuple[str, str | None, str]] = self.run(_events)
        return result


@dataclass(frozen=True)
class Post:
    """One person's post in a race."""

    who: str
    action: str
    data: dict[str, str]
    page: dict[str, str]


async def _queued(watcher: asyncpg.Connection, tasks: list[asyncio.Task[Any]]) -> None:
    """Until every started request waits for a lock (the question's row), or is done.

    The watcher is outside any transaction: within one, pg_stat_activity is a snapshot."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        waiting = int(await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ))
        if waiting + sum(task.done() for task in tasks) >= len(tasks):
            return
        if loop.time() > deadline:
            for task in tasks:
                task.cancel()
            rows = await watcher.fetch(
                "SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            pytest.fail(f"{len(tasks)} requests started, {waiting} wait for the row: "
                        f"{[tuple(row) for row in rows]}")
        await asyncio.sleep(0.01)


@pytest.fixture
def desk(client: TestClient, app: Starlette, run: Runner, auth: Auth, settings: Settings,
         database_url: str) -> Iterator[Desk]:
    """Jan logged in (the real flow), two agents with their own staff sessions."""
    auth.login("demo-jan")
    world: World = run(_seed, settings)
    desk = Desk(client, app, run, world, database_url)

    async def _open() -> None:
        def browser(cookies: httpx.Cookies | dict[str, str]) -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL,
                                     cookies=cookies, follow_redirects=False)
        desk.browsers["jan"] = browser(httpx.Cookies(client.cookies))
        for key, token in world.tokens.items():
            desk.browsers[key] = browser({STAFF_SESSION_COOKIE: token})

    async def _close() -> None:
        for browser in desk.browsers.values():
            await browser.aclose()

    desk.call(_open)
    try:
        yield desk
    finally:
        desk.call(_close)


# -- what a refusal looks like --------------------------------------------------------------

def one_wins(responses: list[httpx.Response]) -> tuple[int, httpx.Response]:
    """Exactly one of two posts went through (303); the index of the winner and the refusal."""
    codes = [r.status_code for r in responses]
    assert sorted(codes) == [303, 409], codes
    winner = codes.index(303)
    return winner, responses[1 - winner]


def says(response: httpx.Response, sentence: str) -> None:
    """The 409 page says in Dutch what happened, that nothing was done, and is a page."""
    assert response.status_code == 409
    text = html.unescape(re.sub(r"\s+", " ", response.text))
    assert "Deze vraag is net veranderd" in text
    assert sentence in text, sentence
    assert "Wat u deed, is niet uitgevoerd" in text


def kept(response: httpx.Response, typed: str) -> None:
    """The refused post's text is on the page, to send again or copy."""
    assert typed in html.unescape(response.text)
    assert "Uw tekst is niet verloren" in html.unescape(response.text)


def agents(first: str = "a") -> tuple[str, str]:
    return (first, "b" if first == "a" else "a")


# -- races: two agents, the same action, the same moment (PostgreSQL) ----------------------

@pytest.mark.parametrize("first", ["a", "b"])
def test_two_agents_claim_at_once_one_gets_it(postgres: None, desk: Desk, first: str) -> None:
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    responses = desk.race(reference, *(Post(k, "claim", {}, pages[k]) for k in agents(first)))

    winner, refusal = one_wins(responses)
    who = agents(first)[winner]
    says(refusal, f"{AGENTS[who]} heeft deze vraag net opgepakt.")
    assert desk.count(reference, QuestionEvent, "claim") == 1
    question = desk.question(reference)
    assert (question.state, question.assignee_id) == ("claimed", desk.world.staff[who].id)


def test_two_agents_answer_an_unclaimed_question_at_once_one_answer_is_sent(
    postgres: None, desk: Desk,
) -> None:
    # Nobody holds it, so both may answer it; the second saw a question without an answer.
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    texts = {"a": "Ja, tot 3 meter mag het zonder vergunning.",
             "b": "Nee, daarvoor heeft u een vergunning nodig."}
    responses = desk.race(reference, *(
        Post(k, "reply", {"body": texts[k]}, pages[k]) for k in agents()))

    winner, refusal = one_wins(responses)
    who, loser = agents()[winner], agents()[1 - winner]
    says(refusal, f"{AGENTS[who]} heeft deze vraag net beantwoord.")
    kept(refusal, texts[loser])
    assert desk.count(reference, QuestionMessage, "reply") == 1
    assert desk.count(reference, QuestionEvent, "reply") == 1


def test_two_agents_reply_to_a_question_one_of_them_just_claimed(
    postgres: None, desk: Desk,
) -> None:
    # a claims and b answers at once: b's answer never lands in a's question unseen.
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    typed = "U mag bouwen tot 3 meter."
    responses = desk.race(reference, Post("a", "claim", {}, pages["a"]),
                          Post("b", "reply", {"body": typed}, pages["b"]))

    assert [r.status_code for r in responses] == [303, 409]
    says(responses[1], f"{AGENTS['a']} heeft deze vraag net opgepakt.")
    kept(responses[1], typed)
    assert desk.count(reference, QuestionMessage, "reply") == 0
    assert desk.question(reference).state == "claimed"


def test_two_agents_note_at_once_the_second_sees_the_first_note_first(
    postgres: None, desk: Desk,
) -> None:
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    notes = {"a": "Klant belde al twee keer.", "b": "Zie ook de vraag van vorige week."}
    responses = desk.race(reference, *(
        Post(k, "note", {"note": notes[k]}, pages[k]) for k in agents()))

    winner, refusal = one_wins(responses)
    who, loser = agents()[winner], agents()[1 - winner]
    says(refusal, f"{AGENTS[who]} heeft net een interne notitie geschreven.")
    kept(refusal, notes[loser])
    assert notes[who] in html.unescape(refusal.text)  # the colleague's note is shown too
    assert desk.count(reference, QuestionMessage, "note") == 1


def test_two_agents_hand_over_at_once_one_handover(postgres: None, desk: Desk) -> None:
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    forms = {k: {"team": str(desk.world.team_id), "who": f"Jan, gebeld door {k}",
                 "what": f"Wil bouwen ({k})", "tried": ""} for k in AGENTS}
    responses = desk.race(reference, *(Post(k, "hand_over", forms[k], pages[k])
                                       for k in agents()))

    winner, refusal = one_wins(responses)
    who, loser = agents()[winner], agents()[1 - winner]
    says(refusal, f"{AGENTS[who]} heeft deze vraag net doorgezet.")
    kept(refusal, forms[loser]["what"])
    assert desk.count(reference, QuestionEvent, "hand_over") == 1
    assert desk.count(reference, QuestionMessage, "handover") == 1


def test_two_agents_close_at_once_one_close(postgres: None, desk: Desk) -> None:
    reference = desk.ask()
    pages = {key: desk.page(key, reference) for key in AGENTS}
    responses = desk.race(reference, *(Post(k, "close", {"reason": "phone"}, pages[k]) for k in agents()))

    winner, refusal = one_wins(responses)
    says(refusal, f"{AGENTS[agents()[winner]]} heeft deze vraag net gesloten.")
    assert desk.count(reference, QuestionEvent, "close") == 1


def test_two_specialists_take_a_handed_over_question_at_once_one_gets_it(
    postgres: None, desk: Desk,
) -> None:
    # Taking is not only for a question nobody holds: without the version, the second
    # specialist would take it from the first, unseen.
    reference = desk.ask()
    desk.do(reference, hand_over, "a", Handover(desk.world.team_id, None, "Jan", "Schuur"))
    pages = {key: desk.page(key, reference) for key in SPECIALISTS}
    responses = desk.race(reference, *(Post(k, "take", {}, pages[k]) for k in SPECIALISTS))

    winner, refusal = one_wins(responses)
    who = list(SPECIALISTS)[winner]
    says(refusal, f"{SPECIALISTS[who]} heeft deze vraag net opgepakt.")
    assert desk.count(reference, QuestionEvent, "take") == 1
    assert desk.question(reference).assignee_id == desk.world.staff[who].id


# -- the citizen replies while the agent closes ---------------------------------------------

@pytest.mark.parametrize("first", ["jan", "a"])
def test_citizen_reply_and_agent_close_at_once_the_reply_is_never_closed_away(
    postgres: None, desk: Desk, first: str,
) -> None:
    reference = desk.ask()
    desk.do(reference, claim, "a")
    desk.do(reference, reply, "a", "U mag bouwen tot 3 meter.")
    pages = {key: desk.page(key, reference) for key in ("jan", "a")}
    typed = "Ook als de schuur op de erfgrens staat?"
    posts = {"jan": Post("jan", "reactie", {"body": typed}, pages["jan"]),
             "a": Post("a", "close", {"reason": "phone"}, pages["a"])}
    order = [first, "a" if first == "jan" else "jan"]
    responses = dict(zip(order, desk.race(reference, *(posts[k] for k in order)), strict=True))

    assert responses["jan"].status_code == 303  # the citizen is never refused
    question = desk.question(reference)
    assert question.state == "new" and question.closed_at is None  # open: the KCC reads it
    assert desk.count(reference, QuestionMessage, "citizen") == 2
    history = desk.history(reference)
    assert all(before == after for (_, _, after), (_, before, _)
               in zip(history, history[1:], strict=False)), history  # one line of states
    if first == "jan":  # the agent's page did not show the citizen's reply: not closed
        says(responses["a"], "De klant heeft net gereageerd.")
        assert desk.count(reference, QuestionEvent, "close") == 0
    else:  # closed first, then reopened by the reply
        assert responses["a"].status_code == 303
        assert [action for action, _, _ in history][-2:] == ["close", "citizen_reply"]


# -- stale forms: shown before a change, posted after (both databases) ---------------------

def test_claim_on_a_page_shown_before_a_colleague_claimed_is_refused(desk: Desk) -> None:
    reference = desk.ask()
    stale = desk.page("a", reference)
    assert desk.post("b", reference, "claim", {}, desk.page("b", reference)).status_code == 303

    refusal = desk.post("a", reference, "claim", {}, stale)
    says(refusal, f"{AGENTS['b']} heeft deze vraag net opgepakt.")
    assert desk.count(reference, QuestionEvent, "claim") == 1
    assert desk.question(reference).assignee_id == desk.world.staff["b"].id


def test_reply_on_a_page_shown_before_a_colleague_answered_is_refused_text_kept(
    desk: Desk,
) -> None:
    reference = desk.ask()
    stale = desk.page("a", reference)
    desk.do(reference, reply, "b", "Ja, dat mag.")
    typed = "Nee, dat mag niet zonder vergunning."

    refusal = desk.post("a", reference, "reply", {"body": typed}, stale)
    says(refusal, f"{AGENTS['b']} heeft deze vraag net beantwoord.")
    kept(refusal, typed)
    assert "Ja, dat mag." in refusal.text  # the colleague's answer, to read first
    assert desk.count(reference, QuestionMessage, "reply") == 1
    # Sent again from the page the refusal showed, it goes through: a choice, not a race.
    again = desk.post("a", reference, "reply", {"body": typed}, form_fields(refusal.text))
    assert again.status_code == 303
    assert desk.count(reference, QuestionMessage, "reply") == 2


def test_reply_to_a_question_a_colleague_claimed_keeps_the_text_outside_the_form(
    desk: Desk,
) -> None:
    reference = desk.ask()
    stale = desk.page("b", reference)
    desk.do(reference, claim, "a")
    typed = "Een schuur tot 3 meter mag."

    refusal = desk.post("b", reference, "reply", {"body": typed}, stale)
    says(refusal, f"{AGENTS['a']} heeft deze vraag net opgepakt.")
    # b may no longer answer it (a holds it): no reply form, the text is in the notice.
    assert 'id="veld-antwoord"' not in refusal.text
    assert re.search(r'<textarea[^>]*id="bewaard-body"[^>]*readonly>' + re.escape(typed),
                     html.unescape(refusal.text))
    assert desk.count(reference, QuestionMessage, "reply") == 0


def test_close_on_a_page_shown_before_the_citizen_replied_is_refused(desk: Desk) -> None:
    reference = desk.ask()
    desk.do(reference, claim, "a")
    stale = desk.page("a", reference)

    async def _citizen(session: AsyncSession) -> None:
        question = await session.scalar(
            select(Question).where(Question.reference == reference))
        assert question is not None
        await citizen_reply(session, question, "Nog een vraag: mag er ook een raam in?",
                            desk.app.state.settings.calendar)
    desk.run(_citizen)

    refusal = desk.post("a", reference, "close", {"reason": "phone"}, stale)
    says(refusal, "De klant heeft net gereageerd.")
    assert "mag er ook een raam in?" in refusal.text
    assert desk.question(reference).state == "claimed"
    assert desk.count(reference, QuestionEvent, "close") == 0


def test_note_on_a_page_shown_before_a_colleague_noted_keeps_the_note_in_its_form(
    desk: Desk,
) -> None:
    reference = desk.ask()
    stale = desk.page("a", reference)
    assert desk.post("b", reference, "note", {"note": "Eerste notitie."},
                     desk.page("b", reference)).status_code == 303

    refusal = desk.post("a", reference, "note", {"note": "Tweede notitie."}, stale)
    says(refusal, f"{AGENTS['b']} heeft net een interne notitie geschreven.")
    assert re.search(r'id="veld-notitie"[^>]*>Tweede notitie\.</textarea>', refusal.text)
    assert desk.count(reference, QuestionMessage, "note") == 1


def test_a_page_that_is_up_to_date_acts(desk: Desk) -> None:
    reference = desk.ask()
    assert desk.post("a", reference, "claim", {}, desk.page("a", reference)).status_code == 303
    # The agent's own change gives the page a new version; the next form carries it.
    page = desk.page("a", reference)
    assert desk.post("a", reference, "reply", {"body": "Ja."}, page).status_code == 303
    assert desk.post("a", reference, "close", {"reason": "phone"}, desk.page("a", reference)).status_code == 303
    assert [a for a, _, _ in desk.history(reference)] == ["ask", "claim", "reply", "close"]
