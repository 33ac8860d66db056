"""The portal session: who is logged in, with which roles and level of assurance, until when.

The cookie holds only a random id; the session itself is a row in the database (see
mijn/sessions), looked up once per request by this middleware, so that logging out, the idle
and absolute timeouts and an administrator end it for every copy of the cookie, and any
number of processes serve it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mijn.access.identity import Identity
from mijn.db import autocommit_connection
from mijn.http.urls import STAFF_ROOT, is_staff_path, safe_next
from mijn.sessions import service as sessions
from mijn.sessions.service import Limits
from mijn.settings import Settings

SESSION_COOKIE = "mijn_session"
STAFF_SESSION_COOKIE = "mijn_staff"
# Set at login, removed at logout: tells an expired session from never having logged in.
ACTIVE_COOKIE = "mijn_active"
STAFF_ACTIVE_COOKIE = "mijn_staff_active"
# The path of the staff cookies: the browser sends them only to the KCC (its login too).
STAFF_COOKIE_PATH = STAFF_ROOT
# The audiences that log in to the portal itself (the staff have the KCC).
PORTAL = "portal"
PORTAL_AUDIENCES = ("citizen", "business")
STATE = "mijn.session"
# Activity is noted in the session row at most once a minute (seconds, for the benchmarks).
TOUCH_INTERVAL = int(sessions.TOUCH_INTERVAL.total_seconds())


def active_cookie(audience: str) -> str:
    """The name of the "was logged in" marker cookie of an audience."""
    return STAFF_ACTIVE_COOKIE if audience == "staff" else ACTIVE_COOKIE


def cookie_path(audience: str) -> str:
    """Where the browser sends an audience's cookies: the staff's only to the KCC."""
    return STAFF_COOKIE_PATH if audience == "staff" else "/"


def now() -> datetime:
    """The current time (through time.time, so that tests can move the clock)."""
    return datetime.fromtimestamp(time.time(), UTC)


def limits(settings: Settings, audience: str) -> Limits:
    """The idle and absolute lifetime of a session of this audience."""
    idle = (settings.staff_session_idle_minutes if audience == "staff"
            else settings.session_idle_minutes)
    return Limits(timedelta(minutes=idle), timedelta(hours=settings.session_max_hours))


class SessionState:
    """This request's session: the cookie's id and who it belongs to, and what the response
    must do with the cookie (a new id after a login, removed after a logout or expiry)."""

    def __init__(
        self, cookie: str, token: str | None, identity: Identity | None, path: str = "/"
    ) -> None:
        self.cookie = cookie
        self.path = path
        self.token = token
        self.identity = identity
        self.new_token: str | None = None
        self.clear = False
        # When the session ends without further activity, and at the latest (for the
        # timeout warning).
        self.ends_at: datetime | None = None
        self.expires_at: datetime | None = None


class SessionsMiddleware:
    """Two sessions: citizens' and staff's, never the same cookie.

    Staff pages (/kcc, their login under /kcc/auth/ too) see only the staff cookie, which the
    browser sends nowhere else (Path=/kcc); every other page sees only the citizen cookie: a
    citizen session never opens a staff page, a citizen page never receives the staff cookie,
    and logging in as staff does not touch a citizen's session in the same browser.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        staff = is_staff_path(scope["path"])
        cookie = STAFF_SESSION_COOKIE if staff else SESSION_COOKIE
        token = Request(scope).cookies.get(cookie)
        found = await self._load(scope, token, staff) if token else None
        identity = found[0] if found else None
        path = cookie_path("staff" if staff else PORTAL)
        state = SessionState(cookie, token if identity else None, identity, path)
        if found:
            state.ends_at, state.expires_at = found[1], found[2]
        state.clear = token is not None and identity is None
        scope[STATE] = state
        await self.app(scope, receive, self._sender(send, state))

    async def _load(
        self, scope: Scope, token: str, staff: bool
    ) -> tuple[Identity, datetime, datetime] | None:
        """The live session of this cookie, of the side the path belongs to: who, when it
        ends without further activity and when at the latest."""
        audiences = ("staff",) if staff else PORTAL_AUDIENCES
        lifetime = limits(self.settings, audiences[0])
        async with autocommit_connection(scope["app"].state.autocommit_engine) as connection:
            live = await sessions.find_session(connection, token, now(), lifetime)
        if live is None or live.row.audience not in audiences:
            return None
        return (sessions.identity_of(live.row), sessions.ends_at(live, lifetime),
                live.row.expires_at)

    def _sender(self, send: Send, state: SessionState) -> Send:
        secure = "; Secure" if self.settings.is_production else ""
        max_age = self.settings.session_max_hours * 3600

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if state.new_token:
                    headers.append("Set-Cookie", f"{state.cookie}={state.new_token}; "
                                   f"Path={state.path}; Max-Age={max_age}; HttpOnly; "
                                   f"SameSite=Lax{secure}")
                elif state.clear:
                    headers.append("Set-Cookie", f'{state.cookie}=""; Path={state.path}; '
                                   f"Max-Age=0; HttpOnly; SameSite=Lax{secure}")
                if (state.new_token or state.clear) and state.path != "/":
                    # A staff cookie from before it moved to Path=/kcc would be sent along
                    # (and read instead of the new one): gone with the next login or logout.
                    headers.append("Set-Cookie", f'{state.cookie}=""; Path=/; Max-Age=0; '
                                   f"HttpOnly; SameSite=Lax{secure}")
            await send(message)

        return wrapped


class LoginRequired(Exception):
    """The page needs a logged-in party; the visitor is sent to log in and back."""

    def __init__(self, next_url: str, expired: bool, audience: str = "citizen") -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired
        self.audience = audience


def _state(request: Request) -> SessionState | None:
    state: SessionState | None = request.scope.get(STATE)
    return state


async def start_session(request: Request, identity: Identity) -> None:
    """A fresh login: a new session with a new id (no fixation); the one this browser had
    before, if any, ends."""
    state = _state(request)
    assert state is not None, "SessionsMiddleware is not installed"
    settings: Settings = request.app.state.settings
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as db:
        if state.token:
            await sessions.end_session(db, state.token)
        token = await sessions.open_session(
            db, identity, now(), limits(settings, identity.audience)
        )
        await db.commit()
    state.token = state.new_token = token
    state.identity = identity
    state.clear = False


async def act_for(request: Request, mandate_id: int | None) -> None:
    """From now on act through this mandate (None: for oneself)."""
    state = _state(request)
    if state is None or state.token is None or state.identity is None:
        return
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as db:
        await sessions.set_mandate(db, state.token, mandate_id)
        await db.commit()
    state.identity = replace(state.identity, mandate_id=mandate_id)


async def end_session(request: Request) -> None:
    """End the login on the server: a copy of the cookie opens nothing any more."""
    state = _state(request)
    if state is None:
        return
    if state.token:
        maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        async with maker() as db:
            await sessions.end_session(db, state.token)
            await db.commit()
        state.clear = True
    state.token = state.new_token = None
    state.identity = None


async def keep_alive(request: Request) -> None:
    """Note activity now (the visitor chose to stay logged in), past the write throttle."""
    state = _state(request)
    if state is None or state.token is None or state.identity is None:
        return
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as db:
        await sessions.keep_alive(db, state.token, now())
        await db.commit()
    state.ends_at = None


def seconds_left(request: Request, latest: bool = False) -> int | None:
    """Seconds until this request's session ends without further activity, or (latest) at
    its absolute limit whatever the activity (None: no session)."""
    state = _state(request)
    end = None if state is None or state.identity is None else (
        state.expires_at if latest else state.ends_at)
    if end is None:
        return None
    return max(0, int((end - now()).total_seconds()))


def current_identity(request: Request) -> Identity | None:
    """The logged-in party of this request's side (portal or staff), or None."""
    state = _state(request)
    return state.identity if state is not None else None


def require_identity(request: Request, audience: str = PORTAL) -> Identity:
    """The logged-in party of this audience (by default: a citizen or a business), or
    LoginRequired (back to this page afterwards)."""
    identity = current_identity(request)
    wanted = PORTAL_AUDIENCES if audience == PORTAL else (audience,)
    if identity is None or identity.audience not in wanted:
        had_cookie = active_cookie(audience) in request.cookies
        raise LoginRequired(
            safe_next(_back_to(request), "/kcc" if audience == "staff" else "/"),
            expired=had_cookie and identity is None, audience=audience,
        )
    return identity


def _back_to(request: Request) -> str:
    """This page; for a form post, the page the form was on (same origin only): after
    logging in again the visitor returns there, not to an address that only takes POSTs."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


def login_url(request: Request, exc: LoginRequired) -> str:
    """Where to send a visitor who must log in first."""
    query = {"next": exc.next_url}
    if exc.expired:
        query["reden"] = "verlopen"
    page = "kcc:login" if exc.audience == "staff" else "auth:login_choice"
    return str(request.app.url_path_for(page)) + "?" + urlencode(query)


def portal_logged_in(request: Request) -> bool:
    """Whether a citizen or a business is logged in (for the portal's menu; no database)."""
    identity = current_identity(request)
    return identity is not None and identity.audience in PORTAL_AUDIENCES
