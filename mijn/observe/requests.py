"""The outermost middleware: a request id for every request (the proxy's X-Request-ID when it
is well-formed, else a new one; returned as X-Request-ID), one log line and one measurement
per request by route name (never the address), and the health checks, answered here before
sessions, CSRF, audit and rate limits.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mijn.observe import health
from mijn.observe.logs import REQUEST_ID
from mijn.telemetry import TelemetrySettings

if TYPE_CHECKING:
    from mijn.observe.metrics import Metrics

log = logging.getLogger("mijn.request")
REQUEST_ID_HEADER = b"x-request-id"
# A proxy's request id is taken when it is this (HAProxy's unique-id, a UUID, a trace id).
WELL_FORMED = re.compile(rb"[A-Za-z0-9._:@+=/-]{1,128}")
UNMATCHED = "unmatched"
# Health checks and static files are logged at debug level: there are many, and they say little.
QUIET = (*health.PATHS, "/static/")


def make_metrics(telemetry: TelemetrySettings, engine: AsyncEngine) -> Metrics | None:
    """The metrics of this process, or None when MIJN_METRICS_PORT is unset (then
    OpenTelemetry is not even imported)."""
    if not telemetry.metrics_enabled:
        return None
    from mijn.observe.metrics import Metrics

    return Metrics(telemetry, engine)


def count_login(request: Request, audience: str, result: str) -> None:
    """Count a finished login of an audience: "ok" or why it was refused."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.login(audience, result)


def request_id(scope: Scope) -> str:
    """The proxy's X-Request-ID when well-formed, else a new random one."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and WELL_FORMED.fullmatch(value):
            return str(value.decode("ascii"))
    return os.urandom(16).hex()


def route_name(scope: Scope, status: int, mounted: bool) -> str:
    """The name of the route that answered; a page refused before routing (a failed CSRF
    check) is looked up; "unmatched" for an unknown address. A route inside a mount (the
    development provider's) is named with the mount's path."""
    route = scope.get("route")
    if route is None and status != 404:
        route = _lookup(scope)
    name = getattr(route, "name", None)
    if not name:
        return UNMATCHED
    if mounted and not isinstance(route, Mount):
        return f"{scope['root_path'].strip('/')}:{name}"
    return str(name)


def _lookup(scope: Scope) -> BaseRoute | None:
    """The route the router would take (the method's, else one for the path only)."""
    router: Router | None = getattr(scope.get("app"), "router", None)
    partial = None
    for candidate in router.routes if router is not None else ():
        match = candidate.matches(scope)[0]
        if match == Match.FULL:
            return candidate
        if match == Match.PARTIAL and partial is None:
            partial = candidate
    return partial


class ObserveMiddleware:
    """Request id, log line and metrics of every request; the health checks."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.health = Router(routes=health.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        header = (REQUEST_ID_HEADER, rid.encode("ascii"))
        status = 500  # unless a response starts: the server answers 500 to an exception

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        root = scope.get("root_path", "")
        checks = scope["path"] in health.PATHS and scope["method"] in ("GET", "HEAD")
        app = self.health if checks else self.app
        try:
            await app(scope, receive, send_with_id)
        except BaseException:
            self._done(scope, root, rid, status, time.perf_counter() - started)
            raise  # the id stays set in this request's task: the server's traceback carries it
        self._done(scope, root, rid, status, time.perf_counter() - started)
        REQUEST_ID.reset(token)

    def _done(self, scope: Scope, root: str, rid: str, status: int, seconds: float) -> None:
        route = route_name(scope, status, scope.get("root_path", "") != root)
        method = scope["method"]
        if self.metrics is not None:
            self.metrics.record(route, method, status, seconds)
        level = logging.DEBUG if scope["path"].startswith(QUIET) else logging.INFO
        if log.isEnabledFor(level):  # made here: logging's search for the caller costs more
            ms = round(seconds * 1000, 1)
            log.handle(log.makeRecord(
                log.name, level, __file__, 0, '"%s %s" %d %.1f ms', (method, route, status, ms),
                None, extra={"request_id": rid, "route": route, "method": method,
                             "status": status, "duration_ms": ms}))
