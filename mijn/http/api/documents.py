"""The API's document routes: attach a document to a dossier (a multipart upload, streamed
to the store, or a reference to a ZGW enkelvoudiginformatieobject), list and remove them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mijn.db import request_session
from mijn.documents.remote import RemoteError
from mijn.documents.service import (
    Kept,
    NewDocument,
    attach,
    dossier_documents,
    keep_upload,
    remove_document,
)
from mijn.documents.sniff import ALLOWED, Empty, WrongKind
from mijn.documents.store import StoreError, TooLarge
from mijn.http.api.common import ApiProblem, check_fields, path_ids, read_json, source_client
from mijn.http.api.documentspec import DOCUMENT_FORM, DOCUMENT_REFERENCE_IN
from mijn.http.files import (
    UploadRefused,
    file_chunks,
    path_id,
    read_multipart,
    remote_documents,
    uploaded_files,
)
from mijn.intake.service import find_dossier

if TYPE_CHECKING:
    from mijn.documents.models import Document


def document_json(document: Document) -> dict[str, Any]:
    """A document as the API shows it."""
    return {
        "id": document.id, "title": document.title, "kind": document.kind,
        "confidentiality": document.confidentiality, "visible": document.visible,
        "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
        "source": document.source, "zgw_url": document.zgw_url,
        "scan_status": document.scan_status, "created_at": document.created_at.isoformat(),
    }


async def _dossier(request: Request) -> tuple[int, int, str]:
    """The dossier of the path (id, party id) and the client's name; 401/403/404 first."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        client = await source_client(request, session, source)
        found = await find_dossier(session, source, external_id)
        if found is None:
            raise ApiProblem(404, "No such dossier.")
        return found[0].id, found[0].party_id, client.name


def _metadata(data: dict[str, Any], client: str, source: str) -> NewDocument:
    return NewDocument(data["title"], data["kind"], data.get("confidentiality", "openbaar"),
                       data.get("visible", True), source, client[:100])


def _form_fields(form: FormData) -> dict[str, Any]:
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    if "visible" in fields:
        visible = fields["visible"].strip().lower()
        fields["visible"] = {"true": True, "false": False}.get(visible, visible)
    if any("\x00" in str(v) for v in fields.values()):
        raise ApiProblem(422, "A field holds NUL.", [{"field": "(body)", "message": "NUL"}])
    return fields


async def _upload(request: Request, client: str) -> tuple[NewDocument, Kept]:
    limit = request.app.state.settings.documents.max_bytes
    try:
        form = await read_multipart(request, limit)
    except UploadRefused as exc:
        raise ApiProblem(413 if exc.code == "too_large" else 400, f"{exc}.") from None
    try:
        files = uploaded_files(form, "file")
        if len(files) != 1:
            raise ApiProblem(422, "Send one file in the field 'file'.",
                             [{"field": "file", "message": "missing"}])
        new = _metadata(check_fields(_form_fields(form), DOCUMENT_FORM), client, "api")
        return new, await _keep(request, file_chunks(files[0]), limit)
    finally:
        await form.close()


async def _keep(request: Request, chunks: AsyncIterator[bytes], limit: int) -> Kept:
    state = request.app.state
    try:
        return await keep_upload(state.documents, chunks, limit, state.scanner)
    except TooLarge:
        raise ApiProblem(413, f"The file is larger than {limit} bytes.") from None
    except Empty:
        raise ApiProblem(415, "The file is empty.") from None
    except WrongKind:
        raise ApiProblem(415, "By its content the file is none of "
                              f"{', '.join(ALLOWED)} (its name does not count).") from None
    except StoreError:
        raise ApiProblem(507, "The document store cannot keep the file now.") from None


async def _reference(request: Request, client: str) -> tuple[NewDocument, tuple[str, str, int]]:
    body = await read_json(request, DOCUMENT_REFERENCE_IN)
    remote = remote_documents(request)
    if remote is None:
        raise ApiProblem(422, "No ZGW Documenten API is configured (MIJN_ZGW_DOCUMENTEN_URL).",
                         [{"field": "zgw_url", "message": "not configured"}])
    try:
        url = remote.check(body["zgw_url"])
        described = await remote.describe(url)
    except RemoteError as exc:
        raise ApiProblem(exc.status, f"{exc}.", [{"field": "zgw_url", "message": str(exc)}]
                         if exc.status == 422 else None) from None
    body.setdefault("title", described.title or "Document")
    return _metadata(body, client, "zgw"), (url, described.content_type, described.size)


async def post_document(request: Request) -> Response:
    """Attach a document to the dossier: an upload, or a ZGW reference (by Content-Type)."""
    dossier_id, party_id, client = await _dossier(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    kept, zgw = None, None
    if media == "application/json":
        new, zgw = await _reference(request, client)
    else:
        new, kept = await _upload(request, client)
    try:
        async with request_session(request) as session:
            document = await attach(session, dossier_id, party_id, new, kept=kept, zgw=zgw)
            await session.commit()
            return JSONResponse(document_json(document), 201)
    except BaseException as exc:
        if kept is not None:  # no row points at the bytes: remove them
            await request.app.state.documents.delete(kept.stored.key)
        if isinstance(exc, IntegrityError):
            raise ApiProblem(409, "This object is already attached to the dossier.") from None
        raise


async def list_documents(request: Request) -> Response:
    """The dossier's documents, newest first (those the citizen does not see too)."""
    dossier_id, _party_id, _client = await _dossier(request)
    async with request_session(request) as session:
        found = await dossier_documents(session, dossier_id, staff=True)
        return JSONResponse({"documents": [document_json(d) for d in found]})


async def delete_document(request: Request) -> Response:
    """Remove a document of the dossier (its row, then its bytes)."""
    dossier_id, _party_id, _client = await _dossier(request)
    document_id = path_id(request.path_params["document_id"])
    async with request_session(request) as session:
        removed = await remove_document(session, document_id, dossier_id)
        if removed is None:
            raise ApiProblem(404, "No such document of this dossier.")
        await session.commit()
    if removed.storage_key:
        await request.app.state.documents.delete(removed.storage_key)
    return Response(status_code=204)
