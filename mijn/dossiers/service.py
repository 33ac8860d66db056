"""What the dossiers area can do: list and show a party's dossiers, record statuses."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.loa import loa_rank, opens_at
from mijn.access.scope import PartyScope
from mijn.channels import CHANNELS
from mijn.dossiers.models import KINDS, Dossier, DossierType, StatusEvent, StatusType
from mijn.notifications.service import notify

TABS = ("open", "closed")


def scope_conditions(scope: PartyScope) -> list[ColumnElement[bool]]:
    """Conditions on Dossier beyond the party itself: the branch, the mandate's types."""
    found: list[ColumnElement[bool]] = []
    if scope.branch is not None:
        found.append(Dossier.branch == scope.branch)
    if scope.dossier_types is not None:
        found.append(Dossier.dossier_type_id.in_(
            select(DossierType.id).where(DossierType.code.in_(scope.dossier_types))
        ))
    return found


def scope_dossier_ids(scope: PartyScope) -> Select[Any]:
    """The ids of the dossiers in this scope (for questions and contacts about them)."""
    return select(Dossier.id).where(Dossier.party_id == scope.party_id, *scope_conditions(scope))


class DossierError(ValueError):
    """A dossier or status that cannot be recorded as given."""


@dataclass(frozen=True)
class DossierPage:
    """One page of a party's dossiers in one tab, with the counts of both tabs."""

    tab: str
    page: int
    pages: int
    rows: list[Row[tuple[object, ...]]]
    open_count: int
    closed_count: int


@dataclass(frozen=True)
class DossierView:
    """Everything the dossier page shows."""

    dossier: Dossier
    dossier_type: DossierType
    current: StatusType | None
    timeline: list[tuple[StatusEvent, StatusType | None]]
    next_status: StatusType | None
    # The session's level of assurance is below the type's minimum: only that it exists.
    locked: bool = False

    @property
    def overdue(self) -> bool:
        """Past the expected end and not yet closed."""
        d = self.dossier
        return d.closed_on is None and d.expected_end is not None and d.expected_end < date.today()


def _summary_columns() -> tuple[object, ...]:
    return (
        Dossier.reference, Dossier.kind, Dossier.title, Dossier.channel,
        Dossier.last_changed_at, Dossier.expected_end, Dossier.closed_on,
        DossierType.name_nl.label("type_name_nl"), DossierType.name_en.label("type_name_en"),
        StatusType.label_nl.label("status_label_nl"), StatusType.label_en.label("status_label_en"),
        DossierType.min_loa.label("min_loa"),
    )


def _tab_query(tab: str) -> Select[Any]:
    in_tab = Dossier.closed_on.is_(None) if tab == "open" else Dossier.closed_on.is_not(None)
    query: Select[Any] = (
        select(*_summary_columns())  # type: ignore[call-overload]
        .join(DossierType, DossierType.id == Dossier.dossier_type_id)
        .outerjoin(StatusType, StatusType.id == Dossier.current_status_id)
        .where(Dossier.party_id == bindparam("party_id"), in_tab)
        .order_by(Dossier.last_changed_at.desc(), Dossier.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return query


# Built once: the overview is the most visited page, and building a statement costs
# more than running it (SQLAlchemy then only looks up its compiled form).
_COUNTS = select(
    func.count(case((Dossier.closed_on.is_(None), 1))), func.count(Dossier.closed_on)
).where(Dossier.party_id == bindparam("party_id"))
_TAB_QUERIES = {tab: _tab_query(tab) for tab in TABS}


async def list_dossiers(
    session: AsyncSession, scope: PartyScope, tab: str, page: int, page_size: int
) -> DossierPage:
    """A page of the party's open or closed dossiers (in scope), most recently changed first."""
    tab = tab if tab in TABS else "open"
    more = scope_conditions(scope)
    counts = (await session.execute(_COUNTS.where(*more) if more else _COUNTS,
                                    {"party_id": scope.party_id})).one()
    open_count, closed_count = int(counts[0]), int(counts[1])
    total = open_count if tab == "open" else closed_count
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    params = {"party_id": scope.party_id, "limit": page_size, "offset": (page - 1) * page_size}
    query = _TAB_QUERIES[tab].where(*more) if more else _TAB_QUERIES[tab]
    rows = list((await session.execute(query, params)).all())
    return DossierPage(tab, page, pages, rows, open_count, closed_count)


_DOSSIER = (
    select(Dossier, DossierType, StatusType)
    .join(DossierType, DossierType.id == Dossier.dossier_type_id)
    .outerjoin(StatusType, StatusType.id == Dossier.current_status_id)
    .where(Dossier.reference == bindparam("reference"), Dossier.party_id == bindparam("party_id"))
)
_TIMELINE = (
    select(StatusEvent, StatusType)
    .outerjoin(StatusType, StatusType.id == StatusEvent.status_type_id)
    .where(StatusEvent.dossier_id == bindparam("dossier_id"))
    .order_by(StatusEvent.occurred_at, StatusEvent.id)
)
_NEXT_STATUS = (
    select(StatusType)
    .where(
        StatusType.dossier_type_id == bindparam("dossier_type_id"),
        StatusType.position > bindparam("after"),
    )
    .order_by(StatusType.position)
    .limit(1)
)


async def get_dossier_view(
    session: AsyncSession, reference: str, scope: PartyScope, loa: str | None = None
) -> DossierView | None:
    """A dossier of this party (in scope) with its timeline; None for another party's, one
    out of scope or an unknown one. Below the type's level of assurance (loa given): only
    the dossier itself, locked, without its timeline."""
    more = scope_conditions(scope)
    found = (
        await session.execute(_DOSSIER.where(*more) if more else _DOSSIER,
                              {"reference": reference, "party_id": scope.party_id})
    ).one_or_none()
    if found is None:
        return None
    dossier, dossier_type, current = found
    if loa is not None and not opens_at(dossier_type.min_loa, loa):
        return DossierView(dossier, dossier_type, None, [], None, locked=True)
    events = await session.execute(_TIMELINE, {"dossier_id": dossier.id})
    timeline: list[tuple[StatusEvent, StatusType | None]] = [
        (event, status) for event, status in events.all()
    ]
    upcoming: StatusType | None = None
    if dossier.closed_on is None:
        params = {
            "dossier_type_id": dossier.dossier_type_id,
            "after": current.position if current else -1,
        }
        upcoming = (await session.scalars(_NEXT_STATUS, params)).first()
    return DossierView(dossier, dossier_type, current, timeline, upcoming)


@dataclass(frozen=True)
class StatusSpec:
    """A status type as a dossier type declares it."""

    code: str
    label_nl: str
    label_en: str
    text_nl: str
    text_en: str
    is_final: bool = False


async def ensure_dossier_type(
    session: AsyncSession, code: str, kind: str, name_nl: str, name_en: str,
    statuses: list[StatusSpec], min_loa: str | None = None,
) -> DossierType:
    """Create or update a dossier type and its ordered status types."""
    if kind not in KINDS:
        raise DossierError(f"kind must be one of {', '.join(KINDS)}")
    if min_loa is not None and not loa_rank(min_loa):
        raise DossierError("min_loa must be one of basis, midden, substantieel, hoog")
    dossier_type = await session.scalar(select(DossierType).where(DossierType.code == code))
    if dossier_type is None:
        dossier_type = DossierType(code=code)
        session.add(dossier_type)
    dossier_type.kind, dossier_type.name_nl, dossier_type.name_en = kind, name_nl, name_en
    dossier_type.min_loa = min_loa
    await session.flush()
    existing = {
        s.code: s
        for s in await session.scalars(
            select(StatusType).where(StatusType.dossier_type_id == dossier_type.id)
        )
    }
    for position, spec in enumerate(statuses):
        status = existing.get(spec.code) or StatusType(dossier_type_id=dossier_type.id)
        status.code, status.position, status.is_final = spec.code, position, spec.is_final
        status.label_nl, status.label_en = spec.label_nl, spec.label_en
        status.text_nl, status.text_en = spec.text_nl, spec.text_en
        session.add(status)
    await session.flush()
    return dossier_type


_STATUS_BY_CODE = select(StatusType).where(
    StatusType.dossier_type_id == bindparam("type_id"), StatusType.code == bindparam("code")
)


async def status_type(session: AsyncSession, dossier_type_id: int, code: str) -> StatusType:
    """A status type of a dossier type by its code."""
    found = await session.scalar(_STATUS_BY_CODE, {"type_id": dossier_type_id, "code": code})
    if found is None:
        raise DossierError(f"unknown status {code!r} for this dossier type")
    return found


async def record_status(
    session: AsyncSession, dossier: Dossier, status: StatusType, occurred_at: datetime,
    explanation: str = "", set_by: str = "system", channel: str | None = None,
    source_event_id: str | None = None, notify_party: bool = True,
) -> StatusEvent:
    """Append a status event; the latest occurred-at decides the current status.

    A status that becomes current is news for the party: a notification is written in the
    same transaction (an older event arriving late changes nothing they see: no news).
    """
    if status.dossier_type_id != dossier.dossier_type_id:
        raise DossierError("status belongs to another dossier type")
    event = StatusEvent(
        dossier_id=dossier.id, status_type_id=status.id, explanation=explanation,
        occurred_at=occurred_at, set_by=set_by, channel=channel, source_event_id=source_event_id,
    )
    session.add(event)
    becomes_current = (
        dossier.status_changed_at is None or occurred_at >= dossier.status_changed_at
    )
    if becomes_current:
        dossier.current_status_id = status.id
        dossier.status_changed_at = occurred_at
        dossier.closed_on = occurred_at.date() if status.is_final else None
    if dossier.last_changed_at is None or occurred_at > dossier.last_changed_at:
        dossier.last_changed_at = occurred_at
    await session.flush()
    if becomes_current and notify_party:
        await notify(session, dossier.party_id, "status", dossier_id=dossier.id)
    return event


def check_channel(channel: str) -> str:
    """The channel, if it is one Mijn knows."""
    if channel not in CHANNELS:
        raise DossierError(f"channel must be one of {', '.join(CHANNELS)}")
    return channel


async def create_dossier(
    session: AsyncSession, *, reference: str, party_id: int, dossier_type: DossierType,
    title: str, channel: str, department: str, opened_on: date,
    expected_end: date | None = None, source: str | None = None, external_id: str | None = None,
    branch: str | None = None,
) -> Dossier:
    """Register a new dossier of a party; its statuses follow through record_status."""
    dossier = Dossier(
        reference=reference, kind=dossier_type.kind, dossier_type_id=dossier_type.id,
        title=title, party_id=party_id, branch=branch, channel=check_channel(channel),
        department=department,
        opened_on=opened_on, expected_end=expected_end, source=source, external_id=external_id,
        last_changed_at=datetime.combine(opened_on, time(9), tzinfo=UTC),
    )
    session.add(dossier)
    await session.flush()
    return dossier


_PARTY_DOSSIERS = (
    select(*_summary_columns(), Dossier.id)  # type: ignore[call-overload]
    .join(DossierType, DossierType.id == Dossier.dossier_type_id)
    .outerjoin(StatusType, StatusType.id == Dossier.current_status_id)
    .where(Dossier.party_id == bindparam("party_id"))
    .order_by(Dossier.closed_on.is_not(None), Dossier.last_changed_at.desc(), Dossier.id.desc())
    .limit(bindparam("limit"))
)


async def party_dossiers(
    session: AsyncSession, scope: PartyScope, limit: int = 100
) -> list[Row[tuple[object, ...]]]:
    """A party's dossiers (in scope) with their current status: open ones first, then by
    last change."""
    more = scope_conditions(scope)
    params = {"party_id": scope.party_id, "limit": limit}
    query = _PARTY_DOSSIERS.where(*more) if more else _PARTY_DOSSIERS
    return list((await session.execute(query, params)).all())


async def party_dossier_id(
    session: AsyncSession, reference: str, scope: PartyScope
) -> tuple[int, str | None] | None:
    """Id and branch of this party's dossier (in scope) with this reference; None for
    another's, one out of scope or an unknown one."""
    found = (await session.execute(
        select(Dossier.id, Dossier.branch).where(
            Dossier.reference == reference, Dossier.party_id == scope.party_id,
            *scope_conditions(scope),
        )
    )).one_or_none()
    return (int(found[0]), found[1]) if found is not None else None


async def dossier_references(session: AsyncSession, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Reference and title of dossiers by id (for lists that mention dossiers)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Dossier.id, Dossier.reference, Dossier.title).where(Dossier.id.in_(ids))
    )
    return {row.id: (row.reference, row.title) for row in rows}


async def type_catalogue(session: AsyncSession) -> list[tuple[DossierType, list[StatusType]]]:
    """Every dossier type with its statuses in order (for choosing what an answer is about)."""
    types = list(await session.scalars(select(DossierType).order_by(DossierType.name_nl)))
    statuses = await session.scalars(select(StatusType).order_by(StatusType.position))
    by_type: dict[int, list[StatusType]] = {t.id: [] for t in types}
    for status in statuses:
        by_type.setdefault(status.dossier_type_id, []).append(status)
    return [(t, by_type[t.id]) for t in types]


async def dossier_view_by_id(
    session: AsyncSession, dossier_id: int, party_id: int
) -> DossierView | None:
    """A dossier of this party by its id (for staff beside a question about it)."""
    reference = await session.scalar(select(Dossier.reference).where(
        Dossier.id == dossier_id, Dossier.party_id == party_id))
    return await get_dossier_view(session, reference, PartyScope(party_id)) if reference else None


async def known_type_codes(session: AsyncSession, codes: Collection[str]) -> set[str]:
    """Which of these dossier type codes exist."""
    if not codes:
        return set()
    return set(await session.scalars(select(DossierType.code).where(DossierType.code.in_(codes))))
