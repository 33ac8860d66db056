"""Satisfaction (KTO) in the report: the answers given in the month per topic, channel, team
and dossier type, the trend per month, against first-contact resolution, the service level
and the time to the first answer; and the comments.
Like every query module of insight, it reads other areas' tables directly and read-only
(see mijn/insight/__init__.py); it returns no name, identifier or reference. The comments are
the one free text: what citizens wrote, shown with the date, topic, channel and score only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier, DossierType
from mijn.insight.handling import seconds_between
from mijn.insight.period import Period, add_months, between, in_department, of_department
from mijn.questions.models import DossierSatisfaction, Question, SatisfactionResponse, Topic
from mijn.questions.resolution import needed_more
from mijn.staff.models import Team

R = SatisfactionResponse
MAX_COMMENTS = 500


@dataclass(frozen=True)
class Score:
    """The satisfaction answers of one group: how many, how many satisfied, and the sum of
    the scores given on the five-point scale (the "tevreden / niet tevreden" ones have no
    score of their own)."""

    key: Any
    label_nl: str
    label_en: str
    responses: int
    satisfied: int
    five: int = 0
    five_sum: int = 0

    @property
    def mean(self) -> float | None:
        """The mean score on the five-point scale, one decimal (None: none on that scale)."""
        return round(self.five_sum / self.five, 1) if self.five else None


def _counts(rows: Any = R) -> list[Any]:
    c = rows if rows is R else rows.c
    five = c.scale == "five"
    return [func.count(), func.sum(case((c.satisfied.is_(True), 1), else_=0)),
            func.sum(case((five, 1), else_=0)), func.sum(case((five, c.score), else_=0))]


def _in_month(period: Period) -> list[Any]:
    return [between(R.created_at, period.month, period.end),
            *in_department(Question.dossier_id, period)]


async def _grouped(session: AsyncSession, period: Period, columns: list[Any],
                   joins: list[tuple[Any, Any]]) -> list[Score]:
    """Scores per group of `columns` (key, label_nl, label_en), most answers first. The
    answers are read in a subquery and grouped by its columns (an expression with bound
    values would not group on PostgreSQL)."""
    rows = select(*(c.label(n) for c, n in zip(columns, ("k", "nl", "en"), strict=True)),
                  R.scale, R.score, R.satisfied).select_from(R).join(
                      Question, Question.id == R.question_id)
    for table, on in joins:
        rows = rows.outerjoin(table, on)
    inner = rows.where(*_in_month(period)).subquery()
    stmt = select(inner.c.k, inner.c.nl, inner.c.en, *_counts(inner)).group_by(
        inner.c.k, inner.c.nl, inner.c.en)
    found = [Score(key, nl or "", en or "", int(n), int(yes or 0), int(five or 0),
                   int(total or 0)) for key, nl, en, n, yes, five, total in
             (await session.execute(stmt)).all()]
    return sorted(found, key=lambda s: (-s.responses, s.label_nl))


async def by_topic(session: AsyncSession, period: Period) -> list[Score]:
    """Per topic of the question."""
    return await _grouped(session, period, [Topic.id, Topic.label_nl, Topic.label_en],
                          [(Topic, Topic.id == Question.topic_id)])


async def by_channel(session: AsyncSession, period: Period) -> list[Score]:
    """Per channel the question came in through (the label is the channel's code)."""
    return await _grouped(session, period,
                          [Question.channel, Question.channel, Question.channel], [])


async def by_team(session: AsyncSession, period: Period) -> list[Score]:
    """Per team the question was handed over to (empty labels: the KCC answered it)."""
    return await _grouped(session, period, [Team.id, Team.name_nl, Team.name_en],
                          [(Team, Team.id == Question.team_id)])


async def by_dossier_type(session: AsyncSession, period: Period) -> list[Score]:
    """Per type of the dossier the question was about (empty labels: about none)."""
    return await _grouped(
        session, period, [DossierType.id, DossierType.name_nl, DossierType.name_en],
        [(Dossier, Dossier.id == Question.dossier_id),
         (DossierType, DossierType.id == Dossier.dossier_type_id)])


async def closed_by_type(session: AsyncSession, period: Period) -> list[Score]:
    """Satisfaction after a dossier was closed, per dossier type (tied to the dossier: no
    person in it), answers given in the month; a department: its dossiers."""
    d = DossierSatisfaction
    inner = (select(DossierType.id.label("k"), DossierType.name_nl.label("nl"),
                    DossierType.name_en.label("en"), d.scale, d.score, d.satisfied)
             .select_from(d).join(Dossier, Dossier.id == d.dossier_id)
             .join(DossierType, DossierType.id == Dossier.dossier_type_id)
             .where(between(d.created_at, period.month, period.end), *of_department(period))
             .subquery())
    stmt = select(inner.c.k, inner.c.nl, inner.c.en, *_counts(inner)).group_by(
        inner.c.k, inner.c.nl, inner.c.en)
    found = [Score(key, nl or "", en or "", int(n), int(yes or 0), int(five or 0),
                   int(total or 0)) for key, nl, en, n, yes, five, total in
             (await session.execute(stmt)).all()]
    return sorted(found, key=lambda s: (-s.responses, s.label_nl))


def _resolution() -> Any:
    """1 solved at first contact, 0 not, -1 not known (never answered: a callback)."""
    fcr = Question.first_contact_resolution
    return case((fcr.is_(None), -1),
                (and_(fcr.is_(True), ~needed_more(Question.id)), 1), else_=0)


def _on_time() -> Any:
    """1 answered within the service level, 0 late, -1 no due time or no answer."""
    due, answered = Question.sla_due_at, Question.answered_at
    return case((due.is_(None) | answered.is_(None), -1), (answered <= due, 1), else_=0)


async def by_resolution(session: AsyncSession, period: Period) -> list[Score]:
    """Solved at first contact (key 1) or not (0); -1: not known."""
    column = _resolution()
    return await _grouped(session, period,
                          [column, literal("", String), literal("", String)], [])


async def by_service_level(session: AsyncSession, period: Period) -> list[Score]:
    """Answered within the service level (key 1) or late (0); -1: no due time or answer."""
    column = _on_time()
    return await _grouped(session, period,
                          [column, literal("", String), literal("", String)], [])


async def time_to_answer(session: AsyncSession, period: Period) -> dict[bool, float | None]:
    """The mean seconds from the question to its first answer, of the satisfied and of the
    not satisfied answers."""
    dialect = session.get_bind().dialect.name
    seconds = seconds_between(Question.answered_at, Question.created_at, dialect)
    rows = (await session.execute(
        select(R.satisfied, func.avg(seconds)).select_from(R)
        .join(Question, Question.id == R.question_id)
        .where(*_in_month(period), Question.answered_at.is_not(None)).group_by(R.satisfied)
    )).all()
    found: dict[bool, float | None] = {True: None, False: None}
    found.update({bool(yes): (float(avg) if avg is not None else None) for yes, avg in rows})
    return found


async def trend(session: AsyncSession, period: Period) -> list[Score]:
    """Per month of the trend (key: the month's first day): answers and satisfied."""
    months = period.trend_months
    stmt = union_all(*(
        select(literal(i, Integer), *_counts()).select_from(R)
        .join(Question, Question.id == R.question_id)
        .where(between(R.created_at, m, add_months(m, 1)),
               *in_department(Question.dossier_id, period))
        for i, m in enumerate(months)))
    found = {int(i): (int(n), int(yes or 0), int(five or 0), int(total or 0))
             for i, n, yes, five, total in (await session.execute(stmt)).all()}
    return [Score(m, "", "", *found.get(i, (0, 0, 0, 0))) for i, m in enumerate(months)]


@dataclass(frozen=True)
class CommentFilter:
    """Which comments: of a topic (id), a channel, satisfied or not (None: all)."""

    topic_id: int | None = None
    channel: str = ""
    satisfied: bool | None = None


@dataclass(frozen=True)
class Comment:
    """A comment with what may be shown next to it (never who wrote it, nor about what)."""

    at: datetime
    topic_nl: str
    topic_en: str
    channel: str
    scale: str
    score: int
    text: str


async def comments(session: AsyncSession, period: Period, chosen: CommentFilter) -> list[Comment]:
    """The comments given in the month (at most MAX_COMMENTS), newest first."""
    stmt = (select(R.created_at, Topic.label_nl, Topic.label_en, Question.channel, R.scale,
                   R.score, R.comment).select_from(R)
            .join(Question, Question.id == R.question_id)
            .join(Topic, Topic.id == Question.topic_id)
            .where(*_in_month(period), R.comment != ""))
    if chosen.topic_id is not None:
        stmt = stmt.where(Question.topic_id == chosen.topic_id)
    if chosen.channel:
        stmt = stmt.where(Question.channel == chosen.channel)
    if chosen.satisfied is not None:
        stmt = stmt.where(R.satisfied.is_(chosen.satisfied))
    stmt = stmt.order_by(R.created_at.desc(), R.id.desc()).limit(MAX_COMMENTS)
    return [Comment(at, nl, en or "", channel, scale, score, text)
            for at, nl, en, channel, scale, score, text in (await session.execute(stmt)).all()]
