"""Recording accesses to a party's data; written in the same transaction as the request."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.audit.models import AuditEvent
from mijn.db import utcnow

# A plain INSERT (no ORM unit of work): audit rows are written on every dossier view.
_INSERT = insert(AuditEvent)


async def record_access(
    session: AsyncSession, *, actor_type: str, actor_id: str, action: str,
    party_id: int | None, dossier_id: int | None = None, actor_role: str | None = None,
    mandate_id: int | None = None,
) -> None:
    """Note who looked at whose data (the caller commits)."""
    await session.execute(
        _INSERT,
        {
            "at": utcnow(), "actor_type": actor_type, "actor_id": actor_id,
            "actor_role": actor_role, "action": action,
            "party_id": party_id, "dossier_id": dossier_id, "mandate_id": mandate_id,
        },
    )
