"""Retention of login sessions: one that expired before the cutoff is deleted (an expired
session no longer logs anyone in; its row only tells who was logged in, and how)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.sessions.models import WebSession


async def count_expired_sessions(session: AsyncSession, cutoff: datetime) -> int:
    """How many sessions expired before the cutoff."""
    query = select(func.count()).where(WebSession.expires_at < cutoff)
    return int(await session.scalar(query) or 0)


async def delete_expired_sessions(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete at most `limit` of them; how many went (the caller commits)."""
    ids = list(await session.scalars(
        select(WebSession.id).where(WebSession.expires_at < cutoff)
        .order_by(WebSession.expires_at).limit(limit)
    ))
    if ids:
        await session.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    return len(ids)
