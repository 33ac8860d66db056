"""What the dossiers area can do: list and show a party's dossiers (reading; the changes are
in mijn.dossiers.changes)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from mijn import nearstatic
from mijn.access.loa import levels_above, opens_at
from mijn.access.scope import PartyScope
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.dossiers.records import DossierRecord, DossierTypeRecord, EventRecord, StatusRecord
from mijn.dossiers.steps import Step, dossier_steps

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
    """The ids of the dossiers in this scope (for questions and contacts about them), also
    those below the session's level of assurance (see locked_dossier_ids)."""
    return select(Dossier.id).where(Dossier.party_id == scope.party_id, *scope_conditions(scope))


def locked_dossier_ids(scope: PartyScope) -> Select[Any] | None:
    """The ids of the party's dossiers whose type needs a higher level of assurance than the
    scope's: listed as locked, but their questions, news and facts are out of scope (None:
    no limit, or none above the level)."""
    above = levels_above(scope.loa) if scope.loa is not None else ()
    if not above:
        return None
    return select(Dossier.id).where(
        Dossier.party_id == scope.party_id,
        Dossier.dossier_type_id.in_(select(DossierType.id).where(DossierType.min_loa.in_(above))),
    )


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

    dossier: DossierRecord
    dossier_type: DossierTypeRecord
    current: StatusRecord | None
    timeline: list[tuple[EventRecord, StatusRecord | None]]
    next_status: StatusRecord | None
    # The session's level of assurance is below the type's minimum: only that it exists.
    locked: bool = False
    steps: list[Step] = field(default_factory=list)  # every status of the type, in order

    @property
    def explanation(self) -> str:
        """What the organisation wrote about this dossier at its latest status (before the
        status's general text)."""
        latest = [event for event, _status in self.timeline if event.kind == "status"]
        return latest[-1].explanation if latest else ""

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


def _counts(more: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    query: Select[*tuple[Any, ...]] = select(
        func.count(case((Dossier.closed_on.is_(None), 1))).label("open_count"),
        func.count(Dossier.closed_on).label("closed_count"),
    ).where(Dossier.party_id == bindparam("party_id"), *more)
    return query


def _listing(tab: str, more: list[ColumnElement[bool]]) -> Select[Any]:
    """Both tabs' counts and one page of a tab in one statement: the counts' one row joined
    with the page's rows (one row with no dossier when the page is empty)."""
    counts = _counts(more).subquery("counts")
    page = _tab_query(tab).where(*more).add_columns(Dossier.id.label("dossier_id")).subquery("page")
    return (
        select(counts, *[c for c in page.c if c.name != "dossier_id"])
        .select_from(counts.outerjoin(page, true()))
        .order_by(page.c.last_changed_at.desc(), page.c.dossier_id.desc())
    )


# Built once: the overview is the most visited page, and building a statement costs
# more than running it (SQLAlchemy then only looks up its compiled form). Scopes narrowed
# by a branch or a mandate's types build theirs per request.
_LISTINGS = {tab: _listing(tab, []) for tab in TABS}


async def list_dossiers(
    session: AsyncSession, scope: PartyScope, tab: str, page: int, page_size: int
) -> DossierPage:
    """A page of the party's open or closed dossiers (in scope), most recently changed
    first, with the counts of both tabs: one statement (two for a page past the last)."""
    tab = tab if tab in TABS else "open"
    more = scope_conditions(scope)
    query = _listing(tab, more) if more else _LISTINGS[tab]
    page = max(1, page)
    rows = await _listing_rows(session, query, scope.party_id, page, page_size)
    open_count, closed_count = int(rows[0].open_count), int(rows[0].closed_count)
    total = open_count if tab == "open" else closed_count
    pages = max(1, -(-total // page_size))
    if page > pages:  # past the last page: the last one
        page = pages
        rows = await _listing_rows(session, query, scope.party_id, page, page_size)
    found = [row for row in rows if row.reference is not None]
    return DossierPage(tab, page, pages, found, open_count, closed_count)


async def _listing_rows(
    session: AsyncSession, query: Select[Any], party_id: int, page: int, page_size: int
) -> list[Row[Any]]:
    params = {"party_id": party_id, "limit": page_size, "offset": (page - 1) * page_size}
    return list((await session.execute(query, params)).all())


_CURRENT = StatusType.__table__.alias("current_status")
_REACHED = StatusType.__table__.alias("reached_status")
_EVENT = StatusEvent.__table__
# A dossier, its type and current status, and its timeline (events in order, each with its
# status): one statement, one row per event (or one without an event), cut into records.
_DOSSIER = (
    select(Dossier.__table__, DossierType.__table__, _CURRENT, _EVENT, _REACHED)
    .join(DossierType.__table__, DossierType.id == Dossier.dossier_type_id)
    .outerjoin(_CURRENT, _CURRENT.c.id == Dossier.current_status_id)
    .outerjoin(_EVENT, _EVENT.c.dossier_id == Dossier.id)
    .outerjoin(_REACHED, _REACHED.c.id == _EVENT.c.status_type_id)
    .where(Dossier.party_id == bindparam("party_id"))
    .order_by(_EVENT.c.occurred_at, _EVENT.c.id)
)
_VIEW_BY_REFERENCE = _DOSSIER.where(Dossier.reference == bindparam("reference"))
_VIEW_BY_ID = _DOSSIER.where(Dossier.id == bindparam("dossier_id"))
_CUTS = tuple(accumulate(len(r._fields) for r in (
    DossierRecord, DossierTypeRecord, StatusRecord, EventRecord, StatusRecord)))
_STEPS = (
    select(StatusType.__table__)
    .where(StatusType.dossier_type_id == bindparam("dossier_type_id"))
    .order_by(StatusType.position)
)
_STATUS_TABLES = (StatusType.__tablename__,)
nearstatic.watch(*_STATUS_TABLES)


def _status(values: tuple[Any, ...]) -> StatusRecord | None:
    return StatusRecord._make(values) if values[0] is not None else None


async def type_statuses(session: AsyncSession, dossier_type_id: int) -> tuple[StatusRecord, ...]:
    """Every status of a dossier type, in order (kept per process: see mijn.nearstatic)."""

    async def load(db: AsyncSession) -> tuple[StatusRecord, ...]:
        rows = await db.execute(_STEPS, {"dossier_type_id": dossier_type_id})
        return tuple(StatusRecord._make(row) for row in rows)

    return await nearstatic.cached(session, ("status_types", dossier_type_id), _STATUS_TABLES,
                                   load)


async def get_dossier_view(
    session: AsyncSession, reference: str, scope: PartyScope, loa: str | None = None
) -> DossierView | None:
    """A dossier of this party (in scope) with its timeline; None for another party's, one
    out of scope or an unknown one. Below the type's level of assurance (loa given, else
    the scope's): only the dossier itself, locked, without its timeline."""
    more = scope_conditions(scope)
    rows = (await session.execute(_VIEW_BY_REFERENCE.where(*more) if more else _VIEW_BY_REFERENCE,
                                  {"reference": reference, "party_id": scope.party_id})).all()
    return await _view(session, rows, scope.loa if loa is None else loa)


async def _view(
    session: AsyncSession, rows: Sequence[Row[Any]], loa: str | None
) -> DossierView | None:
    """The view from the rows of _DOSSIER (none: no such dossier)."""
    if not rows:
        return None
    a, b, c, d, e = _CUTS
    first = tuple(rows[0])
    dossier, dossier_type = DossierRecord._make(first[:a]), DossierTypeRecord._make(first[a:b])
    if loa is not None and not opens_at(dossier_type.min_loa, loa):
        return DossierView(dossier, dossier_type, None, [], None, locked=True)
    current = _status(first[b:c])
    timeline = [(EventRecord._make(values[c:d]), _status(values[d:e]))
                for values in map(tuple, rows) if values[c] is not None]
    statuses = await type_statuses(session, dossier.dossier_type_id)
    after = current.position if current else -1
    upcoming = None if dossier.closed_on else next(
        (status for status in statuses if status.position > after), None)
    return DossierView(dossier, dossier_type, current, timeline, upcoming,
                       steps=dossier_steps(statuses, current, timeline))


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


_COUNTED = _PARTY_DOSSIERS.add_columns(func.count().over().label("total"))


async def counted_dossiers(
    session: AsyncSession, scope: PartyScope, limit: int
) -> tuple[list[Row[tuple[object, ...]]], int]:
    """The first `limit` of party_dossiers, and how many there are in all: one statement."""
    more = scope_conditions(scope)
    query = _COUNTED.where(*more) if more else _COUNTED
    rows = list((await session.execute(query, {"party_id": scope.party_id, "limit": limit})).all())
    return rows, int(rows[0].total) if rows else 0


async def party_dossier_id(
    session: AsyncSession, reference: str, scope: PartyScope
) -> tuple[int, str | None] | None:
    """Id and branch of this party's dossier (in scope) with this reference; None for
    another's, one out of scope, one below the scope's level of assurance or an unknown
    one."""
    locked = locked_dossier_ids(scope)
    found = (await session.execute(
        select(Dossier.id, Dossier.branch).where(
            Dossier.reference == reference, Dossier.party_id == scope.party_id,
            *scope_conditions(scope), *([Dossier.id.not_in(locked)] if locked is not None else []),
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
    """A dossier of this party by its id (for staff beside a question about it): whole, as
    get_dossier_view gives it for the party's own scope."""
    params = {"dossier_id": dossier_id, "party_id": party_id}
    rows = (await session.execute(_VIEW_BY_ID, params)).all()
    return await _view(session, rows, None)  # staff: no level of assurance limits it


async def party_dossier_ids_by_reference(
    session: AsyncSession, reference: str
) -> tuple[int, int] | None:
    """Id and party id of any party's dossier by its reference (for staff who see all)."""
    found = (await session.execute(select(Dossier.id, Dossier.party_id).where(
        Dossier.reference == reference))).one_or_none()
    return (int(found[0]), int(found[1])) if found is not None else None


async def staff_dossier_view(session: AsyncSession, reference: str) -> DossierView | None:
    """Any party's dossier by its reference, whole, with its timeline (for the KCC, which
    sees all of a party: no branch, mandate or level of assurance narrows it)."""
    party_id = await session.scalar(select(Dossier.party_id).where(Dossier.reference == reference))
    if party_id is None:
        return None
    return await get_dossier_view(session, reference, PartyScope(party_id))


async def known_type_codes(session: AsyncSession, codes: Collection[str]) -> set[str]:
    """Which of these dossier type codes exist."""
    if not codes:
        return set()
    return set(await session.scalars(select(DossierType.code).where(DossierType.code.in_(codes))))


async def find_dossier_type(session: AsyncSession, code: str) -> DossierType | None:
    """A dossier type by its code."""
    return await session.scalar(select(DossierType).where(DossierType.code == code))


_BY_SOURCE = select(Dossier).where(
    Dossier.source == bindparam("source"), Dossier.external_id == bindparam("external_id")
)
_BY_ID = select(Dossier).where(Dossier.id == bindparam("id"))
_LOCKED = {False: (_BY_SOURCE, _BY_ID), True: (_BY_SOURCE.with_for_update(),
                                               _BY_ID.with_for_update())}
_FRESH = _BY_SOURCE.with_for_update().execution_options(populate_existing=True)


async def dossier_by_source(
    session: AsyncSession, source: str, external_id: str, *, lock: bool = False,
    fresh: bool = False,
) -> Dossier | None:
    """A dossier by its source and the id it has there; lock: for update; fresh: locked,
    and read again from the database even when the session holds it already."""
    query = _FRESH if fresh else _LOCKED[lock][0]
    return await session.scalar(query, {"source": source, "external_id": external_id})


async def dossier_by_id(session: AsyncSession, dossier_id: int, *, lock: bool = False
                        ) -> Dossier | None:
    """A dossier by its id; lock: for update."""
    return await session.scalar(_LOCKED[lock][1], {"id": dossier_id})


async def external_ids(session: AsyncSession, dossier_ids: Collection[int]
                       ) -> dict[int, str | None]:
    """The ids these dossiers have at their source, by dossier id (one statement)."""
    if not dossier_ids:
        return {}
    rows = await session.execute(select(Dossier.id, Dossier.external_id)
                                 .where(Dossier.id.in_(list(dossier_ids))))
    return {dossier_id: external_id for dossier_id, external_id in rows}
