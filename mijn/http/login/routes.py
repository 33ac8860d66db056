"""Login, callback and logout per audience."""

from __future__ import annotations

import hmac
import logging
from dataclasses import asdict, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mijn.access.identity import Identity
from mijn.access.loa import LOA_LEVELS, acr_values_for, loa_of
from mijn.db import request_session
from mijn.dossiers.service import known_type_codes
from mijn.http import limits
from mijn.http.common import redirect, render, rotate_csrf
from mijn.http.errors import error_page, rate_limited_page
from mijn.http.login.claims import business_party, claimed_mandate, employee_ref
from mijn.http.login.language import apply_party_language
from mijn.http.login.oidc import LoginError, LoginRequest, OidcClient
from mijn.http.session import (
    PORTAL_AUDIENCES,
    active_cookie,
    cookie_path,
    current_identity,
    end_session,
    start_session,
)
from mijn.http.urls import STAFF_ROOT, callback_route, is_staff_path, safe_next
from mijn.mandates.service import MandateError, put_mandate
from mijn.observe.requests import count_login
from mijn.openklant.ended import note_claimed
from mijn.parties.service import InvalidIdentifier, get_or_create_party, note_birth_date
from mijn.ratelimits.rules import LOGINS
from mijn.settings import Settings
from mijn.staff.service import known_roles, record_login, team_codes

log = logging.getLogger("mijn.auth")
LOGIN_COOKIE = "mijn_login"
LOGIN_MAX_AGE = 600
LOGIN_AUDIENCES = ("citizen", "business", "staff")
HOME = {"citizen": "/mijn/dossiers", "business": "/mijn/dossiers", "staff": "/kcc"}


def _client(request: Request, audience: str) -> OidcClient:
    clients: dict[str, OidcClient] = request.app.state.oidc_clients
    return clients[audience]


def _serializer(request: Request) -> URLSafeTimedSerializer:
    settings: Settings = request.app.state.settings
    return URLSafeTimedSerializer(settings.secret_key.reveal(), salt="mijn.login")


def _redirect_uri(request: Request, audience: str) -> str:
    settings: Settings = request.app.state.settings
    name, params = callback_route(audience)
    return settings.base_url + str(request.app.url_path_for(name, **params))


def _login_cookie_path(audience: str) -> str:
    """The login cookie goes only to its callback: the staff's under /kcc/auth."""
    return STAFF_ROOT + "/auth" if audience == "staff" else "/auth"


async def login_choice(request: Request) -> Response:
    """The page that offers the ways to log in."""
    next_url = safe_next(request.query_params.get("next"), "/mijn/dossiers")
    expired = request.query_params.get("reden") == "verlopen"
    business = "business" in request.app.state.oidc_clients  # configured, or in development
    context = {"next_url": next_url, "expired": expired, "business": business}
    return render(request, "portal/auth/login.html", context)


async def login(request: Request) -> Response:
    """Send the citizen or business to the provider of this audience."""
    audience = request.path_params["audience"]
    if audience not in PORTAL_AUDIENCES:  # the staff log in under /kcc
        return error_page(request, 404)
    return await _login(request, audience)


async def staff_login(request: Request) -> Response:
    """Send the staff member to the organisation's provider."""
    return await _login(request, "staff")


async def _login(request: Request, audience: str) -> Response:
    if audience not in LOGIN_AUDIENCES or audience not in request.app.state.oidc_clients:
        return error_page(request, 404)
    verdict = await limits.hit_now(request, (LOGINS, limits.client(request)))
    if not verdict.allowed:
        return rate_limited_page(request, verdict.retry_after)
    next_url = safe_next(request.query_params.get("next"), HOME[audience])
    settings: Settings = request.app.state.settings
    # A step-up: log in again at (at least) this level of assurance.
    level = request.query_params.get("niveau", "")
    extra = (  # prompt=login: a provider's session at the lower level does not count
        {"acr_values": " ".join(acr_values_for(settings.acr_levels, level)), "prompt": "login"}
        if level in LOA_LEVELS else {}
    )
    try:
        url, pending = await _client(request, audience).authorization_url(
            _redirect_uri(request, audience), next_url, extra
        )
    except LoginError as exc:
        log.warning("login could not start: %s", exc)
        return _login_failed(request, audience, "unavailable")
    response = RedirectResponse(url, status_code=303)
    keep = _keep(request, audience)
    response.set_cookie(
        LOGIN_COOKIE,
        _serializer(request).dumps({"aud": audience, "keep": keep, **asdict(pending)}),
        max_age=LOGIN_MAX_AGE,
        path=_login_cookie_path(audience),
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
    )
    return response


def _login_failed(
    request: Request, audience: str, reason: str, status_code: int = 400
) -> Response:
    count_login(request, audience, reason)
    response = render(
        request, "portal/auth/login_failed.html", {"reason": reason}, status_code=status_code
    )
    response.delete_cookie(LOGIN_COOKIE, path=_login_cookie_path(audience))
    return response


def _keep(request: Request, audience: str) -> dict[str, object] | None:
    """Whom the visitor acted for, kept through a step-up login of the same audience (the
    login that comes back must be the same party; the mandate is checked again anyway)."""
    identity = current_identity(request)
    if identity is None or identity.audience != audience or identity.mandate_id is None:
        return None
    return {"pid": identity.party_id, "mid": identity.mandate_id}


def _pending_login(
    request: Request, audience: str
) -> tuple[LoginRequest, dict[str, object] | None] | None:
    raw = request.cookies.get(LOGIN_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=LOGIN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.pop("aud", None) != audience:
        return None
    keep = data.pop("keep", None)
    return LoginRequest(**data), keep if isinstance(keep, dict) else None


async def callback(request: Request) -> Response:
    """The provider sends the citizen or business back."""
    audience = request.path_params["audience"]
    if audience not in PORTAL_AUDIENCES:
        return error_page(request, 404)
    return await _callback(request, audience)


async def staff_callback(request: Request) -> Response:
    """The provider sends the staff member back."""
    return await _callback(request, "staff")


async def _callback(request: Request, audience: str) -> Response:
    """Check everything the provider sent, then start the session."""
    found = _pending_login(request, audience)
    pending, keep = found if found is not None else (None, None)
    state = request.query_params.get("state", "")
    if pending is None or not hmac.compare_digest(pending.state, state):
        log.warning("login refused: unknown or tampered state")
        return _login_failed(request, audience, "state")
    if request.query_params.get("error") or not request.query_params.get("code"):
        return _login_failed(request, audience, "cancelled")
    client = _client(request, audience)
    iss = request.query_params.get("iss")
    if iss is not None and iss != client.issuer:  # RFC 9207: a mix-up between providers
        log.warning("login refused: authorization response from another issuer")
        return _login_failed(request, audience, "token")
    try:
        claims = await client.exchange(
            request.query_params["code"], _redirect_uri(request, audience), pending
        )
    except LoginError as exc:
        log.warning("login refused: %s", exc)
        return _login_failed(request, audience, "token")
    return await _finish_login(request, audience, claims, pending.next_url, keep)


def _loa(request: Request, claims: dict[str, object]) -> str:
    settings: Settings = request.app.state.settings
    return loa_of(settings.acr_levels, str(claims.get("acr") or ""))


async def _citizen_identity(request: Request, claims: dict[str, object]) -> Identity | None:
    client = _client(request, "citizen")
    bsn = claims.get(client.audience.claims["bsn"])
    name = claims.get(client.audience.claims.get("name", "name"))
    async with request_session(request) as session:
        try:
            party = await get_or_create_party(
                session, "bsn", str(bsn or ""), name if isinstance(name, str) else "",
                own_login=True,
            )
            note_birth_date(party, claims.get(client.audience.claims.get("birthdate", "birthdate")))
            mandate = claimed_mandate(claims.get(client.audience.claims["represented"]), party)
            mandate_id = (await put_mandate(
                session, mandate, await known_type_codes(session, mandate.dossier_types)
            ))[0].id if mandate else None
            if mandate_id is not None:  # exported once, not at every login
                await note_claimed(session, request.app.state.settings.openklant, mandate_id)
        except (InvalidIdentifier, MandateError) as exc:
            log.warning("login refused: the provider sent no valid BSN or represented claim "
                        "(%s)", type(exc).__name__)
            return None
        await session.commit()
        party_id = party.id
    return Identity(party_id=party_id, audience="citizen", roles=(), loa=_loa(request, claims),
                    mandate_id=mandate_id)


async def _business_identity(request: Request, claims: dict[str, object]) -> Identity | None:
    client = _client(request, "business")
    names = client.audience.claims
    async with request_session(request) as session:
        try:
            party, branch = await business_party(session, claims, names)
        except InvalidIdentifier as exc:
            log.warning("business login refused: %s", exc)
            return None
        await session.commit()
        party_id = party.id
    name = claims.get(names.get("name", "name"))
    return Identity(
        party_id=party_id, audience="business", roles=(), loa=_loa(request, claims),
        branch=branch, actor_ref=employee_ref(client.issuer, claims.get("sub")),
        actor_name=name if isinstance(name, str) else "",
    )


async def _staff_identity(request: Request, claims: dict[str, object]) -> Identity | None:
    client = _client(request, "staff")
    roles = known_roles(claims.get(client.audience.claims["roles"]))
    if not roles:
        log.warning("staff login refused: no known role in the roles claim")
        return None
    name = claims.get(client.audience.claims.get("name", "name"))
    teams = team_codes(claims.get(client.audience.claims.get("teams", "teams")))
    subject = f"{client.issuer}|{claims.get('sub')}"
    async with request_session(request) as session:
        member = await record_login(
            session, subject, name if isinstance(name, str) else "", roles, teams
        )
        await session.commit()
        staff_id = member.id
    loa = str(claims.get("acr") or "")
    return Identity(party_id=staff_id, audience="staff", roles=roles, loa=loa)


async def _finish_login(
    request: Request, audience: str, claims: dict[str, object], next_url: str,
    keep: dict[str, object] | None = None,
) -> Response:
    if audience == "staff":
        identity = await _staff_identity(request, claims)
        if identity is None:
            return _login_failed(request, audience, "no_role", 403)
    else:
        make = _business_identity if audience == "business" else _citizen_identity
        identity = await make(request, claims)
        if identity is None:
            return _login_failed(request, audience, "identifier")
        if keep and keep.get("pid") == identity.party_id and identity.mandate_id is None:
            identity = replace(identity, mandate_id=int(str(keep["mid"])))
    await start_session(request, identity)
    count_login(request, audience, "ok")
    response = RedirectResponse(safe_next(next_url, HOME[audience]), status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path=_login_cookie_path(audience))
    rotate_csrf(request, response)  # a form token from before the login no longer counts
    await apply_party_language(request, response, identity)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        active_cookie(audience), "1", httponly=True, samesite="lax",
        secure=settings.is_production, path=cookie_path(audience),
    )
    return response


async def logout(request: Request) -> Response:
    """End the session here and, when the provider offers it, there too."""
    identity = current_identity(request)
    await end_session(request)
    settings: Settings = request.app.state.settings
    done = settings.base_url + request.app.url_path_for("auth:logged_out")
    target = done
    if identity is not None and identity.audience in request.app.state.oidc_clients:
        target = await _client(request, identity.audience).logout_url(done) or done
    response = redirect(request, target)
    # Which side logs out is decided by the path (its cookie), not by who was logged in.
    audience = "staff" if is_staff_path(request.url.path) else "portal"
    response.delete_cookie(active_cookie(audience), path=cookie_path(audience))
    rotate_csrf(request, response)
    return response


async def logged_out(request: Request) -> Response:
    """The page after logging out."""
    return render(request, "portal/auth/logged_out.html")


routes = [
    Route("/inloggen", login_choice, name="auth:login_choice"),
    Route("/uitloggen", logout, methods=["POST"], name="auth:logout"),
    Route("/uitgelogd", logged_out, name="auth:logged_out"),
    Route("/auth/{audience}/login", login, name="auth:login"),
    Route("/auth/{audience}/callback", callback, name="auth:callback"),
    # The staff log in under /kcc, so that their cookies need go nowhere else.
    Route(STAFF_ROOT + "/auth/login", staff_login, name="kcc:auth_login"),
    Route(STAFF_ROOT + "/auth/callback", staff_callback, name="kcc:auth_callback"),
]
