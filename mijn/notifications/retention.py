"""Retention of notifications: one made before the cutoff is deleted from the inbox, unless
its e-mail is still to be sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.notifications.models import Notification


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    return (Notification.created_at < cutoff) & (Notification.email_state != "pending")


async def count_expired_notifications(session: AsyncSession, cutoff: datetime) -> int:
    """How many notifications were made before the cutoff (and are no longer pending)."""
    return int(await session.scalar(select(func.count()).where(_expired(cutoff))) or 0)


async def delete_expired_notifications(
    session: AsyncSession, cutoff: datetime, limit: int
) -> int:
    """Delete at most `limit` of them; how many went (the caller commits)."""
    ids = list(await session.scalars(
        select(Notification.id).where(_expired(cutoff)).order_by(Notification.created_at).limit(limit)
    ))
    if ids:
        await session.execute(delete(Notification).where(Notification.id.in_(ids)))
    return len(ids)
