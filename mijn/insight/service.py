"""What the insight area can do: the monthly report's figures, each one SQL aggregation.

A reporting area reads other areas' tables: the queries below read questions, their events,
contacts, dossiers, teams and the answers' feedback, flags and events directly, in SQL,
rather than through those areas' services (which load rows). Nothing here writes, and no
function returns a name, an identifier, a reference or free text: only counts, durations,
and the labels of topics, channels, teams, dossier types and answer titles.

Months are calendar months in Dutch time. The department filter is a dossier's
department: for dossiers their own, for questions, contacts and handovers that of the
dossier they are about (those about no dossier fall outside every department).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.models import Answer, AnswerEvent, AnswerFeedback, AnswerFlag
from mijn.dossiers.models import Dossier, DossierType
from mijn.questions.models import Contact, Question, QuestionEvent, Topic
from mijn.staff.models import Team

ZONE = ZoneInfo("Europe/Amsterdam")
TREND_LENGTHS = (3, 6, 12, 24)
TOP = 10


# --- the period ---------------------------------------------------------------------------------


def month_start(day: date) -> date:
    """The first day of the month a day falls in."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months later (or earlier, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def moment(day: date) -> datetime:
    """Midnight in Dutch time at the start of a day, as a UTC timestamp."""
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """The report's month, how many months the trend shows, and the department ('' = all)."""

    month: date
    months: int = 6
    department: str = ""

    @property
    def previous(self) -> date:
        """The first day of the month before."""
        return add_months(self.month, -1)

    @property
    def end(self) -> date:
        """The first day after the month."""
        return add_months(self.month, 1)

    @property
    def trend_months(self) -> list[date]:
        """The months of the trend, oldest first, ending with the report's month."""
        return [add_months(self.month, -i) for i in range(self.months - 1, -1, -1)]


def _between(column: Any, start: date, end: date) -> ColumnElement[bool]:
    """A timestamp column within [start, end) of Dutch calendar days."""
    return and_(column >= moment(start), column < moment(end))


def _in_department(dossier_id: Any, period: Period) -> list[ColumnElement[bool]]:
    """No condition for all departments; else: about a dossier of that department."""
    if not period.department:
        return []
    ids = select(Dossier.id).where(Dossier.department == period.department)
    return [dossier_id.in_(ids)]


def _count_in(column: Any, start: date, end: date) -> Any:
    """SUM of 1 for rows whose timestamp falls in [start, end)."""
    return func.coalesce(func.sum(case((_between(column, start, end), 1), else_=0)), 0)


def _count_on(column: Any, start: date, end: date) -> Any:
    """SUM of 1 for rows whose date falls in [start, end)."""
    return func.coalesce(func.sum(case((and_(column >= start, column < end), 1), else_=0)), 0)


# --- volumes: per topic, per dossier type, per channel, per month ------------------------------


@dataclass(frozen=True)
class LabelCount:
    """A label (topic, dossier type, team) with its count this month and the month before."""

    label_nl: str
    label_en: str
    count: int
    previous: int


Branch = Callable[[int, date, date], Any]


async def _compare(session: AsyncSession, period: Period, branch: Branch) -> list[LabelCount]:
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
                .where(_between(Question.created_at, start, end),
                       *_in_department(Question.dossier_id, period))
                .group_by(Topic.id, Topic.label_nl, Topic.label_en))

    return await _compare(session, period, branch)


async def dossiers_by_type(session: AsyncSession, period: Period, kind: str) -> list[LabelCount]:
    """Dossiers of one kind (report or case) opened per dossier type; most first."""

    def branch(which: int, start: date, end: date) -> Any:
        return (select(literal(which, Integer), DossierType.id, DossierType.name_nl,
                       DossierType.name_en, func.count())
                .select_from(Dossier).join(DossierType, DossierType.id == Dossier.dossier_type_id)
                .where(Dossier.opened_on >= start, Dossier.opened_on < end,
                       Dossier.kind == kind, *_department(period))
                .group_by(DossierType.id, DossierType.name_nl, DossierType.name_en))

    return await _compare(session, period, branch)


def _department(period: Period) -> list[ColumnElement[bool]]:
    return [Dossier.department == period.department] if period.department else []


@dataclass(frozen=True)
class ChannelCount:
    """Through one channel in the month: questions, reports, cases and registered contacts."""

    channel: str
    questions: int = 0
    reports: int = 0
    cases: int = 0
    contacts: int = 0


async def by_channel(session: AsyncSession, period: Period) -> list[ChannelCount]:
    """Questions, reports, cases and contacts per channel in the month."""
    counts: dict[str, dict[str, int]] = {}
    for name, stmt in _channel_queries(period).items():
        for channel, n in (await session.execute(stmt)).all():
            counts.setdefault(channel, {})[name] = int(n)
    rows = [ChannelCount(channel, **values) for channel, values in counts.items()]
    return sorted(rows, key=lambda r: -(r.questions + r.reports + r.cases + r.contacts))


def _channel_queries(period: Period) -> dict[str, Any]:
    questions = (select(Question.channel, func.count())
                 .where(_between(Question.created_at, period.month, period.end),
                        *_in_department(Question.dossier_id, period))
                 .group_by(Question.channel))
    contacts = (select(Contact.channel, func.count())
                .where(_between(Contact.at, period.month, period.end),
                       *_in_department(Contact.dossier_id, period))
                .group_by(Contact.channel))
    opened = [Dossier.opened_on >= period.month, Dossier.opened_on < period.end,
              *_department(period)]
    return {
        "questions": questions,
        "reports": select(Dossier.channel, func.count()).where(
            Dossier.kind == "report", *opened).group_by(Dossier.channel),
        "cases": select(Dossier.channel, func.count()).where(
            Dossier.kind == "case", *opened).group_by(Dossier.channel),
        "contacts": contacts,
    }


@dataclass(frozen=True)
class MonthCount:
    """One month of the trend: questions asked, reports and cases opened."""

    month: date
    questions: int
    reports: int
    cases: int


async def trend(session: AsyncSession, period: Period) -> list[MonthCount]:
    """Per month of the trend: questions, reports and cases. One count per month, glued
    together with UNION ALL: each is a range count over an index, no per-row arithmetic."""
    months = period.trend_months
    questions = union_all(*(
        select(literal(i, Integer).label("i"), literal("question").label("kind"), func.count())
        .where(_between(Question.created_at, m, add_months(m, 1)),
               *_in_department(Question.dossier_id, period))
        for i, m in enumerate(months)))
    dossiers = union_all(*(
        select(literal(i, Integer).label("i"), Dossier.kind, func.count())
        .where(Dossier.opened_on >= m, Dossier.opened_on < add_months(m, 1),
               *_department(period)).group_by(Dossier.kind)
        for i, m in enumerate(months)))
    counts: dict[tuple[int, str], int] = {}
    for stmt in (questions, dossiers):
        for i, kind, n in (await session.execute(stmt)).all():
            counts[(int(i), kind)] = int(n)
    return [MonthCount(m, counts.get((i, "question"), 0), counts.get((i, "report"), 0),
                       counts.get((i, "case"), 0)) for i, m in enumerate(months)]


# --- handling: time, service level, first-contact resolution ----------------------------------


@dataclass(frozen=True)
class Handling:
    """Questions answered in the month: how long it took, on time, and solved at first contact."""

    answered: int
    with_due: int
    on_time: int
    fcr_known: int
    fcr_yes: int
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def on_time_share(self) -> float | None:
        """The share answered within the service level (None: nothing due)."""
        return self.on_time / self.with_due if self.with_due else None

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


async def handling(session: AsyncSession, period: Period) -> Handling:
    """Median and 90th percentile of the time to the first answer, the service level met,
    and first-contact resolution, over the questions first answered in the month.

    PostgreSQL does it in one statement with percentile_cont; SQLite has no percentile, so
    there the same interpolation is computed with window functions (window_percentiles)."""
    dialect = session.get_bind().dialect.name
    seconds = seconds_between(Question.answered_at, Question.created_at, dialect)
    answered = [_between(Question.answered_at, period.month, period.end),
                *_in_department(Question.dossier_id, period)]
    if dialect == "postgresql":
        both = func.percentile_cont(pg_array([0.5, 0.9])).within_group(seconds)
        row = (await session.execute(select(*_handling_counts(), both).where(*answered))).one()
        counts, found = row[:5], row[5]
        median, p90 = (found[0], found[1]) if found is not None else (None, None)
    else:
        counts = (await session.execute(select(*_handling_counts()).where(*answered))).one()
        median, p90 = await window_percentiles(session, seconds, answered)
    answered_n, with_due, on_time, fcr_known, fcr_yes = (int(c or 0) for c in counts)
    return Handling(answered_n, with_due, on_time, fcr_known, fcr_yes, _float(median),
                    _float(p90))


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
    return [
        func.count(), func.sum(case((due, 1), else_=0)), func.sum(case((on_time, 1), else_=0)),
        func.count(fcr), func.sum(case((fcr.is_(True), 1), else_=0)),
    ]


async def handovers_by_team(session: AsyncSession, period: Period) -> list[LabelCount]:
    """Handovers in the month (and the month before) per team; to no team: empty labels."""

    def branch(which: int, start: date, end: date) -> Any:
        stmt = (select(literal(which, Integer), Team.id, Team.name_nl, Team.name_en,
                       func.count())
                .select_from(QuestionEvent).outerjoin(Team, Team.id == QuestionEvent.team_id)
                .where(QuestionEvent.action == "hand_over", _between(QuestionEvent.at, start, end))
                .group_by(Team.id, Team.name_nl, Team.name_en))
        if period.department:
            stmt = stmt.join(Question, Question.id == QuestionEvent.question_id).where(
                *_in_department(Question.dossier_id, period))
        return stmt

    return await _compare(session, period, branch)


# --- the knowledge base: deflection, votes, review dates, flags -------------------------------


@dataclass(frozen=True)
class Deflection:
    """The month's answer views and suggestions against the questions asked on the website."""

    views: int
    suggested: int
    opened: int
    forms_opened: int
    forms_deflected: int
    web_questions: int

    @property
    def deflected_share(self) -> float | None:
        """Of the questions that were about to be asked, the share kept away by an answer."""
        total = self.forms_deflected + self.web_questions
        return self.forms_deflected / total if total else None


async def deflection(session: AsyncSession, period: Period) -> Deflection:
    """Answer views, suggestions shown and opened; forms in which a suggestion was opened and
    no question was sent; and the questions sent through the website (whole organisation)."""
    in_month = _between(AnswerEvent.at, period.month, period.end)
    kinds = dict((await session.execute(select(AnswerEvent.kind, func.count()).where(
        in_month, AnswerEvent.kind.in_(("view", "suggested", "opened")))
        .group_by(AnswerEvent.kind))).all())
    forms = select(AnswerEvent.form_key).where(
        in_month, AnswerEvent.kind == "opened", AnswerEvent.form_key.is_not(None)
    ).distinct().subquery()
    # A question is sent after the suggestion was opened, so from the month's start on.
    asked = select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "asked", AnswerEvent.form_key.is_not(None),
        AnswerEvent.at >= moment(period.month))
    opened_n, deflected = (await session.execute(select(
        func.count(), func.coalesce(func.sum(case((forms.c.form_key.in_(asked), 0), else_=1)), 0)
    ).select_from(forms))).one()
    web = await session.scalar(select(func.count()).where(
        _between(Question.created_at, period.month, period.end), Question.channel == "web"))
    return Deflection(int(kinds.get("view", 0)), int(kinds.get("suggested", 0)),
                      int(kinds.get("opened", 0)), int(opened_n), int(deflected), int(web or 0))


@dataclass(frozen=True)
class AnswerVotes:
    """An answer's title with the month's 'ja' and 'nee' votes."""

    title: str
    yes: int
    no: int


async def most_no_votes(
    session: AsyncSession, period: Period, limit: int = TOP
) -> list[AnswerVotes]:
    """The answers with the most 'nee' votes in the month (with their 'ja' votes)."""
    no = func.sum(case((AnswerFeedback.helpful.is_(False), 1), else_=0)).label("no")
    yes = func.sum(case((AnswerFeedback.helpful.is_(True), 1), else_=0))
    stmt = (select(Answer.title, yes, no).join(Answer, Answer.id == AnswerFeedback.answer_id)
            .where(_between(AnswerFeedback.created_at, period.month, period.end))
            .group_by(Answer.id, Answer.title).having(no > 0)
            .order_by(no.desc(), Answer.title).limit(limit))
    return [AnswerVotes(t, int(y), int(n)) for t, y, n in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class PastReview:
    """A published answer whose review date has passed, with its votes since publication."""

    title: str
    review_by: date
    yes: int
    no: int


async def past_review(session: AsyncSession, today: date, limit: int = 50) -> list[PastReview]:
    """Published answers past their review date on a day, the longest overdue first."""
    stmt = (select(Answer.title, Answer.review_by, Answer.yes_count, Answer.no_count)
            .where(Answer.published.is_(True), Answer.review_by < today)
            .order_by(Answer.review_by, Answer.title).limit(limit))
    rows = (await session.execute(stmt)).all()
    return [PastReview(t, r or today, int(y), int(n)) for t, r, y, n in rows]


@dataclass(frozen=True)
class FlagCount:
    """Agents' flags in the month about one answer (title) or missing answers (title None)."""

    title: str | None
    flags: int
    still_open: int


async def flags(session: AsyncSession, period: Period) -> list[FlagCount]:
    """Agents' flags raised in the month per answer (and about missing answers), with how
    many are still open; most flagged first. Counts and titles only, never the comments."""
    n = func.count().label("n")
    still_open = func.sum(case((AnswerFlag.resolved_at.is_(None), 1), else_=0))
    stmt = (select(Answer.title, n, still_open).select_from(AnswerFlag)
            .outerjoin(Answer, Answer.id == AnswerFlag.answer_id)
            .where(_between(AnswerFlag.created_at, period.month, period.end))
            .group_by(Answer.id, Answer.title).order_by(n.desc(), Answer.title))
    return [FlagCount(t, int(f), int(o)) for t, f, o in (await session.execute(stmt)).all()]


async def departments(session: AsyncSession) -> list[str]:
    """The departments dossiers belong to, for the filter: one index probe per department
    (a loose index scan as a recursive query) rather than reading every dossier."""
    found = await session.scalars(text(
        "WITH RECURSIVE d(name) AS ("
        " SELECT min(department) FROM dossiers WHERE department > ''"
        " UNION ALL SELECT (SELECT min(department) FROM dossiers WHERE department > d.name)"
        " FROM d WHERE d.name IS NOT NULL)"
        " SELECT name FROM d WHERE name IS NOT NULL"))
    return list(found)

