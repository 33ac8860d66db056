"""How the notification e-mails fare: counts per state and the ones that failed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.http.common import render
from mijn.http.kcc.common import require_staff
from mijn.notifications.service import delivery_counts, failed_deliveries


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
