"""Drafts in the question workspace: the reply and the note kept while the staff member types
(htmx posts them a moment after the last key press), for them alone."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.http.common import form_values, small_int
from mijn.http.kcc.common import require_staff
from mijn.questions.drafts import DraftTooLong, save_draft
from mijn.questions.workflow import staff_question


async def keep_draft(request: Request) -> Response:
    """Keep what this staff member typed for the question (204); a text longer than its field
    may be is not kept (422), a question out of their sight is not found (404)."""
    staff = require_staff(request)
    values = await form_values(request)
    async with request_session(request) as session:
        question = await staff_question(session, request.path_params["reference"], staff)
        if question is None:
            raise HTTPException(status_code=404)
        fields = {name: values.get(name) for name in ("body", "note")}
        try:
            await save_draft(session, question.id, staff.id, fields,
                             small_int(values.get("answer_id")))
        except DraftTooLong:
            return Response(status_code=422)
        await session.commit()
    return Response(status_code=204)
