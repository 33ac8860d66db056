"""The portal's two most visited pages, each read in one statement with what other areas
add to it (issue 17): the overview's page of dossiers with both tabs' counts and another
area's rows (the open tasks), the dossier with its timeline and other areas' rows about it
(its documents, its tasks); and, for a representative, the counts the access statement
could not read (the scope comes from the mandate), as more columns. The parts are joined
through mijn.combined; authorisation stays in each part's query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import PartyScope
from mijn.combined import PartReader, Parts
from mijn.dossiers.models import Dossier, DossierType
from mijn.dossiers.service import (
    _CURRENT,
    _EVENT,
    _REACHED,
    TABS,
    DossierPage,
    DossierView,
    _counts,
    _tab_query,
    _view,
    scope_conditions,
)

# The dossier of the page (by its reference), for the parts of other areas to name it.
DOSSIER_ID = select(Dossier.id).where(Dossier.reference == bindparam("reference")) \
    .scalar_subquery()
Part = tuple[str, Select[Any]]


@dataclass(frozen=True)
class Combined:
    """The other parts' rows by part, and the values of the extra columns by label."""

    rows: dict[str, list[Any]]
    values: dict[str, Any]


@dataclass(frozen=True)
class Statement:
    """A page's statement with its parts, built once for a shape of scope (the party and
    branch bound as `party_id` and `branch`) and run often."""

    query: Select[Any]
    parts: PartReader
    names: tuple[str, ...]  # the other parts
    columns: tuple[str, ...]  # the extra columns' labels

    def combined(self, rows: Sequence[Any]) -> Combined:
        """The other parts' rows and the extra columns' values, from the statement's rows."""
        first = rows[0]._mapping if rows else {}
        return Combined({name: self.parts.rows(rows, name) for name in self.names},
                        {label: first.get(label) for label in self.columns})


def _statement(query: Select[Any], parts: Parts, extra: Sequence[Part],
               columns: Sequence[Any]) -> Statement:
    return Statement(query, parts.reader(query), tuple(name for name, _ in extra),
                     tuple(str(column.name) for column in columns))


def _page_part(tab: str, more: list[ColumnElement[bool]]) -> Select[Any]:
    order = (Dossier.last_changed_at.desc(), Dossier.id.desc())
    return _tab_query(tab).where(*more).add_columns(
        Dossier.id.label("dossier_id"), func.row_number().over(order_by=order).label("n"))


def listing_statement(tab: str, scope: PartyScope, extra: Sequence[Part],
                      columns: Sequence[ColumnElement[Any]] = ()) -> Statement:
    """list_dossiers's statement with the rows of other parts and more columns (scope: its
    party and branch bound, see Statement)."""
    more = scope_conditions(scope)
    parts = Parts([("page", _page_part(tab if tab in TABS else "open", more)), *extra])
    counts, items = _counts(more).subquery("counts"), parts.subquery
    query = (select(counts, *items.c, *columns).select_from(counts.outerjoin(items, true()))
             .order_by(items.c.part, items.c.n))
    return _statement(query, parts, extra, columns)


async def list_dossiers_with(
    session: AsyncSession, statement: Statement, params: dict[str, Any], tab: str, page: int,
    page_size: int,
) -> tuple[DossierPage, Combined]:
    """list_dossiers through a listing_statement (params: its party and branch): one
    statement (two for a page past the last)."""
    page = max(1, page)
    rows = await _listing_rows(session, statement.query, params, page, page_size)
    open_count, closed_count = int(rows[0].open_count), int(rows[0].closed_count)
    pages = max(1, -(-(open_count if tab == "open" else closed_count) // page_size))
    if page > pages:  # past the last page: the last one
        page = pages
        rows = await _listing_rows(session, statement.query, params, page, page_size)
    found = statement.parts.rows(rows, "page")
    listing = DossierPage(tab, page, pages, found, open_count, closed_count)
    return listing, statement.combined(rows)


async def _listing_rows(session: AsyncSession, query: Select[Any], params: dict[str, Any],
                        page: int, page_size: int) -> list[Any]:
    bound = {**params, "limit": page_size, "offset": (page - 1) * page_size}
    return list((await (await session.connection()).execute(query, bound)).all())


def _event_part() -> Select[Any]:
    order = (_EVENT.c.occurred_at, _EVENT.c.id)
    return (
        select(*(c.label(f"e_{c.name}") for c in _EVENT.c),
               *(c.label(f"s_{c.name}") for c in _REACHED.c),
               func.row_number().over(order_by=order).label("n"))
        .select_from(_EVENT.outerjoin(_REACHED, _REACHED.c.id == _EVENT.c.status_type_id))
        .where(_EVENT.c.dossier_id == DOSSIER_ID)
    )


def dossier_statement(scope: PartyScope, extra: Sequence[Part],
                      columns: Sequence[ColumnElement[Any]] = ()) -> Statement:
    """get_dossier_view's statement with the rows of other parts about the dossier (naming
    it by DOSSIER_ID) and more columns (scope: its party and branch bound)."""
    parts = Parts([("events", _event_part()), *extra])
    items = parts.subquery
    query = (
        select(Dossier.__table__, DossierType.__table__, _CURRENT, *items.c, *columns)
        .join(DossierType.__table__, DossierType.id == Dossier.dossier_type_id)
        .outerjoin(_CURRENT, _CURRENT.c.id == Dossier.current_status_id)
        .outerjoin(items, true())
        .where(Dossier.party_id == bindparam("party_id"),
               Dossier.reference == bindparam("reference"), *scope_conditions(scope))
        .order_by(items.c.part, items.c.n)
    )
    return _statement(query, parts, extra, columns)


async def get_dossier_view_with(
    session: AsyncSession, statement: Statement, params: dict[str, Any], loa: str | None,
    unlocked: tuple[str, ...] = (),
) -> tuple[DossierView | None, Combined]:
    """get_dossier_view through a dossier_statement (params: the reference, the party and
    branch). A locked dossier's other parts are read but not given, but for the parts named
    `unlocked` (not about the dossier)."""
    rows = (await (await session.connection()).execute(statement.query, params)).all()
    view = await _view(session, rows, loa)
    combined = statement.combined(rows)
    if view is not None and view.locked:
        return view, Combined({name: combined.rows[name] if name in unlocked else []
                               for name in statement.names}, combined.values)
    return view, combined
