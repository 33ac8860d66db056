"""The question workspace: a question with its thread, the party's picture, the answers beside
it, and what staff do with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.staff import Staff
from mijn.answers.errors import AnswerError
from mijn.answers.events import record
from mijn.answers.feedback import flag
from mijn.answers.models import AUDIENCES
from mijn.answers.reading import published_by_ids, search_answers
from mijn.answers.tailoring import Context, dossier_facts, suggest
from mijn.answers.text import plain_text, render_html
from mijn.db import request_session
from mijn.dossiers.records import summary_of
from mijn.dossiers.service import DossierView, dossier_view_by_id
from mijn.http.common import app_settings, form_values, redirect, small_int
from mijn.http.kcc.common import (
    audit_question_view,
    audit_view,
    handover_from_form,
    note_handover_news,
    render_staff,
    require_staff,
    workspace_actions,
)
from mijn.http.kcc.queue import claim_and_open
from mijn.http.kcc.replydocs import check_chosen, chosen_ids, send_chosen, workspace_documents
from mijn.openklant.queue import after_action
from mijn.questions.attachments import message_attachments
from mijn.questions.callbacks import callback_attempts, may_record
from mijn.questions.closing import CLOSE_REASON_LABELS, Closing, staff_close
from mijn.questions.common import QuestionError, topic_row
from mijn.questions.drafts import DraftTooLong, clear_draft, get_draft, save_draft
from mijn.questions.handover import hand_back, mark_seen, parse_note
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.queue import party_picture
from mijn.questions.resolution import resolution_of
from mijn.questions.states import TransitionRefused
from mijn.questions.workflow import (
    QuestionChanged,
    add_note,
    ask_citizen,
    check_version,
    claim,
    full_thread,
    hand_over,
    handed_away,
    last_change,
    question_events,
    release,
    reply,
    staff_question,
    take,
    take_over,
    version_of,
)
from mijn.settings import Settings
from mijn.staff.service import kept_specialists, kept_staff_names, kept_teams
from mijn.staff.textmodules import fill, kept_modules

# Beside a question the customer picture shows the latest dossiers and questions; the party
# page shows them all.
PICTURE_LIMIT = 10


async def _workspace(
    session: AsyncSession, question: Question, staff: Staff, kb_query: str = ""
) -> dict[str, Any]:
    messages = await full_thread(session, question)
    events = await question_events(session, question.id)
    ids = {m.author_staff_id for m in messages} | {e.actor_id for e in events
                                                    if e.actor_type == "staff"}
    ids |= {question.assignee_id or 0, staff.id, *(e.target_staff_id or 0 for e in events)}
    teams = await kept_teams(session)
    names = await kept_staff_names(session, {i for i in ids if i})
    picture = await party_picture(session, question.party_id, PICTURE_LIMIT, also=question.id)
    view = await dossier_view_by_id(session, question.dossier_id, question.party_id) if (
        question.dossier_id) else None
    return {
        **await _answers_panel(session, question, messages, kb_query, view),
        **await workspace_documents(session, question, staff, messages),
        "question": question, "topic": await topic_row(session, question.topic_id),
        "messages": messages, "attachments": await message_attachments(session, question.id),
        "events": events,
        "names": names,
        "picture": picture, "picture_limit": PICTURE_LIMIT,
        "dossier_row": summary_of(view) if view is not None else None,
        "text_modules": await _text_modules(session, staff, {
            "naam": picture.party.name if picture else "", "referentie": question.reference,
            "medewerker": names.get(staff.id, "")}),
        "teams": teams,
        "handover_notes": {m.id: parse_note(m.body) for m in messages if m.kind == "handover"},
        "handed": _handed(question, staff, events, {t.id: t for t in teams}),
        "close_reasons": CLOSE_REASON_LABELS,
        "specialists": await kept_specialists(session),
        "actions": workspace_actions(question, staff),
        "staff": staff,
        "fcr": resolution_of(events),
        "survey": picture.satisfaction.get(question.id) if picture else None,
        "version": version_of(question),
        "callback_attempts": await callback_attempts(session, question),
        "callback_may_record": may_record(question, staff),
        "draft": await get_draft(session, question.id, staff.id),
        "values": {}, "error": None, "form": None, "conflict": None, "kept": [],
    }


async def _text_modules(
    session: AsyncSession, staff: Staff, values: dict[str, str]
) -> list[tuple[str, str]]:
    """The staff member's text modules (name, text), filled in for this question: in the page
    only, never in a URL."""
    return [(name, fill(body, values)) for name, body in await kept_modules(session, staff)]


async def _answers_panel(
    session: AsyncSession, question: Question, messages: list[Any], kb_query: str,
    view: DossierView | None,
) -> dict[str, Any]:
    """The knowledge base beside the question: answers suggested by its text, topic and
    dossier (or found by the agent's search), tailored to that dossier, with internal notes."""
    facts, context = None, Context(topic_id=question.topic_id)
    if view is not None:
        facts = dossier_facts(view)
        context = Context(question.topic_id, view.dossier.dossier_type_id,
                          view.dossier.current_status_id)
    if kb_query:
        found = await search_answers(session, kb_query, AUDIENCES, limit=5)
    else:
        text = next((m.body for m in messages if m.kind == "citizen"), "")
        found = await suggest(session, text, context, AUDIENCES, limit=3)
    fill = facts.values() if facts else None
    return {
        "kb_query": kb_query, "kb_answers": found, "kb_facts": fill,
        "kb_bodies": {a.id: render_html(a.body, fill) for a in found},
        # The plain text the reply gets when the agent uses an answer (inserted by the page).
        "kb_texts": {a.id: plain_text(a.body, fill) for a in found},
        "kb_notes": {a.id: render_html(a.internal_notes) for a in found if a.internal_notes},
    }


def _handed(
    question: Question, staff: Staff, events: list[QuestionEvent], teams: dict[int, Any]
) -> dict[str, Any] | None:
    """For the KCC after a handover (read-only now): to whom and when it went."""
    handovers = [e for e in events if e.action == "hand_over"]
    if not handovers or not handed_away(question, staff):
        return None
    last = handovers[-1]
    return {"team": teams.get(last.team_id or 0), "specialist_id": last.target_staff_id,
            "at": last.at}


async def question_page(request: Request) -> Response:
    """A question with its whole thread and the party's picture; the view is audited."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    async with request_session(request) as session:
        question = await staff_question(session, reference, staff)
        if question is None:
            raise HTTPException(status_code=404)
        await audit_question_view(session, staff, question)
        await mark_seen(session, question, staff)
        await session.commit()
        await note_handover_news(request, session, staff)
        kb_query = request.query_params.get("kb", "")[:200].strip()
        context = await _workspace(session, question, staff, kb_query)
    context["flagged"] = request.query_params.get("gemeld") == "1"
    context["proposed"] = request.query_params.get("voorgesteld") == "1"
    context["focus_reply"] = request.query_params.get("opgepakt") == "1"
    context["uploaded"] = small_int(request.query_params.get("toegevoegd"))
    return render_staff(request, "kcc/question.html", context, block="knowledge")


async def insert_answer(request: Request) -> Response:
    """Without JavaScript, "Gebruik dit antwoord": the workspace again with everything typed
    kept (the reply and the note, also as the staff member's draft) and the answer's text
    appended to the reply. Nothing is sent."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        question = await staff_question(session, reference, staff)
        if question is None:
            raise HTTPException(status_code=404)
        await audit_question_view(session, staff, question)
        context = await _workspace(session, question, staff)
        typed = {"body": values.get("body", ""), "note": values.get("note", ""),
                 "documents": await chosen_ids(request)}
        used = small_int(values.get("gebruik"))
        text = await _answer_text(session, used, context["kb_facts"])
        if text is not None:
            body = typed["body"].rstrip()
            typed["body"] = f"{body}\n\n{text}" if body else text
        answer_id = used if text is not None else small_int(values.get("answer_id"))
        with suppress(DraftTooLong):  # the page shows it all; sending says: too long
            await save_draft(session, question.id, staff.id, dict(typed), answer_id)
        await session.commit()
    context.update(values={**typed, "answer_id": str(answer_id or "")}, form="reply",
                   inserted=text is not None)
    return render_staff(request, "kcc/question.html", context)


async def _answer_text(
    session: AsyncSession, answer_id: int | None, facts: dict[str, str] | None
) -> str | None:
    """A published answer's plain text, filled with the dossier's facts (the agent edits it
    before sending); None for an answer that is not (or no longer) published."""
    found = await published_by_ids(session, [answer_id]) if answer_id else []
    return plain_text(found[0].body, facts) if found else None


Action = Callable[[AsyncSession, Question, Staff, dict[str, str], Settings], Awaitable[None]]


ACTIONS: dict[str, Action] = {
    "claim": lambda s, q, st, v, c: claim(s, q, st),
    "release": lambda s, q, st, v, c: release(s, q, st),
    "take": lambda s, q, st, v, c: take(s, q, st),
    "take_over": lambda s, q, st, v, c: take_over(s, q, st),
    "reply": lambda s, q, st, v, c: reply(s, q, st, v.get("body", "")),
    "wait": lambda s, q, st, v, c: ask_citizen(s, q, st, v.get("body", ""), c.calendar),
    "note": lambda s, q, st, v, c: add_note(s, q, st, v.get("note", "")),
    "hand_over": lambda s, q, st, v, c: hand_over(s, q, st, handover_from_form(v)),
    "close": lambda s, q, st, v, c: staff_close(
        s, q, st, Closing(v.get("reason", ""), v.get("reason_text", ""))),
    "hand_back": lambda s, q, st, v, c: hand_back(s, q, st, v.get("handback", "")),
}


async def act(request: Request) -> Response:
    """Do one thing with a question: claim, answer, ask the citizen, note, hand over, close.

    The question's row is locked first, so two staff members acting on it at once take
    turns; the second acts on what the first left, or, when that is no longer what their
    page showed (the form's version), is told what happened (409), their text kept."""
    staff = require_staff(request)
    reference, action = request.path_params["reference"], request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    values = {**await form_values(request), "documents": await chosen_ids(request)}
    async with request_session(request) as session:
        question = await staff_question(session, reference, staff, lock=True)
        if question is None:
            raise HTTPException(status_code=404)
        try:
            check_version(question, values.get("version"))
            chosen = await check_chosen(session, question, action, values)
            await ACTIONS[action](session, question, staff, values, app_settings(request))
            await send_chosen(session, question, staff, chosen)
            await after_action(session, app_settings(request).openklant, question, action)
        except QuestionError as error:  # checked before anything changed
            await session.rollback()
            return await rerender(request, session, reference, staff, values, error, action)
        except (QuestionChanged, TransitionRefused, PermissionError) as refused:
            await session.rollback()
            changed = isinstance(refused, QuestionChanged)
            return await conflict(request, session, reference, staff, values, action, changed)
        if action == "take_over":  # who holds whose question is on the record
            await audit_view(session, staff, "kcc.question.take_over", question.party_id,
                             staff.role_for(question), question_id=question.id,
                             dossier_id=question.dossier_id)
        used = small_int(values.get("answer_id"))
        if action in ("reply", "wait") and used and await published_by_ids(session, [used]):
            await record(session, "used", [used], "kcc", question_id=question.id)
        await _sent_from_draft(session, question, staff, action, values)
        await session.commit()
    return await _onwards(request, staff, reference, action, values)


# After these the work goes on in the reply box: it has the focus on the page that follows.
TAKEN = frozenset({"claim", "take", "take_over"})


async def _onwards(
    request: Request, staff: Staff, reference: str, action: str, values: dict[str, str]
) -> Response:
    """Where a done action leads: back to the question (its reply box in focus after taking
    it); after "Versturen en volgende" to the next question from the queue."""
    if action == "reply" and values.get("volgende") == "1" and staff.sees_all:
        return await claim_and_open(request, staff, sent=True)
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    if action in ("hand_over", "hand_back") and not staff.sees_all:
        url = str(request.app.url_path_for("kcc:queue"))  # it may be out of their sight now
    return redirect(request, url + ("?opgepakt=1" if action in TAKEN else ""))


async def _sent_from_draft(
    session: AsyncSession, question: Question, staff: Staff, action: str, values: dict[str, str]
) -> None:
    """What was sent (the reply) or saved (the note) leaves the draft; the other text, when
    posted with it, stays as the draft."""
    field = {"reply": "body", "wait": "body", "note": "note"}.get(action)
    if field is None:
        return
    other = "note" if field == "body" else "body"
    await clear_draft(session, question.id, staff.id, field, {other: values.get(other)},
                      small_int(values.get("answer_id")) if other == "body" else None)


async def rerender(
    request: Request, session: AsyncSession, reference: str, staff: Staff,
    values: dict[str, str], error: QuestionError, form: str,
) -> Response:
    context = await _workspace_again(session, reference, staff)
    context.update(values=values, error=error, form=form)
    return render_staff(request, "kcc/question.html", context, status_code=422)


async def _workspace_again(
    session: AsyncSession, reference: str, staff: Staff
) -> dict[str, Any]:
    """The workspace as the question is now, after a refused post (the view is audited)."""
    question = await staff_question(session, reference, staff)
    if question is None:  # handed over out of this specialist's sight meanwhile
        raise HTTPException(status_code=404)
    await audit_question_view(session, staff, question)
    await session.commit()
    return await _workspace(session, question, staff)


# The texts a form holds, per action: kept on a refusal, so that nothing typed is lost.
TYPED = {"reply": ("body",), "wait": ("body",), "note": ("note",),
         "hand_over": ("who", "what", "tried"), "close": ("reason_text",),
         "hand_back": ("handback",)}


async def conflict(
    request: Request, session: AsyncSession, reference: str, staff: Staff,
    values: dict[str, str], action: str, changed: bool,
) -> Response:
    """409: the question is no longer what the page showed (changed: says what happened: a
    colleague claimed, answered or closed it, the party replied), or the action is not
    possible as it is. Shows the question as it is now, and keeps what was typed: in its
    form when that is still there, else in the notice."""
    context = await _workspace_again(session, reference, staff)
    typed = [(field, values[field]) for field in TYPED.get(action, ()) if values.get(field)]
    actions = context["actions"]
    form_shown = action == "note" or action in actions or (
        action in ("reply", "wait") and bool({"reply", "wait"} & actions))
    context.update(values=values, form=action if form_shown else None, conflict=True,
                   change=await last_change(session, context["question"]) if changed else None,
                   kept=[] if form_shown else typed, typed=bool(typed))
    return render_staff(request, "kcc/question.html", context, status_code=409)


async def flag_answer(request: Request) -> Response:
    """Tell the editors that an answer is wrong, or that an answer is missing."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        question = await staff_question(session, reference, staff)
        if question is None:
            raise HTTPException(status_code=404)
        try:
            await flag(session, staff.id, values.get("kind", ""), values.get("comment", ""),
                       small_int(values.get("answer")), question.id)
        except AnswerError as error:  # checked before anything was added
            await audit_question_view(session, staff, question)
            await session.commit()
            context = await _workspace(session, question, staff)
            context.update(values=values, error=error, form="flag")
            return render_staff(request, "kcc/question.html", context, status_code=422)
        await session.commit()
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    return redirect(request, f"{url}?gemeld=1#signaal-kop")
