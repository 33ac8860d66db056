"""Retention of the audit log: a row logged before the cutoff is made anonymous, not deleted.

What was done, when, and by which kind of actor in which role stays (the organisation can
still count accesses per month); who did it, to whose data, which dossier, question or
mandate, and the hash of what was searched for, go.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.audit.models import AuditEvent

ANONYMOUS = "-"  # the actor_id of an anonymised row


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    return (AuditEvent.at < cutoff) & (AuditEvent.actor_id != ANONYMOUS)


async def count_expired_audit_events(session: AsyncSession, cutoff: datetime) -> int:
    """How many audit rows from before the cutoff still name someone."""
    return int(await session.scalar(select(func.count()).where(_expired(cutoff))) or 0)


async def anonymise_expired_audit_events(
    session: AsyncSession, cutoff: datetime, limit: int
) -> int:
    """Anonymise at most `limit` of them; how many (the caller commits)."""
    ids = list(await session.scalars(
        select(AuditEvent.id).where(_expired(cutoff)).order_by(AuditEvent.at).limit(limit)
    ))
    if ids:
        await session.execute(
            update(AuditEvent).where(AuditEvent.id.in_(ids)).values(
                actor_id=ANONYMOUS, party_id=None, dossier_id=None, mandate_id=None,
                question_id=None, subject_hash=None,
            )
        )
    return len(ids)
