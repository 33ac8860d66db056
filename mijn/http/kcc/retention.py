"""The retention page (staff session, team leads): each kind's period, what is past it now,
and what the runs of `mijn retention run` removed when."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.db import request_session, utcnow
from mijn.http.common import app_settings
from mijn.http.kcc.common import render_staff, require_staff
from mijn.retention.service import figures, recent_runs


async def page(request: Request) -> Response:
    """Bewaartermijnen: counts only, no personal data; team leads only (others: 404)."""
    staff = require_staff(request)
    if not staff.is_lead:
        raise HTTPException(status_code=404)
    async with request_session(request, autocommit=True) as session:
        found = await figures(session, app_settings(request).retention, utcnow())
        runs = await recent_runs(session)
    return render_staff(request, "kcc/retention.html", {"figures": found, "runs": runs})


routes = [Route("/kcc/bewaartermijnen", page, name="kcc:retention")]
