"""Parties at the KCC: a caller's picture (finding them: mijn/http/kcc/finding.py), and
registering contacts, questions on their behalf and callbacks.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.db import request_session, utcnow
from mijn.dossiers.service import party_dossier_id
from mijn.http.common import LOCAL_TZ, app_settings, form_values, redirect, small_int
from mijn.http.kcc.common import audit_view, handover_from_form, render_staff, require_staff
from mijn.notifications.service import party_notifications
from mijn.openklant.queue import after_action, enqueue, enqueue_contact
from mijn.parties.service import get_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.callbacks import suggest_window
from mijn.questions.common import MAX_BODY, QuestionError, clean_body, list_topics
from mijn.questions.contacts import Callback, register_contact, request_callback
from mijn.questions.queue import party_picture
from mijn.questions.workflow import (
    claim,
    reply,
)
from mijn.settings import Settings
from mijn.staff.service import list_specialists, list_teams
from mijn.tasks.doing import open_tasks
from mijn.tasks.files import done_uploads
from mijn.workingtime import WorkingCalendar

CONTACT_CHANNELS = ("phone", "counter", "email", "social_media")


def window_fields(window: tuple[datetime, datetime]) -> dict[str, str]:
    """A callback window as the form's fields hold it (local date and times)."""
    start, end = (moment.astimezone(LOCAL_TZ) for moment in window)
    return {"day": start.date().isoformat(), "from": start.strftime("%H:%M"),
            "until": end.strftime("%H:%M")}


async def _party_context(
    session: AsyncSession, party_id: int, values: dict[str, str],
    error: QuestionError | None, form: str | None, calendar: WorkingCalendar,
) -> dict[str, Any] | None:
    picture = await party_picture(session, party_id)
    if picture is None:
        return None
    return {
        "callback_slot": window_fields(suggest_window(calendar, utcnow())),
        "notifications": await party_notifications(session, party_id),
        "picture": picture, "topics": await list_topics(session),
        "teams": await list_teams(session), "specialists": await list_specialists(session),
        "values": values, "error": error, "form": form, "channels": CONTACT_CHANNELS,
        "submit_key": secrets.token_urlsafe(16), "max_body": MAX_BODY,
        "tasks": (await open_tasks(session, PartyScope(party_id)))[0], "today": date.today(),
        "done_uploads": await done_uploads(session, party_id),
    }


async def party_page(request: Request) -> Response:
    """A party's whole picture, with the forms to register a contact, a question, a callback."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    party_id = small_int(request.path_params["party_id"])
    async with request_session(request) as session:
        context = await _party_context(session, party_id or 0, {}, None, None,
                                       app_settings(request).calendar)
        if context is None:
            raise HTTPException(status_code=404)
        await audit_view(session, staff, "kcc.party.view", context["picture"].party.id,
                         staff.main_role)
        await session.commit()
    context["saved"] = request.query_params.get("opgeslagen", "")
    return render_staff(request, "kcc/party.html", context)


def parse_window(values: dict[str, str]) -> tuple[datetime, datetime]:
    """The callback window of a form (a date, from, until; local time), or QuestionError."""
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
    contact = await register_contact(
        session, staff, party_id, values.get("channel", ""), values.get("summary", ""),
        internal=values.get("internal") == "1", dossier_id=dossier_id,
    )
    await enqueue_contact(session, settings.openklant, contact.id)
    return "contact"


async def _question_for(
    session: AsyncSession, staff: Staff, party_id: int, values: dict[str, str], settings: Settings
) -> str:
    channel = values.get("channel", "phone")
    if channel not in CONTACT_CHANNELS:
        raise QuestionError("channel", "unknown")
    answer = values.get("answer", "").strip()
    if answer:
        clean_body(answer, "answer")
    question, created = await ask(
        session,
        NewQuestion(party_id, small_int(values.get("topic")), values.get("body", ""),
                    await _dossier(session, values, party_id), channel,
                    submit_key=values.get("submit_key") or None),
        settings.calendar, staff,
    )
    if created:
        await enqueue(session, settings.openklant, "question", question.id, question.reference)
    if created and answer:  # answered on the phone: first-contact resolution
        await claim(session, question, staff)
        await reply(session, question, staff, answer)
        await after_action(session, settings.openklant, question, "reply")
    return "vraag"


async def _callback(
    session: AsyncSession, staff: Staff, party_id: int, values: dict[str, str], settings: Settings
) -> str:
    window_from, window_until = parse_window(values)
    callback = Callback(
        party_id=party_id, topic_id=small_int(values.get("topic")), phone=values.get("phone", ""),
        window_from=window_from, window_until=window_until, handover=handover_from_form(values),
        dossier_id=await _dossier(session, values, party_id),
    )
    question = await request_callback(session, staff, callback, settings.calendar)
    for kind in ("question", "handover"):  # a klantcontact, and the internetaak for it
        await enqueue(session, settings.openklant, kind, question.id, question.reference)
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
            context = await _party_context(session, party_id, values, error, action,
                                           app_settings(request).calendar)
            assert context is not None  # the party was there a moment ago
            await audit_view(session, staff, "kcc.party.view", party_id, staff.main_role)
            await session.commit()
            return render_staff(request, "kcc/party.html", context, status_code=422)
        await session.commit()
    url = request.app.url_path_for("kcc:party", party_id=str(party_id))
    return redirect(request, f"{url}?opgeslagen={saved}")
