"""create_app(settings) -> Starlette: mounts the three front ends (portal, KCC, API), the login
routes, middleware and error pages.

Process-wide objects (settings, engine, templates, HTTP client, OIDC clients) live on
app.state rather than in lifespan state, so that the development provider can also be
reached in-process (tests route the portal's own HTTP calls through ASGI).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ExceptionHandler

from mijn import PROJECT_ROOT
from mijn.db import make_engine, make_sessionmaker
from mijn.dev import idp as devidp
from mijn.documents.objectstore import close_store, open_store
from mijn.http.api import routes as api_routes
from mijn.http.api.common import ApiProblem, problem_response
from mijn.http.boundary import BoundaryMiddleware
from mijn.http.common import is_htmx, make_templates
from mijn.http.errors import http_error, server_error, unavailable
from mijn.http.kcc import routes as kcc_routes
from mijn.http.login import routes as login_routes
from mijn.http.login.oidc import OidcClient
from mijn.http.portal import routes as portal_routes
from mijn.http.security import SecurityMiddleware
from mijn.http.session import LoginRequired, SessionsMiddleware, login_url
from mijn.intake.service import IntakeError
from mijn.intake.zgw_client import ZgwClient
from mijn.observe import health
from mijn.observe.logs import configure_logging
from mijn.observe.requests import ObserveMiddleware, make_metrics
from mijn.scanning.clamd import Clamd
from mijn.settings import Settings, load_settings

STATIC = PROJECT_ROOT / "mijn" / "static"
NODE_MODULES = PROJECT_ROOT / "node_modules"
VENDOR = {
    "htmx": NODE_MODULES / "htmx.org" / "dist",
    "utrecht-css": NODE_MODULES / "@utrecht" / "component-library-css" / "dist",
    "utrecht-tokens": NODE_MODULES / "@utrecht" / "design-tokens" / "dist",
}


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    url = login_url(request, exc)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _static_mounts() -> list[Mount]:
    mounts = [
        Mount(f"/static/vendor/{name}", StaticFiles(directory=path, check_dir=False), name=name)
        for name, path in VENDOR.items()
    ]
    mounts.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    return mounts


def _oidc_clients(settings: Settings, http: httpx.AsyncClient) -> dict[str, OidcClient]:
    clients = {}
    for name, audience in settings.audiences.items():
        if audience.issuer:
            clients[name] = OidcClient(audience, audience.issuer, http)
        elif settings.dev_idp_enabled:
            clients[name] = OidcClient(audience, devidp.issuer_url(settings), http)
    return clients


def _routes(settings: Settings) -> list[BaseRoute]:
    """The three front ends, the login routes, static files and, in development, the
    development identity provider."""
    routes: list[BaseRoute] = [
        # The API first: its paths (/api/v1/...) match nothing else, and Starlette tries the
        # routes in turn: behind the ~90 others, an API request paid ~0.1 ms for the search.
        *api_routes.routes,
        *_static_mounts(),
        *portal_routes.routes,
        *kcc_routes.routes,
        *login_routes.routes,
        *health.routes,  # answered by ObserveMiddleware, listed for url_for and the matrix
    ]
    if settings.dev_idp_enabled:
        routes.insert(0, Mount("/dev-idp", routes=devidp.routes, name="devidp"))
    return routes


EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    HTTPException: http_error,
    LoginRequired: _login_required,
    ApiProblem: problem_response,
    IntakeError: problem_response,
    DBAPIError: unavailable,
    ConnectionError: unavailable,
    TimeoutError: unavailable,
    500: server_error,
}


def _set_state(app: Starlette, settings: Settings, engine: AsyncEngine,
               http: httpx.AsyncClient, zgw_http: httpx.AsyncClient | None) -> None:
    app.state.settings = settings
    app.state.clock = time.time  # epoch seconds; tests move it (rate limit windows)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.autocommit_sessionmaker = settings.pgbouncer.autocommit_sessionmaker(engine)
    app.state.autocommit_engine = settings.pgbouncer.autocommit_engine(engine)
    app.state.templates = make_templates(settings)
    app.state.http = http
    app.state.oidc_clients = _oidc_clients(settings, http)
    app.state.zgw = ZgwClient(settings.zgw, zgw_http) if zgw_http is not None else None
    # The files: in the S3-compatible object store when one is configured (several
    # instances), else in a directory; scanned by clamd when MIJN_CLAMD_SOCKET is set, else
    # kept 'unscanned'.
    app.state.documents = open_store(settings.object_store, settings.documents.directory)
    app.state.scanner = Clamd(settings.scanner) if settings.scanner.enabled else None
    if settings.dev_idp_enabled:
        app.state.dev_idp_key = devidp.load_signing_key(settings.data_dir)


# An idle kept-alive connection is dropped after 2 s, before the server may close it: httpx
# and uvicorn both default to 5 s, and a request sent on a connection the server was closing
# at that moment failed with ReadError (the e2e run saw a login's token request fail so,
# exactly 5 s after the one before).
OUTGOING_LIMITS = httpx.Limits(keepalive_expiry=2.0)


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """Build the portal for the given settings (default: from the environment)."""
    settings = settings or load_settings()
    configure_logging(settings.telemetry)
    engine = make_engine(settings.database_url, **settings.pool)
    metrics = make_metrics(settings.telemetry, engine)
    http = httpx.AsyncClient(transport=http_transport, timeout=10.0, limits=OUTGOING_LIMITS)
    # The ZGW APIs are other hosts: their own client, always real HTTP, their own timeout.
    zgw_http = (
        httpx.AsyncClient(timeout=httpx.Timeout(settings.zgw.timeout), limits=OUTGOING_LIMITS)
        if settings.zgw.enabled else None
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if metrics is None:
            yield
        else:
            async with metrics.listening(app.state.sessionmaker):
                yield
        await http.aclose()
        if zgw_http is not None:
            await zgw_http.aclose()
        await close_store(app.state.documents)
        await engine.dispose()

    middleware = [
        Middleware(ObserveMiddleware, metrics=metrics),
        Middleware(SessionsMiddleware, settings=settings),
        Middleware(SecurityMiddleware, settings=settings, exempt=("/api/", "/dev-idp/token")),
        Middleware(BoundaryMiddleware),
    ]
    app = Starlette(routes=_routes(settings), middleware=middleware, lifespan=lifespan,
                    exception_handlers=EXCEPTION_HANDLERS)
    _set_state(app, settings, engine, http, zgw_http)
    app.state.metrics = metrics
    return app
