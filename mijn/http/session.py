"""The portal session: who is logged in, with which roles and level of assurance, until when.

The cookie is Starlette's signed session cookie; its signature age is the idle timeout
(re-signed on activity) and "exp" inside it the absolute lifetime.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mijn.access.identity import Identity
from mijn.http.urls import is_staff_path, safe_next
from mijn.settings import Settings

SESSION_COOKIE = "mijn_session"
STAFF_SESSION_COOKIE = "mijn_staff"
# Set at login, removed at logout: tells an expired session from never having logged in.
ACTIVE_COOKIE = "mijn_active"
STAFF_ACTIVE_COOKIE = "mijn_staff_active"
# Paths where the staff session, not the citizen session, is request.session.
STAFF_PATHS = ("/kcc", "/auth/staff/")
# The audiences that log in to the portal itself (the staff have the KCC).
PORTAL = "portal"
PORTAL_AUDIENCES = ("citizen", "business")


def active_cookie(audience: str) -> str:
    """The name of the "was logged in" marker cookie of an audience."""
    return STAFF_ACTIVE_COOKIE if audience == "staff" else ACTIVE_COOKIE


class SessionsMiddleware:
    """Two signed-cookie sessions: citizens' and staff's, never the same cookie.

    Staff pages (/kcc, /auth/staff/) see only the staff cookie as request.session, every
    other page only the citizen cookie: a citizen session never opens a staff page, and
    logging in as staff does not touch a citizen's session in the same browser.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        common = {
            "secret_key": settings.secret_key.reveal(),
            "same_site": "lax",
            "https_only": settings.is_production,
        }
        self.citizen = SessionMiddleware(
            app, session_cookie=SESSION_COOKIE,
            max_age=settings.session_idle_minutes * 60, **common,  # type: ignore[arg-type]
        )
        self.staff = SessionMiddleware(
            app, session_cookie=STAFF_SESSION_COOKIE,
            max_age=settings.staff_session_idle_minutes * 60, **common,  # type: ignore[arg-type]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_staff_path(scope["path"]):
            await self.staff(scope, receive, send)
        else:
            await self.citizen(scope, receive, send)
# Activity refreshes the signed session cookie at most once a minute.
TOUCH_INTERVAL = 60


class LoginRequired(Exception):
    """The page needs a logged-in party; the visitor is sent to log in and back."""

    def __init__(self, next_url: str, expired: bool, audience: str = "citizen") -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired
        self.audience = audience


def start_session(request: Request, identity: Identity) -> None:
    """Replace whatever the session held by a fresh login (no fixation)."""
    settings: Settings = request.app.state.settings
    request.session.clear()
    request.session.update(
        {
            "pid": identity.party_id,
            "aud": identity.audience,
            "roles": list(identity.roles),
            "loa": identity.loa,
            "exp": int(time.time()) + settings.session_max_hours * 3600,
            "seen": int(time.time()),
        }
    )
    if identity.branch:
        request.session["br"] = identity.branch
    if identity.actor_ref:
        request.session.update({"act": identity.actor_ref, "an": identity.actor_name})
    if identity.mandate_id:
        request.session["mid"] = identity.mandate_id


def act_for(request: Request, mandate_id: int | None) -> None:
    """From now on act through this mandate (None: for oneself)."""
    if mandate_id is None:
        request.session.pop("mid", None)
    else:
        request.session["mid"] = mandate_id


def end_session(request: Request) -> None:
    """Forget the login."""
    request.session.clear()


def current_identity(request: Request) -> Identity | None:
    """The logged-in party, or None; a session past its absolute lifetime is ended."""
    data = request.session
    if not data.get("pid"):
        return None
    now = int(time.time())
    if int(data.get("exp", 0)) < now:
        data.clear()
        return None
    if now - int(data.get("seen", 0)) >= TOUCH_INTERVAL:
        data["seen"] = now  # re-signs the cookie: the idle timeout slides with activity
    return Identity(
        party_id=int(data["pid"]),
        audience=str(data.get("aud", "citizen")),
        roles=tuple(data.get("roles", ())),
        loa=str(data.get("loa", "")),
        branch=data.get("br") or None,
        actor_ref=str(data.get("act", "")),
        actor_name=str(data.get("an", "")),
        mandate_id=int(data["mid"]) if data.get("mid") else None,
    )


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
    if "session" not in request.scope:
        return False
    data = request.session
    return bool(data.get("pid")) and data.get("aud") in PORTAL_AUDIENCES
