"""How a logged-in visitor's Access is resolved on every request: their own party, the
company and branch of a business login, or the party a mandate that holds today lets them
act for (read through the mandates and parties services).

The statements are built once and bound per request (building one cost more than running
it); a caller may add one column to the same statement (the header's unread count), so that
the access and that column take one round trip. Nothing is kept between requests: a mandate
revoked or expired since the last request is gone on the next one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.identity import Identity
from mijn.access.scope import Access, Choice
from mijn.mandates.service import OWN_AND_MANDATES, OWN_AND_MANDATES_PART, own_and_mandates
from mijn.parties.service import PARTY_NAME, PARTY_NAME_PART

# The access statements with more columns, by (business login, the columns): built once per
# set of columns (callers pass columns they built once themselves).
Columns = tuple[ColumnElement[Any], ...]
_WITH: dict[tuple[bool, tuple[int, ...]], tuple[Columns, Select[*tuple[Any, ...]]]] = {}


def _query(business: bool, columns: Columns) -> Select[*tuple[Any, ...]]:
    base = PARTY_NAME if business else OWN_AND_MANDATES
    if not columns:
        return base
    key = (business, tuple(id(column) for column in columns))
    found = _WITH.get(key)
    if found is None or any(a is not b for a, b in zip(found[0], columns, strict=True)):
        labelled = (column.label(f"extra{i}") for i, column in enumerate(columns))
        found = _WITH[key] = (columns, base.add_columns(*labelled))
    return found[1]


def _choice(row: Any) -> Choice:
    return Choice(row.mandate_id, row.party_name, row.party_kind, row.role, row.can_ask,
                  row.valid_until)


def _types(row: Any) -> tuple[str, ...] | None:
    codes = tuple(row.dossier_types.split())
    return codes or None


async def resolve_access(session: AsyncSession, identity: Identity) -> Access:
    """Whose data a logged-in visitor uses now (see Identity): a mandate that no longer holds
    counts as none, so the visitor is back to their own data."""
    return (await resolve_access_with(session, identity, None))[0]


def _extra(row: Row[Any] | None, columns: Columns) -> tuple[Any, ...]:
    return tuple(row[-len(columns) + i] if row is not None else None
                 for i in range(len(columns)))


async def resolve_access_with(
    session: AsyncSession, identity: Identity, column: ColumnElement[Any] | Columns | None,
    params: dict[str, Any] | None = None,
) -> tuple[Access, Any]:
    """resolve_access, and the value of one more column read in the same statement (None
    without a column; a tuple of values for a tuple of columns): bound by the same party_id
    (the logged-in party) and by `params`."""
    columns: Columns = () if column is None else column if isinstance(column, tuple) \
        else (column,)
    query = _query(identity.audience == "business", columns)
    if identity.audience == "business":
        rows = list((await session.execute(
            query, {**(params or {}), "party_id": identity.party_id})).all())
    else:
        rows = await own_and_mandates(session, identity.party_id, date.today(), query, params)
    access, extra = access_from(identity, rows), _extra(rows[0] if rows else None, columns)
    return access, (extra if isinstance(column, tuple) else extra[0] if extra else None)


def access_part(identity: Identity) -> Select[*tuple[Any, ...]]:
    """The access statement of a visitor who acts for themselves or their company, as a part
    of a page's own statement (mijn.combined), so that the page and the access take one
    round trip: bound by party_id (the identity's) and day (today); read back with
    access_from. A representative's page needs the access first: the mandate sets its
    scope."""
    return PARTY_NAME_PART if identity.audience == "business" else OWN_AND_MANDATES_PART


def access_from(identity: Identity, rows: Sequence[Any]) -> Access:
    """The Access that the access statement's rows (or its part's) give this identity."""
    if identity.audience == "business":
        company = rows[0] if rows else None
        return Access(
            identity.party_id, company.own_name if company else "", "organisation", "employee",
            identity.actor_ref, identity.actor_name, None, branch=identity.branch,
            loa=identity.loa,
        )
    return _person_access(identity, rows)


def _person_access(identity: Identity, rows: Sequence[Any]) -> Access:
    own_name, own_kind = (rows[0].own_name, rows[0].own_kind) if rows else ("", "person")
    held = [row for row in rows if row.mandate_id is not None]
    choices = tuple(_choice(row) for row in held)
    self_access = Access(
        identity.party_id, own_name, own_kind, "party", str(identity.party_id), own_name,
        identity.party_id, loa=identity.loa,
        choices=(Choice(None, own_name, own_kind, "", True, None), *choices) if held else (),
    )
    chosen = next((row for row in held if row.mandate_id == identity.mandate_id), None)
    if chosen is None:
        return self_access
    return Access(
        chosen.party_id, chosen.party_name, chosen.party_kind, "representative",
        str(identity.party_id), own_name, identity.party_id, mandate=_choice(chosen),
        dossier_types=_types(chosen), can_ask=chosen.can_ask, loa=identity.loa,
        choices=self_access.choices,
    )
