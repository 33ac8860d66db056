"""The staff login page and logging out of the KCC."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mijn.http.common import render
from mijn.http.login.routes import logout


async def login_page(request: Request) -> Response:
    """The staff login: one button to the organisation's identity provider."""
    next_url = request.query_params.get("next", "/kcc")
    expired = request.query_params.get("reden") == "verlopen"
    available = "staff" in request.app.state.oidc_clients
    context = {"next_url": next_url, "expired": expired, "available": available}
    return render(request, "kcc/login.html", context)


async def staff_logout(request: Request) -> Response:
    """Log the staff member out (the citizen session in the same browser is untouched)."""
    return await logout(request)
