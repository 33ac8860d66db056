"""The codes of a dossier's type and current status (for rules and settings per type)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier, DossierType, StatusType

_TYPE_CODE = select(DossierType.code).where(DossierType.id == bindparam("id"))
_STATUS_CODE = select(StatusType.code).where(StatusType.id == bindparam("id"))


async def current_status_code(session: AsyncSession, dossier: Dossier) -> str | None:
    """The code of the dossier's current status."""
    if dossier.current_status_id is None:
        return None
    return await session.scalar(_STATUS_CODE, {"id": dossier.current_status_id})


async def type_code_of(session: AsyncSession, dossier_id: int | None) -> str | None:
    """The code of a dossier's type (None: no dossier)."""
    if dossier_id is None:
        return None
    code: str | None = await session.scalar(
        select(DossierType.code).join(Dossier, Dossier.dossier_type_id == DossierType.id)
        .where(Dossier.id == dossier_id))
    return code


async def dossier_codes(session: AsyncSession, dossier: Dossier) -> tuple[str, str | None]:
    """The codes of the dossier's type and of its current status."""
    type_code = await session.scalar(_TYPE_CODE, {"id": dossier.dossier_type_id})
    assert type_code is not None
    return type_code, await current_status_code(session, dossier)
