"""The team lead's live view (/kcc/leiding): the queue, what each colleague holds and since
when, what each team was handed over; and reassigning or releasing questions, one or many.
Team leads only: any other staff member finds nothing here (404)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.staff import Staff
from mijn.db import request_session
from mijn.http.common import capped_form, redirect, small_int
from mijn.http.kcc.common import audit_view, render_staff, require_staff
from mijn.questions.claims import LeadOutcome, Pick, UnknownColleague, lead_release, reassign
from mijn.questions.workload import workload

REFERENCE = re.compile(r"V-[0-9A-Z]{10}")
MAX_PICKS = 200


def require_lead(request: Request) -> Staff:
    """A team lead; any other staff member finds nothing here (404)."""
    staff = require_staff(request)
    if not staff.is_lead:
        raise HTTPException(status_code=404)
    return staff


def _reported(raw: str) -> list[str]:
    """The references a redirect reports as changed meanwhile (only well-formed ones)."""
    return [ref for ref in raw.split(",") if REFERENCE.fullmatch(ref)][:MAX_PICKS]


async def lead_page(request: Request) -> Response:
    """The live view: queue figures, per colleague what they hold, per team what was handed
    over, with a form to reassign or release what is selected."""
    require_lead(request)
    async with request_session(request, autocommit=True) as session:
        work = await workload(session)
    params = request.query_params
    context = {
        "work": work, "done": small_int(params.get("gedaan")),
        "changed": _reported(params.get("gewijzigd", "")),
        "error": params.get("fout") if params.get("fout") in ("keuze", "collega") else None,
    }
    return render_staff(request, "kcc/lead.html", context)


def _picks(values: list[str]) -> list[Pick]:
    """The selected questions: 'reference@version' per checkbox (a bare reference acts on
    the question as it is now)."""
    picks = []
    for value in values[:MAX_PICKS]:
        reference, _, version = value.partition("@")
        if REFERENCE.fullmatch(reference):
            picks.append(Pick(reference, version or None))
    return picks


AUDIT = {"toewijzen": "kcc.question.reassign", "teruggeven": "kcc.question.release"}


async def _change(request: Request, staff: Staff, action: str, picks: list[Pick],
                  colleague: int | None) -> LeadOutcome:
    """Carry the change out and audit it per question (UnknownColleague: nothing done)."""
    async with request_session(request) as session:
        try:
            if action == "toewijzen":
                outcome = await reassign(session, staff, picks, colleague)
            else:
                outcome = await lead_release(session, staff, picks)
        except UnknownColleague:
            await session.rollback()
            raise
        for question in outcome.done:  # who holds whose question is on the record
            await audit_view(session, staff, AUDIT[action], question.party_id, "lead",
                             question_id=question.id, dossier_id=question.dossier_id)
        await session.commit()
    return outcome


async def lead_act(request: Request) -> Response:
    """Reassign the selected questions to a colleague, or give them back to the queue.
    Questions that changed since the page was shown are left alone and reported."""
    staff = require_lead(request)
    form = await capped_form(request)
    picks = _picks([v for v in form.getlist("vraag") if isinstance(v, str)])
    action = str(form.get("actie", ""))
    back = str(request.app.url_path_for("kcc:lead"))
    if not picks or action not in AUDIT:
        return redirect(request, back + "?fout=keuze")
    try:
        outcome = await _change(request, staff, action, picks,
                                small_int(str(form.get("collega", ""))))
    except UnknownColleague:
        return redirect(request, back + "?fout=collega")
    query = {"gedaan": str(len(outcome.done))}
    if outcome.changed:
        query["gewijzigd"] = ",".join(outcome.changed)
    return redirect(request, f"{back}?{urlencode(query)}")


routes = [
    Route("/kcc/leiding", lead_page, name="kcc:lead"),
    Route("/kcc/leiding", lead_act, methods=["POST"], name="kcc:lead_act"),
]
