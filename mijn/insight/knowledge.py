"""The knowledge base in the report: deflection, 'nee' votes, review dates passed, flags.
Like every query module of insight, it reads other areas' tables directly and read-only
(see mijn/insight/__init__.py); no function returns a name, identifier, reference or free
text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.events import deflection as answer_deflection
from mijn.answers.models import Answer, AnswerFeedback, AnswerFlag
from mijn.insight.period import TOP, Period, between, moment
from mijn.questions.models import Question


@dataclass(frozen=True)
class Deflection:
    """The month's answer views and suggestions against the questions asked on the website:
    the answers area's figures (mijn.answers.events.deflection) plus the web questions."""

    views: int
    suggested: int
    opened: int
    forms_opened: int
    forms_deflected: int
    web_questions: int

    @property
    def about_to_ask(self) -> int:
        """The questions about to be asked on the website: kept away by an answer, or sent."""
        return self.forms_deflected + self.web_questions

    @property
    def deflected_share(self) -> float | None:
        """Of the questions that were about to be asked, the share kept away by an answer."""
        return self.forms_deflected / self.about_to_ask if self.about_to_ask else None


async def deflection(session: AsyncSession, period: Period) -> Deflection:
    """Answer views, suggestions shown and opened; forms in which a suggestion was opened and
    no question was sent (both as the answers area counts them, over the Dutch month); and
    the questions sent through the website (whole organisation)."""
    answers = await answer_deflection(session, moment(period.month), moment(period.end))
    web = await session.scalar(select(func.count()).where(
        between(Question.created_at, period.month, period.end), Question.channel == "web",
        Question.kind == "question"))
    return Deflection(answers.views, answers.suggested, answers.opened, answers.forms_opened,
                      answers.forms_not_sent, int(web or 0))


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
            .where(between(AnswerFeedback.created_at, period.month, period.end))
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
            .where(between(AnswerFlag.created_at, period.month, period.end))
            .group_by(Answer.id, Answer.title).order_by(n.desc(), Answer.title))
    return [FlagCount(t, int(f), int(o)) for t, f, o in (await session.execute(stmt)).all()]
