"""'Volgende vraag' under load: 20 agents press it at the same moment, again and again.

Each agent has its own session on its own connection of a separate engine; they all wait at
a barrier and then call `claim_next` until the queue is empty. Every question must be claimed
exactly once, by the agent whose call returned it, and the work must be shared.

SQLite is skipped: it is the single-process development database, where `FOR UPDATE SKIP
LOCKED` does not exist and writers queue behind one lock; the race only exists on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.access.staff import Staff
from mijn.db import Base, make_engine, make_sessionmaker
from mijn.models import REFERENCE_TABLES, import_all
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.common import list_topics
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.workflow import claim_next
from mijn.staff.service import record_login
from mijn.workingtime import WorkingCalendar

QUESTIONS = 200
AGENTS = 20
START = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The session's database, if it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL: SQLite has no FOR UPDATE SKIP LOCKED and "
                    "serves one writer at a time")
    return database_url


async def _wipe(session: AsyncSession) -> None:
    """Empty every table, as conftest._wipe does, so other tests find the database empty."""
    import_all()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            await session.execute(delete(table))


async def _seed(session: AsyncSession) -> list[Staff]:
    """200 new questions with deadlines in a shuffled order, and 20 agents."""
    party = await get_or_create_party(session, "bsn", "999990019", "Jan Jansen")
    topics = await list_topics(session)
    calendar = WorkingCalendar()
    for n in range(QUESTIONS):
        asked_at = START + timedelta(minutes=(n * 37) % QUESTIONS)  # not in id order
        topic = topics[n % len(topics)]
        await ask(session, NewQuestion(party.id, topic.id, f"Vraag {n}"), calendar, None, asked_at)
    agents = []
    for n in range(AGENTS):
        member = await record_login(session, f"test|agent-{n}", f"Agent {n}", ("agent",), ())
        agents.append(Staff(member.id, ("agent",)))
    return agents


async def _agent(
    sessions: async_sessionmaker[AsyncSession], staff: Staff, start: asyncio.Barrier
) -> list[str]:
    """Wait for the others, then press 'Volgende vraag' until nothing is left."""
    claimed: list[str] = []
    async with sessions() as session:
        await session.execute(text("SELECT 1"))  # hold a connection before the start
        await start.wait()
        while True:
            reference = await claim_next(session, staff)
            await session.commit()
            if reference is None:
                return claimed
            claimed.append(reference)


@dataclass
class Outcome:
    """What the race left behind."""

    agents: list[Staff]
    claimed: list[list[str]]  # per agent, the references their calls returned
    assignees: dict[str, int | None]  # reference -> assignee in the database
    claims: list[tuple[str, int]]  # (reference, actor) of every claim event
    states: list[str]


async def _race(url: str) -> Outcome:
    engine = make_engine(url, pool_size=AGENTS + 1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            await _wipe(session)
            agents = await _seed(session)
            await session.commit()
        start = asyncio.Barrier(AGENTS)
        claimed = await asyncio.gather(*(_agent(sessions, staff, start) for staff in agents))
        async with sessions() as session:
            assignees = dict((await session.execute(
                select(Question.reference, Question.assignee_id)
            )).all())
            claims = [(reference, actor) for reference, actor in await session.execute(
                select(Question.reference, QuestionEvent.actor_id)
                .join(QuestionEvent, QuestionEvent.question_id == Question.id)
                .where(QuestionEvent.action == "claim")
            )]
            states = list(await session.scalars(select(Question.state)))
        return Outcome(agents, list(claimed), assignees, claims, states)
    finally:
        async with sessions() as session:
            await _wipe(session)
            await session.commit()
        await engine.dispose()


def some(items: list[str]) -> str:
    return f"{len(items)}, e.g. {items[:5]}"


def test_twenty_agents_claiming_at_once_claim_every_question_exactly_once(
    postgres_url: str,
) -> None:
    outcome = asyncio.run(_race(postgres_url))

    returned = [reference for claimed in outcome.claimed for reference in claimed]
    duplicates = [ref for ref, n in Counter(returned).items() if n > 1]
    assert not duplicates, f"returned to more than one agent: {some(duplicates)}"
    assert len(returned) == QUESTIONS, f"{len(returned)} claims returned for {QUESTIONS}"
    assert set(returned) == set(outcome.assignees)  # every question, none made up
    assert Counter(outcome.states) == {"claimed": QUESTIONS}

    for staff, claimed in zip(outcome.agents, outcome.claimed, strict=True):
        wrong = [ref for ref in claimed if outcome.assignees[ref] != staff.id]
        assert not wrong, f"agent {staff.id} got questions assigned to others: {some(wrong)}"

    events = Counter(reference for reference, _actor in outcome.claims)
    twice = [reference for reference, n in events.items() if n != 1]
    assert not twice, f"questions with more than one claim event: {some(twice)}"
    assert set(events) == set(outcome.assignees)
    by_other = [ref for ref, actor in outcome.claims if actor != outcome.assignees[ref]]
    assert not by_other, f"claim events by someone else than the assignee: {some(by_other)}"

    busy = [len(claimed) for claimed in outcome.claimed if claimed]
    assert len(busy) > 1, f"one agent did all the work: {[len(c) for c in outcome.claimed]}"
