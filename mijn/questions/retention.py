"""Retention of questions and contacts: an answered or closed question untouched since the
cutoff is deleted with its thread, events, callbacks and drafts; a contact before it too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.questions.models import (
    CallbackAttempt,
    Contact,
    Question,
    QuestionEvent,
    QuestionMessage,
    ReplyDraft,
)

DONE_STATES = ("answered", "closed")  # a citizen's reply reopens one, and touches it


def _expired_question(cutoff: datetime) -> ColumnElement[bool]:
    return Question.state.in_(DONE_STATES) & (Question.updated_at < cutoff)


async def count_expired_questions(session: AsyncSession, cutoff: datetime) -> int:
    """How many answered or closed questions were last changed before the cutoff."""
    query = select(func.count()).where(_expired_question(cutoff))
    return int(await session.scalar(query) or 0)


async def expired_question_ids(session: AsyncSession, cutoff: datetime, limit: int) -> list[int]:
    """At most `limit` answered or closed questions last changed before the cutoff."""
    return list(await session.scalars(
        select(Question.id).where(_expired_question(cutoff)).order_by(Question.id).limit(limit)
    ))


async def delete_questions(session: AsyncSession, ids: list[int]) -> None:
    """Delete these questions with everything that hangs on them (their attachments' rows
    by the foreign key; their files are the caller's: mijn.retention.files)."""
    if ids:
        children: tuple[Any, ...] = (QuestionMessage, QuestionEvent, CallbackAttempt, ReplyDraft)
        for table in children:
            await session.execute(delete(table).where(table.question_id.in_(ids)))
        await session.execute(delete(Question).where(Question.id.in_(ids)))


async def delete_expired_questions(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete at most `limit` of them, with everything that hangs on them; how many went."""
    ids = await expired_question_ids(session, cutoff, limit)
    await delete_questions(session, ids)
    return len(ids)


async def count_expired_contacts(session: AsyncSession, cutoff: datetime) -> int:
    """How many contacts took place before the cutoff."""
    return int(await session.scalar(select(func.count()).where(Contact.at < cutoff)) or 0)


async def delete_expired_contacts(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete at most `limit` contacts from before the cutoff; how many went."""
    ids = list(await session.scalars(
        select(Contact.id).where(Contact.at < cutoff).order_by(Contact.at).limit(limit)
    ))
    if ids:
        await session.execute(delete(Contact).where(Contact.id.in_(ids)))
    return len(ids)
