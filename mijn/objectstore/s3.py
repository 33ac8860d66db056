"""Files in an S3-compatible object store (AWS S3, MinIO, Ceph, Garage, ...), over httpx with
Mijn's own SigV4 signing, streamed both ways so that memory stays flat whatever the size.

The same three methods as the documents' store protocol (mijn/documents/store.py on the
documents branch): write() names each object with a random key (never from user input) and
sends it in one PUT, or, past one part's size, as a multipart upload of parts of part_size
bytes (at most one part is held in memory); over its limit it keeps nothing and raises
TooLarge; nothing is visible under the key before it returns. read() streams an object back
(ObjectNotFound at the first step for an unknown key); delete() removes it. Addresses are
path-style: endpoint/bucket/key.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx

from mijn.objectstore.settings import ObjectStoreSettings
from mijn.objectstore.sigv4 import (
    EMPTY_SHA256,
    Credentials,
    amz_date,
    authorization,
    canonical_query,
    quote_path,
)

PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part (but the last)
READ_CHUNK = 64 * 1024
_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Stored:
    """An object written: its key, its size in bytes and the SHA-256 of its content (hex)."""

    key: str
    size: int
    sha256: str


class ObjectStoreError(Exception):
    """The object store failed a request; the message says what it answered."""


class ObjectStoreUnavailable(ObjectStoreError):
    """The object store could not be reached or did not answer in time."""


class ObjectStoreRefused(ObjectStoreError):
    """The object store refused Mijn's credentials or its signature (403)."""


class ObjectNotFound(ObjectStoreError):
    """There is no object with this key."""


class TooLarge(Exception):
    """The stream was longer than the limit: nothing was kept."""


def new_key() -> str:
    """A random object key: 128 bits as 32 hex digits."""
    return secrets.token_hex(16)


class _Part:
    """The chunks of the part being gathered, and how many bytes they hold."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)

    def take(self, size: int) -> list[bytes]:
        """The first size bytes (all there are, when fewer), as chunks."""
        taken: list[bytes] = []
        wanted = size
        while self.chunks and wanted:
            chunk = self.chunks.pop(0)
            if len(chunk) > wanted:
                self.chunks.insert(0, chunk[wanted:])
                chunk = chunk[:wanted]
            taken.append(chunk)
            wanted -= len(chunk)
        self.size -= size - wanted
        return taken


async def _replay(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _sha256(chunks: list[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _code(response: httpx.Response) -> str:
    found = re.search(r"<Code>([^<]{1,64})</Code>", response.text)
    return found[1] if found else str(response.status_code)


class S3Store:
    """One bucket of an S3-compatible object store."""

    def __init__(self, settings: ObjectStoreSettings, http: httpx.AsyncClient | None = None,
                 part_size: int = PART_SIZE) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.settings = settings
        self.part_size = part_size
        self._credentials = Credentials(settings.access_key, settings.secret_key,
                                        settings.region)
        parts = urlsplit(settings.endpoint)
        self._host = parts.netloc
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = f"{parts.path.rstrip('/')}/{settings.bucket}"
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout),
                                               follow_redirects=False)

    async def aclose(self) -> None:
        """Close the HTTP client when the store made it."""
        if self._owns_http:
            await self._http.aclose()

    async def write(self, chunks: AsyncIterable[bytes], limit: int | None = None) -> Stored:
        """Store the chunks as a new object under a random key; TooLarge past limit bytes."""
        key, digest, size = new_key(), hashlib.sha256(), 0
        part, upload, etags = _Part(), "", list[str]()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise TooLarge(f"more than {limit} bytes")
                digest.update(chunk)
                part.add(chunk)
                while part.size >= self.part_size:
                    upload = upload or await self._start(key)
                    etags.append(await self._put_part(key, upload, len(etags) + 1,
                                                      part.take(self.part_size)))
            if not upload:
                await self._put(key, part.take(part.size))
            else:
                if part.size:
                    etags.append(await self._put_part(key, upload, len(etags) + 1,
                                                      part.take(part.size)))
                await self._complete(key, upload, etags)
        except BaseException:
            if upload:
                await self._abort(key, upload)
            raise
        return Stored(key, size, digest.hexdigest())

    async def read(self, key: str, chunk_size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        """The object's content, streamed; ObjectNotFound at the first step when absent.
        Read it to the end, or close the iterator (aclose), to free the connection."""
        response = await self._send("GET", key, stream=True)
        try:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.TransportError as exc:
            raise ObjectStoreUnavailable(
                f"the object store broke off while sending ({type(exc).__name__})") from exc
        finally:
            await response.aclose()

    async def delete(self, key: str) -> None:
        """Remove the object (an absent one is no error, as in S3)."""
        await self._send("DELETE", key)

    async def check(self) -> str:
        """The bucket answers Mijn's signed request (for `mijn check`); raises otherwise."""
        response = await self._send("HEAD", "")
        return f"{self.settings.endpoint}/{self.settings.bucket} answers ({response.status_code})"

    async def _put(self, key: str, chunks: list[bytes]) -> None:
        await self._send("PUT", key, body=chunks)

    async def _start(self, key: str) -> str:
        response = await self._send("POST", key, [("uploads", "")])
        found = re.search(r"<UploadId>([^<]+)</UploadId>", response.text)
        if not found:
            raise ObjectStoreError("the object store started no multipart upload")
        return found[1]

    async def _put_part(self, key: str, upload: str, number: int, chunks: list[bytes]) -> str:
        query = [("partNumber", str(number)), ("uploadId", upload)]
        response = await self._send("PUT", key, query, body=chunks)
        return str(response.headers.get("ETag", ""))

    async def _complete(self, key: str, upload: str, etags: list[str]) -> None:
        listed = "".join(f"<Part><PartNumber>{number}</PartNumber><ETag>{escape(etag)}</ETag>"
                         "</Part>" for number, etag in enumerate(etags, 1))
        body = f"<CompleteMultipartUpload>{listed}</CompleteMultipartUpload>".encode()
        response = await self._send("POST", key, [("uploadId", upload)], body=[body])
        if "<Error>" in response.text:  # S3 may fail a completion after its 200
            raise ObjectStoreError(f"the object store did not complete the upload "
                                   f"({_code(response)})")

    async def _abort(self, key: str, upload: str) -> None:
        """Drop the parts of an upload that failed (as far as the store lets us)."""
        # What stays behind, a lifecycle rule on the bucket removes (README).
        with contextlib.suppress(ObjectStoreError):
            await self._send("DELETE", key, [("uploadId", upload)])

    async def _send(self, method: str, key: str, query: list[tuple[str, str]] | None = None,
                    body: list[bytes] | None = None, stream: bool = False) -> httpx.Response:
        if key and not _KEY.fullmatch(key):
            raise ObjectNotFound("no object has this key")  # never a key Mijn did not make
        request = self._request(method, key, query or [], body or [])
        try:
            response = await self._http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise ObjectStoreUnavailable(
                f"the object store at {self.settings.endpoint} did not answer within "
                f"{self.settings.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise ObjectStoreUnavailable(
                f"the object store at {self.settings.endpoint} cannot be reached "
                f"({type(exc).__name__})") from exc
        if response.status_code >= 300:
            await response.aread()
            await response.aclose()
            raise self._failure(method, response)
        return response

    def _request(self, method: str, key: str, query: list[tuple[str, str]],
                 body: list[bytes]) -> httpx.Request:
        path = quote_path(f"{self._prefix}/{key}" if key else self._prefix)
        canonical = canonical_query(query)
        payload = _sha256(body) if body else EMPTY_SHA256
        headers = {"host": self._host, "x-amz-content-sha256": payload,
                   "x-amz-date": amz_date(datetime.now(UTC))}
        headers["authorization"] = authorization(self._credentials, method, path, canonical,
                                                 headers, payload)
        size = sum(len(chunk) for chunk in body)
        if body or method in ("PUT", "POST"):
            headers["content-length"] = str(size)
        url = f"{self._origin}{path}{'?' + canonical if canonical else ''}"
        return self._http.build_request(method, url, headers=headers,
                                        content=_replay(body) if body else None)

    def _failure(self, method: str, response: httpx.Response) -> ObjectStoreError:
        code = _code(response)
        if response.status_code == 403:
            return ObjectStoreRefused(
                f"the object store refused Mijn's request ({code}): check MIJN_S3_ACCESS_KEY "
                "and MIJN_S3_SECRET_KEY")
        if response.status_code == 404 and code in ("NoSuchKey", "404") and method != "HEAD":
            return ObjectNotFound("no object has this key")
        if code == "NoSuchBucket" or (method == "HEAD" and response.status_code == 404):
            return ObjectStoreError(f"the bucket {self.settings.bucket} does not exist")
        return ObjectStoreError(f"the object store answered {response.status_code} ({code})")
