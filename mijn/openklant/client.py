"""Mijn's client of the Klantinteracties API: find (a list filtered, the first hit), create,
patch, with Mijn's token; an answer that is not what was asked is an OpenKlantError that
knows whether trying again may help (mijn.retry)."""

from __future__ import annotations

from typing import Any

import httpx

from mijn.openklantsettings import OpenKlantSettings

JSON = dict[str, Any]


class OpenKlantError(Exception):
    """Open Klant did not do what was asked; `temporary`: trying again later may help (a
    5xx, 408, 429), else it never will (another 4xx: the request is wrong). The text names
    the method, the resource and the fields Open Klant named, never a value."""

    def __init__(self, message: str, *, temporary: bool, status: int = 0) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.status = status


def _resource(url: str) -> str:
    """The resource's name in an address, for messages (never its query: it may hold a BSN)."""
    path = httpx.URL(url).path.rstrip("/").split("/")
    return path[-2] if len(path[-1]) == 36 else path[-1]


def _check(response: httpx.Response) -> JSON:
    """The JSON of a 2xx answer; OpenKlantError for anything else."""
    if response.is_success:
        found: JSON = response.json()
        return found
    status = response.status_code
    names = ""
    if status == 400:
        try:
            params = response.json().get("invalidParams") or []
            names = ": " + ", ".join(f"{p.get('name')} ({p.get('code')})" for p in params)
        except ValueError:
            names = ""
    where = f"{response.request.method} {_resource(str(response.request.url))}"
    raise OpenKlantError(f"Open Klant answered {status} to {where}{names}",
                         temporary=status >= 500 or status in (408, 429), status=status)


def unreachable(exc: BaseException) -> bool:
    """Open Klant is not there at all (no connection, or a gateway that says it is down): an
    outage, not the export's fault."""
    if isinstance(exc, OpenKlantError):
        return exc.status in (502, 503, 504)
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


class OpenKlantClient:
    """One connection pool to Open Klant; use as `async with OpenKlantClient(settings)`."""

    def __init__(self, settings: OpenKlantSettings,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            timeout=settings.timeout, transport=transport, follow_redirects=False,
            headers={"Authorization": f"Token {settings.token.reveal()}",
                     "Accept": "application/json", "Accept-Crs": "EPSG:4326"},
        )

    async def __aenter__(self) -> OpenKlantClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def find(self, resource: str, **filters: str) -> JSON | None:
        """The first object of a list filtered by these (exact) filters; None when none."""
        response = await self._http.get(self.settings.api(resource), params=filters)
        results = _check(response).get("results") or []
        return results[0] if results else None

    async def find_all(self, resource: str, **filters: str) -> list[JSON]:
        """Every object of the first page of a filtered list (Mijn's lists are short)."""
        response = await self._http.get(self.settings.api(resource), params=filters)
        return list(_check(response).get("results") or [])

    async def get(self, resource: str, uuid: str) -> JSON:
        """One object by its uuid (an OpenKlantError with status 404 when it is not there)."""
        return _check(await self._http.get(self.settings.api(f"{resource}/{uuid}")))

    async def create(self, resource: str, body: JSON) -> JSON:
        """POST a new object; its answer (with uuid and url)."""
        return _check(await self._http.post(self.settings.api(resource), json=body))

    async def patch(self, resource: str, uuid: str, body: JSON) -> JSON:
        """PATCH some fields of one object."""
        url = self.settings.api(f"{resource}/{uuid}")
        return _check(await self._http.patch(url, json=body))

    async def patch_if_there(self, resource: str, uuid: str, body: JSON) -> bool:
        """PATCH some fields of one object; False when it is no longer there (404)."""
        response = await self._http.patch(self.settings.api(f"{resource}/{uuid}"), json=body)
        if response.status_code == 404:
            return False
        _check(response)
        return True

    async def delete(self, resource: str, uuid: str) -> None:
        """DELETE one object; one that is gone already is fine."""
        response = await self._http.delete(self.settings.api(f"{resource}/{uuid}"))
        if not response.is_success and response.status_code != 404:
            _check(response)  # raises OpenKlantError

    async def ping(self) -> int:
        """How many klantcontacten there are (reachable, and the token accepted)."""
        response = await self._http.get(self.settings.api("klantcontacten"),
                                        params={"pageSize": "1"})
        return int(_check(response).get("count") or 0)
