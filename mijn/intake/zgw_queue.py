"""The ZGW notifications waiting to be processed: one right after it arrived, the due ones
in turn (`mijn zgw retry`); a remote API that is down means a retry with back-off, up to
MIJN_ZGW_MAX_ATTEMPTS; what will never succeed (bad data, a programming error) is dead at
once, until staff put it back in the queue."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.dossiers.changes import DossierError
from mijn.intake.models import ZgwNotification
from mijn.intake.service import IntakeError
from mijn.intake.zgw import Ignored, gather, parse_message, store
from mijn.intake.zgw_client import ZgwClient, ZgwRefused, ZgwUnavailable
from mijn.parties.service import InvalidIdentifier
from mijn.retry import DEAD, backoff, error_summary, is_temporary
from mijn.settings import ZgwSettings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12  # the default of MIJN_ZGW_MAX_ATTEMPTS
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def _finish(notification: ZgwNotification, state: str, reason: str) -> None:
    notification.state = state
    notification.last_error = reason[:500]
    notification.processed_at = utcnow()


def _retry_later(notification: ZgwNotification, reason: str, max_attempts: int) -> None:
    if notification.attempts >= max_attempts:
        _finish(notification, DEAD, f"gave up after {notification.attempts} attempts: "
                                    f"{reason}")
        return
    delay = backoff(notification.attempts, FIRST_DELAY, MAX_DELAY)
    notification.next_attempt_at = utcnow() + delay
    notification.last_error = reason[:500]


async def process_notification(
    session: AsyncSession, notification: ZgwNotification, client: ZgwClient,
    settings: ZgwSettings,
) -> str:
    """Try one pending notification once; returns its new state (pending when retried)."""
    notification.attempts += 1
    try:
        message = parse_message(json.loads(notification.payload))
        if not message.relevant:
            _finish(notification, "ignored", "not a zaak, status or rol notification")
        else:
            found = await gather(client, message, settings)
            if isinstance(found, Ignored):
                _finish(notification, "ignored", found.reason)
            else:
                async with session.begin_nested():
                    await store(session, found)
                _finish(notification, "done", "")
    except ZgwUnavailable as exc:  # its text names the step and the remote's answer
        _retry_later(notification, str(exc), settings.max_attempts)
    except IntakeError as exc:  # the data is bad: its texts name the field, not the value
        _finish(notification, DEAD, f"{exc.field}: {exc}" if exc.field else str(exc))
    except (ZgwRefused, DossierError, InvalidIdentifier) as exc:
        _finish(notification, DEAD, str(exc))
    except Exception as exc:  # noqa: BLE001 - classified by the one retry rule
        _unexpected(notification, exc, settings.max_attempts)
    await session.flush()
    if notification.state == DEAD:
        log.warning("ZGW notification %s is dead: %s", notification.id, notification.last_error)
    elif notification.state == "pending":
        log.info("ZGW notification %s: retry at %s (%s)", notification.id,
                 notification.next_attempt_at.isoformat(), notification.last_error)
    return notification.state


def _unexpected(notification: ZgwNotification, exc: Exception, max_attempts: int) -> None:
    """A remote or the database that may come back: later; anything else is dead at once."""
    text = error_summary(exc)
    if is_temporary(exc):
        _retry_later(notification, text, max_attempts)
        return
    _finish(notification, DEAD, text)


def _claim(session: AsyncSession, query: Select[ZgwNotification]
           ) -> Select[ZgwNotification]:
    """Lock the row so that parallel workers each take other rows (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


async def process_received(
    sessionmaker: async_sessionmaker[AsyncSession], client: ZgwClient, settings: ZgwSettings,
    notification_id: int,
) -> str | None:
    """Process one notification right after it arrived (unless a worker has it already)."""
    async with sessionmaker() as session:
        query = select(ZgwNotification).where(
            ZgwNotification.id == notification_id, ZgwNotification.state == "pending"
        )
        notification = await session.scalar(_claim(session, query))
        if notification is None:
            return None
        state = await process_notification(session, notification, client, settings)
        await session.commit()
        return state


async def process_due(
    sessionmaker: async_sessionmaker[AsyncSession], client: ZgwClient, settings: ZgwSettings,
    limit: int = 100, *, ignore_schedule: bool = False,
) -> Counter[str]:
    """Process up to `limit` pending notifications that are due (or all pending ones).

    Each is taken in its own transaction with FOR UPDATE SKIP LOCKED on PostgreSQL, so
    several workers can run at once. Returns how many ended in each state.
    """
    counts: Counter[str] = Counter()
    seen: list[int] = []
    for _ in range(limit):
        async with sessionmaker() as session:
            query = select(ZgwNotification).where(ZgwNotification.state == "pending")
            if not ignore_schedule:
                query = query.where(ZgwNotification.next_attempt_at <= utcnow())
            if seen:
                query = query.where(ZgwNotification.id.not_in(seen))
            query = query.order_by(ZgwNotification.next_attempt_at, ZgwNotification.id).limit(1)
            notification = await session.scalar(_claim(session, query))
            if notification is None:
                break
            seen.append(notification.id)
            counts[await process_notification(session, notification, client, settings)] += 1
            await session.commit()
    return counts


async def dead_notifications(session: AsyncSession, limit: int = 100
                             ) -> list[ZgwNotification]:
    """The notifications that are dead (not tried again), newest first (for staff)."""
    found = await session.scalars(
        select(ZgwNotification).where(ZgwNotification.state == DEAD)
        .order_by(ZgwNotification.received_at.desc(), ZgwNotification.id.desc()).limit(limit)
    )
    return list(found)


async def requeue(session: AsyncSession, notification_id: int) -> bool:
    """Put a dead notification back in the queue, due now with a fresh count of attempts;
    False when there is no such dead one. The caller commits."""
    found = await session.scalar(
        update(ZgwNotification)
        .where(ZgwNotification.id == notification_id, ZgwNotification.state == DEAD)
        .values(state="pending", attempts=0, next_attempt_at=utcnow(), processed_at=None)
        .returning(ZgwNotification.id)
    )
    return found is not None


async def pending_count(session: AsyncSession) -> int:
    """How many notifications wait for a (re)try."""
    total = await session.scalar(
        select(func.count()).select_from(ZgwNotification)
        .where(ZgwNotification.state == "pending")
    )
    return int(total or 0)


async def backlog_counts(session: AsyncSession) -> dict[str, int]:
    """How many notifications wait for a (re)try and how many are dead (for the metrics)."""
    rows = await session.execute(
        select(ZgwNotification.state, func.count())
        .where(ZgwNotification.state.in_(("pending", DEAD))).group_by(ZgwNotification.state)
    )
    return {"pending": 0, DEAD: 0, **{state: int(count) for state, count in rows.all()}}
