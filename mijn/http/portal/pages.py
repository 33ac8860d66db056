"""Pages that belong to no area: the home page and the language switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.db import request_session
from mijn.http.common import LANG_COOKIE, form_values, redirect, render
from mijn.http.session import current_identity
from mijn.http.urls import safe_next
from mijn.i18n import LANGUAGES
from mijn.parties.service import set_language
from mijn.settings import Settings


async def home(request: Request) -> Response:
    """The front door: log in, or go on to Mijn dossiers."""
    return render(request, "portal/home.html")


async def switch_language(request: Request) -> Response:
    """Remember the chosen language (for a logged-in party also for their e-mails) and go
    back to the page the visitor was on."""
    form = await form_values(request)  # a stranger's form: held to a form's size
    code = form.get("lang", "")
    back = safe_next(form.get("next", ""), "/")
    response = redirect(request, back)
    if code in LANGUAGES:
        identity = current_identity(request)
        if identity is not None and identity.audience == "citizen":
            async with request_session(request) as session:
                await set_language(session, identity.party_id, code)
                await session.commit()
        settings: Settings = request.app.state.settings
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
            secure=settings.is_production,
        )
    return response


routes = [
    Route("/", home, name="home"),
    Route("/taal", switch_language, methods=["POST"], name="language"),
]
