"""HTTP for acting on behalf of others: the page to choose for whom, and the switch."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import audit_fields
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.http.common import form_values, redirect, render, small_int
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.session import act_for, require_identity
from mijn.notifications.service import unread_count

SELF = "zelf"


async def choose(request: Request) -> Response:
    """For whom do you act? Yourself, or a party you hold a valid mandate for."""
    require_identity(request)
    async with request_session(request, autocommit=True) as session:
        access = await portal_access(request, session)
        unread = await unread_count(session, access.party_id, news_scope(access))
    if not access.choices:
        raise HTTPException(status_code=404)
    context = {"unread_messages": unread}
    return render(request, "portal/mandates/choose.html", context)


async def switch(request: Request) -> Response:
    """Act for oneself or through one of one's own valid mandates (a POST: it changes what
    every page shows); anything else is refused as unknown."""
    require_identity(request)
    choice = (await form_values(request)).get("keuze", "")
    mandate_id = None if choice == SELF else small_int(choice)
    if choice != SELF and mandate_id is None:
        raise HTTPException(status_code=404)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        if not any(c.mandate_id == mandate_id for c in access.choices):
            raise HTTPException(status_code=404)
        await act_for(request, mandate_id)
        now = await portal_access(request, session)
        await record_access(session, action="mandate.switch", **audit_fields(now))
        await session.commit()
    return redirect(request, str(request.app.url_path_for("dossiers:list")))


routes = [
    Route("/mijn/namens", choose, name="mandates:choose"),
    Route("/mijn/namens", switch, methods=["POST"], name="mandates:switch"),
]
