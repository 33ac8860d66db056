"""How the deliveries fare: the notification e-mails per state, and what is dead (will not be
tried again: an e-mail, a ZGW notification, a completed task pushed to the back-office, an
export to Open Klant) with its error, to put back in the queue."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.staff import Staff
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.http.common import redirect, small_int
from mijn.http.kcc.common import render_staff, require_staff
from mijn.intake.zgw_queue import dead_notifications, requeue
from mijn.notifications.service import dead_deliveries, delivery_counts, requeue_delivery
from mijn.openklant.queue import dead_exports, requeue_export
from mijn.tasks.webhook import dead_pushes, requeue_push

KINDS = ("e-mail", "zgw", "taak", "openklant")
AUDIT = {"e-mail": "email", "zgw": "zgw", "taak": "task_push", "openklant": "openklant"}


def _require_watcher(request: Request) -> Staff:
    """Agents and team leads watch the deliveries (they see every party); others: 404."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    return staff


async def deliveries(request: Request) -> Response:
    """How the notifications' e-mails fare, and the dead e-mails and ZGW notifications."""
    staff = _require_watcher(request)
    async with request_session(request, autocommit=True) as session:
        counts = await delivery_counts(session)
        failed = await dead_deliveries(session)
        zgw = await dead_notifications(session)
        pushes = await dead_pushes(session)
        exports = await dead_exports(session)
    return render_staff(request, "kcc/deliveries.html", {
        "counts": counts, "failed": failed, "zgw": zgw, "staff": staff, "pushes": pushes,
        "exports": exports,
        "requeued": request.query_params.get("opnieuw", ""),
    })


async def retry(request: Request) -> Response:
    """Put one dead e-mail, ZGW notification or Open Klant export back in the queue
    ("Opnieuw proberen");
    audited. One that is not dead (any more) is a 404."""
    staff = _require_watcher(request)
    kind = request.path_params["kind"]
    item_id = small_int(request.path_params["item_id"])
    if kind not in KINDS or item_id is None:
        raise HTTPException(status_code=404)
    async with request_session(request) as session:
        if kind == "e-mail":
            party_id = await requeue_delivery(session, item_id)
            found = party_id is not None
        elif kind == "taak":
            party_id = await requeue_push(session, item_id)
            found = party_id is not None
        elif kind == "zgw":
            party_id, found = None, await requeue(session, item_id)
        else:
            party_id, found = None, await requeue_export(session, item_id)
        if not found:
            raise HTTPException(status_code=404)
        await record_access(
            session, actor_type="staff", actor_id=str(staff.id), actor_role=staff.main_role,
            action=f"kcc.retry.{AUDIT[kind]}", party_id=party_id,
        )
        await session.commit()
    return redirect(request, request.app.url_path_for("kcc:deliveries") + f"?opnieuw={kind}")
