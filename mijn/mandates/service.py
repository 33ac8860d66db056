"""What the mandates area can do: register and revoke mandates, and decide for every
request whose data a logged-in visitor uses and how (Access)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mijn.db import utcnow
from mijn.mandates.models import ROLES, Mandate
from mijn.parties.models import Party
from mijn.parties.service import InvalidIdentifier, get_or_create_party, get_party

CLAIM_SOURCE = "claim"  # mandates the login provider asserted (DigiD Machtigen and the like)


class MandateError(ValueError):
    """A mandate that cannot be registered as given; `field` names the offending field."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _valid_on(day: date) -> list[ColumnElement[bool]]:
    return [
        Mandate.revoked_at.is_(None), Mandate.valid_from <= day,
        or_(Mandate.valid_until.is_(None), Mandate.valid_until >= day),
    ]


async def active_mandates(
    session: AsyncSession, representative_id: int, day: date | None = None
) -> list[tuple[Mandate, Party]]:
    """The mandates a person holds today, with the parties they act for (by name)."""
    rows = await session.execute(
        select(Mandate, Party)
        .join(Party, Party.id == Mandate.represented_id)
        .where(Mandate.representative_id == representative_id,
               *_valid_on(day or date.today()))
        .order_by(Party.name, Mandate.id)
    )
    return [(m, p) for m, p in rows.all()]


_REPRESENTED = aliased(Party, name="represented")
# Built once (building it cost more than running it): the logged-in person's name and kind,
# and the mandates they hold on the day `day`, one row each, with the party acted for.
OWN_AND_MANDATES: Select[*tuple[Any, ...]] = (
    select(
        Party.name.label("own_name"), Party.kind.label("own_kind"),
        Mandate.id.label("mandate_id"), Mandate.role, Mandate.can_ask, Mandate.valid_until,
        Mandate.dossier_types, _REPRESENTED.id.label("party_id"),
        _REPRESENTED.name.label("party_name"), _REPRESENTED.kind.label("party_kind"),
    )
    .outerjoin(Mandate, and_(
        Mandate.representative_id == Party.id, Mandate.revoked_at.is_(None),
        Mandate.valid_from <= bindparam("day"),
        or_(Mandate.valid_until.is_(None), Mandate.valid_until >= bindparam("day")),
    ))
    .outerjoin(_REPRESENTED, _REPRESENTED.id == Mandate.represented_id)
    .where(Party.id == bindparam("party_id"))
    .order_by(_REPRESENTED.name, Mandate.id)
)

# OWN_AND_MANDATES as a part of a page's own statement (mijn.combined): `n`, a row's place.
OWN_AND_MANDATES_PART: Select[*tuple[Any, ...]] = OWN_AND_MANDATES.add_columns(
    func.row_number().over(order_by=(_REPRESENTED.name, Mandate.id)).label("n"))


async def own_and_mandates(
    session: AsyncSession, party_id: int, day: date | None = None,
    query: Select[*tuple[Any, ...]] = OWN_AND_MANDATES, params: dict[str, Any] | None = None,
) -> list[Row[Any]]:
    """The logged-in person and the mandates they hold today, in one query (Core rows of
    OWN_AND_MANDATES, or of `query`: it with more columns): no row for an unknown party, one
    row with mandate_id None for a person who holds none; params: those of the added
    columns."""
    bound = {**(params or {}), "party_id": party_id, "day": day or date.today()}
    return list((await session.execute(query, bound)).all())


@dataclass(frozen=True)
class MandateLine:
    """A mandate as the KCC sees it on a party's page: who acts for whom, how far, how long."""

    acts_for_party: bool  # True: the other party acts for this one; False: the reverse
    other_name: str
    role: str
    dossier_types: tuple[str, ...]
    can_ask: bool
    valid_from: date
    valid_until: date | None


def _party_mandates() -> Select[*tuple[Any, ...]]:
    other, party_id = aliased(Party), bindparam("party_id", type_=Integer)
    query: Select[*tuple[Any, ...]] = (
        select(Mandate, other)
        .join(other, or_(
            and_(Mandate.represented_id == party_id, other.id == Mandate.representative_id),
            and_(Mandate.representative_id == party_id, other.id == Mandate.represented_id),
        ))
        .where(Mandate.revoked_at.is_(None),
               or_(Mandate.valid_until.is_(None), Mandate.valid_until >= bindparam("day")))
        .order_by(Mandate.valid_from, Mandate.id)
    )
    return query


# Built once (an aliased entity costs more to build than the statement to run).
_PARTY_MANDATES = _party_mandates()


async def party_mandates(
    session: AsyncSession, party_id: int, day: date | None = None
) -> list[MandateLine]:
    """The mandates for and by a party that hold today or will (not revoked, not ended)."""
    rows = await session.execute(_PARTY_MANDATES, {"party_id": party_id,
                                                   "day": day or date.today()})
    return [
        MandateLine(m.represented_id == party_id, p.name, m.role, tuple(m.dossier_types.split()),
                    m.can_ask, m.valid_from, m.valid_until)
        for m, p in rows.all()
    ]


# --- registering mandates (back-office API, login claims) ---------------------------------


@dataclass(frozen=True)
class MandateInput:
    """A mandate as a back-office (or a login provider) describes it."""

    source: str
    external_id: str
    representative: tuple[str, str]  # identifier type, identifier
    represented: tuple[str, str]
    role: str
    dossier_types: tuple[str, ...]
    can_ask: bool
    valid_from: date
    valid_until: date | None
    represented_name: str = ""  # shown as "u handelt namens ..." until they log in themselves


def _check_types(codes: tuple[str, ...], known: Collection[str]) -> None:
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise MandateError(f"unknown dossier type {unknown[0]!r}", "dossier_types")


async def _parties(session: AsyncSession, data: MandateInput) -> tuple[Party, Party]:
    found = []
    for field, (kind, identifier), name in (
        ("representative", data.representative, ""),
        ("represented", data.represented, data.represented_name),
    ):
        try:
            found.append(await get_or_create_party(session, kind, identifier, name))
        except InvalidIdentifier as exc:
            raise MandateError(str(exc), f"{field}.id") from None
    if found[0].kind != "person":
        raise MandateError("the representative is a person (bsn, national_number)",
                           "representative.type")
    if found[0].id == found[1].id:
        raise MandateError("a party cannot hold a mandate for itself", "represented")
    return found[0], found[1]


async def put_mandate(
    session: AsyncSession, data: MandateInput, known_types: Collection[str]
) -> tuple[Mandate, bool]:
    """Register a mandate or bring it up to date (idempotent by source and external id);
    returns it and whether it was created now. known_types: which of the mandate's dossier
    types exist (the dossiers service's `known_type_codes`)."""
    if data.role not in ROLES:
        raise MandateError(f"role must be one of {', '.join(ROLES)}", "role")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise MandateError("valid_until lies before valid_from", "valid_until")
    _check_types(data.dossier_types, known_types)
    representative, represented = await _parties(session, data)
    mandate = await find_mandate(session, data.source, data.external_id, lock=True)
    created = mandate is None
    if mandate is None:
        mandate = Mandate(source=data.source, external_id=data.external_id)
        session.add(mandate)
    mandate.representative_id, mandate.represented_id = representative.id, represented.id
    mandate.role, mandate.can_ask = data.role, data.can_ask
    mandate.dossier_types = " ".join(dict.fromkeys(data.dossier_types))
    mandate.valid_from, mandate.valid_until = data.valid_from, data.valid_until
    mandate.revoked_at, mandate.updated_at = None, utcnow()
    await session.flush()
    return mandate, created


async def find_mandate(
    session: AsyncSession, source: str, external_id: str, *, lock: bool = False
) -> Mandate | None:
    """A mandate by the registering system's source and id."""
    query = select(Mandate).where(Mandate.source == source, Mandate.external_id == external_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def revoke_mandate(session: AsyncSession, source: str, external_id: str) -> bool:
    """End a mandate now; False when there is no such mandate."""
    mandate = await find_mandate(session, source, external_id, lock=True)
    if mandate is None:
        return False
    if mandate.revoked_at is None:
        mandate.revoked_at = mandate.updated_at = utcnow()
    await session.flush()
    return True


async def unrevoked_mandate_ids(session: AsyncSession) -> list[int]:
    """The ids of every mandate not revoked, oldest first (for exports to other systems)."""
    return list(await session.scalars(
        select(Mandate.id).where(Mandate.revoked_at.is_(None)).order_by(Mandate.id)))


async def ended_mandate_ids(session: AsyncSession, mandate_ids: list[int],
                            day: date) -> list[int]:
    """Which of these mandates no longer hold on this day (revoked, or their last day
    passed), or are gone (for exports to other systems)."""
    ended: list[int] = []
    for start in range(0, len(mandate_ids), 500):
        part = mandate_ids[start:start + 500]
        holding = set(await session.scalars(
            select(Mandate.id).where(Mandate.id.in_(part), Mandate.revoked_at.is_(None),
                                     or_(Mandate.valid_until.is_(None),
                                         Mandate.valid_until >= day))))
        ended.extend(i for i in part if i not in holding)
    return ended


async def mandate_by_id(session: AsyncSession, mandate_id: int) -> Mandate | None:
    """A mandate by its id, also a revoked one (for exports to other systems)."""
    return await session.get(Mandate, mandate_id)


async def mandate_parties(session: AsyncSession, mandate: Mandate) -> tuple[Party, Party]:
    """The representative and the represented party of a mandate."""
    representative = await get_party(session, mandate.representative_id)
    represented = await get_party(session, mandate.represented_id)
    assert representative is not None and represented is not None
    return representative, represented


def describe_mandate(mandate: Mandate, day: date | None = None) -> dict[str, object]:
    """A mandate as the API shows it (without the parties' identifiers)."""
    day = day or date.today()
    active = mandate.revoked_at is None and mandate.valid_from <= day and (
        mandate.valid_until is None or mandate.valid_until >= day
    )
    return {
        "source": mandate.source, "external_id": mandate.external_id, "role": mandate.role,
        "dossier_types": mandate.dossier_types.split(), "can_ask": mandate.can_ask,
        "valid_from": mandate.valid_from.isoformat(),
        "valid_until": mandate.valid_until.isoformat() if mandate.valid_until else None,
        "revoked_at": mandate.revoked_at.isoformat() if mandate.revoked_at else None,
        "active": active,
    }
