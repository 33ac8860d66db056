"""The files a party sent with its questions, downloaded: authorised in the query like the
question itself (the level of assurance applied), audited, streamed as an attachment."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import audit_fields
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.http.files import opened, path_id
from mijn.http.portal.access import portal_access
from mijn.http.portal.thread import locked_question
from mijn.http.session import require_identity
from mijn.questions.asking import party_question
from mijn.questions.attachments import find_attachment


async def download_attachment(request: Request) -> Response:
    """A file sent with a message of one of the visitor's questions: another party's, one
    out of scope or an unknown one is a 404; below the dossier type's level of assurance,
    the step-up page. Opening it is logged."""
    require_identity(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        reference = request.path_params["reference"]
        question = await party_question(session, reference, access.scope())
        if question is None:
            return await locked_question(request, session, access, reference)
        response = await opened(request, await find_attachment(
            session, question.id, path_id(request.path_params["attachment_id"])))
        await record_access(session, action="attachment.download", question_id=question.id,
                            dossier_id=question.dossier_id, **audit_fields(access))
        await session.commit()
    return response


routes = [
    Route("/mijn/vragen/{reference}/bijlagen/{attachment_id}", download_attachment,
          name="questions:attachment"),
]
