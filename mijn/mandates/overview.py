"""A party's mandates both ways, as the party reads them on "Mijn gegevens": who may act for
it and for whom it may act, with their validity, ended ones too (shown as ended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.mandates.models import Mandate
from mijn.parties.service import parties_by_id

MAX_MANDATES = 50


@dataclass(frozen=True)
class MandateRow:
    """A mandate seen from one party: the other party, how far it reaches, how long, and
    whether it holds today (active), will (future), or no longer (ended, revoked)."""

    id: int
    for_me: bool  # True: the other party acts for this one; False: this one acts for them
    other_name: str
    role: str
    dossier_types: tuple[str, ...]  # empty: every type
    can_ask: bool
    valid_from: date
    valid_until: date | None
    state: str  # active | future | ended | revoked


def mandate_state(mandate: Mandate, day: date) -> str:
    """Whether a mandate holds on this day, will later, ended or was revoked."""
    if mandate.revoked_at is not None:
        return "revoked"
    if mandate.valid_until is not None and mandate.valid_until < day:
        return "ended"
    return "future" if mandate.valid_from > day else "active"


async def mandates_both_ways(
    session: AsyncSession, party_id: int, day: date | None = None
) -> list[MandateRow]:
    """Every mandate for or by the party (at most MAX_MANDATES): those that hold or will
    first, then the ended and revoked ones, the latest first; the other parties' names come
    from the parties area (two queries)."""
    day = day or date.today()
    ended = or_(Mandate.revoked_at.is_not(None), Mandate.valid_until < day)
    mandates = list(await session.scalars(
        select(Mandate)
        .where(or_(Mandate.represented_id == party_id, Mandate.representative_id == party_id))
        .order_by(case((ended, 1), else_=0), Mandate.valid_from.desc(), Mandate.id.desc())
        .limit(MAX_MANDATES)
    ))
    others = {m.representative_id if m.represented_id == party_id else m.represented_id
              for m in mandates}
    names = {p.id: p.name for p in await parties_by_id(session, others)}
    return [
        MandateRow(m.id, m.represented_id == party_id,
                   names.get(m.representative_id if m.represented_id == party_id
                             else m.represented_id, ""),
                   m.role, tuple(m.dossier_types.split()), m.can_ask, m.valid_from,
                   m.valid_until, mandate_state(m, day))
        for m in mandates
    ]


async def representatives_by_mandate(
    session: AsyncSession, mandate_ids: list[int]
) -> dict[int, tuple[str, str]]:
    """The representative's name and role of each mandate (for the views they made)."""
    if not mandate_ids:
        return {}
    rows = (await session.execute(
        select(Mandate.id, Mandate.role, Mandate.representative_id)
        .where(Mandate.id.in_(mandate_ids))
    )).all()
    names = {p.id: p.name for p in await parties_by_id(session, {r[2] for r in rows})}
    return {mid: (names.get(person, ""), role) for mid, role, person in rows}
