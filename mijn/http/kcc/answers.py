"""HTTP for staff and answers (staff session, under /kcc): the knowledge base every staff
member reads, with its internal notes; and the editors' screens to write, publish, compare
and keep answers right."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.staff import Staff
from mijn.answers import editing, events, feedback, proposals, publishing, quality, reading
from mijn.answers.editing import Draft
from mijn.answers.errors import AnswerError
from mijn.answers.models import AUDIENCES, Answer, AnswerFlag, AnswerVersion
from mijn.answers.text import PLACEHOLDERS, render_html
from mijn.db import request_session, utcnow
from mijn.http.common import capped_form, redirect, small_int
from mijn.http.kcc.common import render_staff, require_staff
from mijn.masking import personal_kinds
from mijn.questions.common import list_topics
from mijn.questions.queue import question_references
from mijn.staff.service import staff_names

MAX_QUERY = 200


def require_editor(request: Request) -> Staff:
    """A staff member with the editor role; anyone else finds nothing here (404)."""
    staff = require_staff(request)
    if not staff.edits_answers:
        raise HTTPException(status_code=404)
    return staff


# --- the knowledge base, for every staff member --------------------------------------------


async def knowledge(request: Request) -> Response:
    """Search the published answers as an agent does on the phone: with internal notes."""
    staff = require_staff(request)
    query = request.query_params.get("q", "")[:MAX_QUERY].strip()
    async with request_session(request, autocommit=True) as session:
        if query:
            found = await reading.search_answers(session, query, AUDIENCES, limit=15)
        else:
            found = await reading.popular(session, AUDIENCES, limit=15)
    context = {"query": query, "answers": found, "staff": staff}
    return render_staff(request, "kcc/knowledge.html", context, block="results")


async def knowledge_answer(request: Request) -> Response:
    """One published answer with its internal notes."""
    staff = require_staff(request)
    answer_id = small_int(request.path_params["answer_id"]) or 0
    async with request_session(request) as session:
        found = await reading.published_by_ids(session, [answer_id])
        if not found:
            raise HTTPException(status_code=404)
        await events.record(session, "view", [answer_id], "kcc")
        await session.commit()
    answer = found[0]
    context = {"answer": answer, "body": render_html(answer.body),
               "notes": render_html(answer.internal_notes), "staff": staff}
    return render_staff(request, "kcc/knowledge_answer.html", context)


# --- editors --------------------------------------------------------------------------------


async def editor_list(request: Request) -> Response:
    """The editors' list: what needs attention first (review date passed, many 'nee' votes,
    flagged by agents, still asked after reading), ranked by the answers' figures, or all
    answers; the proposals from the KCC and the flags about missing answers."""
    staff = require_editor(request)
    view = "alle" if request.query_params.get("weergave") == "alle" else "aandacht"
    query = request.query_params.get("q", "")[:MAX_QUERY]
    async with request_session(request, autocommit=True) as session:
        rows = await quality.attention_list(session, view == "aandacht", query)
        missing = await feedback.open_flags(session, None)
        since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        deflection = await events.deflection(session, since.replace(day=1))
        questions = await _flag_questions(session, missing)
        proposed = await proposals.open_proposals(session)
        names = await staff_names(session, {p.proposed_by_id for p in proposed
                                            if p.proposed_by_id is not None})
    context = {"rows": rows, "view": view, "query": query, "missing": missing,
               "questions": questions, "deflection": deflection, "staff": staff,
               "saved": request.query_params.get("opgeslagen", ""), "proposals": proposed,
               "proposers": names, "period_days": quality.PERIOD_DAYS}
    return render_staff(request, "kcc/answers.html", context)


def _draft(form: FormData) -> Draft:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    return Draft(
        title=text("title"), body=text("body"), internal_notes=text("internal_notes"),
        audience=text("audience") or "all", review_by=text("review_by"),
        topics=[v for v in form.getlist("topics") if isinstance(v, str)],
        targets=[v for v in form.getlist("targets") if isinstance(v, str)],
    )


async def _form_context(
    session: AsyncSession, draft: Draft, error: AnswerError | None
) -> dict[str, Any]:
    return {
        "draft": draft, "error": error, "topics": await list_topics(session),
        "targets": await editing.target_choices(session), "audiences": AUDIENCES,
        "placeholders": PLACEHOLDERS, "preview": _preview(draft),
    }


def _preview(draft: Draft) -> Any:
    return render_html(draft.body) if draft.body.strip() else None


async def new_form(request: Request) -> Response:
    """The form for a new answer."""
    staff = require_editor(request)
    draft = Draft(review_by=editing.review_default().isoformat())
    async with request_session(request, autocommit=True) as session:
        context = await _form_context(session, draft, None)
    return render_staff(request, "kcc/answer_edit.html",
                        {**context, "answer": None, "staff": staff})


async def create(request: Request) -> Response:
    """Save a new answer as a draft (or publish it at once)."""
    staff = require_editor(request)
    form = await capped_form(request)
    draft = _draft(form)
    async with request_session(request) as session:
        try:
            answer = await editing.create_answer(session, staff.id, draft)
            if form.get("action") == "publish":
                await publishing.publish(session, answer, staff.id)
        except AnswerError as error:
            await session.rollback()
            context = await _form_context(session, draft, error)
            return render_staff(request, "kcc/answer_edit.html",
                           {**context, "answer": None, "staff": staff}, status_code=422)
        await session.commit()
    return _to_answer(request, answer, "gepubliceerd" if form.get("action") == "publish"
                      else "concept")


def _to_answer(request: Request, answer: Answer, saved: str) -> Response:
    url = request.app.url_path_for("kcc:answer", answer_id=str(answer.id))
    return redirect(request, f"{url}?opgeslagen={saved}")


async def _answer(session: AsyncSession, request: Request) -> Answer:
    answer = await session.get(Answer, small_int(request.path_params["answer_id"]) or 0)
    if answer is None:
        raise HTTPException(status_code=404)
    return answer


async def _flag_questions(session: AsyncSession, flags: list[AnswerFlag]) -> dict[int, str]:
    """The references of the questions the flags were made on (to link to them)."""
    return await question_references(
        session, sorted({f.question_id for f in flags if f.question_id is not None}))


async def _authors(
    session: AsyncSession, versions: list[AnswerVersion],
    proposal: proposals.Proposal | None = None,
) -> dict[int, str]:
    """The names of the staff members who wrote or published these versions (and who
    proposed the answer)."""
    ids = {i for v in versions for i in (v.author_id, v.published_by_id) if i is not None}
    if proposal is not None and proposal.proposed_by_id is not None:
        ids.add(proposal.proposed_by_id)
    return await staff_names(session, ids)


async def _edit_context(
    session: AsyncSession, answer: Answer, draft: Draft, error: AnswerError | None
) -> dict[str, Any]:
    versions = await editing.versions(session, answer.id)
    flags = await feedback.open_flags(session, answer.id)
    proposal = await proposals.proposal_of(session, answer.id)
    return {
        "trend": await quality.trend(session, answer.id), "proposal": proposal,
        "personal": personal_kinds(f"{draft.title}\n{draft.body}\n{draft.internal_notes}"),
        **await _form_context(session, draft, error), "answer": answer,
        "has_draft": any(v.state == "draft" for v in versions), "versions": versions,
        "authors": await _authors(session, versions, proposal), "flags": flags,
        "questions": await _flag_questions(session, flags),
        "comments": await feedback.recent_feedback(session, answer),
    }


async def edit(request: Request) -> Response:
    """An answer: its draft (or latest version) to edit, its versions, flags and feedback."""
    staff = require_editor(request)
    async with request_session(request, autocommit=True) as session:
        answer = await _answer(session, request)
        latest = await editing.latest_version(session, answer.id)
        assert latest is not None  # an answer is created with its first version
        draft = Draft(latest.title, latest.body, latest.internal_notes, latest.audience,
                      latest.review_by.isoformat() if latest.review_by else "",
                      latest.topics.split(), latest.targets.split())
        context = await _edit_context(session, answer, draft, None)
    context.update(staff=staff, saved=request.query_params.get("opgeslagen", ""))
    return render_staff(request, "kcc/answer_edit.html", context)


async def save(request: Request) -> Response:
    """Save the draft; with "publish", also publish it."""
    staff = require_editor(request)
    form = await capped_form(request)
    draft = _draft(form)
    async with request_session(request) as session:
        answer = await _answer(session, request)
        try:
            await editing.save_draft(session, answer, staff.id, draft)
            if form.get("action") == "publish":
                await publishing.publish(session, answer, staff.id)
        except AnswerError as error:
            await session.rollback()
            answer = await _answer(session, request)
            context = await _edit_context(session, answer, draft, error)
            return render_staff(request, "kcc/answer_edit.html", {**context, "staff": staff},
                           status_code=422)
        await session.commit()
    return _to_answer(request, answer, "gepubliceerd" if form.get("action") == "publish"
                      else "concept")


async def withdraw(request: Request) -> Response:
    """Take an answer offline."""
    require_editor(request)
    async with request_session(request) as session:
        answer = await _answer(session, request)
        await publishing.withdraw(session, answer)
        await session.commit()
    return _to_answer(request, answer, "offline")


async def compare(request: Request) -> Response:
    """Two versions of an answer side by side: what was removed and what was added."""
    staff = require_editor(request)
    async with request_session(request, autocommit=True) as session:
        answer = await _answer(session, request)
        found = await editing.versions(session, answer.id)
        authors = await _authors(session, found)
    all_versions = {v.number: v for v in found}
    newest = max(all_versions)
    new = small_int(request.query_params.get("naar")) or newest
    old = small_int(request.query_params.get("van")) or max(new - 1, 1)
    if old not in all_versions or new not in all_versions:
        raise HTTPException(status_code=404)
    context = {"answer": answer, "old": all_versions[old], "new": all_versions[new],
               "diff": editing.compare(all_versions[old], all_versions[new]),
               "numbers": sorted(all_versions), "authors": authors, "staff": staff}
    return render_staff(request, "kcc/answer_compare.html", context)


async def resolve_flag(request: Request) -> Response:
    """Mark an agent's flag as dealt with, and go back where it was shown."""
    staff = require_editor(request)
    flag_id = small_int(request.path_params["flag_id"]) or 0
    form = await capped_form(request)
    async with request_session(request) as session:
        if not await feedback.resolve_flag(session, flag_id, staff.id):
            raise HTTPException(status_code=404)
        await session.commit()
    back = form.get("next")
    answer_id = small_int(back if isinstance(back, str) else None)
    if answer_id:
        return redirect(request, str(request.app.url_path_for("kcc:answer",
                                                              answer_id=str(answer_id))))
    return redirect(request, str(request.app.url_path_for("kcc:answers")))


routes = [
    Route("/kcc/kennisbank", knowledge, name="kcc:knowledge"),
    Route("/kcc/kennisbank/{answer_id}", knowledge_answer, name="kcc:knowledge_answer"),
    Route("/kcc/antwoorden", editor_list, name="kcc:answers"),
    Route("/kcc/antwoorden", create, methods=["POST"], name="kcc:answer_create"),
    Route("/kcc/antwoorden/nieuw", new_form, name="kcc:answer_new"),
    Route("/kcc/antwoorden/signalen/{flag_id}", resolve_flag, methods=["POST"],
          name="kcc:flag_resolve"),
    Route("/kcc/antwoorden/{answer_id}", edit, name="kcc:answer"),
    Route("/kcc/antwoorden/{answer_id}", save, methods=["POST"], name="kcc:answer_save"),
    Route("/kcc/antwoorden/{answer_id}/offline", withdraw, methods=["POST"],
          name="kcc:answer_withdraw"),
    Route("/kcc/antwoorden/{answer_id}/vergelijk", compare, name="kcc:answer_compare"),
]
