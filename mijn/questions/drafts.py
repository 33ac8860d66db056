"""Drafts: the reply and the note a staff member typed for a question and did not send yet,
kept per question and staff member (nobody else sees them), so that nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import insert_ignore, utcnow
from mijn.questions.common import MAX_BODY
from mijn.questions.models import ReplyDraft

# The fields of a draft, and the longest text each may hold (what sending would accept).
LIMITS = {"body": MAX_BODY, "note": MAX_BODY}


class DraftTooLong(ValueError):
    """A draft's text is longer than its field may be."""


@dataclass(frozen=True)
class Draft:
    """What was typed: the reply, the note and the answer the reply was started from."""

    body: str = ""
    note: str = ""
    answer_id: int | None = None


async def get_draft(session: AsyncSession, question_id: int, staff_id: int) -> Draft | None:
    """This staff member's own draft for the question, if any."""
    row = await session.scalar(select(ReplyDraft).where(
        ReplyDraft.question_id == question_id, ReplyDraft.staff_id == staff_id))
    if row is None:
        return None
    return Draft(row.body, row.note, row.answer_id)


async def save_draft(
    session: AsyncSession, question_id: int, staff_id: int, fields: dict[str, str | None],
    answer_id: int | None = None,
) -> None:
    """Keep what was typed: the fields given ("body", "note"; None: leave as it is) replace
    the draft's; a draft left with no text is removed. DraftTooLong: nothing is kept."""
    given = {name: value.replace("\r\n", "\n") for name, value in fields.items()
             if name in LIMITS and value is not None}
    if any(len(value) > LIMITS[name] for name, value in given.items()):
        raise DraftTooLong(next(name for name, v in given.items() if len(v) > LIMITS[name]))
    await session.execute(insert_ignore(session, ReplyDraft, ["question_id", "staff_id"]).values(
        question_id=question_id, staff_id=staff_id, body="", note="", updated_at=utcnow()))
    mine = (ReplyDraft.question_id == question_id, ReplyDraft.staff_id == staff_id)
    values: dict[str, object] = {**given, "updated_at": utcnow()}
    if "body" in given:
        values["answer_id"] = answer_id if given["body"].strip() else None
    await session.execute(update(ReplyDraft).where(*mine).values(**values))
    await session.execute(delete(ReplyDraft).where(
        *mine, ReplyDraft.body == "", ReplyDraft.note == ""))


async def clear_draft(
    session: AsyncSession, question_id: int, staff_id: int, field: str,
    other: dict[str, str | None] | None = None, answer_id: int | None = None,
) -> None:
    """The field was sent or saved: it leaves the draft; what else was typed with it (other)
    is kept, unless too long (then the draft keeps what it had)."""
    try:
        await save_draft(session, question_id, staff_id, {**(other or {}), field: ""},
                         answer_id)
    except DraftTooLong:
        await save_draft(session, question_id, staff_id, {field: ""}, answer_id)
