"""Errors as pages (or RFC 9457 problems for the API): 404 and the like, an expired form, a
database out of reach for a moment (503), and a programming error (500).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    Response,
)

from mijn.http.common import app_settings, render
from mijn.http.headers import content_security_policy, security_headers
from mijn.http.limits import RateLimitError


def error_page(
    request: Request, code: int, kind: str = "http", headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """The error page (kind "csrf" explains an expired form, "http" the status code)."""
    context = {"code": code, "kind": kind}
    return render(request, "common/errors/error.html", context, status_code=code, headers=headers)


def rate_limited_page(request: Request, retry_after: int) -> HTMLResponse:
    """429: this was done too often for now; the page says how long to wait."""
    context = {"code": 429, "kind": "rate", "error": RateLimitError("", retry_after)}
    return render(request, "common/errors/error.html", context, status_code=429,
                  headers={"Retry-After": str(retry_after)})


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
           405: "Method Not Allowed", 422: "Unprocessable Content", 500: "Internal Server Error",
           429: "Too Many Requests", 503: "Service Unavailable"}


async def http_error(request: Request, exc: Exception) -> Response:
    """Render an HTTP error as a page (or JSON for the API)."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return problem(exc.status_code, str(exc.detail))
    kind = "csrf" if exc.detail == "csrf" else "http"
    return error_page(request, exc.status_code, kind, exc.headers)


# SQLSTATE classes and codes of a database that cannot serve now but will again: connection
# exceptions, too many clients (insufficient resources), shutting down or starting up.
UNAVAILABLE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03")


RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: Exception) -> bool:
    """Whether an error means the database cannot be reached for now (not a wrong query)."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = str(getattr(exc.orig, "sqlstate", "") or "")
        return code.startswith(UNAVAILABLE_SQLSTATES)
    return False


# SQLSTATEs of a value the database cannot store (PostgreSQL: a NUL byte in a text).
UNSTORABLE_SQLSTATES = ("22021", "22P05")


def unstorable_value(exc: Exception) -> bool:
    """Whether the database refused a value it cannot store (input, not a programming error)."""
    return isinstance(exc, DBAPIError) and str(
        getattr(exc.orig, "sqlstate", "") or ""
    ) in UNSTORABLE_SQLSTATES


def bad_input(request: Request) -> Response:
    """400: the address or a form held characters that cannot be taken (a NUL byte)."""
    if request.url.path.startswith("/api/"):
        return problem(400, "The request holds control characters (such as NUL), which "
                       "are not accepted.")
    return error_page(request, 400, "input")


async def unavailable(request: Request, exc: Exception) -> Response:
    """503 with Retry-After when the database is out of reach for a moment; 400 for a value
    it cannot store (nothing was saved); any other error of the same kind stays a
    programming error (500)."""
    if unstorable_value(exc):
        return bad_input(request)
    if not database_unavailable(exc):
        raise exc
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        response: Response = problem(503, "The service is temporarily unavailable; try again.")
        response.headers.update(headers)
        return response
    return error_page(request, 503, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: a calm page, nothing of the cause shown. It is answered outside
    the middleware (Starlette's ServerErrorMiddleware), so it sets the security headers itself."""
    if request.url.path.startswith("/api/"):
        response: Response = problem(500, "An unexpected error occurred.")
    else:
        response = error_page(request, 500)
    settings = app_settings(request)
    for name, value in security_headers(settings, content_security_policy(settings),
                                        request.url.path):
        response.headers.setdefault(name, value)
    return response
