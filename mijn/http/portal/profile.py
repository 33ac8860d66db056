"""HTTP for "Mijn gegevens": what Mijn knows of the party acted for (name, number, contact
details, language), who may act for whom, and who looked at the party's data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.loa import levels_above
from mijn.access.scope import Access, audit_fields
from mijn.audit.service import record_access
from mijn.audit.views import ViewPage, ViewScope, data_views
from mijn.db import request_session
from mijn.dossiers.service import (
    dossier_references,
    locked_dossier_ids,
    scope_dossier_ids,
    type_catalogue,
)
from mijn.http.common import render, small_int
from mijn.http.portal.access import news_scope, portal_access
from mijn.mandates.overview import MandateRow, mandates_both_ways, representatives_by_mandate
from mijn.notifications.service import unread_count
from mijn.parties.service import get_party
from mijn.questions.asking import locked_question_ids, scope_question_ids
from mijn.questions.titles import question_titles

VIEWS_PER_PAGE = 20
TEMPLATE = "portal/profile/show.html"


def view_scope(access: Access) -> ViewScope:
    """The views this visitor may read: of their branch's or mandate's dossiers and questions
    only (when restricted), and none about a dossier above the session's level."""
    scope = access.scope()
    locked = locked_dossier_ids(scope), locked_question_ids(scope)
    if scope.restricted:
        return ViewScope(scope_dossier_ids(scope), scope_question_ids(scope), *locked)
    return ViewScope(None, None, *locked)


def masked(identifier_type: str, identifier: str) -> str:
    """A person's number as the page shows it: only the last four digits (*****0019); a
    company's KvK or KBO number is public and shown whole."""
    if identifier_type in ("bsn", "national_number"):
        return "*" * (len(identifier) - 4) + identifier[-4:]
    return identifier


async def _mandates(session: AsyncSession, access: Access) -> list[MandateRow]:
    """Both ways for the party itself and a company-wide employee; acting for someone, only
    the visitor's own mandate for them (the party's other mandates are not theirs to see)."""
    if access.actor_type == "representative" and access.actor_party_id is not None:
        own = await mandates_both_ways(session, access.actor_party_id)
        return [row for row in own if row.id == access.mandate_id]
    if access.scope().restricted:
        return []
    return await mandates_both_ways(session, access.party_id)


async def _view_names(session: AsyncSession, page: ViewPage) -> dict[str, Any]:
    """What the views name: the dossiers' and questions' titles, the representatives."""
    dossier_ids = sorted({v.dossier_id for v in page.views if v.dossier_id})
    question_ids = sorted({v.question_id for v in page.views if v.question_id})
    mandate_ids = sorted({v.mandate_id for v in page.views if v.mandate_id})
    return {
        "dossiers": await dossier_references(session, dossier_ids),
        "question_titles": await question_titles(session, question_ids),
        "representatives": await representatives_by_mandate(session, mandate_ids),
    }


async def _context(request: Request, session: AsyncSession, access: Access) -> dict[str, Any]:
    party = await get_party(session, access.party_id)
    if party is None:
        raise HTTPException(status_code=404)
    number = small_int(request.query_params.get("pagina")) or 1
    views = await data_views(session, party.id, view_scope(access), number, VIEWS_PER_PAGE)
    types = {t.code: (t.name_nl, t.name_en) for t, _ in await type_catalogue(session)}
    above = levels_above(access.loa)
    return {
        "party": party, "number": masked(party.identifier_type, party.identifier),
        "own": access.actor_type == "party", "details": not access.scope().restricted,
        # the settings page changes the logged-in party's own address: never under "namens"
        "may_change": access.actor_type == "party"
        or (access.actor_type == "employee" and access.branch is None),
        "mandates": await _mandates(session, access), "type_names": types,
        "views": views, **await _view_names(session, views),
        "step_up_level": above[-1] if above else None,
        "unread_messages": await unread_count(session, access.party_id, news_scope(access)),
    }


async def show(request: Request) -> Response:
    """Mijn gegevens of the party acted for (whose, the page says); the view is audited."""
    async with request_session(request) as session:
        access = await portal_access(request, session)
        context = await _context(request, session, access)
        await record_access(session, action="profile.view", **audit_fields(access))
        await session.commit()
    return render(request, TEMPLATE, context, block="views")


routes = [
    Route("/mijn/gegevens", show, name="profile:show"),
]
