"""What other systems registered (Open Klant, fed by KISS and the like): a contact on another
channel, noted on the party; a reply written elsewhere, added to the question's thread as
any KCC reply is (the citizen is told), or as an internal note when it is confidential.
Nobody of Mijn's staff wrote these: the author is named by `author` (a channel, a system)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.channels import CHANNELS
from mijn.db import utcnow
from mijn.notifications.service import notify
from mijn.questions.claims import SYSTEM_ACTOR
from mijn.questions.common import MAX_BODY, MAX_SUMMARY, new_event
from mijn.questions.models import Contact, Question, QuestionMessage
from mijn.questions.states import TransitionRefused, next_state

CUT = "\n[…]"  # marks a text longer than Mijn keeps (the whole stays in the other system)


def fitted(text: str, limit: int) -> str:
    """The text without NULs, within `limit` characters; a longer one ends in CUT."""
    clean = text.replace("\x00", "").replace("\r\n", "\n").strip()
    return clean if len(clean) <= limit else clean[: limit - len(CUT)].rstrip() + CUT


async def add_outside_contact(
    session: AsyncSession, party_id: int, channel: str, summary: str, *, internal: bool,
    at: datetime,
) -> int:
    """Note a contact another system registered on this party (internal: staff only); its id."""
    contact = Contact(
        party_id=party_id, dossier_id=None, channel=channel if channel in CHANNELS else "web",
        summary=fitted(summary, MAX_SUMMARY) or "-", internal=internal, staff_id=None, at=at,
    )
    session.add(contact)
    await session.flush()
    return contact.id


async def add_outside_reply(
    session: AsyncSession, question_id: int, body: str, author: str, at: datetime,
    *, internal: bool,
) -> int | None:
    """Add a reply written elsewhere to a question's thread; None when the question is gone.

    A public one answers the question (a closed one stays closed) and tells the party, as a
    KCC reply does; an internal one is a note for staff only."""
    question = await session.get(Question, question_id, with_for_update=True)
    if question is None:
        return None
    message = QuestionMessage(
        question_id=question.id, kind="note" if internal else "reply",
        body=fitted(body, MAX_BODY) or "-", author_type="staff", author_staff_id=None,
        author_name=author[:200], created_at=at,
    )
    session.add(message)
    question.updated_at = utcnow()
    if not internal:
        _answered(session, question, at)
        question.party_unread = True
        await notify(session, question.party_id, "reply", dossier_id=question.dossier_id,
                     question_id=question.id)
    await session.flush()
    return message.id


def _answered(session: AsyncSession, question: Question, at: datetime) -> None:
    """The question is answered (unless it was closed), with an event by the system."""
    before = question.state
    try:
        question.state = next_state(before, "reply", routed=question.handed_over,
                                    assigned=question.assignee_id is not None)
    except TransitionRefused:
        return  # closed: the reply is in the thread, the question stays closed
    session.add(new_event(question, "reply", before, "system", SYSTEM_ACTOR, at=at))
    question.answered_at = question.answered_at or at
    question.sla_remaining_seconds = None
