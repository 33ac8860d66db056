"""Which status a piece of news about a dossier was about (for the inbox's texts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import StatusEvent, StatusType


async def statuses_at(
    session: AsyncSession, news: Sequence[tuple[int, int, datetime]]
) -> dict[int, StatusType]:
    """For each (news id, dossier id, written at): the status that was current when the
    news was written, i.e. of the status events recorded by then the one that occurred
    last (news without such an event is left out)."""
    dossier_ids = sorted({dossier_id for _, dossier_id, _ in news})
    if not dossier_ids:
        return {}
    rows = await session.execute(
        select(StatusEvent.dossier_id, StatusEvent.created_at, StatusType)
        .join(StatusType, StatusType.id == StatusEvent.status_type_id)
        .where(StatusEvent.dossier_id.in_(dossier_ids), StatusEvent.kind == "status")
        .order_by(StatusEvent.occurred_at, StatusEvent.id)
    )
    events = rows.all()
    found: dict[int, StatusType] = {}
    for news_id, dossier_id, at in news:
        known = [s for d, created, s in events if d == dossier_id and created <= at]
        if known:
            found[news_id] = known[-1]
    return found
