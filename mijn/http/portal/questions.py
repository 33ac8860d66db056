"""HTTP for citizens' questions: Mijn vragen, asking (also from a dossier), a thread, replying."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.loa import opens_at
from mijn.access.scope import Access
from mijn.answers import events, tailoring
from mijn.db import request_session, utcnow
from mijn.dossiers.service import (
    DossierView,
    dossier_references,
    get_dossier_view,
    party_dossier_id,
    party_dossiers,
)
from mijn.http import limits
from mijn.http.common import app_settings, redirect, render, small_int
from mijn.http.limits import RateLimitError
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.portal.kept import ask_page, login_keeping_text, restored, take_kept
from mijn.http.portal.stepup import step_up
from mijn.http.portal.uploads import uploaded_by, with_files
from mijn.http.session import require_identity
from mijn.http.uploads import Upload, upload_form
from mijn.notifications.service import unread_count
from mijn.openklant.queue import enqueue
from mijn.questions.asking import (
    NewQuestion,
    check_question,
    locked_question_count,
    party_questions,
    question_errors,
)
from mijn.questions.asking import (
    ask as ask_question,
)
from mijn.questions.common import MAX_BODY, OnBehalf, QuestionError, list_topics
from mijn.questions.contacts import party_contacts
from mijn.questions.models import Question
from mijn.questions.satisfaction import offered, responses_of
from mijn.questions.titles import question_titles
from mijn.ratelimits.rules import QUESTIONS
from mijn.ratelimits.service import Verdict


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
    error: list[QuestionError] | RateLimitError | None,
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
    upload = await upload_form(request)  # first: the page to come back to reads its fields
    if (login := await login_keeping_text(request, await ask_page(request))) is not None:
        return login
    identity, values = require_identity(request), upload.values
    async with request_session(request) as session, upload:
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
            if values.get("suggestions_seen") != "1" and not upload.files:  # (files: sent now)
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
            question, _created = await _ask_with_files(request, session, upload, new, access)
        except QuestionError as error:
            return await _ask_wrong(request, session, access, values, error)
        await _asked(request, session, values.get("submit_key", ""), question, _created)
        await session.commit()
    url = request.app.url_path_for("questions:detail", reference=question.reference)
    return redirect(request, f"{url}?verstuurd=1")


async def _ask_wrong(
    request: Request, session: AsyncSession, access: Access, values: dict[str, str],
    error: QuestionError,
) -> Response:
    """The form again with its text, and every error in it (not only the first found)."""
    every = await question_errors(session, small_int(values.get("topic")),
                                  values.get("body", ""), error)
    context = await _ask_context(session, access, values, every)
    return render(request, "portal/questions/ask.html", context, status_code=422)


async def _ask_with_files(request: Request, session: AsyncSession, upload: Upload,
                          new: NewQuestion, access: Access) -> tuple[Question, bool]:
    """The question and its files, or neither (mijn.http.uploads.UploadError: a file refused)."""
    return await with_files(
        request, session, upload, new.dossier_id,
        lambda: ask_question(session, new, app_settings(request).calendar),
        lambda saved: saved[0].id if saved[1] else None, uploaded_by(access, new.by))


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


routes = [
    Route("/mijn/vragen", my_questions, name="questions:list"),
    Route("/mijn/vragen", ask, methods=["POST"], name="questions:ask"),
    Route("/mijn/vragen/nieuw", ask_form, name="questions:new"),
]
