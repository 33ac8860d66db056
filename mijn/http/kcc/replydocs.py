"""The dossier's documents in the question workspace: listed for staff (also those the citizen
does not see, marked), and sent along with a reply: only documents of the question's dossier
that the citizen may see (the rule is in the query); what was sent is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.access.staff import Staff
from mijn.documents.models import KINDS, SERVABLE, Document
from mijn.documents.replies import MAX_CHOSEN, attachable, documents_with_replies, send_with
from mijn.http.common import capped_form, small_int
from mijn.http.kcc.common import audit_view, may_upload
from mijn.questions.common import QuestionError, latest_reply_id
from mijn.questions.models import Question

SENDING = ("reply", "wait")  # the actions whose message goes to the citizen


async def workspace_documents(
    session: AsyncSession, question: Question, staff: Staff, messages: list[Any]
) -> dict[str, Any]:
    """The documents of the question's dossier (all, for staff), which of them a reply may
    carry, per reply what it carried, and whether this staff member may add some."""
    if question.dossier_id is None:
        return {"documents": [], "attachable": set(), "sent_documents": {}, "may_upload": False}
    documents, sent = await documents_with_replies(session, question.dossier_id)
    replies = {m.id for m in messages if m.kind == "reply"}
    return {
        "documents": documents, "servable": SERVABLE, "may_download": staff.sees_all,
        "document_kinds": KINDS, "may_upload": may_upload(question, staff),
        "attachable": {d.id for d in documents if d.visible and d.scan_status in SERVABLE},
        "sent_documents": {m: docs for m, docs in sent.items() if m in replies},
    }


async def chosen_ids(request: Request) -> str:
    """The ticked documents of a posted form (name "document"), as a space-separated text
    kept among the form's values (so that a refused post shows them ticked again)."""
    form = await capped_form(request)
    return " ".join(v for v in form.getlist("document")[:MAX_CHOSEN + 1] if isinstance(v, str))


async def check_chosen(
    session: AsyncSession, question: Question, action: str, values: dict[str, str]
) -> list[Document]:
    """The ticked documents, each one of the question's dossier that the citizen may see
    (QuestionError on the field "documents" for any other: nothing is sent)."""
    raw = values.get("documents", "").split()
    if action not in SENDING or not raw:
        return []
    ids = {small_int(one) for one in raw}
    if None in ids or len(raw) > MAX_CHOSEN:
        raise QuestionError("documents", "unknown")
    found = await attachable(session, question.dossier_id, [i for i in ids if i is not None])
    if len(found) != len(ids):
        raise QuestionError("documents", "unknown")
    return found


async def send_chosen(
    session: AsyncSession, question: Question, staff: Staff, documents: list[Document]
) -> None:
    """The documents go with the message just sent (the question's row is locked); audited."""
    message_id = await latest_reply_id(session, question.id) if documents else None
    if message_id is None:
        return
    await send_with(session, message_id, documents)
    await audit_view(session, staff, "kcc.document.attach", question.party_id,
                     staff.role_for(question), question_id=question.id,
                     dossier_id=question.dossier_id)
