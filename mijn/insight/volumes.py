"""Volumes: questions per topic, reports and cases per dossier type, everything per channel,
and the trend per month.
Like every query module of insight, it reads other areas' tables directly and read-only
(see mijn/insight/__init__.py); no function returns a name, identifier, reference or free
text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier, DossierType
from mijn.insight.period import Period, add_months, between, in_department, of_department
from mijn.questions.models import Contact, Question, Topic


@dataclass(frozen=True)
class LabelCount:
    """A label (topic, dossier type, team) with its count this month and the month before."""

    label_nl: str
    label_en: str
    count: int
    previous: int


Branch = Callable[[int, date, date], Any]


async def compare_months(session: AsyncSession, period: Period, branch: Branch) -> list[LabelCount]:
    """Counts per label in the month (0) and the month before (1), one grouped count of each
    month glued with UNION ALL; the most in the month first, then by label."""
    stmt = union_all(branch(0, period.month, period.end), branch(1, period.previous,
                                                                 period.month))
    found: dict[tuple[Any, str, str], list[int]] = {}
    for which, key, nl, en, n in (await session.execute(stmt)).all():
        found.setdefault((key, nl or "", en or ""), [0, 0])[int(which)] = int(n)
    rows = [LabelCount(nl, en, now, before) for (_, nl, en), (now, before) in found.items()]
    return sorted(rows, key=lambda r: (-r.count, r.label_nl))


async def questions_by_topic(session: AsyncSession, period: Period) -> list[LabelCount]:
    """Questions per topic in the month and the month before; most asked first."""

    def branch(which: int, start: date, end: date) -> Any:
        return (select(literal(which, Integer), Topic.id, Topic.label_nl, Topic.label_en,
                       func.count())
                .select_from(Question).join(Topic, Topic.id == Question.topic_id)
                .where(between(Question.created_at, start, end), Question.kind == "question",
                       *in_department(Question.dossier_id, period))
                .group_by(Topic.id, Topic.label_nl, Topic.label_en))

    return await compare_months(session, period, branch)


async def dossiers_by_type(session: AsyncSession, period: Period, kind: str) -> list[LabelCount]:
    """Dossiers of one kind (report or case) opened per dossier type; most first."""

    def branch(which: int, start: date, end: date) -> Any:
        return (select(literal(which, Integer), DossierType.id, DossierType.name_nl,
                       DossierType.name_en, func.count())
                .select_from(Dossier).join(DossierType, DossierType.id == Dossier.dossier_type_id)
                .where(Dossier.opened_on >= start, Dossier.opened_on < end,
                       Dossier.kind == kind, *of_department(period))
                .group_by(DossierType.id, DossierType.name_nl, DossierType.name_en))

    return await compare_months(session, period, branch)


@dataclass(frozen=True)
class ChannelCount:
    """Through one channel in the month: questions, reports, cases, registered contacts and
    callback requests (apart from the questions: a request to be called is no question)."""

    channel: str
    questions: int = 0
    reports: int = 0
    cases: int = 0
    contacts: int = 0
    callbacks: int = 0

    @property
    def total(self) -> int:
        """Everything that came in through the channel."""
        return self.questions + self.reports + self.cases + self.contacts + self.callbacks


async def by_channel(session: AsyncSession, period: Period) -> list[ChannelCount]:
    """Questions, reports, cases, contacts and callback requests per channel in the month."""
    counts: dict[str, dict[str, int]] = {}
    for name, stmt in _channel_queries(period).items():
        for channel, n in (await session.execute(stmt)).all():
            counts.setdefault(channel, {})[name] = int(n)
    rows = [ChannelCount(channel, **values) for channel, values in counts.items()]
    return sorted(rows, key=lambda r: -r.total)


def _channel_queries(period: Period) -> dict[str, Any]:
    def asked(kind: str) -> Any:
        return (select(Question.channel, func.count())
                .where(between(Question.created_at, period.month, period.end),
                       Question.kind == kind, *in_department(Question.dossier_id, period))
                .group_by(Question.channel))

    contacts = (select(Contact.channel, func.count())
                .where(between(Contact.at, period.month, period.end),
                       *in_department(Contact.dossier_id, period))
                .group_by(Contact.channel))
    opened = [Dossier.opened_on >= period.month, Dossier.opened_on < period.end,
              *of_department(period)]
    return {
        "questions": asked("question"), "callbacks": asked("callback"),
        "reports": select(Dossier.channel, func.count()).where(
            Dossier.kind == "report", *opened).group_by(Dossier.channel),
        "cases": select(Dossier.channel, func.count()).where(
            Dossier.kind == "case", *opened).group_by(Dossier.channel),
        "contacts": contacts,
    }


@dataclass(frozen=True)
class MonthCount:
    """One month of the trend: questions asked, reports and cases opened, callback requests."""

    month: date
    questions: int
    reports: int
    cases: int
    callbacks: int = 0


async def trend(session: AsyncSession, period: Period) -> list[MonthCount]:
    """Per month of the trend: questions, reports, cases and callback requests. One count per
    month, glued together with UNION ALL: each is a range count over an index."""
    months = period.trend_months
    questions = union_all(*(
        select(literal(i, Integer).label("i"), Question.kind, func.count())
        .where(between(Question.created_at, m, add_months(m, 1)),
               *in_department(Question.dossier_id, period)).group_by(Question.kind)
        for i, m in enumerate(months)))
    dossiers = union_all(*(
        select(literal(i, Integer).label("i"), Dossier.kind, func.count())
        .where(Dossier.opened_on >= m, Dossier.opened_on < add_months(m, 1),
               *of_department(period)).group_by(Dossier.kind)
        for i, m in enumerate(months)))
    counts: dict[tuple[int, str], int] = {}
    for stmt in (questions, dossiers):
        for i, kind, n in (await session.execute(stmt)).all():
            counts[(int(i), kind)] = int(n)
    return [MonthCount(m, counts.get((i, "question"), 0), counts.get((i, "report"), 0),
                       counts.get((i, "case"), 0), counts.get((i, "callback"), 0))
            for i, m in enumerate(months)]
