"""Handling: time to the first answer, the service level met, first-contact resolution, and
handovers per team.
Like every query module of insight, it reads other areas' tables directly and read-only
(see mijn/insight/__init__.py); no function returns a name, identifier, reference or free
text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, select
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.insight.period import Period, between, in_department, moment
from mijn.insight.volumes import LabelCount, compare_months
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.resolution import needed_more
from mijn.staff.models import Team


@dataclass(frozen=True)
class Handling:
    """Questions answered in the month: how long it took, on time, and solved at first contact;
    and the open questions whose due time passed in the month (late, not answered yet)."""

    answered: int
    with_due: int
    on_time: int
    fcr_known: int
    fcr_yes: int
    median_seconds: float | None
    p90_seconds: float | None
    late_open: int = 0

    @property
    def due(self) -> int:
        """The questions the service level is measured over: answered with a due time, and
        open ones already past due."""
        return self.with_due + self.late_open

    @property
    def on_time_share(self) -> float | None:
        """The share answered within the service level (None: nothing due)."""
        return self.on_time / self.due if self.due else None

    @property
    def fcr_share(self) -> float | None:
        """The share answered by the KCC without a handover (None: nothing answered)."""
        return self.fcr_yes / self.fcr_known if self.fcr_known else None


def seconds_between(later: Any, earlier: Any, dialect: str) -> Any:
    """The seconds from one timestamp column to another, in SQL."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _percentile(rn: Any, n: Any, value: Any, k: int, d: int) -> Any:
    """The k/d percentile by linear interpolation (as PostgreSQL's percentile_cont): the
    value at 1-based position 1 + (n-1)k/d, between the two nearest ranks."""
    low = 1 + ((n - 1) * k) // d
    frac = (((n - 1) * k) % d) * 1.0 / d
    return func.sum(case((rn == low, value * (1 - frac)), (rn == low + 1, value * frac),
                         else_=0))


async def handling(session: AsyncSession, period: Period,
                   now: datetime | None = None) -> Handling:
    """Median and 90th percentile of the time to the first answer, the service level met,
    and first-contact resolution, over the questions (not callback requests) first answered
    in the month; and the open questions past due in the month (up to now), which count as
    late for the service level.

    PostgreSQL does it in one statement with percentile_cont; SQLite has no percentile, so
    there the same interpolation is computed with window functions (window_percentiles)."""
    dialect = session.get_bind().dialect.name
    seconds = seconds_between(Question.answered_at, Question.created_at, dialect)
    answered = [between(Question.answered_at, period.month, period.end),
                Question.kind == "question", *in_department(Question.dossier_id, period)]
    if dialect == "postgresql":
        both = func.percentile_cont(pg_array([0.5, 0.9])).within_group(seconds)
        row = (await session.execute(select(*_handling_counts(), both).where(*answered))).one()
        counts, found = row[:5], row[5]
        median, p90 = (found[0], found[1]) if found is not None else (None, None)
    else:
        counts = (await session.execute(select(*_handling_counts()).where(*answered))).one()
        median, p90 = await window_percentiles(session, seconds, answered)
    answered_n, with_due, on_time, fcr_known, fcr_yes = (int(c or 0) for c in counts)
    late = await late_open(session, period, now or utcnow())
    return Handling(answered_n, with_due, on_time, fcr_known, fcr_yes, _float(median),
                    _float(p90), late)


async def late_open(session: AsyncSession, period: Period, now: datetime) -> int:
    """Questions not answered, not waiting on the citizen and not closed, whose due time fell
    in the month before now: already late, whenever they will be answered."""
    until = min(moment(period.end), now)
    found = await session.scalar(select(func.count()).where(
        Question.kind == "question", Question.answered_at.is_(None),
        Question.state.in_(("new", "claimed", "handed_over")),
        Question.sla_due_at >= moment(period.month), Question.sla_due_at < until,
        *in_department(Question.dossier_id, period)))
    return int(found or 0)


async def window_percentiles(
    session: AsyncSession, value: Any, conditions: list[Any]
) -> tuple[Any, Any]:
    """The median and 90th percentile of a value over the rows meeting the conditions, with
    window functions only (works on every database)."""
    ranked = select(
        value.label("s"), func.row_number().over(order_by=value).label("rn"),
        func.count().over().label("n"),
    ).where(*conditions).subquery()
    median, p90 = (await session.execute(select(
        _percentile(ranked.c.rn, ranked.c.n, ranked.c.s, 1, 2),
        _percentile(ranked.c.rn, ranked.c.n, ranked.c.s, 9, 10),
    ))).one()
    return median, p90


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _handling_counts() -> list[Any]:
    due = Question.sla_due_at.is_not(None)
    fcr = Question.first_contact_resolution
    on_time = and_(due, Question.answered_at <= Question.sla_due_at)
    # The column says "answered without a handover"; the question's events also tell a
    # question that needed more than one answer (mijn/questions/resolution.py). The nested
    # CASE looks the events up only for the questions the column calls solved.
    solved = case((fcr.is_(True), case((needed_more(Question.id), 0), else_=1)), else_=0)
    return [
        func.count(), func.sum(case((due, 1), else_=0)), func.sum(case((on_time, 1), else_=0)),
        func.count(fcr), func.sum(solved),
    ]


async def handovers_by_team(session: AsyncSession, period: Period) -> list[LabelCount]:
    """Handovers in the month (and the month before) per team; to no team: empty labels."""

    def branch(which: int, start: date, end: date) -> Any:
        stmt = (select(literal(which, Integer), Team.id, Team.name_nl, Team.name_en,
                       func.count())
                .select_from(QuestionEvent).outerjoin(Team, Team.id == QuestionEvent.team_id)
                .where(QuestionEvent.action == "hand_over", between(QuestionEvent.at, start, end))
                .group_by(Team.id, Team.name_nl, Team.name_en))
        if period.department:
            stmt = stmt.join(Question, Question.id == QuestionEvent.question_id).where(
                *in_department(Question.dossier_id, period))
        return stmt

    return await compare_months(session, period, branch)
