"""The web boundary: an address whose path or query holds a control character (a NUL byte
and the like) is refused here with a clear 400, before any page or the database sees it.

Forms are checked by the areas, field by field, so that the form shows its own error and
keeps what was typed (see mijn/plaintext.py); a value that still reaches the database and
that it cannot store is answered with the same 400 (see errors.invalid_input).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mijn.http.errors import bad_input
from mijn.plaintext import has_control

NO_CONTROLS: frozenset[str] = frozenset()


def address_has_control(scope: Scope) -> bool:
    """Whether the request's path or query (decoded) holds any control character."""
    if has_control(scope["path"], NO_CONTROLS):
        return True
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return True
    return any(has_control(key + value, NO_CONTROLS) for key, value in pairs)


class BoundaryMiddleware:
    """Refuses an address with control characters (400, or a problem for the API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and address_has_control(scope):
            response = bad_input(Request(scope))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
