"""HTTP for everyone's answers: search, an answer's page, 'did this help?', and the
suggestions shown while a citizen writes a question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import Access
from mijn.answers.errors import AnswerError
from mijn.answers.events import record
from mijn.answers.feedback import give_feedback
from mijn.answers.models import Answer
from mijn.answers.reading import (
    audiences_for,
    popular,
    published_answer,
    published_by_ids,
    search_answers,
)
from mijn.answers.tailoring import AskForm, dossier_facts, suggest_for_form
from mijn.answers.text import DossierFacts, render_html
from mijn.db import request_session
from mijn.dossiers.service import get_dossier_view
from mijn.http import limits
from mijn.http.common import form_values, is_htmx, redirect, render, small_int
from mijn.http.portal.access import news_scope, portal_access
from mijn.http.session import PORTAL_AUDIENCES, current_identity, require_identity
from mijn.notifications.service import unread_count
from mijn.ratelimits.rules import OPENED, SEARCH, SUGGESTIONS, VOTES, VOTES_PER_ANSWER
from mijn.ratelimits.service import Verdict

MAX_QUERY = 200
CONTEXTS = ("search", "dossier", "ask", "kcc", "link")


@dataclass(frozen=True)
class Visitor:
    """Who reads: which answers are theirs, and (logged in) their news and dossiers."""

    audiences: tuple[str, ...]
    access: Access | None

    async def unread(self, session: AsyncSession) -> int:
        """The header's count of unread messages (0 when not logged in)."""
        if self.access is None:
            return 0
        return await unread_count(session, self.access.party_id, news_scope(self.access))

    async def facts(self, session: AsyncSession, reference: str) -> DossierFacts | None:
        """The facts of a dossier this visitor may see (None for anyone else's)."""
        if not reference or self.access is None:
            return None
        view = await get_dossier_view(session, reference[:40], self.access.scope(),
                                      self.access.loa)
        return dossier_facts(view) if view is not None and not view.locked else None


async def _visitor(request: Request, session: AsyncSession) -> Visitor:
    identity = current_identity(request)
    if identity is None or identity.audience not in PORTAL_AUDIENCES:
        return Visitor(audiences_for(None), None)
    return Visitor(audiences_for(identity.audience), await portal_access(request, session))


async def search_page(request: Request) -> Response:
    """Search the answers (logged in or not); while typing, htmx swaps only the results and
    the live region that says how many were found."""
    query = request.query_params.get("q", "")[:MAX_QUERY].strip()
    async with request_session(request, autocommit=True) as session:
        verdict = (await limits.hit(request, session, (SEARCH, limits.client(request)))
                   if query else limits.ALLOWED)
        visitor = await _visitor(request, session)
        if not verdict.allowed:
            answers = []
        elif query:
            # the last word as a prefix: while typing (htmx) and after Enter the same list
            answers = await search_answers(session, query, visitor.audiences, limit=10,
                                           prefix=True)
        else:
            answers = await popular(session, visitor.audiences, limit=8)
        unread = 0 if is_htmx(request) else await visitor.unread(session)
    error = None if verdict.allowed else limits.form_error("q", verdict)
    context = {"query": query, "answers": answers, "unread_messages": unread, "error": error}
    return render(request, "portal/answers/search.html", context, block="results",
                  status_code=200 if error is None else limits.RATE_LIMITED,
                  headers=None if error is None else limits.retry_after(verdict))


async def answer_page(request: Request) -> Response:
    """One published answer, tailored to the reader's dossier when one is given; counted."""
    slug = request.path_params["slug"]
    via = request.query_params.get("via", "link")
    form_key = request.query_params.get("formulier") or None
    async with request_session(request) as session:
        visitor = await _visitor(request, session)
        answer = await published_answer(session, slug, visitor.audiences)
        if answer is None:
            raise HTTPException(status_code=404)
        context_name = via if via in CONTEXTS else "link"
        await record(session, "view", [answer.id], context_name, form_key)
        if form_key and context_name == "ask":
            await record(session, "opened", [answer.id], context_name, form_key)
        await session.commit()
        facts = await visitor.facts(session, request.query_params.get("dossier", ""))
        unread = await visitor.unread(session)
    context = _answer_context(answer, facts, unread,
                              thanks=request.query_params.get("bedankt") == "1")
    return render(request, "portal/answers/answer.html", context)


def _answer_context(
    answer: Answer, facts: DossierFacts | None, unread: int, **extra: Any
) -> dict[str, Any]:
    body = render_html(answer.body, facts.values() if facts else None)
    context = {"answer": answer, "body": body, "facts": facts, "unread_messages": unread,
               "values": {}, "error": None, "thanks": False}
    return {**context, **extra}


async def feedback(request: Request) -> Response:
    """'Heeft dit antwoord u geholpen?': ja or nee, with an optional comment."""
    slug = request.path_params["slug"]
    values = await form_values(request)
    helpful = values.get("helpful")
    async with request_session(request) as session:
        visitor = await _visitor(request, session)
        answer = await published_answer(session, slug, visitor.audiences)
        if answer is None:
            raise HTTPException(status_code=404)
        try:
            if helpful not in ("ja", "nee"):
                raise AnswerError("helpful", "missing")
            verdict = await _vote_counted(request, session, answer.id)
            if not verdict.allowed:  # not committed: the refused vote is not counted either
                context = _answer_context(answer, None, 0, values=values,
                                          error=limits.form_error("helpful", verdict))
                return render(request, "portal/answers/answer.html", context,
                              status_code=limits.RATE_LIMITED, block="feedback",
                              headers=limits.retry_after(verdict))
            await give_feedback(session, answer, helpful == "ja",
                                values.get("comment", ""))
        except AnswerError as error:
            context = _answer_context(answer, None, 0, values=values, error=error)
            return render(request, "portal/answers/answer.html", context, status_code=422,
                          block="feedback")
        await session.commit()
    if is_htmx(request):
        return render(request, "portal/answers/answer.html", _answer_context(answer, None, 0,
                      thanks=True), block="feedback")
    url = request.app.url_path_for("answers:detail", slug=slug)
    return redirect(request, f"{url}?bedankt=1#feedback")


def _counted_as(request: Request) -> str:
    """Who counts: a logged-in party, else the client's address."""
    identity = current_identity(request)
    return (f"party:{identity.party_id}" if identity is not None
            and identity.audience in PORTAL_AUDIENCES else
            f"ip:{limits.client_address(request)}")


async def _vote_counted(request: Request, session: AsyncSession, answer_id: int) -> Verdict:
    """Count a vote: per answer and in all, per visitor (a party, else the client's address)."""
    visitor = _counted_as(request)
    return await limits.hit(
        request, session,
        (VOTES_PER_ANSWER, limits.subject(request, "vote", f"{visitor}|answer:{answer_id}")),
        (VOTES, limits.subject(request, "vote", visitor)),
    )


async def opened(request: Request) -> Response:
    """A suggested answer was opened where it was shown (htmx, when a <details> opens).

    Rate limited per visitor: the opened counts rank the editors' attention list, and a
    stranger repeating this would skew them. Over the limit nothing is counted (429; the
    <details> asks htmx to swap nothing: the reader sees no difference)."""
    values = await form_values(request)
    answer_id = small_int(values.get("answer"))
    context_name = values.get("context", "")
    if answer_id is None or context_name not in CONTEXTS:
        raise HTTPException(status_code=404)
    async with request_session(request) as session:
        found = await published_by_ids(session, [answer_id])
        if not found:
            raise HTTPException(status_code=404)
        verdict = await limits.hit(
            request, session, (OPENED, limits.subject(request, "opened", _counted_as(request))))
        if not verdict.allowed:
            await session.commit()
            return Response(status_code=limits.RATE_LIMITED, headers=limits.retry_after(verdict))
        await record(session, "opened", [answer_id], context_name,
                     values.get("formulier") or None)
        await record(session, "view", [answer_id], context_name)
        await session.commit()
    return Response(status_code=204)


async def suggestions(request: Request) -> Response:
    """Answers that may already answer the question being typed (htmx, debounced). A POST:
    the text of a question stays out of addresses and logs."""
    identity = require_identity(request)
    values = await form_values(request)
    async with request_session(request) as session:
        verdict = await limits.hit(request, session, (SUGGESTIONS, limits.party(
            request, identity.party_id)))
        if not verdict.allowed:  # the suggestions shown stay: htmx is told to swap nothing
            await session.commit()
            return Response(status_code=limits.RATE_LIMITED,
                            headers={**limits.retry_after(verdict), "HX-Reswap": "none"})
        access = await portal_access(request, session)
        context = await suggest_for_form(
            session, access, identity.audience, AskForm.from_form(values))
        await session.commit()
    return render(request, "portal/questions/_suggestions.html", {**context, "values": values})


routes = [
    Route("/antwoorden", search_page, name="answers:search"),
    Route("/antwoorden/suggesties", suggestions, methods=["POST"], name="answers:suggestions"),
    Route("/antwoorden/geopend", opened, methods=["POST"], name="answers:opened"),
    Route("/antwoorden/{slug}", answer_page, name="answers:detail"),
    Route("/antwoorden/{slug}/feedback", feedback, methods=["POST"], name="answers:feedback"),
]
