"""The statements of the overview and the dossier page, each with what other areas add to
it (the open tasks; the dossier's tasks and documents; a representative's header counts),
built once per shape of the visitor's scope and kept (building one costs more than running
it: issue 17). The party and branch are bound per request; a mandate's dossier types and
the session's level of assurance are part of the shape."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from mijn.access.identity import Identity
from mijn.access.resolve import access_from, access_part
from mijn.access.scope import Access, PartyScope
from mijn.documents.service import dossier_documents_part
from mijn.dossiers.pages import (
    DOSSIER_ID,
    Combined,
    Statement,
    dossier_statement,
    get_dossier_view_with,
    list_dossiers_with,
    listing_statement,
)
from mijn.dossiers.service import DossierPage, DossierView
from mijn.http.portal.access import news_scope, note_access, portal_access
from mijn.http.session import require_identity
from mijn.notifications.service import unread_select
from mijn.questions.asking import dossier_questions_part
from mijn.tasks.doing import dossier_tasks_part, open_count_in, open_tasks_part

Shape = tuple[bool, tuple[str, ...] | None, str]  # branched, a mandate's types, the loa


def _shape(access: Access) -> Shape:
    return access.branch is not None, access.dossier_types, access.loa


def params(access: Access) -> dict[str, Any]:
    """The bound values of a shape's statement."""
    found: dict[str, Any] = {"party_id": access.party_id}
    if access.branch is not None:
        found["branch"] = access.branch
    return found


def _bound(shape: Shape) -> Access:
    """An Access of this shape with the party and branch as bound parameters."""
    branched, types, loa = shape
    party = cast(int, bindparam("party_id"))
    branch = cast(str, bindparam("branch")) if branched else None
    return Access(party, "", "", "party", "", "", None, branch=branch, dossier_types=types,
                  loa=loa)


def _counts(access: Access, tasks: bool) -> list[ColumnElement[Any]]:
    """The header's counts as columns (see later_counts)."""
    unread = unread_select(news_scope(access)).scalar_subquery().label("unread")
    if not tasks:
        return [unread]
    return [unread, open_count_in(access.scope()).scalar_subquery().label("open_tasks")]


@lru_cache(maxsize=256)
def _overview(tab: str, shape: Shape, counts: bool) -> Statement:
    access = _bound(shape)
    return listing_statement(tab, access.scope(), [("tasks", open_tasks_part(access.scope()))],
                             _counts(access, tasks=False) if counts else ())


def _own_shape(identity: Identity) -> Shape:
    return identity.branch is not None, None, identity.loa


def _own_params(identity: Identity) -> dict[str, Any]:
    """The bound values of an own statement: the party and branch, and today (the access
    part's mandates)."""
    return {"party_id": identity.party_id, "day": date.today(),
            **({"branch": identity.branch} if identity.branch is not None else {})}


@lru_cache(maxsize=64)
def _own_overview(tab: str, shape: Shape, access: Select[Any]) -> Statement:
    bound = _bound(shape)
    parts = [("tasks", open_tasks_part(bound.scope())), ("access", access)]
    return listing_statement(tab, bound.scope(), parts, _counts(bound, tasks=False))


async def own_overview(request: Request, session: AsyncSession, tab: str, page: int,
                       page_size: int) -> tuple[Access, DossierPage, Combined] | None:
    """The overview of a visitor who acts for themselves or their company in one statement
    with their access (mijn.access.resolve.access_part) and the header's unread count, kept
    as portal_access keeps them; None for a representative (see portal_access)."""
    identity = require_identity(request)
    if identity.mandate_id is not None:
        return None
    listing, more = await list_dossiers_with(
        session, _own_overview(tab, _own_shape(identity), access_part(identity)),
        _own_params(identity), tab, page, page_size)
    access, tasks = access_from(identity, more.rows["access"]), more.rows["tasks"]
    note_access(request, access, more.values["unread"], int(tasks[0].total) if tasks else 0)
    return access, listing, more


def _about_dossier(scope: PartyScope) -> list[tuple[str, Select[Any]]]:
    """The dossier page's parts from other areas: its tasks, documents and questions."""
    return [("tasks", dossier_tasks_part(scope, DOSSIER_ID)),
            ("documents", dossier_documents_part(DOSSIER_ID)),
            ("questions", dossier_questions_part(scope, DOSSIER_ID))]


@lru_cache(maxsize=64)
def _own_dossier(shape: Shape, access: Select[Any]) -> Statement:
    bound = _bound(shape)
    scope = bound.scope()
    parts = [*_about_dossier(scope), ("access", access)]
    return dossier_statement(scope, parts, _counts(bound, tasks=True))


async def own_dossier(request: Request, session: AsyncSession, reference: str
                      ) -> tuple[Access, DossierView, Combined] | None:
    """The dossier page's statement of a visitor who acts for themselves or their company,
    with their access and the header's counts, kept as portal_access keeps them; None for a
    representative (see portal_access). Not theirs, or no such dossier: 404 (the access read
    anew for the error page's header)."""
    identity = require_identity(request)
    if identity.mandate_id is not None:
        return None
    view, more = await get_dossier_view_with(
        session, _own_dossier(_own_shape(identity), access_part(identity)),
        {**_own_params(identity), "reference": reference}, identity.loa, unlocked=("access",))
    if view is None:
        await portal_access(request, session, unread=True)
        raise HTTPException(status_code=404)
    access = access_from(identity, more.rows["access"])
    note_access(request, access, more.values["unread"], more.values["open_tasks"])
    return access, view, more


@lru_cache(maxsize=256)
def _dossier(shape: Shape, counts: bool) -> Statement:
    access = _bound(shape)
    scope = access.scope()
    return dossier_statement(scope, _about_dossier(scope),
                             _counts(access, tasks=True) if counts else ())


def _later(request: Request) -> bool:
    """Whether the header's counts are still to be read (a representative's: see
    portal_access and noted_counts)."""
    return getattr(request.state, "unread", None) is None


def overview_statement(request: Request, access: Access, tab: str) -> Statement:
    """The overview's statement: a page of the tab with both tabs' counts, the open tasks
    (part "tasks", each row with the count of all) and the header's unread count when
    portal_access could not read it (column "unread")."""
    return _overview(tab, _shape(access), _later(request))


def detail_statement(request: Request, access: Access) -> Statement:
    """The dossier page's statement: the dossier with its timeline, its tasks, documents and
    questions (parts "tasks", "documents" and "questions"), and the header's counts when
    portal_access could not read them (columns "unread" and "open_tasks")."""
    return _dossier(_shape(access), _later(request))
