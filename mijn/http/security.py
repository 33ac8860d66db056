"""Security on every request: the headers on every response, a CSRF cookie checked on every
state change.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import (
    PlainTextResponse,
    Response,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mijn.http.common import CSRF_FIELD, CSRF_HEADER, csrf_cookie, csrf_valid
from mijn.http.csrfparts import first_part, is_multipart, replaying
from mijn.http.errors import error_page, problem
from mijn.http.headers import content_security_policy, security_headers
from mijn.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Urlencoded forms are small: the CSRF check reads them into memory. A multipart form is read
# only up to the end of its first part, the token (see csrfparts); its files stream on.
MAX_FORM_BYTES = 1024 * 1024


class SecurityMiddleware:
    """Security headers on every response; a CSRF cookie, checked on every state change."""

    def __init__(self, app: ASGIApp, settings: Settings, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.settings = settings
        self.exempt = exempt
        self.csp = content_security_policy(settings)
        self.cookie = csrf_cookie(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(self.cookie)
        new_cookie = None if cookie else secrets.token_urlsafe(32)
        scope["mijn.csrf"] = cookie or new_cookie
        wrapped_send = self._sender(send, new_cookie, scope)
        path: str = scope["path"]
        if scope["method"] in SAFE_METHODS or path.startswith(self.exempt):
            await self.app(scope, receive, wrapped_send)
            return
        replay = await self._check_csrf(scope, receive, wrapped_send)
        if replay is not None:
            await self.app(scope, replay, wrapped_send)

    async def _check_csrf(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        request = Request(scope)
        token = request.headers.get(CSRF_HEADER)
        replay = receive
        content_type = request.headers.get("content-type", "")
        if is_multipart(content_type):
            if token is None:
                part = await first_part(content_type, receive)
                token, replay = part.token, replaying(part.head, receive, part.more)
        else:
            read, token = await _whole_form(scope, receive, send, token)
            if read is None:
                return None
            replay = read
        if csrf_valid(request, token):
            return replay
        response = await _csrf_error_page(scope)
        await response(scope, replay, send)
        return None

    def _sender(self, send: Send, new_cookie: str | None, scope: Scope) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security_headers(self.settings, self.csp, scope["path"]):
                    headers.setdefault(name, value)
                if new_cookie and not scope["path"].startswith("/static") and not any(
                    value.startswith(f"{self.cookie}=") for value in headers.getlist("set-cookie")
                ):
                    secure = "; Secure" if self.settings.is_production else ""
                    headers.append(
                        "Set-Cookie",
                        f"{self.cookie}={new_cookie}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        return wrapped


async def _whole_form(scope: Scope, receive: Receive, send: Send, token: str | None
                      ) -> tuple[Receive | None, str | None]:
    """A small body read whole (413 past MAX_FORM_BYTES: None) to replay, and the token: the
    header's, else its urlencoded form's."""
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            too_large = PlainTextResponse("Request body too large", status_code=413)
            await too_large(scope, receive, send)
            return None, None
    request = Request(scope, replaying(body, receive))
    if token is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        field = (await request.form()).get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
    return replaying(body, receive), token


async def _csrf_error_page(scope: Scope) -> Response:
    request = Request(scope)
    if scope["path"].startswith("/api/"):
        return problem(403, "CSRF token missing or invalid.")
    return error_page(request, 403, "csrf")
