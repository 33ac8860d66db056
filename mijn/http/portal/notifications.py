"""HTTP for a party's messages (the inbox) and notification preferences (e-mail address)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import Access
from mijn.db import request_session, utcnow
from mijn.documents.service import documents_at
from mijn.dossiers.news import statuses_at
from mijn.dossiers.service import dossier_references
from mijn.http import limits
from mijn.http.common import form_values, redirect, render
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.session import require_identity
from mijn.notifications import service
from mijn.notifications.service import PreferenceError
from mijn.parties.service import get_party
from mijn.questions.queue import question_references
from mijn.questions.titles import question_titles
from mijn.ratelimits.service import Verdict
from mijn.settings import Settings


async def inbox(request: Request) -> Response:
    """Berichten: news about the party's dossiers and questions; seeing them marks them read."""
    require_identity(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        within = news_scope(access)
        messages = await service.inbox(session, access.party_id, within=within)
        dossiers = await dossier_references(
            session, sorted({m.dossier_id for m in messages if m.dossier_id})
        )
        question_ids = sorted({m.question_id for m in messages if m.question_id})
        questions = await question_references(session, question_ids)
        titles = await question_titles(session, question_ids)
        statuses = await statuses_at(session, [
            (m.id, m.dossier_id, m.created_at) for m in messages
            if m.kind == "status" and m.dossier_id
        ])
        documents = await documents_at(session, [
            (m.id, m.dossier_id, m.created_at) for m in messages
            if m.kind == "document" and m.dossier_id
        ])
        if access.actor_type != "representative":  # the party itself still reads it as new
            await service.mark_read(session, access.party_id, within=within)
        await session.commit()
    context = {"messages": messages, "dossiers": dossiers, "questions": questions,
               "titles": titles, "statuses": statuses, "documents": documents,
               "unread_messages": 0}
    return render(request, "portal/notifications/inbox.html", context)


async def _may_change(request: Request, session: AsyncSession) -> Access:
    """The address is the login's own party's (a representative's own, never that of the
    party they act for; a company's for its employees): an employee restricted to one
    branch does not set the company's (403); everyone else shows the header for whom they
    act."""
    access = await portal_access(request, session)
    if access.branch is not None:
        raise HTTPException(status_code=403)
    return access


async def _settings_context(request: Request, party_id: int) -> dict[str, Any]:
    async with request_session(request, autocommit=True) as session:
        access = await _may_change(request, session)
        party = await get_party(session, party_id)
        unread = await service.unread_count(session, access.party_id, news_scope(access))
    if party is None:
        raise HTTPException(status_code=404)
    return {"party": party, "values": {}, "error": None, "unread_messages": unread}


async def preferences(request: Request) -> Response:
    """How the party wants to hear of news, and to which (verified) address."""
    identity = require_identity(request)
    context = await _settings_context(request, identity.party_id)
    context["notice"] = request.query_params.get("melding", "")
    return render(request, "portal/notifications/settings.html", context)


async def save_preferences(request: Request) -> Response:
    """Save the choice; a new address gets a verification link first."""
    identity = require_identity(request)
    values = await form_values(request)
    settings: Settings = request.app.state.settings
    async with request_session(request) as session:
        await _may_change(request, session)
        party = await get_party(session, identity.party_id)
        if party is None:
            raise HTTPException(status_code=404)
        try:
            sent = await service.save_preferences(
                session, party, settings, email=values.get("email", ""),
                notify_by_email=values.get("channel") != "portal",
                now=datetime.fromtimestamp(limits.now(request), UTC),
            )
        except PreferenceError as error:
            await session.rollback()
            context = await _settings_context(request, identity.party_id)
            if error.code == "too_many":
                verdict = Verdict(False, error.retry_after)
                context.update(values=values, error=limits.form_error("email", verdict))
                return render(request, "portal/notifications/settings.html", context,
                              status_code=limits.RATE_LIMITED,
                              headers=limits.retry_after(verdict))
            context.update(values=values, error=error)
            return render(request, "portal/notifications/settings.html", context, status_code=422)
        await session.commit()
    notice = "verstuurd" if sent else "opgeslagen"
    url = request.app.url_path_for("notifications:settings")
    return redirect(request, f"{url}?melding={notice}")


async def confirm_page(request: Request) -> Response:
    """The page behind the e-mailed link: one button confirms (a GET changes nothing)."""
    identity = require_identity(request)
    context = await _settings_context(request, identity.party_id)
    context["token"] = request.path_params["token"]
    settings: Settings = request.app.state.settings
    context["token_invalid"] = not service.link_valid(
        context["party"], context["token"], settings, utcnow()
    )
    return render(request, "portal/notifications/confirm.html", context)


async def confirm(request: Request) -> Response:
    """Use the new address when the link is genuine, theirs and still valid."""
    identity = require_identity(request)
    settings: Settings = request.app.state.settings
    async with request_session(request) as session:
        await _may_change(request, session)
        party = await get_party(session, identity.party_id)
        if party is None:
            raise HTTPException(status_code=404)
        ok = await service.confirm_email(session, party, request.path_params["token"], settings)
        await session.commit()
    if not ok:
        context = await _settings_context(request, identity.party_id)
        context["token_invalid"] = True
        return render(request, "portal/notifications/confirm.html", context, status_code=400)
    return redirect(
        request, f"{request.app.url_path_for('notifications:settings')}?melding=bevestigd"
    )


routes = [
    Route("/mijn/berichten", inbox, name="notifications:inbox"),
    Route("/mijn/instellingen", preferences, name="notifications:settings"),
    Route("/mijn/instellingen", save_preferences, methods=["POST"], name="notifications:save"),
    Route("/mijn/instellingen/bevestigen/{token}", confirm_page, name="notifications:confirm"),
    Route(
        "/mijn/instellingen/bevestigen/{token}", confirm, methods=["POST"],
        name="notifications:confirm_post",
    ),
]
