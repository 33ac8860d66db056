"""Files posted with a form, for every front end: the form read (a multipart body spooled to
temporary files, never whole in memory), every file kept (kind by content, size limit, scan)
or none at all, and removed again when what they belong to is not saved (kept_with); what
the files become (a message's attachments, a task's files, a dossier's documents) is the
route's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from mijn.documents.service import Kept, keep_upload
from mijn.documents.sniff import Empty, WrongKind
from mijn.documents.store import DocumentStore, StoreError, TooLarge
from mijn.dossiers.codes import type_code_of
from mijn.http.common import app_settings, form_values
from mijn.http.csrfparts import is_multipart
from mijn.http.files import FORM_OVERHEAD, file_chunks, uploaded_files
from mijn.questions.common import QuestionError

FIELD = "bestanden"
MAX_PARTS = 20  # files in one form, whatever the setting (more: refused while parsing)
T = TypeVar("T")


class UploadError(QuestionError):
    """A file that cannot be kept: `code` says why, `name` which file (as the sender named it)."""

    def __init__(self, code: str, name: str = "") -> None:
        super().__init__("files", code)
        self.name = name[:100]
        self.kinds, self.limit_mb, self.max_files = "", 0, 0  # for the message (keep_files)
        self.place = "message"  # or "task": the files of an upload task (its own advice)


@dataclass
class Upload:
    """A posted form: its text fields and its files (none for an urlencoded form)."""

    values: dict[str, str]
    files: list[UploadFile] = field(default_factory=list)
    over: bool = False  # the body was larger than any allowed upload: the files were cut off
    form: FormData | None = None
    # Kept in the store for the message being saved (with_files), and the store: an error
    # that leaves the block (the commit failed) removes them again.
    kept: list[tuple[str, Kept]] = field(default_factory=list)
    store: DocumentStore | None = None

    async def __aenter__(self) -> Upload:
        return self

    async def __aexit__(self, error: type[BaseException] | None, *_: object) -> None:
        """Remove the spooled files; and the kept ones when the block failed after keeping
        them (their message was not saved)."""
        if self.form is not None:
            await self.form.close()
        if error is not None and self.store is not None:
            for _name, one in self.kept:
                with contextlib.suppress(StoreError):
                    await self.store.delete(one.stored.key)
        self.kept = []


async def upload_form(request: Request) -> Upload:
    """The posted form; a multipart one read up to what max_files files of the largest size
    may be (past that the files are cut off and `over` is set, the text kept)."""
    if not is_multipart(request.headers.get("content-type", "")):
        return Upload(await form_values(request))
    documents = app_settings(request).documents
    budget = documents.max_bytes * documents.max_files + FORM_OVERHEAD
    upload = Upload({})

    async def capped() -> AsyncGenerator[bytes, None]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > budget:  # what fits still counts: the text fields come first
                upload.over = True
                yield chunk[:len(chunk) - (total - budget)]
                return
            yield chunk

    parser = MultiPartParser(request.headers, capped(), max_files=MAX_PARTS, max_fields=20,
                             max_part_size=64 * 1024)
    try:
        upload.form = await parser.parse()
    except MultiPartException:
        raise HTTPException(status_code=400) from None
    request._form = upload.form  # noqa: SLF001 -- Starlette's cache: form_values reads it again
    upload.values = {k: v for k, v in upload.form.items() if isinstance(v, str)}
    upload.files = uploaded_files(upload.form, FIELD)
    return upload


async def keep_files(request: Request, upload: Upload, dossier_type: str | None
                     ) -> list[tuple[str, Kept]]:
    """Every file of the form kept (kind by content, size, scan), or none: UploadError."""
    documents = app_settings(request).documents
    kept: list[tuple[str, Kept]] = []
    try:
        if upload.over or len(upload.files) > documents.max_files:
            raise UploadError("too_large" if upload.over else "too_many")
        allowed = documents.media_types_for(dossier_type)
        for file in upload.files:
            kept.append((file.filename or "bestand", await _keep_one(request, file, allowed)))
    except UploadError as error:
        await forget(request, kept)
        error.kinds = ", ".join(k.upper() for k in documents.kinds_for(dossier_type))
        error.limit_mb, error.max_files = documents.max_bytes // 2**20, documents.max_files
        raise
    except BaseException:
        await forget(request, kept)
        raise
    return kept


async def _keep_one(request: Request, file: UploadFile, allowed: tuple[str, ...]) -> Kept:
    state, name = request.app.state, file.filename or ""
    try:
        kept = await keep_upload(state.documents, file_chunks(file),
                                 app_settings(request).documents.max_bytes, state.scanner,
                                 allowed)
    except TooLarge:
        raise UploadError("too_large", name) from None
    except Empty:
        raise UploadError("empty_file", name) from None
    except WrongKind:
        raise UploadError("kind", name) from None
    except StoreError:
        raise UploadError("storage", name) from None
    if kept.scan_status not in ("clean", "unscanned"):
        await forget(request, [(name, kept)])
        raise UploadError("infected" if kept.scan_status == "infected" else "unscanned", name)
    return kept


async def forget(request: Request, kept: Sequence[tuple[str, Kept]]) -> None:
    """Remove kept files from the store (their message was not saved)."""
    for _, one in kept:
        with contextlib.suppress(StoreError):  # a file nobody can reach any more
            await request.app.state.documents.delete(one.stored.key)


async def kept_with(
    request: Request, session: AsyncSession, upload: Upload, dossier_id: int | None,
    save: Callable[[list[tuple[str, Kept]]], Awaitable[T]], used: Callable[[T], bool],
) -> T:
    """Keep the form's files (the dossier's type decides their kinds), then `save` what they
    belong to and link them to it; when it saved nothing (`used` false: the same form sent
    twice, a task done meanwhile) or any step fails, the files leave the store again (the
    caller commits inside `async with upload`, which removes them again when the commit
    fails)."""
    kept = await keep_files(request, upload, await type_code_of(session, dossier_id))
    try:
        saved = await save(kept)
        if not used(saved):
            await forget(request, kept)
        elif kept:
            upload.kept, upload.store = kept, request.app.state.documents  # until committed
    except BaseException:
        await forget(request, kept)
        raise
    return saved
