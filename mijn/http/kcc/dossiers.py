"""A dossier at the KCC: its whole timeline as the citizen sees it, with what only staff need
(source system, raw status codes, the questions and contacts about it, the satisfaction
with it once it is closed)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.documents.models import SERVABLE
from mijn.documents.service import dossier_documents
from mijn.dossiers.service import staff_dossier_view
from mijn.http.kcc.common import audit_view, render_staff, require_staff
from mijn.questions.queue import party_picture


async def dossier_page(request: Request) -> Response:
    """A dossier with its timeline and internal detail, for staff who see every party (as a
    party's page); the view is audited. Unknown, or not theirs to see: 404."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    async with request_session(request) as session:
        view = await staff_dossier_view(session, request.path_params["reference"])
        if view is None:
            raise HTTPException(status_code=404)
        dossier = view.dossier
        picture = await party_picture(session, dossier.party_id, also_dossier=dossier.id)
        assert picture is not None  # the dossier's party: it is there (foreign key)
        await audit_view(session, staff, "kcc.dossier.view", dossier.party_id, staff.main_role,
                         dossier_id=dossier.id)
        await session.commit()
        documents = await dossier_documents(session, dossier.id, staff=True)
    context = {
        "documents": documents, "servable": SERVABLE,
        "view": view, "picture": picture,
        "survey": picture.dossier_satisfaction.get(dossier.id),
        "questions": [(q, t) for q, t in picture.questions if q.dossier_id == dossier.id],
        "contacts": [c for c in picture.contacts if c.dossier_id == dossier.id],
    }
    return render_staff(request, "kcc/dossier.html", context)
