"""HTTP for the contact centre (KCC): the queue, the question workspace, a party's picture,
contacts, questions on a caller's behalf and callback requests. Staff sessions only.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.answers import handling as answers
from mijn.answers.models import AUDIENCES
from mijn.answers.text import plain_text, render_html
from mijn.audit.service import record_access
from mijn.db import request_session, utcnow
from mijn.dossiers.models import CHANNELS
from mijn.dossiers.service import dossier_view_by_id, party_dossier_id
from mijn.http.common import LOCAL_TZ, app_settings, form_values, redirect, render, small_int
from mijn.http.login.routes import logout
from mijn.http.session import require_identity
from mijn.mandates.service import party_mandates
from mijn.notifications.service import delivery_counts, failed_deliveries, party_notifications
from mijn.parties.service import (
    PERSON_IDENTIFIERS,
    InvalidIdentifier,
    find_party,
    get_or_create_party,
    get_party,
)
from mijn.questions import service
from mijn.questions.models import Question, Topic
from mijn.questions.service import (
    MAX_BODY,
    Callback,
    Handover,
    NewQuestion,
    QuestionError,
    QueueFilters,
)
from mijn.questions.states import TransitionRefused, allowed_actions
from mijn.settings import Settings
from mijn.staff.service import list_specialists, list_teams, staff_names

CONTACT_CHANNELS = ("phone", "counter", "email", "social_media")
IDENTIFIER_TYPES = ("bsn", "national_number", "kvk", "kbo")


def require_staff(request: Request) -> Staff:
    """The logged-in staff member (from the staff session only), or off to the staff login."""
    identity = require_identity(request, "staff")
    staff = Staff(id=identity.party_id, roles=identity.roles)
    request.state.staff = staff  # for the menu of every KCC page
    return staff


def render_staff(
    request: Request, template: str, context: dict[str, Any], **options: Any
) -> Response:
    """Render a KCC page; the menu knows who is logged in."""
    context.setdefault("staff", getattr(request.state, "staff", None))
    return render(request, template, context, **options)


async def _audit(
    session: AsyncSession, staff: Staff, action: str, party_id: int, role: str
) -> None:
    await record_access(
        session, actor_type="staff", actor_id=str(staff.id), actor_role=role, action=action,
        party_id=party_id,
    )


async def login_page(request: Request) -> Response:
    """The staff login: one button to the organisation's identity provider."""
    next_url = request.query_params.get("next", "/kcc")
    expired = request.query_params.get("reden") == "verlopen"
    available = "staff" in request.app.state.oidc_clients
    context = {"next_url": next_url, "expired": expired, "available": available}
    return render(request, "kcc/login.html", context)


# --- the queue ------------------------------------------------------------------------------


def _filters(request: Request) -> QueueFilters:
    channel = request.query_params.get("kanaal", "")
    return QueueFilters(
        topic_id=small_int(request.query_params.get("onderwerp")),
        channel=channel if channel in CHANNELS else None,
        overdue=request.query_params.get("te_laat") == "1",
    )


async def queue(request: Request) -> Response:
    """The queue views: unassigned by due time, mine, handed over to my team, escalated."""
    staff = require_staff(request)
    if not staff.handles_questions:  # an editor only
        return RedirectResponse(str(request.app.url_path_for("kcc:answers")), status_code=303)
    view = request.query_params.get("weergave", "")
    page = small_int(request.query_params.get("pagina")) or 1
    filters = _filters(request)
    async with request_session(request, autocommit=True) as session:
        listing = await service.staff_queue(
            session, staff, view or service.views_for(staff)[0], filters, page, 25
        )
        topics = await service.list_topics(session)
    context = {
        "listing": listing, "topics": topics, "filters": filters, "staff": staff,
        "views": service.views_for(staff), "now": utcnow(),
        "empty": request.query_params.get("leeg") == "1",
    }
    return render_staff(request, "kcc/queue.html", context, block="queue")


async def take_next(request: Request) -> Response:
    """Volgende vraag: claim the most urgent unassigned question and open it."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    form = await form_values(request)
    one_statement = service.claims_in_one_statement(request.app.state.engine.dialect.name)
    async with request_session(request, autocommit=one_statement) as session:
        reference = await service.claim_next(session, staff, small_int(form.get("onderwerp")))
        await session.commit()
    if reference is None:
        return redirect(request, str(request.app.url_path_for("kcc:queue")) + "?leeg=1")
    return redirect(request, str(request.app.url_path_for("kcc:question", reference=reference)))


# --- the question workspace -----------------------------------------------------------------


async def _workspace(
    session: AsyncSession, question: Question, staff: Staff, kb_query: str = ""
) -> dict[str, Any]:
    messages = await service.full_thread(session, question)
    events = await service.question_events(session, question.id)
    ids = {m.author_staff_id for m in messages} | {e.actor_id for e in events
                                                    if e.actor_type == "staff"}
    ids |= {question.assignee_id or 0, *(e.target_staff_id or 0 for e in events)}
    return {
        **await _answers_panel(session, question, messages, kb_query),
        "question": question,
        "topic": await session.get(Topic, question.topic_id),
        "messages": messages,
        "events": events,
        "names": await staff_names(session, {i for i in ids if i}),
        "picture": await service.party_picture(session, question.party_id),
        "teams": await list_teams(session),
        "specialists": await list_specialists(session),
        "actions": _actions_for(question, staff),
        "staff": staff,
        "fcr": service.first_contact_resolution(events),
        "values": {}, "error": None, "form": None,
    }


async def _answers_panel(
    session: AsyncSession, question: Question, messages: list[Any], kb_query: str
) -> dict[str, Any]:
    """The knowledge base beside the question: answers suggested by its text, topic and
    dossier (or found by the agent's search), tailored to that dossier, with internal notes."""
    facts, context = None, answers.Context(topic_id=question.topic_id)
    if question.dossier_id:
        view = await dossier_view_by_id(session, question.dossier_id, question.party_id)
        if view is not None:
            facts = answers.dossier_facts(view)
            context = answers.Context(question.topic_id, view.dossier.dossier_type_id,
                                      view.dossier.current_status_id)
    if kb_query:
        found = await answers.search_answers(session, kb_query, AUDIENCES, limit=5)
    else:
        text = next((m.body for m in messages if m.kind == "citizen"), "")
        found = await answers.suggest(session, text, context, AUDIENCES, limit=3)
    fill = facts.values() if facts else None
    return {
        "kb_query": kb_query, "kb_answers": found, "kb_facts": fill,
        "kb_bodies": {a.id: render_html(a.body, fill) for a in found},
        "kb_notes": {a.id: render_html(a.internal_notes) for a in found if a.internal_notes},
    }


def _actions_for(question: Question, staff: Staff) -> set[str]:
    actions = set(allowed_actions(question.state)) - {"citizen_reply"}
    if not staff.sees_all:
        actions -= {"claim", "release"}
    if question.state == "claimed" and not staff.may_release(question.assignee_id):
        actions.discard("release")
    if not staff.is_specialist or question.assignee_id == staff.id:
        actions.discard("take")
    return actions | {"note"}


async def question_page(request: Request) -> Response:
    """A question with its whole thread and the party's picture; the view is audited."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    async with request_session(request) as session:
        question = await service.staff_question(session, reference, staff)
        if question is None:
            raise HTTPException(status_code=404)
        await _audit(session, staff, "kcc.question.view", question.party_id,
                     staff.role_for(question))
        await session.commit()
        kb_query = request.query_params.get("kb", "")[:200].strip()
        context = await _workspace(session, question, staff, kb_query)
        use = small_int(request.query_params.get("gebruik"))
        if use is not None:
            context.update(await _use_answer(session, use, context["kb_facts"]))
    context["flagged"] = request.query_params.get("gemeld") == "1"
    return render_staff(request, "kcc/question.html", context, block="knowledge")


async def _use_answer(
    session: AsyncSession, answer_id: int, facts: dict[str, str] | None
) -> dict[str, Any]:
    """The reply form filled with an answer's text (the agent edits it before sending)."""
    found = await answers.published_by_ids(session, [answer_id])
    if not found:
        return {}
    text = plain_text(found[0].body, facts)
    return {"form": "reply", "values": {"body": text, "answer_id": str(answer_id)}}


def _handover(values: dict[str, str]) -> Handover:
    return Handover(
        team_id=small_int(values.get("team")), specialist_id=small_int(values.get("specialist")),
        who=values.get("who", ""), what=values.get("what", ""), tried=values.get("tried", ""),
    )


Action = Callable[[AsyncSession, Question, Staff, dict[str, str], Settings], Awaitable[None]]

ACTIONS: dict[str, Action] = {
    "claim": lambda s, q, st, v, c: service.claim(s, q, st),
    "release": lambda s, q, st, v, c: service.release(s, q, st),
    "take": lambda s, q, st, v, c: service.take(s, q, st),
    "reply": lambda s, q, st, v, c: service.reply(s, q, st, v.get("body", "")),
    "wait": lambda s, q, st, v, c: service.ask_citizen(s, q, st, v.get("body", ""), c.calendar),
    "note": lambda s, q, st, v, c: service.add_note(s, q, st, v.get("note", "")),
    "hand_over": lambda s, q, st, v, c: service.hand_over(s, q, st, _handover(v)),
    "close": lambda s, q, st, v, c: service.staff_close(s, q, st),
}


async def act(request: Request) -> Response:
    """Do one thing with a question: claim, answer, ask the citizen, note, hand over, close."""
    staff = require_staff(request)
    reference, action = request.path_params["reference"], request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    values = await form_values(request)
    async with request_session(request) as session:
        question = await service.staff_question(session, reference, staff, lock=True)
        if question is None:
            raise HTTPException(status_code=404)
        try:
            await ACTIONS[action](session, question, staff, values, app_settings(request))
        except QuestionError as error:  # checked before anything changed
            await session.rollback()
            return await _rerender(request, session, reference, staff, values, error, action)
        except (TransitionRefused, PermissionError):
            raise HTTPException(status_code=409) from None
        used = small_int(values.get("answer_id"))
        if action in ("reply", "wait") and used and await answers.published_by_ids(session, [used]):
            await answers.record(session, "used", [used], "kcc", question_id=question.id)
        await session.commit()
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    if action == "hand_over" and not staff.sees_all:
        url = str(request.app.url_path_for("kcc:queue"))  # it may be out of their sight now
    return redirect(request, url)


async def _rerender(
    request: Request, session: AsyncSession, reference: str, staff: Staff,
    values: dict[str, str], error: QuestionError, form: str,
) -> Response:
    question = await service.staff_question(session, reference, staff)
    assert question is not None
    await _audit(session, staff, "kcc.question.view", question.party_id, staff.role_for(question))
    await session.commit()
    context = await _workspace(session, question, staff)
    context.update(values=values, error=error, form=form)
    return render_staff(request, "kcc/question.html", context, status_code=422)


async def flag_answer(request: Request) -> Response:
    """Tell the editors that an answer is wrong, or that an answer is missing."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        question = await service.staff_question(session, reference, staff)
        if question is None:
            raise HTTPException(status_code=404)
        try:
            await answers.flag(session, staff.id, values.get("kind", ""), values.get("comment", ""),
                               small_int(values.get("answer")), question.id)
        except answers.AnswerError as error:  # checked before anything was added
            await _audit(session, staff, "kcc.question.view", question.party_id,
                         staff.role_for(question))
            await session.commit()
            context = await _workspace(session, question, staff)
            context.update(values=values, error=error, form="flag")
            return render_staff(request, "kcc/question.html", context, status_code=422)
        await session.commit()
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    return redirect(request, f"{url}?gemeld=1#signaal-kop")


# --- parties: search, picture, contacts, questions on their behalf, callbacks ---------------


async def find(request: Request) -> Response:
    """Find a party by BSN, rijksregisternummer, KvK or KBO number (sent in a POST body,
    never in a URL); record one that is not known yet when asked to."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    values = await form_values(request)
    kind = values.get("identifier_type", "bsn")
    kind = kind if kind in IDENTIFIER_TYPES else "bsn"
    async with request_session(request) as session:
        try:
            party = await find_party(session, kind, values.get("identifier", ""))
            if party is None and values.get("create") == "1":
                party = await get_or_create_party(session, kind, values.get("identifier", ""))
                await session.commit()
        except InvalidIdentifier:
            party = None
            error: QuestionError | None = QuestionError("identifier", "invalid")
        else:
            error = None
        if party is not None:
            url = request.app.url_path_for("kcc:party", party_id=str(party.id))
            return redirect(request, str(url))
    context: dict[str, Any] = {"values": values, "error": error, "not_found": error is None,
               "identifier_types": IDENTIFIER_TYPES, "person_types": PERSON_IDENTIFIERS}
    return render_staff(request, "kcc/find.html", context, status_code=422 if error else 200)


async def find_page(request: Request) -> Response:
    """The form to look a caller up."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    context: dict[str, Any] = {"values": {}, "error": None, "not_found": False,
               "identifier_types": IDENTIFIER_TYPES, "person_types": PERSON_IDENTIFIERS}
    return render_staff(request, "kcc/find.html", context)


async def _party_context(
    session: AsyncSession, party_id: int, values: dict[str, str],
    error: QuestionError | None, form: str | None,
) -> dict[str, Any] | None:
    picture = await service.party_picture(session, party_id)
    if picture is None:
        return None
    return {
        "notifications": await party_notifications(session, party_id),
        "mandates": await party_mandates(session, party_id),
        "picture": picture, "topics": await service.list_topics(session),
        "teams": await list_teams(session), "specialists": await list_specialists(session),
        "values": values, "error": error, "form": form, "channels": CONTACT_CHANNELS,
        "submit_key": secrets.token_urlsafe(16), "max_body": MAX_BODY,
    }


async def party_page(request: Request) -> Response:
    """A party's whole picture, with the forms to register a contact, a question, a callback."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    party_id = small_int(request.path_params["party_id"])
    async with request_session(request) as session:
        context = await _party_context(session, party_id or 0, {}, None, None)
        if context is None:
            raise HTTPException(status_code=404)
        await _audit(session, staff, "kcc.party.view", context["picture"].party.id,
                     staff.main_role)
        await session.commit()
    context["saved"] = request.query_params.get("opgeslagen", "")
    return render_staff(request, "kcc/party.html", context)


def _window(values: dict[str, str]) -> tuple[datetime, datetime]:
    try:
        day = datetime.strptime(values.get("day", ""), "%Y-%m-%d").date()
        start = datetime.strptime(values.get("from", ""), "%H:%M").time()
        end = datetime.strptime(values.get("until", ""), "%H:%M").time()
    except ValueError:
        raise QuestionError("window", "format") from None
    return (
        datetime.combine(day, start, tzinfo=LOCAL_TZ), datetime.combine(day, end, tzinfo=LOCAL_TZ)
    )


async def _dossier(session: AsyncSession, values: dict[str, str], party_id: int) -> int | None:
    reference = values.get("dossier", "")
    if not reference:
        return None
    found = await party_dossier_id(session, reference, PartyScope(party_id))
    if found is None:
        raise QuestionError("dossier", "unknown")
    return found[0]


async def _register_contact(
    session: AsyncSession, staff: Staff, party_id: int, values: dict[str, str], settings: Settings
) -> str:
    dossier_id = await _dossier(session, values, party_id)
    await service.register_contact(
        session, staff, party_id, values.get("channel", ""), values.get("summary", ""),
        internal=values.get("internal") == "1", dossier_id=dossier_id,
    )
    return "contact"


async def _question_for(
    session: AsyncSession, staff: Staff, party_id: int, values: dict[str, str], settings: Settings
) -> str:
    channel = values.get("channel", "phone")
    if channel not in CONTACT_CHANNELS:
        raise QuestionError("channel", "unknown")
    answer = values.get("answer", "").strip()
    if answer:
        service.clean_body(answer, "answer")
    question, created = await service.ask(
        session,
        NewQuestion(party_id, small_int(values.get("topic")), values.get("body", ""),
                    await _dossier(session, values, party_id), channel,
                    submit_key=values.get("submit_key") or None),
        settings.calendar, staff,
    )
    if created and answer:  # answered on the phone: first-contact resolution
        await service.claim(session, question, staff)
        await service.reply(session, question, staff, answer)
    return "vraag"


async def _callback(
    session: AsyncSession, staff: Staff, party_id: int, values: dict[str, str], settings: Settings
) -> str:
    window_from, window_until = _window(values)
    callback = Callback(
        party_id=party_id, topic_id=small_int(values.get("topic")), phone=values.get("phone", ""),
        window_from=window_from, window_until=window_until, handover=_handover(values),
        dossier_id=await _dossier(session, values, party_id),
    )
    await service.request_callback(session, staff, callback, settings.calendar)
    return "terugbellen"


PartyAction = Callable[[AsyncSession, Staff, int, dict[str, str], Settings], Awaitable[str]]
PARTY_ACTIONS: dict[str, PartyAction] = {
    "contact": _register_contact, "vraag": _question_for, "terugbellen": _callback,
}


async def party_act(request: Request) -> Response:
    """Register a contact, a question on the party's behalf, or a callback request."""
    staff = require_staff(request)
    action = request.path_params["action"]
    if not staff.sees_all or action not in PARTY_ACTIONS:
        raise HTTPException(status_code=404)
    party_id = small_int(request.path_params["party_id"]) or 0
    values = await form_values(request)
    async with request_session(request) as session:
        if await get_party(session, party_id) is None:
            raise HTTPException(status_code=404)
        try:
            saved = await PARTY_ACTIONS[action](
                session, staff, party_id, values, app_settings(request)
            )
        except QuestionError as error:
            await session.rollback()
            context = await _party_context(session, party_id, values, error, action)
            assert context is not None  # the party was there a moment ago
            await _audit(session, staff, "kcc.party.view", party_id, staff.main_role)
            await session.commit()
            return render_staff(request, "kcc/party.html", context, status_code=422)
        await session.commit()
    url = request.app.url_path_for("kcc:party", party_id=str(party_id))
    return redirect(request, f"{url}?opgeslagen={saved}")


async def deliveries(request: Request) -> Response:
    """How the notifications' e-mails fare: counts per state and the ones that failed."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    async with request_session(request, autocommit=True) as session:
        counts = await delivery_counts(session)
        failed = await failed_deliveries(session)
    return render(request, "kcc/deliveries.html", {"counts": counts, "failed": failed,
                                                     "staff": staff})


async def staff_logout(request: Request) -> Response:
    """Log the staff member out (the citizen session in the same browser is untouched)."""
    return await logout(request)


async def root_redirect(request: Request) -> Response:
    """/kcc/ with a slash: the queue."""
    return RedirectResponse(str(request.app.url_path_for("kcc:queue")), status_code=308)


routes = [
    Route("/kcc", queue, name="kcc:queue"),
    Route("/kcc/", root_redirect),
    Route("/kcc/inloggen", login_page, name="kcc:login"),
    Route("/kcc/uitloggen", staff_logout, methods=["POST"], name="kcc:logout"),
    Route("/kcc/volgende", take_next, methods=["POST"], name="kcc:next"),
    Route("/kcc/vragen/{reference}", question_page, name="kcc:question"),
    Route("/kcc/vragen/{reference}/signaal", flag_answer, methods=["POST"], name="kcc:flag"),
    Route("/kcc/vragen/{reference}/{action}", act, methods=["POST"], name="kcc:act"),
    Route("/kcc/meldingen", deliveries, name="kcc:deliveries"),
    Route("/kcc/klanten", find_page, name="kcc:find"),
    Route("/kcc/klanten", find, methods=["POST"], name="kcc:find_post"),
    Route("/kcc/klanten/{party_id}", party_page, name="kcc:party"),
    Route("/kcc/klanten/{party_id}/{action}", party_act, methods=["POST"], name="kcc:party_act"),
]
