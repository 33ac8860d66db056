"""The party a portal request acts for: the login, checked against today's mandates."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.access.identity import Identity
from mijn.access.resolve import resolve_access_with
from mijn.access.scope import Access
from mijn.dossiers.service import locked_dossier_ids, scope_dossier_ids
from mijn.http.portal.kept import owner_tag
from mijn.http.session import act_for, require_identity
from mijn.notifications.service import NewsScope, unread_count, unread_select
from mijn.questions.asking import locked_question_ids, scope_question_ids
from mijn.tasks.doing import open_count_select, open_task_count


async def portal_access(request: Request, session: AsyncSession, *, unread: bool = False,
                        tasks: bool = True) -> Access:
    """Whose data this request uses (LoginRequired when nobody is logged in). A mandate
    that expired or was revoked since it was chosen is dropped from the session here; the
    header of the page shows for whom the visitor acts. unread: also count the header's
    unread messages and open tasks, in the same statement when the visitor acts for
    themselves or their company (see unread_messages); a representative's open tasks then
    take a statement of their own, unless not `tasks` (a page that counts them itself)."""
    identity = require_identity(request)
    branched = identity.branch is not None
    columns = (_unread_column(identity.loa, branched), _tasks_column(branched)) if (
        unread and identity.mandate_id is None) else None
    access, counts = await resolve_access_with(session, identity, columns, _params(identity))
    if identity.mandate_id is not None and access.mandate_id is None:
        await act_for(request, None)
    # The menu's count of open tasks; a representative's scope is the mandate's, read in the
    # access statement, so theirs is counted after it.
    note_access(request, access, counts[0] if counts is not None else None,
                counts[1] if counts is not None else (
                    await open_task_count(session, access.scope()) if unread and tasks else None))
    return access


def note_access(request: Request, access: Access, unread: int | None, open_tasks: int | None
                ) -> None:
    """Keep the request's access and the header's counts (None: not read yet; see
    noted_counts) for the page, its header and its forms."""
    request.state.access = access
    request.state.unread = int(unread or 0) if unread is not None else None
    request.state.open_tasks = int(open_tasks or 0) if open_tasks is not None else None
    request.state.kept_for = owner_tag(request, access)  # the forms' kept_for (see kept.py)


async def unread_messages(request: Request, session: AsyncSession, access: Access) -> int:
    """The unread messages of the party acted for (in this visitor's scope): counted with
    the access already (portal_access(unread=True)), or now."""
    counted: int | None = getattr(request.state, "unread", None)
    if counted is not None:
        return counted
    return await unread_count(session, access.party_id, news_scope(access))


def noted_counts(request: Request, values: dict[str, Any]) -> None:
    """Keep the header's counts read with the page's own statement (a representative's:
    see mijn.http.portal.pagereads), if it read them."""
    if "unread" in values:
        request.state.unread = int(values["unread"] or 0)
    if "open_tasks" in values:
        request.state.open_tasks = int(values["open_tasks"] or 0)


def _params(identity: Identity) -> dict[str, Any]:
    return {"branch": identity.branch} if identity.branch is not None else {}


@cache
def _unread_column(loa: str, branched: bool) -> ColumnElement[Any]:
    """unread_count of news_scope as one column, built once per level of assurance and
    branch or not: the same conditions, with the party and branch as bound parameters."""
    party = cast(int, bindparam("party_id"))
    branch = cast(str, bindparam("branch")) if branched else None
    scope = Access(party, "", "", "employee" if branched else "party", "", "", None,
                   branch=branch, loa=loa)
    return unread_select(news_scope(scope)).scalar_subquery()


@cache
def _tasks_column(branched: bool) -> ColumnElement[Any]:
    """The open tasks' count as one column, built once per branch or not."""
    return open_count_select(branched).scalar_subquery()


def news_scope(access: Access) -> NewsScope | None:
    """The news of the party acted for that this visitor may see: about the dossiers and
    questions of their branch or of their mandate's types, and none about a dossier above
    the session's level of assurance (None: all of it)."""
    scope = access.scope()
    locked = locked_dossier_ids(scope), locked_question_ids(scope)
    if scope.restricted:
        return NewsScope(scope_dossier_ids(scope), scope_question_ids(scope), *locked)
    return NewsScope(None, None, *locked) if locked[0] is not None else None
