"""How a callback went: the holder records each try to call (reached, not reached and tried
again, voicemail left), with the question's version like every other action.
"""

from __future__ import annotations

from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mijn.db import request_session
from mijn.http.common import app_settings, form_values, redirect
from mijn.http.kcc.common import require_staff
from mijn.http.kcc.parties import parse_window
from mijn.http.kcc.questions import conflict, rerender
from mijn.questions.callbacks import record_outcome
from mijn.questions.common import QuestionError
from mijn.questions.states import TransitionRefused
from mijn.questions.workflow import QuestionChanged, check_version, staff_question


def _new_window(values: dict[str, str]) -> tuple[datetime, datetime] | None:
    """The window to try again in, when the form gives one (all three fields empty: none)."""
    if not any(values.get(name, "").strip() for name in ("day", "from", "until")):
        return None
    return parse_window(values)


async def record(request: Request) -> Response:
    """Record one try to call the party back; a stale page or another holder: 409."""
    staff = require_staff(request)
    reference = request.path_params["reference"]
    values = await form_values(request)
    async with request_session(request) as session:
        question = await staff_question(session, reference, staff, lock=True)
        if question is None or question.kind != "callback":
            raise HTTPException(status_code=404)
        try:
            check_version(question, values.get("version"))
            await record_outcome(session, question, staff, values.get("outcome", ""),
                                 _new_window(values), app_settings(request).calendar)
        except QuestionError as error:  # checked before anything changed
            await session.rollback()
            return await rerender(request, session, reference, staff, values, error, "callback")
        except (QuestionChanged, TransitionRefused, PermissionError) as refused:
            await session.rollback()
            changed = isinstance(refused, QuestionChanged)
            return await conflict(request, session, reference, staff, values, "callback",
                                   changed)
        await session.commit()
    url = str(request.app.url_path_for("kcc:question", reference=reference))
    return redirect(request, f"{url}#terugbellen-kop")


routes: list[BaseRoute] = [
    Route("/kcc/vragen/{reference}/terugbellen/uitkomst", record, methods=["POST"],
          name="kcc:callback_outcome"),
]
