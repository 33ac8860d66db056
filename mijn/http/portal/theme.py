"""The organisation's theme on the web: its design tokens as a stylesheet, its logo and the
pages the footer links to (accessibility statement, privacy statement, contact)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from mijn.http.common import app_settings, render

# Changes with a restart at most: a day in the browser's cache is plenty.
CACHE = "public, max-age=86400"


async def stylesheet(request: Request) -> Response:
    """The theme's colours as CSS custom properties, after mijn.css."""
    css = app_settings(request).theme.css()
    return Response(css, media_type="text/css", headers={"Cache-Control": CACHE})


async def logo(request: Request) -> Response:
    """The organisation's logo (404 when the theme has none)."""
    path = app_settings(request).theme.logo
    if path is None:
        raise HTTPException(status_code=404)
    return FileResponse(path, headers={"Cache-Control": CACHE})


async def page(request: Request) -> Response:
    """One of the footer's pages, in the visitor's language."""
    found = app_settings(request).theme.pages.get(request.path_params["slug"])
    if found is None:
        raise HTTPException(status_code=404)
    return render(request, "portal/theme_page.html", {"page": found})


routes = [
    Route("/thema.css", stylesheet, name="theme:css"),
    Route("/thema/logo", logo, name="theme:logo"),
    Route("/over/{slug}", page, name="theme:page"),
]
