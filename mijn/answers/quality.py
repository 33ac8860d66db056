"""How well each answer does over time: how often it was read, the 'ja' and 'nee' votes,
how often a question was still asked after reading it in the ask form, how often agents
used it in a reply, and the satisfaction (KTO) with the questions it was used in. The
editors' attention list ranks by these figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mijn.answers.feedback import EditorRow, editor_list
from mijn.answers.models import AnswerEvent, AnswerFeedback
from mijn.questions.satisfaction import scores

PERIOD_DAYS = 90  # the editors' list counts the last 90 days
TREND_MONTHS = 6  # an answer's page shows its last six months
# "Still asked after reading": opened in at least this many ask forms, of which at least
# this share still sent their question.
MIN_FORMS, ASKED_SHARE = 5, 0.5
MIN_VOTES = 5  # a share of 'nee' votes counts from this many votes on
ZONE = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Figures:
    """One answer's figures over a period."""

    views: int = 0
    yes: int = 0
    no: int = 0
    forms_opened: int = 0  # ask forms in which it was opened as a suggestion
    asked_after: int = 0  # ... from which a question was sent after that
    used: int = 0  # put into a reply by an agent
    # The mean satisfaction (1-5) with the questions it was used in; None: none scored.
    satisfaction: float | None = None

    @property
    def no_share(self) -> float | None:
        """The share of 'nee' among the votes (None below MIN_VOTES votes)."""
        votes = self.yes + self.no
        return self.no / votes if votes >= MIN_VOTES else None

    @property
    def asked_share(self) -> float | None:
        """Of the forms it was opened in, the share that still sent a question (None below
        MIN_FORMS forms)."""
        return self.asked_after / self.forms_opened if self.forms_opened >= MIN_FORMS else None

    @property
    def concern(self) -> float:
        """How much the figures say the answer falls short, 0 to 1: the worst of its share
        of 'nee' votes, of questions still asked after reading it and of dissatisfaction."""
        shares = [self.no_share, self.asked_share,
                  None if self.satisfaction is None else (5 - self.satisfaction) / 4]
        return max((s for s in shares if s is not None), default=0.0)


def _period(column: Any, since: datetime, until: datetime
            ) -> ColumnElement[bool]:
    return and_(column >= since, column < until)


async def _counts(
    session: AsyncSession, ranges: Sequence[tuple[datetime, datetime]],
    answer_ids: Sequence[int] | None,
) -> dict[tuple[int, int], dict[str, int]]:
    """Per (answer, range number) the views, used, yes and no in that range."""
    found: dict[tuple[int, int], dict[str, int]] = {}
    ev, fb = AnswerEvent, AnswerFeedback
    for model, at, measures in (
        (ev, ev.at, {"views": ev.kind == "view", "used": ev.kind == "used"}),
        (fb, fb.created_at, {"yes": fb.helpful.is_(True), "no": fb.helpful.is_(False)}),
    ):
        columns = [func.sum(case((and_(cond, _period(at, a, b)), 1), else_=0))
                   for a, b in ranges for cond in measures.values()]
        where = [at >= ranges[0][0], at < ranges[-1][1], model.answer_id.is_not(None)]
        if answer_ids is not None:
            where.append(model.answer_id.in_(answer_ids))
        rows = await session.execute(select(model.answer_id, *columns).where(*where)
                                     .group_by(model.answer_id))
        for answer_id, *values in rows:
            for i, (name, value) in enumerate(zip(list(measures) * len(ranges), values,
                                                  strict=True)):
                found.setdefault((answer_id, i // len(measures)), {})[name] = int(value or 0)
    return found


async def _forms(
    session: AsyncSession, ranges: Sequence[tuple[datetime, datetime]],
    answer_ids: Sequence[int] | None,
) -> dict[tuple[int, int], dict[str, int]]:
    """Per (answer, range number) the ask forms it was opened in (by when it was opened) and
    those of them from which a question was sent after it was opened (whenever)."""
    opened, asked = aliased(AnswerEvent), aliased(AnswerEvent)
    first = (select(opened.answer_id, opened.form_key, func.min(opened.at).label("at"))
             .where(opened.kind == "opened", opened.form_key.is_not(None),
                    opened.at >= ranges[0][0], opened.at < ranges[-1][1],
                    *([opened.answer_id.in_(answer_ids)] if answer_ids is not None else []))
             .group_by(opened.answer_id, opened.form_key).subquery())
    sent = (select(asked.id).where(asked.kind == "asked", asked.form_key == first.c.form_key,
                                   asked.at >= first.c.at).exists())
    columns = []
    for a, b in ranges:
        inside = _period(first.c.at, a, b)
        columns += [func.sum(case((inside, 1), else_=0)),
                    func.sum(case((and_(inside, sent), 1), else_=0))]
    rows = await session.execute(select(first.c.answer_id, *columns)
                                 .group_by(first.c.answer_id))
    found: dict[tuple[int, int], dict[str, int]] = {}
    for answer_id, *values in rows:
        for i in range(len(ranges)):
            found[(answer_id, i)] = {"forms_opened": int(values[2 * i] or 0),
                                     "asked_after": int(values[2 * i + 1] or 0)}
    return found


async def satisfaction_of_questions_used_in(
    session: AsyncSession, ranges: Sequence[tuple[datetime, datetime]],
    answer_ids: Sequence[int] | None,
) -> dict[tuple[int, int], float]:
    """Per (answer, range number) the mean satisfaction (1-5) with the questions it was used
    in, by when it was first used in each ("used" events name the question; a question
    counts once per answer however often the answer went into its replies). One statement;
    an answer without scored questions in a range is left out (unknown)."""
    used = AnswerEvent
    first = (select(used.answer_id, used.question_id, func.min(used.at).label("at"))
             .where(used.kind == "used", used.question_id.is_not(None),
                    used.answer_id.is_not(None),
                    used.at >= ranges[0][0], used.at < ranges[-1][1],
                    *([used.answer_id.in_(answer_ids)] if answer_ids is not None else []))
             .group_by(used.answer_id, used.question_id).subquery())
    given = scores().subquery()
    columns = [func.avg(case((_period(first.c.at, a, b), given.c.score), else_=None))
               for a, b in ranges]
    rows = await session.execute(
        select(first.c.answer_id, *columns)
        .join(given, given.c.question_id == first.c.question_id)
        .group_by(first.c.answer_id))
    return {(answer_id, i): float(mean) for answer_id, *means in rows
            for i, mean in enumerate(means) if mean is not None}


async def figures(
    session: AsyncSession, ranges: Sequence[tuple[datetime, datetime]],
    answer_ids: Sequence[int] | None = None,
) -> dict[tuple[int, int], Figures]:
    """Per (answer, range number) its figures, for consecutive ranges [since, until)."""
    counts = await _counts(session, ranges, answer_ids)
    forms = await _forms(session, ranges, answer_ids)
    found: dict[tuple[int, int], Figures] = {}
    for key in counts.keys() | forms.keys():
        found[key] = Figures(**counts.get(key, {}), **forms.get(key, {}))
    for key, score in (await satisfaction_of_questions_used_in(
            session, ranges, answer_ids)).items():
        found[key] = replace(found.get(key, Figures()), satisfaction=score)
    return found


def month_ranges(today: date, months: int = TREND_MONTHS) -> list[tuple[date, datetime, datetime]]:
    """The last `months` calendar months in Dutch time, the current one last: (first day,
    start, end) with start and end in UTC."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(months + 1):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts = sorted(firsts)
    moments = [datetime(d.year, d.month, d.day, tzinfo=ZONE).astimezone(UTC) for d in firsts]
    # The current month runs to its end: the next month's first day.
    nxt = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    moments.append(datetime(nxt.year, nxt.month, 1, tzinfo=ZONE).astimezone(UTC))
    return [(firsts[i + 1], moments[i + 1], moments[i + 2]) for i in range(months)]


async def trend(
    session: AsyncSession, answer_id: int, today: date | None = None
) -> list[tuple[date, Figures]]:
    """One answer's figures per calendar month, the last TREND_MONTHS months, oldest first."""
    months = month_ranges(today or datetime.now(ZONE).date())
    found = await figures(session, [(a, b) for _, a, b in months], [answer_id])
    return [(first, found.get((answer_id, i), Figures())) for i, (first, _, _) in
            enumerate(months)]


@dataclass(frozen=True)
class RankedRow(EditorRow):
    """A row of the editors' list with the answer's figures of the period."""

    figures: Figures = Figures()

    @classmethod
    def of(cls, row: EditorRow, found: Figures) -> RankedRow:
        """The row with its figures, and "still_asked" among its reasons when readers
        still ask after reading it."""
        extra = ("still_asked",) if (found.asked_share or 0) >= ASKED_SHARE else ()
        return cls(row.answer, row.has_draft, row.open_flags, row.reasons + extra, row.used,
                   found)


async def attention_list(
    session: AsyncSession, attention_only: bool, query: str = "",
    now: datetime | None = None,
) -> list[RankedRow]:
    """The editors' list with each answer's figures of the last PERIOD_DAYS days: those that
    need attention first (more reasons first), then by how much their figures say they fall
    short (concern), then the most read; with attention_only, only those needing it."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=PERIOD_DAYS)
    rows = await editor_list(session, False, query, now.astimezone(ZONE).date())
    found = await figures(session, [(since, now)], [r.answer.id for r in rows])
    ranked = [RankedRow.of(r, found.get((r.answer.id, 0), Figures())) for r in rows]
    if attention_only:
        ranked = [r for r in ranked if r.reasons]
    return sorted(ranked, key=lambda r: (-len(r.reasons), -r.figures.concern,
                                         -r.figures.views, r.answer.title))
