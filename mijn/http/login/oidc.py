"""The OIDC relying party: discovery, code flow with PKCE and nonce, ID-token validation.

Built on Authlib's PKCE and token helpers and its JOSE library (joserfc), with the
HTTP calls made by the app's own httpx client, so that the same code path serves the
built-in development provider and any real provider.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mijn.settings import OidcAudience

DISCOVERY_TTL = 3600
CLOCK_LEEWAY = 30
ALGORITHMS = ["RS256", "PS256", "ES256"]
REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class LoginError(Exception):
    """A login could not be completed; the reason is for the log, never for the page."""


@dataclass(frozen=True)
class LoginRequest:
    """What the portal keeps between sending the visitor to the provider and their return."""

    state: str
    nonce: str
    code_verifier: str
    next_url: str


@dataclass
class _Cached:
    metadata: dict[str, Any]
    keys: KeySet | None
    fetched: float


class OidcClient:
    """An OIDC relying party for one audience."""

    def __init__(self, audience: OidcAudience, issuer: str, http: httpx.AsyncClient) -> None:
        self.audience = audience
        self.issuer = issuer
        self.http = http
        self._cache: _Cached | None = None

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, cached for an hour."""
        if self._cache is None or time.monotonic() - self._cache.fetched > DISCOVERY_TTL:
            url = f"{self.issuer}/.well-known/openid-configuration"
            document = await self._get_json(url)
            if document.get("issuer") != self.issuer:
                raise LoginError("discovery document names another issuer")
            missing = [k for k in REQUIRED_METADATA if not isinstance(document.get(k), str)]
            if missing:
                raise LoginError(f"discovery document lacks {', '.join(missing)}")
            self._cache = _Cached(metadata=document, keys=None, fetched=time.monotonic())
        return self._cache.metadata

    async def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.http.get(url, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LoginError(f"provider request failed: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise LoginError("provider answered something other than a JSON object")
        return data

    async def _keys(self, refresh: bool = False) -> KeySet:
        await self.metadata()
        assert self._cache is not None
        if self._cache.keys is None or refresh:
            jwks = await self._get_json(self._cache.metadata["jwks_uri"])
            self._cache.keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        return self._cache.keys

    async def authorization_url(
        self, redirect_uri: str, next_url: str, extra: dict[str, str] | None = None
    ) -> tuple[str, LoginRequest]:
        """Where to send the visitor, and what to remember until they return."""
        metadata = await self.metadata()
        login = LoginRequest(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            next_url=next_url,
        )
        params = {
            "response_type": "code",
            "client_id": self.audience.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.audience.scopes,
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": create_s256_code_challenge(login.code_verifier),
            "code_challenge_method": "S256",
            **(extra or {}),
        }
        return f"{metadata['authorization_endpoint']}?{urlencode(params)}", login

    async def exchange(self, code: str, redirect_uri: str, login: LoginRequest) -> dict[str, Any]:
        """Trade the code for tokens and return the validated ID-token claims."""
        metadata = await self.metadata()
        try:
            response = await self.http.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": login.code_verifier,
                },
                auth=(self.audience.client_id, self.audience.client_secret.reveal()),
            )
        except httpx.HTTPError as exc:
            raise LoginError(f"token request failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise LoginError(f"token endpoint answered {response.status_code}")
        try:
            tokens = response.json()
        except ValueError as exc:
            raise LoginError("token response is not JSON") from exc
        if not isinstance(tokens, dict) or "id_token" not in tokens:
            raise LoginError("token response without id_token")
        claims = await self.validate_id_token(str(tokens["id_token"]), login.nonce)
        return claims

    async def validate_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Check signature, issuer, audience, expiry, issue time and nonce of an ID token."""
        keys = await self._keys()
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            except JoseError:
                token = jwt.decode(id_token, await self._keys(refresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise LoginError(f"id token refused: {type(exc).__name__}: {exc}") from exc
        azp = token.claims.get("azp")
        if azp is not None and azp != self.audience.client_id:
            raise LoginError("id token for another authorized party")
        return dict(token.claims)

    async def logout_url(self, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL, when it advertises one."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except LoginError:
            return None
        if not endpoint:
            return None
        params = {
            "client_id": self.audience.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
        return f"{endpoint}?{urlencode(params)}"
