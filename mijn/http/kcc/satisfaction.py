"""The KCC's page of satisfaction answers (/kcc/tevredenheid): a week's scores and comments;
a team lead sees all of them, those about closed dossiers too; an agent or specialist those
about the questions they answered (a dossier is handled by the back office, not by them: its
answers are not theirs). Editors find nothing here (404)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.db import request_session
from mijn.http.common import LOCAL_TZ, small_int
from mijn.http.kcc.common import render_staff, require_staff
from mijn.questions.satisfaction_comments import (
    comments_between,
    dossier_comments_between,
    merged,
)

WEEKS_BACK = 12


def week_start(today: date, back: int) -> date:
    """The Monday of the week `back` weeks before this one."""
    return today - timedelta(days=today.weekday(), weeks=back)


async def week_page(request: Request) -> Response:
    """A week of satisfaction answers (week=0 this week, 1 the one before, ... 12)."""
    staff = require_staff(request)
    if not staff.handles_questions:
        raise HTTPException(status_code=404)
    back = min(max(small_int(request.query_params.get("week")) or 0, 0), WEEKS_BACK)
    monday = week_start(datetime.now(LOCAL_TZ).date(), back)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=LOCAL_TZ)
    end = start + timedelta(days=7)
    async with request_session(request, autocommit=True) as session:
        if staff.is_lead:
            comments = merged(await comments_between(session, start, end),
                              await dossier_comments_between(session, start, end))
        else:
            comments = await comments_between(session, start, end, staff.id)
    context = {
        "comments": comments, "back": back, "weeks_back": WEEKS_BACK, "monday": monday,
        "sunday": monday + timedelta(days=6), "all_of_them": staff.is_lead,
    }
    return render_staff(request, "kcc/satisfaction.html", context)


routes = [Route("/kcc/tevredenheid", week_page, name="kcc:satisfaction")]
