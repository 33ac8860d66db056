"""A dossier's documents at the KCC: staff who see every party open any of them (also those
the citizen does not see), except what the virus scanner refused; and the files a party sent
with a question, for staff who may see the question; and the files a party sent to do an
upload task, for staff who see every party. Every opening is audited."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.documents.models import SERVABLE
from mijn.documents.remote import RemoteError
from mijn.documents.service import find_document
from mijn.documents.store import StoreError
from mijn.dossiers.service import party_dossier_ids_by_reference
from mijn.http.files import document_stream, download, opened, path_id
from mijn.http.kcc.common import audit_view, require_staff
from mijn.questions.attachments import find_attachment
from mijn.questions.workflow import staff_question
from mijn.tasks.files import find_party_task_file


async def download_document(request: Request) -> Response:
    """A document of a dossier, for staff who see every party (404 for others, for another
    dossier's document and for one the scanner refused)."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    async with request_session(request) as session:
        found = await party_dossier_ids_by_reference(session, request.path_params["reference"])
        if found is None:
            raise HTTPException(status_code=404)
        dossier_id, party_id = found
        wanted = path_id(request.path_params["document_id"])
        document = await find_document(session, wanted, dossier_id, staff=True)
        if document is None or document.scan_status not in SERVABLE:
            raise HTTPException(status_code=404)
        try:
            chunks = await document_stream(request, document.storage_key, document.zgw_url)
        except StoreError:
            raise HTTPException(status_code=404) from None
        except RemoteError:
            raise HTTPException(status_code=502) from None
        await audit_view(session, staff, "kcc.document.download", party_id, staff.main_role,
                         dossier_id=dossier_id)
        await session.commit()
        size = document.size if document.storage_key else None
        return download(chunks, document.title, document.content_type, size)


async def download_attachment(request: Request) -> Response:
    """A file a party sent with a question, for staff who may see that question (404 for
    others and for another question's file); every opening is audited."""
    staff = require_staff(request)
    async with request_session(request) as session:
        question = await staff_question(session, request.path_params["reference"], staff)
        if question is None:
            raise HTTPException(status_code=404)
        response = await opened(request, await find_attachment(
            session, question.id, path_id(request.path_params["attachment_id"])))
        await audit_view(session, staff, "kcc.attachment.download", question.party_id,
                         staff.role_for(question), question_id=question.id,
                         dossier_id=question.dossier_id)
        await session.commit()
    return response


async def download_task_file(request: Request) -> Response:
    """A file a party sent to do an upload task, for staff who see every party (404 for
    others, for another party's task and for another task's file)."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    party_id, task_id, file_id = (path_id(request.path_params[name])
                                  for name in ("party_id", "task_id", "file_id"))
    async with request_session(request) as session:
        found = await find_party_task_file(session, party_id, task_id, file_id)
        response = await opened(request, found)
        await audit_view(session, staff, "kcc.task_file.download", party_id, staff.main_role)
        await session.commit()
    return response
