"""Documents the KCC adds to a question's dossier in the workspace (a letter a caller read
out, a scan handed in at the counter, a file to send with the reply): kept as every upload is
(mijn.http.uploads: kind by content, size limit, scan, all or none), by whoever may reply to
the question; audited. A reply being typed is kept as the draft, so the round trip loses
nothing."""

from __future__ import annotations

import unicodedata
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.staff import Staff
from mijn.db import request_session
from mijn.documents.models import KINDS
from mijn.documents.service import Kept, NewDocument, attach
from mijn.dossiers.codes import dossier_codes
from mijn.dossiers.models import Dossier
from mijn.dossiers.service import dossier_by_id
from mijn.http.common import redirect, small_int
from mijn.http.kcc.common import audit_view, may_upload, require_staff
from mijn.http.kcc.questions import conflict, rerender
from mijn.http.uploads import Upload, UploadError, forget, keep_files, upload_form
from mijn.questions.common import QuestionError
from mijn.questions.drafts import DraftTooLong, save_draft
from mijn.questions.models import Question
from mijn.questions.workflow import staff_question

MAX_TITLE = 200
DEFAULT_KIND = "bijlage"
DRAFTED = ("body", "note")  # the workspace texts that workspace.js sends along


@dataclass(frozen=True)
class Described:
    """What the form says of the files: a title (empty: each file's name), kind, visible."""

    title: str
    kind: str
    visible: bool


def described(values: dict[str, str], upload: Upload) -> Described:
    """The form's description of its files (QuestionError: no file, a wrong title or kind)."""
    title = values.get("titel", "").strip()
    if len(title) > MAX_TITLE:
        raise QuestionError("title", "too_long")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in title):
        raise QuestionError("title", "control")
    if values.get("soort", DEFAULT_KIND) not in KINDS:
        raise QuestionError("kind", "unknown")
    if not upload.files and not upload.over:
        raise UploadError("missing")
    return Described(title, values.get("soort", DEFAULT_KIND), values.get("zichtbaar") == "1")


def title_of(described: Described, filename: str, number: int, count: int) -> str:
    """A document's title: the one given (numbered when several files share it), else the
    file's name without its extension."""
    if described.title:
        return described.title if count == 1 else f"{described.title} ({number})"
    return (filename.rsplit(".", 1)[0].strip() or filename)[:MAX_TITLE] or "Document"


async def upload_documents(request: Request) -> Response:
    """Add the posted files to the question's dossier (303 back to the workspace), or none of
    them: the workspace again with the refusal (422), or 409 when the question is not this
    staff member's to work on now; 404 for a question out of sight or without a dossier."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    upload = await upload_form(request)
    values = upload.values
    async with request_session(request) as session, upload:
        question = await staff_question(session, reference, staff)
        if question is None or question.dossier_id is None:
            raise HTTPException(status_code=404)
        await _keep_reply(session, question, staff, values)
        if not may_upload(question, staff):
            return await conflict(request, session, reference, staff, values, "upload", False)
        dossier = await dossier_by_id(session, question.dossier_id)
        assert dossier is not None  # the question's foreign key
        try:
            description = described(values, upload)
            kept = await keep_files(request, upload, (await dossier_codes(session, dossier))[0])
        except QuestionError as error:
            return await rerender(request, session, reference, staff, values, error, "upload")
        try:
            await _add(session, question, staff, dossier, description, kept)
            await session.commit()
        except BaseException:
            await forget(request, kept)
            raise
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    return redirect(request, f"{url}?toegevoegd={len(kept)}#dossierdocumenten")


async def _add(
    session: AsyncSession, question: Question, staff: Staff, dossier: Dossier,
    description: Described, kept: list[tuple[str, Kept]],
) -> None:
    """The kept files as documents on the dossier (news for its party when visible), and
    on the audit record."""
    for number, (name, one) in enumerate(kept, start=1):
        await attach(session, dossier.id, dossier.party_id, NewDocument(
            title=title_of(description, name, number, len(kept)), kind=description.kind,
            confidentiality="openbaar", visible=description.visible, source="kcc",
            uploaded_by=f"staff:{staff.id}", question_id=question.id), kept=one)
    await audit_view(session, staff, "kcc.document.upload", question.party_id,
                     staff.role_for(question), question_id=question.id, dossier_id=dossier.id)


async def _keep_reply(
    session: AsyncSession, question: Question, staff: Staff, values: dict[str, str]
) -> None:
    """The reply and the note being typed (sent along by workspace.js, which saves drafts only
    a moment after typing) become the draft now, whatever becomes of the files."""
    fields: dict[str, str | None] = {name: values.get(f"draft_{name}") for name in DRAFTED}
    if all(value is None for value in fields.values()):  # without JavaScript: the draft stands
        return
    with suppress(DraftTooLong):  # sending it says so
        await save_draft(session, question.id, staff.id, fields,
                         small_int(values.get("draft_answer_id")))
