"""The built-in development identity provider: a real, small OIDC provider for demo personas.

Served under /dev-idp only when MIJN_ENV=development and an audience has no issuer set.
Discovery, JWKS, signed RS256 ID tokens, authorization code with PKCE (S256 only).
Codes are signed and live 60 seconds; being stateless, they are not single-use, which
is acceptable for a development provider and one reason it never runs in production.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mijn.access.loa import loa_of, loa_rank
from mijn.dev.personas import Persona, find_persona, personas_for
from mijn.http.common import render
from mijn.http.urls import callback_route
from mijn.settings import OidcAudience, Settings

CODE_MAX_AGE = 60
TOKEN_LIFETIME = 300


def issuer_url(settings: Settings) -> str:
    """The issuer identifier of the development provider."""
    return f"{settings.base_url}/dev-idp"


def load_signing_key(data_dir: Path) -> RSAKey:
    """The provider's RSA key, made once and kept in the data folder (shared by workers)."""
    path = data_dir / "dev-idp-key.json"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = RSAKey.generate_key(2048, private=True, auto_kid=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first
        else:
            with os.fdopen(fd, "w") as fh:
                json.dump(key.as_dict(private=True), fh)
    for _ in range(50):
        try:
            return RSAKey.import_key(json.loads(path.read_text()))
        except ValueError:
            time.sleep(0.05)  # the other worker is still writing
    raise RuntimeError(f"cannot read the development provider key in {path}; delete it")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _dev_audiences(settings: Settings) -> dict[str, OidcAudience]:
    return {a.client_id: a for a in settings.audiences.values() if a.uses_dev_provider}


def _serializer(request: Request, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        _settings(request).secret_key.reveal(), salt=f"mijn.dev-idp.{purpose}"
    )


def _error(error: str, description: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def discovery(request: Request) -> Response:
    """The OpenID Connect discovery document."""
    issuer = issuer_url(_settings(request))
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "end_session_endpoint": f"{issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid"],
            "claims_supported": ["sub", "bsn", "name", "acr", "roles", "teams", *_business_claims(
                _settings(request))],
            "acr_values_supported": list(_settings(request).acr_levels),
        }
    )


async def jwks(request: Request) -> Response:
    """The public signing keys."""
    key: RSAKey = request.app.state.dev_idp_key
    return JSONResponse({"keys": [key.as_dict(private=False)]})


def _check_authorize(request: Request, params: dict[str, str]) -> str | None:
    audience = _dev_audiences(_settings(request)).get(params.get("client_id", ""))
    if audience is None:
        return "unknown client_id"
    name, path_params = callback_route(audience.name)
    expected = _settings(request).base_url + request.app.url_path_for(name, **path_params)
    if params.get("redirect_uri") != expected:
        return "redirect_uri is not registered for this client"
    if params.get("response_type") != "code":
        return "response_type must be code"
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE with S256 is required"
    if not params.get("state") or not params.get("nonce"):
        return "state and nonce are required"
    return None


AUTHORIZE_PARAMS = (
    "client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "acr_values",
)


def _business_claims(settings: Settings) -> list[str]:
    claims = settings.audience("business").claims
    return [claims["kvk"], claims["branch"], claims["company_name"]]


def _acr(persona: Persona, acr_values: str, settings: Settings) -> str:
    """The persona's usual level, or the lowest requested one that is at least as high
    (a step-up: the demo person "logs in again" with a stronger means)."""
    usual = loa_of(settings.acr_levels, persona.acr)
    for acr in acr_values.split():
        if loa_rank(loa_of(settings.acr_levels, acr)) >= loa_rank(usual):
            return acr
    return persona.acr


async def authorize(request: Request) -> Response:
    """Show the demo personas (GET) or log in as the chosen one (POST)."""
    source = await request.form() if request.method == "POST" else request.query_params
    params = {k: str(source.get(k, "")) for k in AUTHORIZE_PARAMS}
    problem = _check_authorize(request, params)
    if problem:
        return render(
            request, "dev/idp/error.html", {"problem": problem}, status_code=400
        )
    audience = _dev_audiences(_settings(request))[params["client_id"]].name
    if request.method == "GET":
        personas = personas_for(audience)
        context = {
            "params": params, "personas": personas, "audience": audience,
            "level": _requested_level(params["acr_values"], _settings(request)),
        }
        return render(request, "dev/idp/login.html", context)
    back = params["redirect_uri"] + "?"
    persona = find_persona(str(source.get("persona", "")), audience)
    if persona is None:
        query = {"error": "access_denied", "state": params["state"]}
        return RedirectResponse(back + urlencode(query), status_code=303)
    code = _serializer(request, "code").dumps(
        {
            "sub": persona.sub,
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "nonce": params["nonce"],
            "code_challenge": params["code_challenge"],
            "auth_time": int(time.time()),
            "acr": _acr(persona, params["acr_values"], _settings(request)),
        }
    )
    return RedirectResponse(
        back + urlencode({"code": code, "state": params["state"]}), status_code=303
    )


def _requested_level(acr_values: str, settings: Settings) -> str:
    levels = [loa_of(settings.acr_levels, acr) for acr in acr_values.split()]
    return min(levels, key=loa_rank, default="")


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


async def token(request: Request) -> Response:
    """Trade an authorization code (with its PKCE verifier) for an ID token."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, secret = _client_credentials(request, form)
    audience = _dev_audiences(_settings(request)).get(client_id)
    if audience is None or not hmac.compare_digest(secret, audience.client_secret.reveal()):
        return _error("invalid_client", "unknown client or wrong secret", 401)
    if form.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type", "only authorization_code")
    try:
        code = _serializer(request, "code").loads(form.get("code", ""), max_age=CODE_MAX_AGE)
    except BadSignature:
        return _error("invalid_grant", "code invalid or expired")
    if code["client_id"] != client_id or code["redirect_uri"] != form.get("redirect_uri"):
        return _error("invalid_grant", "code issued to another client or redirect_uri")
    verifier = form.get("code_verifier", "")
    if not verifier or create_s256_code_challenge(verifier) != code["code_challenge"]:
        return _error("invalid_grant", "PKCE verification failed")
    persona = find_persona(code["sub"], audience.name)
    if persona is None:
        return _error("invalid_grant", "unknown subject")
    claims = _claims(request, persona, client_id, code)
    access = _serializer(request, "access").dumps({"sub": persona.sub, "aud": audience.name})
    return JSONResponse(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": _sign(request, claims),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _claims(
    request: Request, persona: Persona, client_id: str, code: dict[str, Any]
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer_url(_settings(request)),
        "sub": persona.sub,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "auth_time": code["auth_time"],
        "nonce": code["nonce"],
        "acr": code.get("acr") or persona.acr,
        "name": persona.name,
        **_who(persona, _settings(request)),
    }


def _who(persona: Persona, settings: Settings) -> dict[str, Any]:
    """The audience's own claims: roles and teams, the company and branch, or the BSN."""
    if persona.audience == "staff":
        return {"roles": list(persona.roles), "teams": list(persona.teams)}
    if persona.audience == "business":
        claims = settings.audience("business").claims
        who = {claims["kvk"]: persona.company_number, claims["company_name"]: persona.company}
        return {**who, claims["branch"]: persona.branch} if persona.branch else who
    return {"bsn": persona.bsn, **({"birthdate": persona.birthdate} if persona.birthdate else {})}


def _sign(request: Request, claims: dict[str, Any]) -> str:
    key: RSAKey = request.app.state.dev_idp_key
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


async def userinfo(request: Request) -> Response:
    """The claims of the persona behind an access token."""
    header = request.headers.get("authorization", "")
    try:
        data = _serializer(request, "access").loads(header[7:], max_age=TOKEN_LIFETIME)
    except BadSignature:
        return _error("invalid_token", "access token invalid or expired", 401)
    persona = find_persona(str(data.get("sub")), str(data.get("aud", "citizen")))
    if persona is None:
        return _error("invalid_token", "unknown subject", 401)
    return JSONResponse({"sub": persona.sub, "bsn": persona.bsn, "name": persona.name})


async def end_session(request: Request) -> Response:
    """RP-initiated logout: back to the portal when it asks for that."""
    target = request.query_params.get("post_logout_redirect_uri", "")
    if target.startswith(_settings(request).base_url + "/"):
        return RedirectResponse(target, status_code=303)
    return render(request, "dev/idp/logged_out.html")


routes = [
    Route("/.well-known/openid-configuration", discovery, name="discovery"),
    Route("/jwks", jwks, name="jwks"),
    Route("/authorize", authorize, methods=["GET", "POST"], name="authorize"),
    Route("/token", token, methods=["POST"], name="token"),
    Route("/userinfo", userinfo, name="userinfo"),
    Route("/logout", end_session, name="logout"),
]
