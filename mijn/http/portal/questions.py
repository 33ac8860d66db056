"""HTTP for citizens' questions: Mijn vragen, asking (also from a dossier), a thread, replying."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.loa import opens_at
from mijn.access.scope import Access, audit_fields
from mijn.answers import events, tailoring
from mijn.audit.service import record_access
from mijn.db import request_session, utcnow
from mijn.dossiers.service import (
    DossierView,
    dossier_references,
    get_dossier_view,
    party_dossier_id,
    party_dossiers,
)
from mijn.http import limits
from mijn.http.common import app_settings, form_values, redirect, render, small_int
from mijn.http.limits import RateLimitError
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.portal.kept import ask_page, login_keeping_text, restored, take_kept
from mijn.http.portal.stepup import step_up
from mijn.http.session import require_identity
from mijn.notifications.service import mark_question_read, unread_count
from mijn.openklant.queue import enqueue
from mijn.questions.asking import (
    NewQuestion,
    check_question,
    citizen_close,
    citizen_reply,
    locked_question_count,
    mark_read,
    party_question,
    party_questions,
    public_thread,
)
from mijn.questions.asking import (
    ask as ask_question,
)
from mijn.questions.callbacks import callback_attempts
from mijn.questions.closing import citizen_close_texts
from mijn.questions.common import MAX_BODY, OnBehalf, QuestionError, clean_body, list_topics
from mijn.questions.contacts import party_contacts
from mijn.questions.models import Question, Topic
from mijn.questions.satisfaction import SCORE_LABELS, offered, responses_of, survey_of
from mijn.questions.states import TransitionRefused
from mijn.questions.titles import question_titles
from mijn.questions.workflow import question_events
from mijn.ratelimits.rules import QUESTIONS, REPLIES
from mijn.ratelimits.service import Verdict
from mijn.satisfactionsettings import SatisfactionSettings


async def my_questions(request: Request) -> Response:
    """Mijn vragen: every question with its state (new replies marked), and public contacts."""
    require_identity(request)
    async with request_session(request, autocommit=True) as session:
        access = await portal_access(request, session)
        questions = await party_questions(session, access.scope())
        contacts = await party_contacts(session, access.scope(), include_internal=False)
        dossiers = await dossier_references(
            session, [q.dossier_id for q, _ in questions if q.dossier_id]
        )
        unread = await unread_count(session, access.party_id, news_scope(access))
        locked = await locked_question_count(session, access.scope())
        titles = await question_titles(session, [q.id for q, _ in questions])
        answered = await responses_of(session, [q.id for q, _ in questions])
    kto, now = app_settings(request).satisfaction, utcnow()
    context = {
        "survey_open": {q.id for q, _ in questions
                        if q.id not in answered and offered(q, kto, now)},
        "questions": questions, "contacts": contacts, "dossiers": dossiers, "titles": titles,
        "unread_messages": unread, "locked_questions": locked,
    }
    return render(request, "portal/questions/list.html", context)


def on_behalf(access: Access) -> OnBehalf | None:
    """Who writes for the party, for the question's messages and events (None: the party)."""
    if not access.on_behalf:
        return None
    if access.actor_type == "employee":
        return OnBehalf("employee", access.party_id, access.actor_id, access.actor_name)
    assert access.actor_party_id is not None
    return OnBehalf("representative", access.actor_party_id, f"party:{access.actor_party_id}",
                    access.actor_name, access.mandate_id)


def _may_ask(access: Access) -> None:
    """A read-only mandate shows the questions but asks and answers nothing."""
    if not access.can_ask:
        raise HTTPException(status_code=403)


async def _ask_context(
    session: AsyncSession, access: Access, values: dict[str, str],
    error: QuestionError | RateLimitError | None,
) -> dict[str, Any]:
    dossiers = await party_dossiers(session, access.scope())
    return {
        "topics": await list_topics(session),
        # a dossier above the session's level of assurance is not one to ask about here
        "dossiers": [d for d in dossiers if opens_at(d.min_loa, access.loa)],
        "values": values,
        "error": error,
        "max_body": MAX_BODY,
        "unread_messages": await unread_count(session, access.party_id, news_scope(access)),
    }


async def ask_form(request: Request) -> Response:
    """The form to ask a question, about a dossier if one is given (with the text kept when
    the session had ended before it was sent)."""
    require_identity(request)
    values = {
        "dossier": request.query_params.get("dossier", ""),
        "submit_key": secrets.token_urlsafe(16),
    }
    async with request_session(request, autocommit=True) as session:
        access = await portal_access(request, session)
        _may_ask(access)
        locked = await _ask_locked(request, session, access, values["dossier"])
        if locked is not None:
            return locked
        kept = take_kept(request, access)
        context = await _ask_context(session, access, {**values, **(kept or {})}, None)
    context["restored"] = bool(kept)
    return restored(request, render(request, "portal/questions/ask.html", context), kept)


async def _locked_dossier(
    session: AsyncSession, access: Access, reference: str
) -> DossierView | None:
    """The visitor's dossier with this reference when the session's level of assurance is
    below what its type needs (None: no such dossier, or it opens)."""
    if not reference:
        return None
    view = await get_dossier_view(session, reference[:40], access.scope())
    return view if view is not None and view.locked else None


async def _ask_locked(
    request: Request, session: AsyncSession, access: Access, reference: str
) -> Response | None:
    """Asking about a dossier above the session's level: the step-up page, back to the form
    (None: the question may be asked)."""
    view = await _locked_dossier(session, access, reference)
    if view is None:
        return None
    url = request.app.url_path_for("questions:new")
    unread = await unread_count(session, access.party_id, news_scope(access))
    return step_up(request, view, unread, f"{url}?{urlencode({'dossier': reference})}", "ask")


async def ask(request: Request) -> Response:
    """Save the question; a wrong one comes back with its text (so after a logout: kept.py)."""
    if (login := await login_keeping_text(request, await ask_page(request))) is not None:
        return login
    identity = require_identity(request)
    values = await form_values(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        _may_ask(access)
        locked = await _ask_locked(request, session, access, values.get("dossier", ""))
        if locked is not None:
            return locked
        try:
            dossier_id, branch = await _dossier_id(session, values.get("dossier", ""), access)
            new = NewQuestion(
                party_id=access.party_id, topic_id=small_int(values.get("topic")),
                body=values.get("body", ""), dossier_id=dossier_id,
                submit_key=values.get("submit_key") or None,
                branch=branch or access.branch, by=on_behalf(access),
            )
            if values.get("suggestions_seen") != "1":  # not seen while typing: first these
                await check_question(session, new)
                shown = await tailoring.suggest_for_form(
                    session, access, identity.audience,
                    tailoring.AskForm.from_form(values))
                if shown["suggestions"]:
                    context = await _ask_context(session, access, values, None)
                    await session.commit()
                    return render(request, "portal/questions/ask.html", {**context, **shown})
            verdict = await limits.hit(request, session, (QUESTIONS, _party(request, access)))
            if not verdict.allowed:
                return await _ask_refused(request, session, access, values, verdict)
            question, _created = await ask_question(session, new, app_settings(request).calendar)
        except QuestionError as error:
            context = await _ask_context(session, access, values, error)
            return render(request, "portal/questions/ask.html", context, status_code=422)
        await _asked(request, session, values.get("submit_key", ""), question, _created)
        await session.commit()
    url = request.app.url_path_for("questions:detail", reference=question.reference)
    return redirect(request, f"{url}?verstuurd=1")


async def _ask_refused(
    request: Request, session: AsyncSession, access: Access, values: dict[str, str],
    verdict: Verdict,
) -> Response:
    """Too many questions for now: the form again, with the question kept and the wait said."""
    await session.rollback()  # nothing of this attempt stays, nor its count
    context = await _ask_context(session, access, values, limits.form_error("body", verdict))
    return render(request, "portal/questions/ask.html", context,
                  status_code=limits.RATE_LIMITED, headers=limits.retry_after(verdict))


def _party(request: Request, access: Access) -> str:
    """The subject a party's questions and replies are counted by (whoever writes them)."""
    return limits.party(request, access.party_id)


async def _asked(
    request: Request, session: AsyncSession, form_key: str, question: Question, created: bool
) -> None:
    """A new question: its export to Open Klant (when configured) in this transaction; and,
    sent from a form that showed suggestions, that they did not deflect it."""
    if not created:
        return
    await enqueue(session, app_settings(request).openklant, "question", question.id,
                  question.reference)
    if form_key and await events.suggestions_shown(session, form_key):
        await events.record(session, "asked", [None], "ask", form_key, question.id)


async def _dossier_id(
    session: AsyncSession, reference: str, access: Access
) -> tuple[int | None, str | None]:
    """The dossier a question is about (one the visitor may see) and its branch."""
    if not reference:
        if access.dossier_types is not None:  # a mandate for some types: about one of them
            raise QuestionError("dossier", "unknown")
        return None, None
    found = await party_dossier_id(session, reference, access.scope())
    if found is None:
        raise QuestionError("dossier", "unknown")
    return found


async def _detail_context(
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
        "thread": thread,
        "dossier": dossiers.get(question.dossier_id or 0),
        "callback_attempts": await callback_attempts(session, question),
        "survey": await survey_of(session, question, kto), "score_labels": SCORE_LABELS,
        "unread_messages": await unread_count(session, access.party_id, news_scope(access)),
    }


async def _locked_question(
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
            return await _locked_question(request, session, access, reference)
        if access.party_id == identity.party_id:  # news read by the party itself
            await mark_read(session, question)
            await mark_question_read(session, question.party_id, question.id)
        await record_access(
            session, action="question.view", question_id=question.id,
            dossier_id=question.dossier_id, **audit_fields(access),
        )
        await session.commit()
        context = await _detail_context(session, question, access,
                                        app_settings(request).satisfaction)
        kept = take_kept(request, access)
    context["sent"] = request.query_params.get("verstuurd") == "1"
    context["values"], context["error"], context["restored"] = kept or {}, None, bool(kept)
    return restored(request, render(request, "portal/questions/detail.html", context), kept)


async def respond(request: Request) -> Response:
    """The citizen replies (reopening a waiting, answered or closed question) or closes it."""
    reference, action = request.path_params["reference"], request.path_params["action"]
    page = str(request.app.url_path_for("questions:detail", reference=reference))
    if (login := await login_keeping_text(request, page)) is not None:
        return login
    if action not in ("reactie", "sluiten"):
        raise HTTPException(status_code=404)
    values = await form_values(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        question = await party_question(session, reference, access.scope(), lock=True)
        if question is None:
            return await _locked_question(request, session, access, reference)
        _may_ask(access)
        by = on_behalf(access)
        try:
            if action == "reactie":
                clean_body(values.get("body", ""))  # a wrong reply is not counted
                verdict = await limits.hit(request, session, (REPLIES, _party(request, access)))
                if not verdict.allowed:
                    return await _reply_refused(request, session, reference, access, values,
                                                verdict)
                await citizen_reply(
                    session, question, values.get("body", ""), app_settings(request).calendar,
                    by=by,
                )
            else:
                await citizen_close(session, question, by=by)
        except QuestionError as error:  # checked before anything changed
            context = await _detail_context(session, question, access,
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
    context = await _detail_context(session, question, access,
                                        app_settings(request).satisfaction)
    context.update(values=values, error=limits.form_error("body", verdict), sent=False)
    return render(request, "portal/questions/detail.html", context,
                  status_code=limits.RATE_LIMITED, headers=limits.retry_after(verdict))


routes = [
    Route("/mijn/vragen", my_questions, name="questions:list"),
    Route("/mijn/vragen", ask, methods=["POST"], name="questions:ask"),
    Route("/mijn/vragen/nieuw", ask_form, name="questions:new"),
    Route("/mijn/vragen/{reference}", detail, name="questions:detail"),
    Route(
        "/mijn/vragen/{reference}/{action:str}", respond, methods=["POST"],
        name="questions:respond",
    ),
]
