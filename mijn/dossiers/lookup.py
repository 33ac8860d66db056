"""Whose dossier a reference is: for the KCC, finding the caller who quotes one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier


async def party_of_dossier(session: AsyncSession, reference: str) -> int | None:
    """The party of the dossier with this reference (as typed, or in capitals)."""
    typed = reference.strip()
    if not typed:
        return None
    found = await session.scalar(
        select(Dossier.party_id).where(Dossier.reference.in_({typed, typed.upper()})).limit(1)
    )
    return found
