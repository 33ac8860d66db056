"""`mijn openklant backfill`: what Mijn held before the export was turned on goes to Open Klant
too. For each question, the exports it would have had (the question, each public message,
each handover, the end of its tasks), each registered contact and each mandate not revoked
are noted when not noted before, then delivered like any other; running it again notes
nothing twice, and what it sends is found before it is made."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.mandates.service import unrevoked_mandate_ids
from mijn.openklant.client import OpenKlantClient
from mijn.openklant.export import contact_reference
from mijn.openklant.models import OpenKlantExport
from mijn.openklant.queue import deliver_due
from mijn.openklantsettings import OpenKlantSettings
from mijn.questions.common import contact_ids_since, question_by_id, question_ids_since
from mijn.questions.workflow import full_thread

EXPORTED_MESSAGES = {"reply": "reply", "handover": "handover"}  # message kind -> export kind


async def _wanted(session: AsyncSession, question_id: int) -> list[tuple[str, int | None, str]]:
    """The exports a question would have had: (kind, message id, referentienummer)."""
    question = await question_by_id(session, question_id)
    if question is None:
        return []
    wanted: list[tuple[str, int | None, str]] = [
        ("question", None, contact_reference(question.reference))]
    for message in await full_thread(session, question):
        kind = EXPORTED_MESSAGES.get(message.kind)
        if kind is not None:
            wanted.append((kind, message.id, contact_reference(question.reference, message.id)))
    if question.handed_over and question.state in ("answered", "closed"):
        wanted.append(("done", None, contact_reference(question.reference)))
    return wanted


async def note_missing(session: AsyncSession, question_id: int) -> int:
    """Note the question's exports that were never noted; how many. The caller commits."""
    rows = await session.execute(select(OpenKlantExport.kind, OpenKlantExport.message_id)
                                 .where(OpenKlantExport.question_id == question_id))
    noted = {(kind, message_id) for kind, message_id in rows}
    now, added = utcnow(), 0
    for kind, message_id, reference in await _wanted(session, question_id):
        if (kind, message_id) in noted:
            continue
        session.add(OpenKlantExport(
            kind=kind, question_id=question_id, message_id=message_id, reference=reference,
            state="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now))
        added += 1
    await session.flush()
    return added


async def note_other(session: AsyncSession, kind: str, ids: list[int]) -> int:
    """Note the export of each contact or mandate ("contact", "mandate") never noted."""
    column = OpenKlantExport.contact_id if kind == "contact" else OpenKlantExport.mandate_id
    noted = set(await session.scalars(select(column).where(column.in_(ids))))
    now, added = utcnow(), 0
    for item in ids:
        if item in noted:
            continue
        session.add(OpenKlantExport(
            kind=kind, state="pending", attempts=0, next_attempt_at=now, last_error="",
            created_at=now, contact_id=item if kind == "contact" else None,
            mandate_id=item if kind == "mandate" else None,
            reference=contact_reference("", item, "C") if kind == "contact" else ""))
        added += 1
    await session.flush()
    return added


async def to_note(session: AsyncSession, since: datetime | None) -> dict[str, list[int]]:
    """What the backfill goes through: the questions and contacts since then (all: None),
    and the mandates not revoked."""
    return {"question": await question_ids_since(session, since),
            "contact": await contact_ids_since(session, since),
            "mandate": await unrevoked_mandate_ids(session)}


async def note_all(
    sessionmaker: async_sessionmaker[AsyncSession], items: dict[str, list[int]],
    advance: Callable[[int], None], batch: int = 100,
) -> int:
    """Note what is missing for these questions, contacts and mandates, a batch per
    transaction; how many exports were noted."""
    noted = 0
    for kind, ids in items.items():
        for start in range(0, len(ids), batch):
            part = ids[start:start + batch]
            async with sessionmaker() as session:
                if kind == "question":
                    for question_id in part:
                        noted += await note_missing(session, question_id)
                else:
                    noted += await note_other(session, kind, part)
                await session.commit()
            advance(len(part))
    return noted


async def deliver_all(
    sessionmaker: async_sessionmaker[AsyncSession], settings: OpenKlantSettings,
    client: OpenKlantClient, advance: Callable[[int], None],
) -> Counter[str]:
    """Deliver every export that is due, one by one; how many ended in each state (one that
    failed for now waits for the worker's retry)."""
    counts: Counter[str] = Counter()
    while done := await deliver_due(sessionmaker, settings, client, 1):
        counts.update(done)
        advance(1)
    return counts


async def pending_count(session: AsyncSession) -> int:
    """How many exports wait to be delivered."""
    found = await session.scalar(select(func.count()).select_from(OpenKlantExport)
                                 .where(OpenKlantExport.state == "pending"))
    return int(found or 0)
