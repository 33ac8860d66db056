"""Files a party sends with its question or reply: linked to that message once kept (the
documents area keeps and scans the bytes), listed per message, found for a download only
within a question the reader may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.documents.keptfiles import sent_file_values
from mijn.documents.service import Kept
from mijn.questions.models import QuestionAttachment, QuestionMessage


async def attach_to_last_message(
    session: AsyncSession, question_id: int, files: Sequence[tuple[str, Kept]],
    uploaded_by: str, now: datetime | None = None,
) -> list[QuestionAttachment]:
    """The kept files (name, kept) on the question's latest message from the party (the one
    just written, in the caller's transaction)."""
    message_id = await session.scalar(select(func.max(QuestionMessage.id)).where(
        QuestionMessage.question_id == question_id, QuestionMessage.kind == "citizen"))
    if message_id is None:
        raise LookupError("the question has no message of the party")
    rows = [QuestionAttachment(question_id=question_id, message_id=message_id,
                               **sent_file_values(title, kept, uploaded_by, now))
            for title, kept in files]
    session.add_all(rows)
    await session.flush()
    return rows


async def message_attachments(
    session: AsyncSession, question_id: int
) -> dict[int, list[QuestionAttachment]]:
    """A question's attachments by message id, in the order they were sent."""
    found: dict[int, list[QuestionAttachment]] = {}
    for row in await session.scalars(select(QuestionAttachment).where(
            QuestionAttachment.question_id == question_id).order_by(QuestionAttachment.id)):
        found.setdefault(row.message_id, []).append(row)
    return found


async def find_attachment(
    session: AsyncSession, question_id: int, attachment_id: int
) -> QuestionAttachment | None:
    """An attachment of this question (None: another question's or an unknown one)."""
    found: QuestionAttachment | None = await session.scalar(select(QuestionAttachment).where(
        QuestionAttachment.id == attachment_id, QuestionAttachment.question_id == question_id))
    return found


async def attachment_keys(session: AsyncSession, question_ids: Sequence[int]) -> list[str]:
    """Where the files sent with these questions are stored."""
    if not question_ids:
        return []
    return list(await session.scalars(select(QuestionAttachment.storage_key).where(
        QuestionAttachment.question_id.in_(question_ids))))
