"""Staying logged in: the timeout warning's "Ingelogd blijven" (mijn/static/js/session-timeout.js)
posts here; the session's activity is noted at once, past the once-a-minute write throttle."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.http.session import keep_alive, require_identity


async def stay_logged_in(request: Request) -> Response:
    """204: the session lives a full idle period from now (not logged in: to the login)."""
    require_identity(request)
    await keep_alive(request)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


routes = [
    Route("/sessie/verlengen", stay_logged_in, methods=["POST"], name="session:keep"),
]
