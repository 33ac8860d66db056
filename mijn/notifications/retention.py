"""Retention of notifications: one made before the cutoff is deleted from the inbox, unless
its e-mail is still to be sent; so is the note of an e-mail sent before it (the throttle)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.notifications.models import Notification, NotificationThrottle


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    return (Notification.created_at < cutoff) & (Notification.email_state != "pending")


async def count_expired_notifications(session: AsyncSession, cutoff: datetime) -> int:
    """How many notifications were made before the cutoff (and are no longer pending), and
    how many throttles date from before it."""
    notifications = await session.scalar(select(func.count()).where(_expired(cutoff)))
    throttles = await session.scalar(
        select(func.count()).where(NotificationThrottle.last_sent_at < cutoff))
    return int(notifications or 0) + int(throttles or 0)


async def delete_expired_notifications(
    session: AsyncSession, cutoff: datetime, limit: int
) -> int:
    """Delete at most `limit` of them, then of the throttles; how many went (the caller
    commits)."""
    ids = list(await session.scalars(
        select(Notification.id).where(_expired(cutoff)).order_by(Notification.created_at)
        .limit(limit)
    ))
    if ids:
        await session.execute(delete(Notification).where(Notification.id.in_(ids)))
    if len(ids) == limit:
        return limit
    throttles = list(await session.execute(
        select(NotificationThrottle.party_id, NotificationThrottle.bundle_key)
        .where(NotificationThrottle.last_sent_at < cutoff).limit(limit - len(ids))
    ))
    if throttles:
        key = tuple_(NotificationThrottle.party_id, NotificationThrottle.bundle_key)
        await session.execute(delete(NotificationThrottle).where(
            key.in_([tuple(row) for row in throttles])))
    return len(ids) + len(throttles)
