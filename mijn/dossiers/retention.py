"""Retention of dossiers: a dossier closed before the cutoff is deleted, with its timeline
(its status events go with it; questions, notifications and audit rows lose the link)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier, StatusEvent


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    return Dossier.closed_on < cutoff.date()


async def count_expired_dossiers(session: AsyncSession, cutoff: datetime) -> int:
    """How many closed dossiers are past the cutoff."""
    return int(await session.scalar(select(func.count()).where(_expired(cutoff))) or 0)


async def expired_dossier_ids(session: AsyncSession, cutoff: datetime, limit: int) -> list[int]:
    """At most `limit` dossiers closed before the cutoff, the longest closed first."""
    return list(await session.scalars(
        select(Dossier.id).where(_expired(cutoff)).order_by(Dossier.closed_on, Dossier.id)
        .limit(limit)
    ))


async def delete_dossiers(session: AsyncSession, ids: list[int]) -> None:
    """Delete these dossiers with their timelines (the caller commits)."""
    if ids:
        await session.execute(delete(StatusEvent).where(StatusEvent.dossier_id.in_(ids)))
        await session.execute(delete(Dossier).where(Dossier.id.in_(ids)))


async def delete_expired_dossiers(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete at most `limit` dossiers closed before the cutoff; how many went (the caller
    commits)."""
    ids = await expired_dossier_ids(session, cutoff, limit)
    await delete_dossiers(session, ids)
    return len(ids)
