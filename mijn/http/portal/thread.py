"""HTTP for a citizen's question thread: reading it, replying, closing it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import Access, audit_fields
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.documents.replies import sent_with
from mijn.dossiers.codes import type_code_of
from mijn.dossiers.service import dossier_references
from mijn.http import limits
from mijn.http.common import app_settings, redirect, render
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.portal.kept import login_keeping_text, restored, take_kept
from mijn.http.portal.questions import _locked_dossier, _may_ask, _party, on_behalf
from mijn.http.portal.stepup import step_up
from mijn.http.portal.uploads import uploaded_by, with_files
from mijn.http.session import require_identity
from mijn.http.uploads import upload_form
from mijn.notifications.service import mark_question_read, unread_count
from mijn.questions.asking import (
    citizen_close,
    citizen_reply,
    mark_read,
    party_question,
    public_thread,
)
from mijn.questions.attachments import message_attachments
from mijn.questions.callbacks import callback_attempts
from mijn.questions.closing import citizen_close_texts
from mijn.questions.common import QuestionError, clean_body
from mijn.questions.models import Question, Topic
from mijn.questions.satisfaction import SCORE_LABELS, survey_of
from mijn.questions.states import TransitionRefused
from mijn.questions.titles import question_titles
from mijn.questions.workflow import question_events
from mijn.ratelimits.rules import REPLIES
from mijn.ratelimits.service import Verdict
from mijn.satisfactionsettings import SatisfactionSettings


async def detail_context(
    session: AsyncSession, question: Question, access: Access, kto: SatisfactionSettings
) -> dict[str, Any]:
    topic = await session.get(Topic, question.topic_id)
    ids = [question.dossier_id] if question.dossier_id else []
    dossiers = await dossier_references(session, ids)
    messages = await public_thread(session, question)
    events = await question_events(session, question.id)
    handovers = [e for e in events if e.action == "hand_over"]
    closes = citizen_close_texts(events, question.answered_at)
    # One thread: the messages, where the question went to a specialist (no details), and
    # why staff closed it unanswered (in plain words, never the staff's own).
    thread = sorted(
        [(m.created_at, "message", m) for m in messages]
        + [(e.at, "handover", e) for e in handovers]
        + [(e.at, "closed", closes[e.id]) for e in events if e.id in closes],
        key=lambda item: (item[0], item[1] == "message"),
    )
    return {
        "question": question,
        "topic": topic,
        "title": (await question_titles(session, [question.id])).get(question.id),
        "thread": thread, "attachments": await message_attachments(session, question.id),
        "dossier": dossiers.get(question.dossier_id or 0),
        "upload_type": await type_code_of(session, question.dossier_id),
        "sent_documents": await sent_with(session, [m.id for m in messages if m.kind == "reply"],
                                          dossier_id=question.dossier_id),
        "callback_attempts": await callback_attempts(session, question),
        "survey": await survey_of(session, question, kto), "score_labels": SCORE_LABELS,
        "unread_messages": await unread_count(session, access.party_id, news_scope(access)),
    }


async def locked_question(
    request: Request, session: AsyncSession, access: Access, reference: str
) -> Response:
    """A question of the party about a dossier above the session's level of assurance: the
    step-up page, back to the question; 404 for any other (another party's, unknown)."""
    question = await party_question(session, reference, replace(access.scope(), loa=None))
    refs = await dossier_references(session, [question.dossier_id] if question and
                                    question.dossier_id else [])
    view = await _locked_dossier(session, access, next(iter(refs.values()), ("", ""))[0])
    if view is None:
        raise HTTPException(status_code=404)
    url = str(request.app.url_path_for("questions:detail", reference=reference))
    unread = await unread_count(session, access.party_id, news_scope(access))
    return step_up(request, view, unread, url, "question")


async def detail(request: Request) -> Response:
    """A question's thread: the citizen's messages and the public replies."""
    identity = require_identity(request)
    reference = request.path_params["reference"]
    async with request_session(request) as session:
        access = await portal_access(request, session)
        question = await party_question(session, reference, access.scope())
        if question is None:
            return await locked_question(request, session, access, reference)
        if access.party_id == identity.party_id:  # news read by the party itself
            await mark_read(session, question)
            await mark_question_read(session, question.party_id, question.id)
        await record_access(
            session, action="question.view", question_id=question.id,
            dossier_id=question.dossier_id, **audit_fields(access),
        )
        await session.commit()
        context = await detail_context(session, question, access,
                                        app_settings(request).satisfaction)
        kept = take_kept(request, access)
    context["sent"] = request.query_params.get("verstuurd") == "1"
    context["values"], context["error"], context["restored"] = kept or {}, None, bool(kept)
    return restored(request, render(request, "portal/questions/detail.html", context), kept)


async def respond(request: Request) -> Response:
    """The citizen replies (reopening a waiting, answered or closed question) or closes it."""
    reference, action = request.path_params["reference"], request.path_params["action"]
    page = str(request.app.url_path_for("questions:detail", reference=reference))
    upload = await upload_form(request)
    if (login := await login_keeping_text(request, page)) is not None:
        return login
    if action not in ("reactie", "sluiten"):
        raise HTTPException(status_code=404)
    values = upload.values
    async with request_session(request) as session, upload:
        access = await portal_access(request, session)
        question = await party_question(session, reference, access.scope(), lock=True)
        if question is None:
            return await locked_question(request, session, access, reference)
        _may_ask(access)
        by = on_behalf(access)
        try:
            if action == "reactie":
                clean_body(values.get("body", ""))  # a wrong reply is not counted
                verdict = await limits.hit(request, session, (REPLIES, _party(request, access)))
                if not verdict.allowed:
                    return await _reply_refused(request, session, reference, access, values,
                                                verdict)
                calendar, body = app_settings(request).calendar, values.get("body", "")
                await with_files(
                    request, session, upload, question.dossier_id,
                    lambda: citizen_reply(session, question, body, calendar, by=by),
                    lambda _: question.id, uploaded_by(access, by))
            else:
                await citizen_close(session, question, by=by)
        except QuestionError as error:  # checked before anything changed
            context = await detail_context(session, question, access,
                                        app_settings(request).satisfaction)
            context.update(values=values, error=error, sent=False)
            return render(request, "portal/questions/detail.html", context, status_code=422)
        except TransitionRefused:
            raise HTTPException(status_code=409) from None
        await session.commit()
    return redirect(request, str(request.app.url_path_for("questions:detail", reference=reference)))


async def _reply_refused(
    request: Request, session: AsyncSession, reference: str, access: Access,
    values: dict[str, str], verdict: Verdict,
) -> Response:
    """Too many replies for now: the thread again, with the reply kept and the wait said."""
    await session.rollback()  # nothing of this attempt stays, nor its count
    question = await party_question(session, reference, access.scope())
    if question is None:
        raise HTTPException(status_code=404)
    context = await detail_context(session, question, access,
                                        app_settings(request).satisfaction)
    context.update(values=values, error=limits.form_error("body", verdict), sent=False)
    return render(request, "portal/questions/detail.html", context,
                  status_code=limits.RATE_LIMITED, headers=limits.retry_after(verdict))


routes = [
    Route("/mijn/vragen/{reference}", detail, name="questions:detail"),
    Route(
        "/mijn/vragen/{reference}/{action:str}", respond, methods=["POST"],
        name="questions:respond",
    ),
]
