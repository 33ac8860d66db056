"""The export outbox: noted in the transaction of the change (`enqueue`), delivered by the
worker in turn (`deliver_due`), each in its own transaction with FOR UPDATE SKIP LOCKED on
PostgreSQL, so any number of workers can run. A failure that may pass (Open Klant down, a
time-out, a 5xx) is retried with back-off (mijn.retry) up to MIJN_OPENKLANT_MAX_ATTEMPTS;
one that never will (a 4xx: the request is wrong) is dead at once, until staff put it back."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from mijn.db import utcnow
from mijn.openklant import export
from mijn.openklant.client import OpenKlantClient, unreachable
from mijn.openklant.models import OpenKlantExport
from mijn.openklantsettings import OpenKlantSettings
from mijn.questions.common import latest_message_id
from mijn.retry import DEAD, backoff, error_summary, is_temporary

if TYPE_CHECKING:  # another area's rows, only named in annotations
    from mijn.questions.models import Question

log = logging.getLogger(__name__)
FIRST_DELAY = timedelta(seconds=30)
UNREACHABLE = "unreachable: "  # the start of last_error while Open Klant is out of reach
MAX_DELAY = timedelta(hours=1)
MESSAGE_KINDS = {"reply": "reply", "handover": "handover"}  # export kind -> message kind
# A staff action on a question -> what it exports: a public message (a reply, or asking the
# citizen something) is a klantcontact, a handover an internetaak; an answer, a close or a
# hand-back after a handover ends its internetaken.
ACTION_EXPORTS = {"reply": ("reply", "done"), "wait": ("reply",), "hand_over": ("handover",),
                  "close": ("done",), "hand_back": ("done",)}


async def enqueue(session: AsyncSession, settings: OpenKlantSettings, kind: str,
                  question_id: int, reference: str) -> None:
    """Note an export in the caller's transaction (nothing when Open Klant is off): the
    question (kind "question"), its newest reply or handover note, or its end ("done")."""
    if not settings.enabled:
        return
    message_id = None
    if kind in MESSAGE_KINDS:
        message_id = await latest_message_id(session, question_id, MESSAGE_KINDS[kind])
    now = utcnow()
    session.add(OpenKlantExport(
        kind=kind, question_id=question_id, message_id=message_id,
        reference=export.contact_reference(reference, message_id), state="pending",
        attempts=0, next_attempt_at=now, last_error="", created_at=now))
    await session.flush()


async def after_action(session: AsyncSession, settings: OpenKlantSettings,
                       question: Question, action: str) -> None:
    """Note what a staff action on a question exports, in the action's transaction."""
    for kind in ACTION_EXPORTS.get(action, ()):
        if kind != "done" or question.handed_over:
            await enqueue(session, settings, kind, question.id, question.reference)


async def enqueue_contact(session: AsyncSession, settings: OpenKlantSettings,
                          contact_id: int) -> None:
    """Note the export of a contact an agent registered (nothing when Open Klant is off)."""
    if not settings.enabled:
        return
    now = utcnow()
    session.add(OpenKlantExport(
        kind="contact", contact_id=contact_id, state="pending", attempts=0,
        reference=export.contact_reference("", contact_id, "C"), next_attempt_at=now,
        last_error="", created_at=now))
    await session.flush()


async def enqueue_mandate(session: AsyncSession, settings: OpenKlantSettings,
                          mandate_id: int) -> None:
    """Note the export of a mandate registered, changed or revoked (nothing when off)."""
    if not settings.enabled:
        return
    now = utcnow()
    session.add(OpenKlantExport(
        kind="mandate", mandate_id=mandate_id, state="pending", attempts=0, reference="",
        next_attempt_at=now, last_error="", created_at=now))
    await session.flush()


async def run_export(session: AsyncSession, client: OpenKlantClient,
                     settings: OpenKlantSettings, row: OpenKlantExport) -> None:
    """Send one export to Open Klant (all of it again, finding what was made before)."""
    if row.kind == "contact" and row.contact_id is not None:
        await export.registered_contact(session, client, settings, row.contact_id)
        return
    if row.kind == "mandate" and row.mandate_id is not None:
        await export.mandate(session, client, row.mandate_id)
        return
    if row.question_id is None:
        raise export.Gone("question")
    ctx = await export.context(session, client, settings, row.question_id)
    if row.kind == "question":
        await export.question(ctx)
    elif row.kind == "reply":
        await export.reply(ctx, row.message_id)
    elif row.kind == "handover":
        await export.handover(ctx, row.message_id)
    elif row.kind == "done":
        await export.done(ctx)
    else:
        raise ValueError(f"unknown export kind {row.kind!r}")


async def attempt(session: AsyncSession, client: OpenKlantClient,
                  settings: OpenKlantSettings, row: OpenKlantExport) -> str:
    """Try one export once; its new state (pending when it will be tried again). What was
    made in Open Klant before a failure stays noted (the links), so the retry finds it.
    A database error is raised: the session is unusable, and the round fails."""
    row.attempts += 1
    try:
        await run_export(session, client, settings, row)
        row.state, row.done_at, row.last_error = "done", utcnow(), ""
    except export.Gone as exc:  # removed from Mijn meanwhile: nothing left to send
        row.state, row.done_at, row.last_error = "done", utcnow(), f"not in Mijn: {exc}"
    except Exception as exc:  # noqa: BLE001 - classified by the one retry rule
        if isinstance(exc, SQLAlchemyError):
            raise  # the session is unusable: the round fails (mijn.retry decides what next)
        _failed(row, exc, settings.max_attempts)
    await session.flush()
    return row.state


def _failed(row: OpenKlantExport, exc: BaseException, max_attempts: int) -> None:
    """Later, with back-off; dead when it will never pass or after the last attempt. Open
    Klant out of reach never makes an export dead (an outage is not its fault): it waits, up
    to an hour between tries, until Open Klant is back."""
    text = error_summary(exc)
    if unreachable(exc) or (is_temporary(exc) and row.attempts < max_attempts):
        row.next_attempt_at = utcnow() + backoff(row.attempts, FIRST_DELAY, MAX_DELAY)
        row.last_error = (UNREACHABLE + text if unreachable(exc) else text)[:500]
        log.info("Open Klant export %s: retry at %s (%s)", row.id,
                 row.next_attempt_at.isoformat(), text)
        return
    row.state = DEAD
    if is_temporary(exc):
        text = f"gave up after {row.attempts} attempts: {text}"
    row.last_error = text[:500]
    log.warning("Open Klant export %s is dead: %s", row.id, row.last_error)


# One question's exports go in order, one at a time (its reply needs its klantcontact; two
# workers must not both make it): a row waits while an earlier one of its question is pending.
_EARLIER = aliased(OpenKlantExport)
_EARLIER_PENDING = (
    select(_EARLIER.id)
    .where(_EARLIER.question_id == OpenKlantExport.question_id, _EARLIER.state == "pending",
           _EARLIER.id < OpenKlantExport.id)
    .exists()
)


def _claim(session: AsyncSession, query: Select[OpenKlantExport]
           ) -> Select[OpenKlantExport]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: OpenKlantSettings,
    client: OpenKlantClient, limit: int = 100, *, ignore_schedule: bool = False,
) -> Counter[str]:
    """Deliver up to `limit` due exports, oldest first, each in its own transaction; how
    many ended in each state. Open Klant out of reach ends the round (the others are tried
    in the next)."""
    counts: Counter[str] = Counter()
    seen: list[int] = []
    for _ in range(limit):
        async with sessionmaker() as session:
            query = select(OpenKlantExport).where(OpenKlantExport.state == "pending")
            if not ignore_schedule:
                query = query.where(OpenKlantExport.next_attempt_at <= utcnow())
            if seen:
                query = query.where(OpenKlantExport.id.not_in(seen))
            query = query.where(~_EARLIER_PENDING).order_by(OpenKlantExport.id).limit(1)
            row = await session.scalar(_claim(session, query))
            if row is None:
                break
            seen.append(row.id)
            state = await attempt(session, client, settings, row)
            counts[state] += 1
            await session.commit()
            if state == "pending" and row.last_error.startswith(UNREACHABLE):
                break  # the rest waits for the next round, not a time-out each
    return counts


async def dead_exports(session: AsyncSession, limit: int = 100) -> list[OpenKlantExport]:
    """The exports that are dead (not tried again), newest first (for staff)."""
    found = await session.scalars(
        select(OpenKlantExport).where(OpenKlantExport.state == DEAD)
        .order_by(OpenKlantExport.created_at.desc(), OpenKlantExport.id.desc()).limit(limit))
    return list(found)


async def requeue_export(session: AsyncSession, export_id: int) -> bool:
    """Put a dead export back in the queue, due now with a fresh count; False when there is
    no such dead one. The caller commits."""
    found = await session.scalar(
        update(OpenKlantExport)
        .where(OpenKlantExport.id == export_id, OpenKlantExport.state == DEAD)
        .values(state="pending", attempts=0, next_attempt_at=utcnow(), done_at=None)
        .returning(OpenKlantExport.id))
    return found is not None


async def backlog_counts(session: AsyncSession) -> dict[str, int]:
    """How many exports wait to be sent and how many are dead (for the metrics)."""
    rows = await session.execute(
        select(OpenKlantExport.state, func.count())
        .where(OpenKlantExport.state.in_(("pending", DEAD))).group_by(OpenKlantExport.state))
    return {"pending": 0, DEAD: 0, **{state: int(count) for state, count in rows.all()}}
