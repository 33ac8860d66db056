"""Reading the ZGW APIs: the Zaken and Catalogi APIs with a ZGW JWT (HS256, shared secret),
and checking the token the Notificaties API sends."""

from __future__ import annotations

import hmac
import time
import warnings
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OctKey

from mijn.settings import ZgwSettings

MAX_PAGES = 20


class ZgwUnavailable(Exception):
    """A remote API failed in a way that may pass: try again later."""

    temporary = True  # for mijn.retry


class ZgwRefused(Exception):
    """A remote answer that will not get better by retrying: the data is bad."""

    temporary = False  # for mijn.retry


def _quiet_key(secret: str) -> OctKey:
    # Short shared secrets are common in ZGW set-ups; joserfc warns about each use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


LEEWAY = 60  # seconds of clock difference
JWT_MAX_AGE = 3600  # seconds a ZGW JWT counts from its iat


def notification_token_valid(token: str, settings: ZgwSettings) -> bool:
    """The configured token itself, or an HS256 JWT signed with it (the ZGW style)."""
    return shared_token_valid(token, settings.notifications_token.reveal())


def shared_token_valid(token: str, expected: str) -> bool:
    """`expected` itself, or an HS256 JWT signed with it and issued within the hour (how a
    Notificaties API authenticates its callbacks); never when nothing is expected."""
    if not expected:
        return False
    if hmac.compare_digest(token.encode(), expected.encode()):
        return True
    if token.count(".") != 2:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, _quiet_key(expected), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(leeway=LEEWAY, iat={"essential": True}).validate(decoded.claims)
        issued = int(decoded.claims["iat"])
    except (JoseError, ValueError, TypeError, KeyError):
        return False
    # ZGW JWTs carry no exp as a rule: like Open Zaak, take one as valid for an hour from iat.
    return time.time() - issued <= JWT_MAX_AGE + LEEWAY


class ZgwClient:
    """Reads the Zaken and Catalogi APIs with a ZGW JWT (HS256, shared secret)."""

    def __init__(self, settings: ZgwSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def token(self) -> str:
        """A fresh ZGW JWT for one call."""
        client_id = self.settings.client_id
        claims = {
            "iss": client_id, "iat": int(time.time()), "client_id": client_id,
            "user_id": client_id, "user_representation": "Mijn",
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims,
                              _quiet_key(self.settings.secret.reveal()))

    def in_zaken(self, url: str) -> bool:
        """True for a URL of the configured Zaken API."""
        return under(url, self.settings.zaken_url)

    def in_catalogi(self, url: str) -> bool:
        """True for a URL of the configured Catalogi API."""
        return under(url, self.settings.catalogi_url)

    async def get(self, what: str, url: str, params: dict[str, str] | None = None) -> Any:
        """GET one resource as JSON; only from the configured APIs (the JWT goes nowhere else)."""
        zaken = self.in_zaken(url)
        if not zaken and not self.in_catalogi(url):
            raise ZgwRefused(f"{what}: the URL is outside the configured Zaken and Catalogi APIs")
        api = "Zaken API" if zaken else "Catalogi API"
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if zaken:
            headers["Accept-Crs"] = "EPSG:4326"
        try:
            response = await self.http.get(
                url, params=params, headers=headers, timeout=self.settings.timeout
            )
        except httpx.TimeoutException:
            raise ZgwUnavailable(
                f"{what}: the {api} did not answer within {self.settings.timeout:g} s"
            ) from None
        except httpx.InvalidURL:
            raise ZgwRefused(f"{what}: the URL is not valid") from None
        except httpx.HTTPError as exc:
            raise ZgwUnavailable(f"{what}: cannot reach the {api} ({type(exc).__name__})") from None
        status = response.status_code
        if status >= 500 or status in (401, 403, 408, 429):
            raise ZgwUnavailable(f"{what}: the {api} answered {status}")
        if status != 200:
            raise ZgwRefused(f"{what}: the {api} answered {status}")
        try:
            return response.json()
        except ValueError:
            raise ZgwUnavailable(f"{what}: the {api} answered without JSON") from None

    async def get_object(self, what: str, url: str) -> dict[str, Any]:
        """GET one object."""
        return _object(await self.get(what, url), what)

    async def get_all(self, what: str, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """GET a list, following `next` of the paginated {count, next, previous, results}."""
        found: list[dict[str, Any]] = []
        next_url: str | None = url
        query: dict[str, str] | None = params
        for _page in range(MAX_PAGES):
            assert next_url is not None
            page = await self.get(what, next_url, query)
            if isinstance(page, list):
                items: Any = page
                next_url = None
            else:
                page = _object(page, what)
                items = page.get("results")
                next_url = page.get("next") or None
            if not isinstance(items, list):
                raise ZgwRefused(f"{what}: the answer is not a list")
            found.extend(_object(item, what) for item in items)
            if next_url is None:
                return found
            if not isinstance(next_url, str):
                raise ZgwRefused(f"{what}: 'next' is not a URL")
            query = None  # the next link carries the query
        raise ZgwRefused(f"{what}: more than {MAX_PAGES} pages")


def under(url: str, base: str) -> bool:
    return bool(base) and url.startswith(base + "/")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ZgwRefused(f"{what}: the answer is not an object")
    return value
