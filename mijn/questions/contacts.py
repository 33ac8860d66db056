"""Contacts through any channel and callback requests, registered by the KCC on a party (and
optionally a dossier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.channels import CHANNELS
from mijn.db import utcnow
from mijn.dossiers.service import locked_dossier_ids, scope_dossier_ids
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.callbacks import check_window
from mijn.questions.common import MAX_SUMMARY, QuestionError, clean_body
from mijn.questions.models import (
    Contact,
    Question,
)
from mijn.questions.workflow import Handover, check_handover, check_target, hand_over
from mijn.workingtime import WorkingCalendar


async def party_contacts(
    session: AsyncSession, scope: PartyScope, *, include_internal: bool
) -> list[Contact]:
    """A party's contacts, newest first; citizens see only the public summaries, and a
    restricted visitor (a branch, a mandate's types) only those about their dossiers."""
    query = select(Contact).where(Contact.party_id == scope.party_id)
    if scope.restricted:
        query = query.where(Contact.dossier_id.in_(scope_dossier_ids(scope)))
    locked = locked_dossier_ids(scope)
    if locked is not None:  # none about a dossier above the session's level of assurance
        query = query.where(or_(Contact.dossier_id.is_(None), Contact.dossier_id.not_in(locked)))
    if not include_internal:
        query = query.where(Contact.internal.is_(False))
    return list(await session.scalars(query.order_by(Contact.at.desc(), Contact.id.desc())))


async def register_contact(
    session: AsyncSession, staff: Staff, party_id: int, channel: str, summary: str,
    *, internal: bool, dossier_id: int | None = None,
) -> Contact:
    """Note a phone call, counter visit, e-mail or social media contact on a party."""
    if channel not in CHANNELS or channel in ("web", "partner"):
        raise QuestionError("channel", "unknown")
    contact = Contact(
        party_id=party_id, dossier_id=dossier_id, channel=channel,
        summary=clean_body(summary, "summary", MAX_SUMMARY), internal=internal,
        staff_id=staff.id, at=utcnow(),
    )
    session.add(contact)
    await session.flush()
    return contact


@dataclass(frozen=True)
class Callback:
    """A callback request for a specialist: whom to call, on what number, when."""

    party_id: int
    topic_id: int | None
    phone: str
    window_from: datetime
    window_until: datetime
    handover: Handover
    dossier_id: int | None = None


def check_phone(phone: str) -> str:
    """A phone number as typed (digits, spaces, +, -, parentheses), or QuestionError."""
    value = " ".join(phone.split())
    digits = sum(c.isdigit() for c in value)
    if not 6 <= digits <= 15 or any(c not in "0123456789+-() " for c in value):
        raise QuestionError("phone", "invalid")
    return value


async def request_callback(
    session: AsyncSession, staff: Staff, callback: Callback, calendar: WorkingCalendar
) -> Question:
    """A callback request, straight into the specialist's (team's) queue; its window only
    within working time, from the next free slot on (WindowError otherwise)."""
    phone = check_phone(callback.phone)
    check_window(calendar, callback.window_from, callback.window_until, utcnow())
    check_handover(callback.handover)
    await check_target(session, callback.handover)
    question, _ = await ask(
        session,
        NewQuestion(callback.party_id, callback.topic_id, "", callback.dossier_id, "phone",
                    kind="callback"),
        calendar, staff,
    )
    question.callback_phone = phone
    question.callback_from, question.callback_until = callback.window_from, callback.window_until
    question.sla_due_at = min(question.sla_due_at or callback.window_until, callback.window_until)
    await hand_over(session, question, staff, callback.handover)
    return question
