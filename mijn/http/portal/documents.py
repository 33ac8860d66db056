"""HTTP for a dossier's documents in the portal: the download, authorised by the dossier's
scope and level of assurance, audited, and streamed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import audit_fields
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.documents.remote import RemoteError
from mijn.documents.service import find_document, mark_opened
from mijn.documents.store import StoreError
from mijn.dossiers.service import get_dossier_view
from mijn.http.files import document_stream, download, path_id
from mijn.http.portal.access import portal_access, unread_messages
from mijn.http.portal.stepup import step_up
from mijn.http.session import require_identity


async def download_document(request: Request) -> Response:
    """A document of one of the visitor's dossiers (visible to the citizen and not refused
    by the scanner): another party's or one out of scope is a 404; below the dossier type's
    level of assurance, the step-up page. Opening it is logged; the party itself opening it
    makes it no longer new."""
    require_identity(request)
    reference = request.path_params["reference"]
    async with request_session(request) as session:
        access = await portal_access(request, session)
        view = await get_dossier_view(session, reference, access.scope(), access.loa)
        if view is None:
            raise HTTPException(status_code=404)
        if view.locked:
            unread = await unread_messages(request, session, access)
            url = str(request.app.url_path_for("dossiers:detail", reference=reference))
            return step_up(request, view, unread, url)
        wanted = path_id(request.path_params["document_id"])
        document = await find_document(session, wanted, view.dossier.id)
        if document is None:
            raise HTTPException(status_code=404)
        try:
            chunks = await document_stream(request, document.storage_key, document.zgw_url)
        except StoreError:
            raise HTTPException(status_code=404) from None
        except RemoteError:
            raise HTTPException(status_code=502) from None
        await record_access(session, action="document.download", dossier_id=view.dossier.id,
                            **audit_fields(access))
        if access.actor_type != "representative":  # the party itself still sees it as new
            await mark_opened(session, document.id)
        await session.commit()
        size = document.size if document.storage_key else None
        return download(chunks, document.title, document.content_type, size)


routes = [
    Route("/mijn/dossiers/{reference}/documenten/{document_id}", download_document,
          name="documents:download"),
]
