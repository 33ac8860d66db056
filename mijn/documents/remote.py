"""Documents kept in a ZGW Documenten API: an enkelvoudiginformatieobject is described when
it is attached, and its content streamed through Mijn each time it is opened (with the ZGW
JWT, which goes only to the configured Documenten API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from mijn.documents.store import CHUNK

PATH = "/enkelvoudiginformatieobjecten/"


class RemoteError(Exception):
    """The Documenten API refused, failed or is out of reach; `status` for the API's answer."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Described:
    """What an enkelvoudiginformatieobject says of itself (empty or 0 where it is silent)."""

    content_type: str  # formaat: as the API claims it (served as an attachment, never sniffed)
    size: int  # bestandsomvang
    title: str  # titel
    confidentiality: str  # vertrouwelijkheidaanduiding


def _text(data: dict[str, object], key: str, limit: int) -> str:
    value = data.get(key)
    return value[:limit] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Remote:
    """The configured Documenten API: its base URL, an HTTP client and a fresh JWT."""

    base: str
    http: httpx.AsyncClient
    token: str

    def check(self, url: str) -> str:
        """The URL of an enkelvoudiginformatieobject of this API; RemoteError(422) otherwise."""
        if not self.base or not url.startswith(self.base + PATH) or "?" in url or "#" in url:
            raise RemoteError("not an enkelvoudiginformatieobject of the configured "
                              "Documenten API", 422)
        rest = url[len(self.base + PATH):]
        if not rest or "/" in rest.rstrip("/") or ".." in rest:
            raise RemoteError("not an enkelvoudiginformatieobject URL", 422)
        return url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _send(self, url: str, accept: str) -> httpx.Response:
        request = self.http.build_request("GET", url, headers={**self._headers(),
                                                                "Accept": accept})
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the Documenten API ({type(exc).__name__})") from None
        if response.status_code != 200:
            await response.aclose()
            status = 422 if response.status_code in (404, 410) else 502
            raise RemoteError(f"the Documenten API answered {response.status_code}", status)
        return response

    async def describe(self, url: str) -> Described:
        """What the object says of itself: media type, size, title and confidentiality."""
        response = await self._send(self.check(url), "application/json")
        try:
            await response.aread()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            raise RemoteError("the Documenten API answered without JSON") from None
        finally:
            await response.aclose()
        if not isinstance(data, dict):
            raise RemoteError("the Documenten API answered no object")
        size = data.get("bestandsomvang")
        return Described(_text(data, "formaat", 100),
                         size if isinstance(size, int) and size >= 0 else 0,
                         _text(data, "titel", 300), _text(data, "vertrouwelijkheidaanduiding", 30))

    async def open(self, url: str) -> AsyncIterator[bytes]:
        """The object's content (its /download), once the API said 200: chunk by chunk."""
        response = await self._send(self.check(url) + "/download", "*/*")
        return _chunks(response)


async def _chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK):
            yield chunk
    finally:
        await response.aclose()
