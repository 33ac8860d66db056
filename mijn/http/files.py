"""Files over HTTP, for every front end: a multipart upload read with a limit (spooled to
disk by Starlette, never whole in memory) and a download streamed as an attachment."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import StreamingResponse

from mijn.documents.keptfiles import SentFileColumns
from mijn.documents.remote import Remote, RemoteError
from mijn.documents.sniff import EXTENSIONS
from mijn.documents.store import CHUNK, StoreError

FORM_OVERHEAD = 64 * 1024  # the form's other fields and the parts' headers


MAX_ID = 2**31 - 1  # an INTEGER key (PostgreSQL refuses a larger number outright)


def path_id(raw: str) -> int:
    """A row id from a path: 0 (found by nobody) for what is not a number of the column."""
    return int(raw) if raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID else 0


class UploadRefused(Exception):
    """A multipart body that is too large (`too_large`) or not multipart at all (`bad`)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise UploadRefused("too_large", f"the body is larger than {limit} bytes")
        yield chunk


async def read_multipart(request: Request, limit: int, max_files: int = 1) -> FormData:
    """The form of a multipart/form-data body of at most `limit` bytes (each file at most
    that, plus the other fields), its files spooled to temporary files; UploadRefused."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise UploadRefused("bad", "send the file as multipart/form-data")
    budget = limit * max_files + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise UploadRefused("too_large", f"the body is larger than {budget} bytes")
    parser = MultiPartParser(request.headers, _limited(request, budget), max_files=max_files,
                             max_fields=20, max_part_size=64 * 1024)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise UploadRefused("bad", str(exc)) from None


def uploaded_files(form: FormData, name: str) -> list[UploadFile]:
    """The files sent under a field name (an empty file input sends one without a name),
    their names without control characters (a NUL byte PostgreSQL would refuse to store)."""
    files = [f for f in form.getlist(name) if isinstance(f, UploadFile) and (f.filename or f.size)]
    for f in files:
        f.filename = plain_name(f.filename or "")
    return files


def plain_name(name: str) -> str:
    """A file name as the sender gave it, without control or format characters (NUL,
    newlines, bidirectional overrides), at most 200 characters."""
    plain = "".join(c for c in unicodedata.normalize("NFC", name)
                    if unicodedata.category(c) not in ("Cc", "Cf"))
    return plain.strip()[:200]


async def file_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """An uploaded file's bytes, chunk by chunk."""
    await upload.seek(0)
    while chunk := await upload.read(CHUNK):
        yield chunk


def safe_filename(title: str, content_type: str) -> str:
    """A file name made of a title: letters, digits, spaces, dashes; with the extension of
    the media type (never one a sender chose)."""
    plain = unicodedata.normalize("NFKC", title)
    name = re.sub(r"[^\w\- ]+", "", plain).strip()[:80].strip() or "document"
    extension = EXTENSIONS.get(content_type)
    return f"{name}.{extension}" if extension else name


def download(chunks: AsyncIterator[bytes], title: str, content_type: str,
             size: int | None = None) -> StreamingResponse:
    """A document as an attachment, streamed; never stored by a browser or proxy, never
    sniffed into another type."""
    filename = safe_filename(title, content_type)
    ascii_name = filename.encode("ascii", "ignore").decode() or "document"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if size:
        headers["Content-Length"] = str(size)
    media = content_type if content_type in EXTENSIONS else "application/octet-stream"
    return StreamingResponse(chunks, media_type=media, headers=headers)


def remote_documents(request: Request) -> Remote | None:
    """The configured Documenten API with a fresh ZGW JWT (None: not configured; it needs
    MIJN_ZGW_DOCUMENTEN_URL and the ZGW intake's client id and secret)."""
    zgw = request.app.state.zgw
    base = request.app.state.settings.zgw.documenten_url
    if zgw is None or not base:
        return None
    return Remote(base, zgw.http, zgw.token())


async def _primed(first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in chunks:
        yield chunk


async def document_stream(request: Request, storage_key: str | None, zgw_url: str | None
                          ) -> AsyncIterator[bytes]:
    """A document's bytes, opened (the first chunk read, so a missing file or a refusing
    Documenten API fails before the response starts): StoreError or RemoteError."""
    if storage_key is not None:
        chunks = request.app.state.documents.read(storage_key)
    else:
        remote = remote_documents(request)
        if remote is None or zgw_url is None:
            raise RemoteError("no Documenten API is configured")
        chunks = await remote.open(zgw_url)
    first = await anext(chunks, b"")
    return _primed(first, chunks)


async def opened(request: Request, found: SentFileColumns | None,
                 missing: Callable[[], Exception] = lambda: HTTPException(status_code=404),
                 ) -> StreamingResponse:
    """The download of a sent file found for its reader (with a question, a reply or an
    upload task), opened already: `missing()` is raised when there is none or the store lost
    it, so before the caller audits the opening and answers."""
    if found is None:
        raise missing()
    try:
        chunks = await document_stream(request, found.storage_key, None)
    except StoreError:
        raise missing() from None
    return download(chunks, found.title.rsplit(".", 1)[0], found.content_type, found.size)
