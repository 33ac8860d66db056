"""Claims change hands under load: agents press 'Volgende vraag' again and again while two
`mijn worker` rounds return idle claims to the queue and a team lead reassigns and releases
the same idle claims, all at the same moment.

Three idle agents claimed 90 questions two hours ago; 60 more wait in the queue. Six active
agents, two idle-claim releasers and one lead start together at a barrier, each on its own
connection of a separate engine. Afterwards no question is lost or held twice: every
question is either in the queue (nobody holds it) or held by one agent; replaying each
question's events from the first gives exactly its state and holder in the database (so no
claim of a held question, no release of a released one); every idle claim ended exactly
once (reassigned, released by the lead or by the clock) and the lead's changes that lost
the race were reported, not carried out.

SQLite is skipped: one writer at a time, no row locks, nothing to race.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_questions_concurrency import _wipe

from mijn.access.staff import Staff
from mijn.db import make_engine, make_sessionmaker, utcnow
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.claims import LeadOutcome, Pick, lead_release, reassign, release_idle
from mijn.questions.common import list_topics
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.workflow import claim_next
from mijn.questions.workload import holders
from mijn.staff.service import record_login
from mijn.workingtime import WorkingCalendar

IDLE_AGENTS, ACTIVE_AGENTS, IDLE_CLAIMS, NEW = 3, 6, 90, 60
IDLE_MINUTES = 30
BATCH = 5  # the lead selects five questions at a time


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The session's database, if it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL: SQLite has no row locks and serves one "
                    "writer at a time")
    return database_url


@dataclass
class Cast:
    """Who takes part: idle agents (who claimed long ago), active agents, the lead."""

    idle: list[Staff]
    active: list[Staff]
    lead: Staff


async def _member(session: AsyncSession, key: str, roles: tuple[str, ...]) -> Staff:
    member = await record_login(session, f"test|{key}", key, roles, ())
    return Staff(member.id, roles)


async def _seed(session: AsyncSession) -> Cast:
    party = await get_or_create_party(session, "bsn", "999990019", "Jan Jansen")
    topics = await list_topics(session)
    long_ago = utcnow() - timedelta(hours=2)
    for n in range(IDLE_CLAIMS + NEW):
        await ask(session, NewQuestion(party.id, topics[n % len(topics)].id, f"Vraag {n}"),
                  WorkingCalendar(), None, long_ago)
    cast = Cast([await _member(session, f"idle-{n}", ("agent",)) for n in range(IDLE_AGENTS)],
                [await _member(session, f"active-{n}", ("agent",))
                 for n in range(ACTIVE_AGENTS)],
                await _member(session, "lead", ("lead", "agent")))
    for n in range(IDLE_CLAIMS):
        assert await claim_next(session, cast.idle[n % IDLE_AGENTS], now=long_ago)
    return cast


async def _agent(sessions: async_sessionmaker[AsyncSession], staff: Staff,
                 start: asyncio.Barrier) -> list[str]:
    """Press 'Volgende vraag' until the queue is empty; what was returned."""
    claimed: list[str] = []
    async with sessions() as session:
        await session.execute(text("SELECT 1"))  # hold a connection before the start
        await start.wait()
        while (reference := await claim_next(session, staff)) is not None:
            await session.commit()
            claimed.append(reference)
            await asyncio.sleep(0)
    return claimed


async def _releaser(sessions: async_sessionmaker[AsyncSession], start: asyncio.Barrier,
                    done: asyncio.Event) -> list[str]:
    """A worker's idle-claim rounds, until the agents and the lead are done."""
    released: list[str] = []
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await session.commit()
        await start.wait()
        while True:
            finished = done.is_set()
            released += await release_idle(session, IDLE_MINUTES, batch=7)
            await session.commit()
            if finished:
                return released
            await asyncio.sleep(0.001)


async def _lead(sessions: async_sessionmaker[AsyncSession], cast: Cast, picks: list[Pick],
                start: asyncio.Barrier) -> tuple[LeadOutcome, LeadOutcome]:
    """Reassign the first half of the picks to an active agent, release the rest."""
    moved, released = LeadOutcome(), LeadOutcome()
    half = len(picks) // 2
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await session.commit()
        await start.wait()
        for i in range(0, len(picks), BATCH):
            batch = picks[i:i + BATCH]
            if i < half:
                outcome = await reassign(session, cast.lead, batch, cast.active[0].id)
                into = moved
            else:
                outcome = await lead_release(session, cast.lead, batch)
                into = released
            await session.commit()
            into.done += outcome.done
            into.changed += outcome.changed
    return moved, released


@dataclass
class Outcome:
    cast: Cast
    picks: list[Pick]
    claimed: list[list[str]]
    released: list[str]
    lead: tuple[LeadOutcome, LeadOutcome]
    rows: dict[str, tuple[str, int | None]]
    events: dict[str, list[QuestionEvent]]


async def _race(url: str) -> Outcome:
    engine = make_engine(url, pool_size=ACTIVE_AGENTS + 4, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            await _wipe(session)
            cast = await _seed(session)
            await session.commit()
            held = [q for h in await holders(session) for q in h.questions]
        picks = [Pick(q.reference, q.version) for q in held][:60]  # two thirds of the idle
        start, done = asyncio.Barrier(ACTIVE_AGENTS + 3), asyncio.Event()
        workers = [asyncio.create_task(_releaser(sessions, start, done)) for _ in range(2)]
        lead = asyncio.create_task(_lead(sessions, cast, picks, start))
        claimed = await asyncio.gather(*(_agent(sessions, s, start) for s in cast.active))
        lead_outcome = await lead
        done.set()
        released = [ref for worker in await asyncio.gather(*workers) for ref in worker]
        async with sessions() as session:
            rows = {ref: (state, holder) for ref, state, holder in await session.execute(
                select(Question.reference, Question.state, Question.assignee_id))}
            events: dict[str, list[QuestionEvent]] = {}
            for ref, event in await session.execute(
                select(Question.reference, QuestionEvent)
                .join(QuestionEvent, QuestionEvent.question_id == Question.id)
                .order_by(QuestionEvent.id)
            ):
                events.setdefault(ref, []).append(event)
        return Outcome(cast, picks, list(claimed), released, lead_outcome, rows, events)
    finally:
        async with sessions() as session:
            await _wipe(session)
            await session.commit()
        await engine.dispose()


def _replay(events: list[QuestionEvent]) -> tuple[str, int | None, int]:
    """The state and holder the events lead to (asserting each starts where the last one
    ended), and how many times an idle agent's claim ended."""
    state, holder, ended = "new", None, 0
    for event in events:
        if event.action == "ask":
            continue
        assert event.from_state == state, (event.action, event.from_state, state)
        if event.action == "claim":
            holder = event.actor_id
        elif event.action == "release":
            assert event.target_staff_id == holder  # the event names whom it was taken from
            holder, ended = None, ended + 1
        elif event.action == "reassign":
            holder, ended = event.target_staff_id, ended + 1
        else:
            raise AssertionError(f"unexpected {event.action}")
        state = event.to_state
    return state, holder, ended


def test_idle_release_and_a_lead_with_agents_claiming_lose_nothing_and_hold_nothing_twice(
    postgres_url: str,
) -> None:
    outcome = asyncio.run(_race(postgres_url))
    cast, rows = outcome.cast, outcome.rows
    assert len(rows) == IDLE_CLAIMS + NEW  # nothing lost
    idle_ids = {staff.id for staff in cast.idle}
    for reference, (state, holder) in rows.items():
        assert (state, holder is None) in (("new", True), ("claimed", False)), reference
        replayed_state, replayed_holder, _ = _replay(outcome.events[reference])
        assert (replayed_state, replayed_holder) == (state, holder), reference
        assert holder not in idle_ids, f"{reference} still held by an idle agent"

    # Every idle claim ended exactly once: by the lead (reassign, release) or by the clock.
    idle_refs = {ref for ref, events in outcome.events.items()
                 if any(e.action == "claim" and e.actor_id in idle_ids for e in events)}
    assert len(idle_refs) == IDLE_CLAIMS
    for reference, events in outcome.events.items():
        ended = _replay(events)[2]  # only idle claims are released or reassigned here
        assert ended == (1 if reference in idle_refs else 0), reference

    # What the clock released, it released once; what the lead did, the events show.
    assert not [ref for ref, n in Counter(outcome.released).items() if n > 1]
    moved, given_back = outcome.lead
    picked = [pick.reference for pick in outcome.picks]
    handled = [q.reference for q in moved.done + given_back.done]
    assert sorted(handled + moved.changed + given_back.changed) == sorted(picked)
    assert not set(handled) & set(outcome.released)
    for reference in moved.changed + given_back.changed:
        assert reference in outcome.released  # the clock was first
    by_lead = {ref for ref, events in outcome.events.items()
               if any(e.actor_id == cast.lead.id for e in events)}
    assert by_lead == set(handled)
    assert set(outcome.released) | set(handled) == idle_refs

    # Whatever an agent was given by 'Volgende vraag', they held it at that moment: claims
    # in the events are exactly the agents' returned references.
    active_claims = Counter(ref for ref, events in outcome.events.items() for e in events
                            if e.action == "claim" and e.actor_id not in idle_ids)
    returned = Counter(ref for claimed in outcome.claimed for ref in claimed)
    assert active_claims == returned
    assert sum(1 for claimed in outcome.claimed if claimed) > 1  # the work was shared
