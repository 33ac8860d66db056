"""What readers and agents say about answers: readers' votes and comments, agents' flags,
and the editors' list that puts what needs their attention first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.errors import AnswerError, checked_text
from mijn.answers.models import (
    FLAG_KINDS,
    Answer,
    AnswerEvent,
    AnswerFeedback,
    AnswerFlag,
    AnswerVersion,
)
from mijn.db import utcnow

MAX_COMMENT = 1_000
# "Many nee votes": at least this many, and at least this share of the votes.
MANY_NO_VOTES, NO_SHARE = 5, 0.3


async def give_feedback(
    session: AsyncSession, answer: Answer, helpful: bool, comment: str = ""
) -> None:
    """A vote on the published version ('Heeft dit antwoord u geholpen?'); no one's identity
    is kept with it."""
    text = checked_text(comment, "comment", MAX_COMMENT, required=False)
    session.add(AnswerFeedback(answer_id=answer.id, version=answer.version, helpful=helpful,
                               comment=text))
    column = Answer.yes_count if helpful else Answer.no_count
    await session.execute(update(Answer).where(Answer.id == answer.id)
                          .values({column: column + 1}))
    await session.flush()


async def flag(
    session: AsyncSession, staff_id: int, kind: str, comment: str,
    answer_id: int | None = None, question_id: int | None = None,
) -> AnswerFlag:
    """An agent tells the editors that an answer is wrong, or that one is missing."""
    if kind not in FLAG_KINDS:
        raise AnswerError("kind", "unknown")
    text = checked_text(comment, "comment", MAX_COMMENT)
    if kind == "wrong" and (answer_id is None or await session.get(Answer, answer_id) is None):
        raise AnswerError("answer", "unknown")
    found = AnswerFlag(kind=kind, answer_id=answer_id if kind == "wrong" else None,
                       question_id=question_id, comment=text, staff_id=staff_id)
    session.add(found)
    await session.flush()
    return found


async def open_flags(session: AsyncSession, answer_id: int | None = None) -> list[AnswerFlag]:
    """Agents' flags not yet dealt with: on one answer, or (None) those about missing ones."""
    condition = (AnswerFlag.answer_id == answer_id if answer_id is not None
                 else AnswerFlag.answer_id.is_(None))
    found = await session.scalars(select(AnswerFlag).where(
        AnswerFlag.resolved_at.is_(None), condition).order_by(AnswerFlag.created_at))
    return list(found)


async def resolve_flag(session: AsyncSession, flag_id: int, staff_id: int) -> bool:
    """Mark a flag as dealt with; False when it does not exist or was dealt with already."""
    result = await session.execute(
        update(AnswerFlag).where(AnswerFlag.id == flag_id, AnswerFlag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=staff_id))
    return bool(getattr(result, "rowcount", 0))


async def recent_feedback(session: AsyncSession, answer: Answer) -> list[AnswerFeedback]:
    """The latest comments on the published version."""
    found = await session.scalars(select(AnswerFeedback).where(
        AnswerFeedback.answer_id == answer.id, AnswerFeedback.version == answer.version,
        AnswerFeedback.comment != "").order_by(AnswerFeedback.created_at.desc()).limit(20))
    return list(found)


@dataclass(frozen=True)
class EditorRow:
    """An answer in the editors' list, with what may need their attention."""

    answer: Answer
    has_draft: bool
    open_flags: int
    reasons: tuple[str, ...]
    used: int = 0  # how often agents put it into a reply (the "used" events)


def _reasons(answer: Answer, open_flags: int, today: date) -> tuple[str, ...]:
    reasons = []
    if answer.published and answer.review_by and answer.review_by < today:
        reasons.append("review")
    votes = answer.yes_count + answer.no_count
    if answer.no_count >= MANY_NO_VOTES and answer.no_count >= NO_SHARE * votes:
        reasons.append("no_votes")
    if open_flags:
        reasons.append("flagged")
    return tuple(reasons)


async def editor_list(
    session: AsyncSession, attention_only: bool, query: str = "", today: date | None = None,
) -> list[EditorRow]:
    """All answers (or those needing attention: past review date, many 'nee' votes, flagged
    by agents), the ones needing it first, then by title."""
    today = today or date.today()
    flags = (select(AnswerFlag.answer_id, func.count().label("n"))
             .where(AnswerFlag.resolved_at.is_(None), AnswerFlag.answer_id.is_not(None))
             .group_by(AnswerFlag.answer_id).subquery())
    drafts = select(AnswerVersion.answer_id).where(AnswerVersion.state == "draft")
    used = (select(func.count()).where(AnswerEvent.answer_id == Answer.id,
                                       AnswerEvent.kind == "used").scalar_subquery())
    stmt = (select(Answer, func.coalesce(flags.c.n, 0), Answer.id.in_(drafts), used)
            .outerjoin(flags, flags.c.answer_id == Answer.id))
    if query.strip():
        stmt = stmt.where(Answer.title.ilike(f"%{query.strip()[:100]}%"))
    if attention_only:
        stmt = stmt.where(or_(
            (Answer.published.is_(True)) & (Answer.review_by < today),
            (Answer.no_count >= MANY_NO_VOTES)
            & (Answer.no_count >= NO_SHARE * (Answer.yes_count + Answer.no_count)),
            flags.c.n > 0,
        ))
    rows = (await session.execute(stmt.order_by(Answer.title).limit(500))).all()
    result = [EditorRow(a, bool(d), int(n), _reasons(a, int(n), today), int(u or 0))
              for a, n, d, u in rows]
    return sorted(result, key=lambda r: not r.reasons)
