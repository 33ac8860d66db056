"""The queue: its views (unassigned, mine, my team's, escalated) with filters, and taking the
next question.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mijn.access.staff import Staff
from mijn.channels import CHANNELS
from mijn.db import request_session, utcnow
from mijn.http.common import form_values, redirect, small_int
from mijn.http.kcc.common import note_handover_news, render_staff, require_staff
from mijn.questions.common import list_topics
from mijn.questions.queue import QueueFilters, staff_queue, views_for
from mijn.questions.workflow import (
    claim_next,
    claims_in_one_statement,
)


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
        listing = await staff_queue(
            session, staff, view or views_for(staff)[0], filters, page, 25
        )
        topics = await list_topics(session)
        await note_handover_news(request, session, staff)
    context = {
        "listing": listing, "topics": topics, "filters": filters, "staff": staff,
        "views": views_for(staff), "now": utcnow(),
        "empty": request.query_params.get("leeg") == "1",
        "sent": request.query_params.get("verstuurd") == "1",
    }
    return render_staff(request, "kcc/queue.html", context, block="queue")


async def take_next(request: Request) -> Response:
    """Volgende vraag: claim the most urgent unassigned question and open it."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    form = await form_values(request)
    return await claim_and_open(request, staff, small_int(form.get("onderwerp")))


async def claim_and_open(
    request: Request, staff: Staff, topic_id: int | None = None, sent: bool = False
) -> Response:
    """Claim the most urgent unassigned question and open it, its reply box in focus
    (opgepakt=1); or, with the queue empty, back to the queue that says so (and that the
    reply went out, when one was just sent)."""
    one_statement = claims_in_one_statement(request.app.state.engine.dialect.name)
    async with request_session(request, autocommit=one_statement) as session:
        reference = await claim_next(session, staff, topic_id)
        await session.commit()
    if reference is None:
        empty = "?leeg=1" + ("&verstuurd=1" if sent else "")
        return redirect(request, str(request.app.url_path_for("kcc:queue")) + empty)
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    return redirect(request, url + "?opgepakt=1")


async def root_redirect(request: Request) -> Response:
    """/kcc/ with a slash: the queue."""
    return RedirectResponse(str(request.app.url_path_for("kcc:queue")), status_code=308)
