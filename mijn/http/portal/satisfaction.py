"""HTTP for satisfaction (KTO): the one question on a question's page, the reopen when the
party is not satisfied, and the e-mail link (no login, works once, rate limited per client
address; it shows nothing of the question)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import Access
from mijn.db import request_session, utcnow
from mijn.dossiers.service import get_dossier_view
from mijn.http import limits
from mijn.http.common import app_settings, form_values, redirect, render
from mijn.http.errors import rate_limited_page
from mijn.http.portal.access import portal_access
from mijn.http.portal.dossiers import show_detail
from mijn.http.portal.questions import _may_ask, on_behalf
from mijn.http.portal.thread import detail_context, locked_question
from mijn.http.session import require_identity
from mijn.questions import dossier_satisfaction as dossier_kto
from mijn.questions.asking import party_question
from mijn.questions.common import QuestionError
from mijn.questions.invitations import invite_by_token, link_usable
from mijn.questions.models import Question
from mijn.questions.satisfaction import (
    SCORE_LABELS,
    asked_since,
    offered,
    parse_answer,
    record,
    reopen,
    response_of,
)
from mijn.questions.states import TransitionRefused
from mijn.ratelimits.rules import SATISFACTION_LINKS

GONE = 410


def _page(request: Request, reference: str, anchor: str, flag: str) -> Response:
    url = request.app.url_path_for("questions:detail", reference=reference)
    return redirect(request, f"{url}?{flag}=1#{anchor}")


async def _form_error(request: Request, session: AsyncSession, question: Question,
                      access: Access, values: dict[str, str], error: QuestionError) -> Response:
    """The question's page again, with what was filled in and what is wrong (checked
    before anything changed)."""
    context = await detail_context(session, question, access, app_settings(request).satisfaction)
    context.update(values=values, error=None, survey_error=error, sent=False)
    return render(request, "portal/questions/detail.html", context, status_code=422)


async def give(request: Request) -> Response:
    """The party's answer on the question's page; a second one (another tab, a double
    click, the e-mail link first) changes nothing and shows the answer that was kept."""
    require_identity(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        question = await party_question(session, reference, access.scope(), lock=True)
        if question is None:
            return await locked_question(request, session, access, reference)
        _may_ask(access)
        scale = offered(question, app_settings(request).satisfaction, utcnow())
        if scale is None:  # not (or no longer) asked: nothing to keep
            return _page(request, reference, "mening-kop", "mening")
        try:
            score, comment = parse_answer(scale, values.get("score"), values.get("comment"))
        except QuestionError as error:
            return await _form_error(request, session, question, access, values, error)
        await record(session, question, scale, score, comment, "portal")
        await session.commit()
    return _page(request, reference, "mening-kop", "mening")


async def reopen_question(request: Request) -> Response:
    """Not satisfied: the question back to the KCC queue, with the reason as a message."""
    require_identity(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        question = await party_question(session, reference, access.scope(), lock=True)
        if question is None:
            return await locked_question(request, session, access, reference)
        _may_ask(access)
        response = await response_of(session, question.id)
        try:
            await reopen(session, question, response, values.get("reason", ""),
                         app_settings(request).calendar, by=on_behalf(access))
        except QuestionError as error:
            return await _form_error(request, session, question, access, values, error)
        except TransitionRefused:  # reopened already, or not satisfied was never said
            raise HTTPException(status_code=409) from None
        await session.commit()
    return _page(request, reference, "gesprek-kop", "heropend")


async def give_dossier(request: Request) -> Response:
    """The party's answer about a closed dossier on its page; a second one changes nothing.
    Below the dossier type's level of assurance: the page that asks to log in higher; a
    read-only mandate answers nothing."""
    require_identity(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        view = await get_dossier_view(session, reference, access.scope(), access.loa)
        if view is None:
            raise HTTPException(status_code=404)
        if view.locked:  # the page asks to log in at the dossier's level
            return await show_detail(request)
        _may_ask(access)
        scale = dossier_kto.offered(view.dossier, app_settings(request).satisfaction, utcnow())
        if scale is not None:
            try:
                score, comment = parse_answer(scale, values.get("score"), values.get("comment"))
            except QuestionError as error:
                return await show_detail(request, values, error, 422)
            await dossier_kto.record(session, view.dossier.id, scale, score, comment, "portal")
            await session.commit()
    page = request.app.url_path_for("dossiers:detail", reference=reference)
    return redirect(request, f"{page}?mening=1#mening-kop")


# --- the e-mail link ------------------------------------------------------------------------

async def _link_limited(request: Request) -> Response | None:
    """Each request to a link counts against the client address (a stranger cannot try
    tokens); over the limit: the 429 page."""
    verdict = await limits.hit_now(request, (SATISFACTION_LINKS, limits.client(request)))
    return None if verdict.allowed else rate_limited_page(request, verdict.retry_after)


def _link_context(question: Question, request: Request) -> dict[str, Any]:
    scale = app_settings(request).satisfaction.scale(question.kind)
    return {"scale": scale if asked_since(question) else None, "choices": SCORE_LABELS,
            "values": {}, "error": None, "state": "form", "kind": question.kind}


def _dossier_link_context(request: Request) -> dict[str, Any]:
    scale = app_settings(request).satisfaction.scale("dossier")
    return {"scale": scale, "choices": SCORE_LABELS, "values": {}, "error": None,
            "state": "form", "dossier": True, "kind": "dossier"}


async def link_page(request: Request) -> Response:
    """The one question, for whoever has the link: nothing of the question or dossier is
    shown, and nobody is logged in. Opening it uses nothing (mail scanners open links too)."""
    if (refused := await _link_limited(request)) is not None:
        return refused
    token = request.path_params["token"]
    async with request_session(request, autocommit=True) as session:
        found = await invite_by_token(session, token)
        about_dossier = None if found else await dossier_kto.invite_by_token(session, token)
    if about_dossier is not None:
        context = _dossier_link_context(request)
        if not link_usable(about_dossier, utcnow()) or context["scale"] is None:
            return render(request, "portal/satisfaction/link.html", {"state": "used"},
                          status_code=GONE)
        return render(request, "portal/satisfaction/link.html", context)
    if found is None:
        raise HTTPException(status_code=404)
    invite, question = found
    if not link_usable(invite, utcnow()):
        return render(request, "portal/satisfaction/link.html", {"state": "used"},
                      status_code=GONE)
    return render(request, "portal/satisfaction/link.html", _link_context(question, request))


async def link_answer(request: Request) -> Response:
    """Keep the answer given through the link; the link is used up with it."""
    if (refused := await _link_limited(request)) is not None:
        return refused
    values = await form_values(request)
    async with request_session(request) as session:
        found = await invite_by_token(session, request.path_params["token"], lock=True)
        if found is None:
            return await _dossier_link_answer(request, session, values)
        invite, question = found
        context = _link_context(question, request)
        if not link_usable(invite, utcnow()) or context["scale"] is None:
            return render(request, "portal/satisfaction/link.html", {"state": "used"},
                          status_code=GONE)
        try:
            score, comment = parse_answer(context["scale"], values.get("score"),
                                          values.get("comment"))
        except QuestionError as error:
            context.update(values=values, error=error)
            return render(request, "portal/satisfaction/link.html", context, status_code=422)
        kept = await record(session, question, context["scale"], score, comment, "email")
        await session.commit()
    if kept is None:
        return render(request, "portal/satisfaction/link.html", {"state": "used"},
                      status_code=GONE)
    return render(request, "portal/satisfaction/link.html",
                  {"state": "done", "satisfied": kept.satisfied})


async def _dossier_link_answer(request: Request, session: AsyncSession,
                               values: dict[str, str]) -> Response:
    """link_answer for a dossier's link (404 for a token that is nobody's)."""
    invite = await dossier_kto.invite_by_token(session, request.path_params["token"], lock=True)
    if invite is None:
        raise HTTPException(status_code=404)
    context = _dossier_link_context(request)
    if not link_usable(invite, utcnow()) or context["scale"] is None:
        return render(request, "portal/satisfaction/link.html", {"state": "used"},
                      status_code=GONE)
    try:
        score, comment = parse_answer(context["scale"], values.get("score"),
                                      values.get("comment"))
    except QuestionError as error:
        context.update(values=values, error=error)
        return render(request, "portal/satisfaction/link.html", context, status_code=422)
    kept = await dossier_kto.record(session, invite.dossier_id, context["scale"], score,
                                    comment, "email")
    await session.commit()
    if kept is None:
        return render(request, "portal/satisfaction/link.html", {"state": "used"},
                      status_code=GONE)
    return render(request, "portal/satisfaction/link.html",
                  {"state": "done", "satisfied": kept.satisfied, "dossier": True})


routes = [
    Route("/mijn/vragen/{reference}/mening", give, methods=["POST"],
          name="satisfaction:give"),
    Route("/mijn/vragen/{reference}/heropenen", reopen_question, methods=["POST"],
          name="satisfaction:reopen"),
    Route("/mijn/dossiers/{reference}/mening", give_dossier, methods=["POST"],
          name="satisfaction:give_dossier"),
    Route("/tevredenheid/{token}", link_page, name="satisfaction:link"),
    Route("/tevredenheid/{token}", link_answer, methods=["POST"], name="satisfaction:link_answer"),
]
