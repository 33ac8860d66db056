"""The team lead's live view of the work: the queue (how long, how old, how late), what each
colleague holds and since when, and what each team was handed over.

It shows references, topics and names of staff only: no party's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, Label, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.questions.models import Question, QuestionEvent, Topic
from mijn.questions.queue import ESCALATE_WITHIN
from mijn.questions.workflow import version_of
from mijn.staff.service import list_queue_workers, list_teams, staff_names

# The states in which the SLA clock runs (waiting on the citizen stops it).
CLOCK_RUNS = ("new", "claimed", "handed_over")
HELD = ("claimed", "waiting")
MAX_HELD = 500


@dataclass(frozen=True)
class QueueFigures:
    """The queue at a glance."""

    waiting: int  # unassigned questions
    oldest_waiting: datetime | None  # when the longest-waiting unassigned one came in
    late: int  # open, clock running, past due
    nearly_late: int  # open, clock running, due within ESCALATE_WITHIN


@dataclass(frozen=True)
class HeldQuestion:
    """A question a colleague holds, since when, and the version the lead acts on."""

    reference: str
    kind: str
    state: str
    topic_nl: str
    topic_en: str
    since: datetime
    sla_due_at: datetime | None
    version: str


@dataclass
class Holder:
    """A colleague and what they hold, longest held first."""

    staff_id: int
    name: str
    questions: list[HeldQuestion] = field(default_factory=list)


@dataclass(frozen=True)
class TeamLoad:
    """What one team (None: a named specialist only) was handed over and still has open."""

    name_nl: str | None
    name_en: str | None
    open: int
    taken: int  # of those, taken by a specialist
    late: int
    oldest_due: datetime | None


@dataclass(frozen=True)
class Workload:
    """Everything on the lead's page."""

    figures: QueueFigures
    holders: list[Holder]
    teams: list[TeamLoad]
    colleagues: list[tuple[int, str]]  # who questions may be reassigned to
    now: datetime


def _count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)


async def queue_figures(session: AsyncSession, now: datetime) -> QueueFigures:
    """Queue length, the oldest waiting, late and nearly late (one query)."""
    running = Question.state.in_(CLOCK_RUNS)
    row = (await session.execute(select(
        _count(Question.state == "new"),
        func.min(case((Question.state == "new", Question.created_at))),
        _count(running, Question.sla_due_at < now),
        _count(running, Question.sla_due_at >= now, Question.sla_due_at < now + ESCALATE_WITHIN),
    ).where(Question.state.in_(CLOCK_RUNS)))).one()
    return QueueFigures(int(row[0]), row[1], int(row[2]), int(row[3]))


def _held_since() -> Label[datetime]:
    """When the holder got the question: their claim, take-over or wait, or a reassign."""
    got = or_(
        and_(QuestionEvent.actor_type == "staff", QuestionEvent.actor_id == Question.assignee_id,
             QuestionEvent.action.in_(("claim", "take", "take_over", "wait"))),
        and_(QuestionEvent.action == "reassign",
             QuestionEvent.target_staff_id == Question.assignee_id),
    )
    latest = (select(func.max(QuestionEvent.at))
              .where(QuestionEvent.question_id == Question.id, got).scalar_subquery())
    return func.coalesce(latest, Question.updated_at).label("since")


async def holders(session: AsyncSession) -> list[Holder]:
    """Per colleague what they hold (claimed or waiting on the citizen), longest first."""
    rows = (await session.execute(
        select(Question, Topic.label_nl, Topic.label_en, _held_since())
        .join(Topic, Topic.id == Question.topic_id)
        .where(Question.state.in_(HELD), Question.assignee_id.is_not(None))
        .order_by("since", Question.id)
        .limit(MAX_HELD)
    )).all()
    names = await staff_names(session, {row[0].assignee_id or 0 for row in rows})
    found: dict[int, Holder] = {}
    for question, label_nl, label_en, since in rows:
        holder_id = question.assignee_id or 0  # never None: selected so
        holder = found.setdefault(holder_id, Holder(holder_id, names.get(holder_id, "")))
        holder.questions.append(HeldQuestion(
            question.reference, question.kind, question.state, label_nl, label_en or "",
            since, question.sla_due_at, version_of(question),
        ))
    return sorted(found.values(), key=lambda holder: (holder.name, holder.staff_id))


async def team_loads(session: AsyncSession, now: datetime) -> list[TeamLoad]:
    """Per team the handed-over questions still open: taken or not, late, the first due
    (a question handed to a named specialist only is counted under no team)."""
    rows = await session.execute(
        select(
            Question.team_id, func.count(Question.id),
            func.sum(case((Question.assignee_id.is_not(None), 1), else_=0)).cast(Integer),
            _count(Question.sla_due_at < now), func.min(Question.sla_due_at),
        )
        .where(Question.state == "handed_over")
        .group_by(Question.team_id)
    )
    teams = {team.id: team for team in await list_teams(session)}
    loads = []
    for team_id, n, taken, late, due in rows:
        team = teams.get(team_id) if team_id is not None else None
        loads.append(TeamLoad(team.name_nl if team else None, team.name_en if team else None,
                              int(n), int(taken or 0), int(late), due))
    return sorted(loads, key=lambda load: (load.name_nl is None, load.name_nl or ""))


async def colleagues(session: AsyncSession) -> list[tuple[int, str]]:
    """Who works the queue (agents and team leads), by name: whom a lead may reassign to."""
    return [(member.id, member.name) for member in await list_queue_workers(session)]


async def workload(session: AsyncSession, now: datetime | None = None) -> Workload:
    """The lead's page, as it is now."""
    now = now or utcnow()
    return Workload(
        figures=await queue_figures(session, now), holders=await holders(session),
        teams=await team_loads(session, now), colleagues=await colleagues(session), now=now,
    )
