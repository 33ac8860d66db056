"""HTTP for what the KCC teaches the answers (staff session, under /kcc): an answer proposed
from a well-answered question (by whoever handles questions, or an editor: never published
by proposing), an editor declining a proposal, and the editors' list of frequent questions
the knowledge base has no answer for, with masked examples."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.staff import Staff
from mijn.answers import gaps, proposals
from mijn.answers.editing import Draft
from mijn.answers.errors import AnswerError
from mijn.audit.service import record_question_accesses
from mijn.db import request_session, utcnow
from mijn.http.common import capped_form, redirect, small_int
from mijn.http.kcc.answers import require_editor
from mijn.http.kcc.common import audit_view, render_staff, require_staff
from mijn.masking import mask
from mijn.questions.common import list_topics
from mijn.questions.texts import QuestionText, answered_question

PERIODS = (30, 90, 365)  # days the editors may look back over for questions without answer


def require_proposer(request: Request) -> Staff:
    """A staff member who may propose an answer: one who handles questions, or an editor."""
    staff = require_staff(request)
    if not (staff.handles_questions or staff.edits_answers):
        raise HTTPException(status_code=404)
    return staff


async def _source(session: AsyncSession, request: Request, staff: Staff) -> QuestionText:
    """The answered question of the address, if this staff member may propose from it; its
    reading is audited (it is a party's question, even masked)."""
    found = await answered_question(session, request.path_params["reference"], staff)
    if found is None:
        raise HTTPException(status_code=404)
    await audit_view(session, staff, "kcc.question.view", found.party_id, staff.main_role,
                     question_id=found.id)
    return found


async def _context(
    session: AsyncSession, found: QuestionText, draft: Draft, error: AnswerError | None
) -> dict[str, Any]:
    return {"source": found, "draft": draft, "error": error,
            "question_text": mask(found.question), "reply_text": mask(found.reply),
            "topics": await list_topics(session)}


async def proposal_form(request: Request) -> Response:
    """The proposal as it starts: prefilled from the question and the reply, with personal
    data masked, to check and change before it goes to the editors."""
    staff = require_proposer(request)
    async with request_session(request) as session:
        found = await _source(session, request, staff)
        await session.commit()
        topics = {t.id: t.code for t in await list_topics(session)}
        draft = proposals.prefill(found, topics.get(found.topic_id))
        context = await _context(session, found, draft, None)
    return render_staff(request, "kcc/proposal.html", {**context, "staff": staff})


def _draft(values: dict[str, str], topics: list[str]) -> Draft:
    return Draft(title=values.get("title", ""), body=values.get("body", ""),
                 internal_notes=values.get("internal_notes", ""), audience="all",
                 review_by=values.get("review_by", ""), topics=topics)


async def propose(request: Request) -> Response:
    """Send the proposal to the editors: a new answer, not published, in their list."""
    staff = require_proposer(request)
    form = await capped_form(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    draft = _draft(values, [v for v in form.getlist("topics") if isinstance(v, str)])
    async with request_session(request) as session:
        found = await _source(session, request, staff)
        try:
            answer = await proposals.propose(session, staff.id, found.id, draft)
        except AnswerError as error:
            await session.rollback()
            found = await _source(session, request, staff)
            await session.commit()
            context = await _context(session, found, draft, error)
            return render_staff(request, "kcc/proposal.html", {**context, "staff": staff},
                                status_code=422)
        await session.commit()
    if staff.edits_answers:
        url = request.app.url_path_for("kcc:answer", answer_id=str(answer.id))
        return redirect(request, f"{url}?opgeslagen=voorstel")
    url = request.app.url_path_for("kcc:question", reference=found.reference)
    return redirect(request, f"{url}?voorgesteld=1")


async def decline(request: Request) -> Response:
    """An editor declines a proposal that was never published: it is removed."""
    require_editor(request)
    answer_id = small_int(request.path_params["answer_id"]) or 0
    async with request_session(request) as session:
        if not await proposals.decline(session, answer_id):
            raise HTTPException(status_code=404)
        await session.commit()
    url = request.app.url_path_for("kcc:answers")
    return redirect(request, f"{url}?opgeslagen=afgewezen")


async def unanswered(request: Request) -> Response:
    """The frequent questions of a period that no answer matches, grouped, with examples
    (personal data masked; each example shown is audited)."""
    staff = require_editor(request)
    days = small_int(request.query_params.get("dagen"))
    days = days if days in PERIODS else PERIODS[1]
    until = utcnow()
    async with request_session(request) as session:
        found = await gaps.unanswered(session, until - timedelta(days=days), until)
        await record_question_accesses(
            session, actor_type="staff", actor_id=str(staff.id), actor_role="editor",
            action="kcc.question.example",
            seen=[(e.party_id, e.question_id) for g in found.groups for e in g.examples])
        await session.commit()
        topics = {t.id: t for t in await list_topics(session)}
    context = {"gaps": found, "topics": topics, "days": days, "periods": PERIODS,
               "staff": staff}
    return render_staff(request, "kcc/unanswered.html", context)


routes = [
    Route("/kcc/vragen/{reference}/voorstel", proposal_form, name="kcc:proposal"),
    Route("/kcc/vragen/{reference}/voorstel", propose, methods=["POST"],
          name="kcc:propose"),
    Route("/kcc/antwoorden/zonder-antwoord", unanswered, name="kcc:unanswered"),
    Route("/kcc/antwoorden/{answer_id}/afwijzen", decline, methods=["POST"],
          name="kcc:proposal_decline"),
]
