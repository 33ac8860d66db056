"""Callbacks in working time: which window may be promised (only within working hours on a
working day, from the first free slot on), and how each try to call was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.questions.common import QuestionError
from mijn.questions.models import CALLBACK_OUTCOMES, OPEN_STATES, CallbackAttempt, Question
from mijn.questions.states import TransitionRefused
from mijn.staff.service import staff_names
from mijn.workingtime import WorkingCalendar, in_working_time, next_slot

# How long a window the form proposes (shorter at the end of a working day).
WINDOW = timedelta(hours=2)


class WindowError(QuestionError):
    """A callback window that cannot be promised; `suggestion` is the first one that can."""

    def __init__(self, code: str, suggestion: tuple[datetime, datetime]) -> None:
        super().__init__("window", code)
        self.suggestion = suggestion


def suggest_window(calendar: WorkingCalendar, now: datetime) -> tuple[datetime, datetime]:
    """The first window that can be promised: from the next free slot, two hours long or
    until the end of that working day."""
    start = next_slot(calendar, now)
    period = calendar.period(calendar.local_date(start))
    assert period is not None  # next_slot lies in a working period
    return start, min(start + WINDOW, period[1])


def check_window(
    calendar: WorkingCalendar, start: datetime, end: datetime, now: datetime
) -> None:
    """WindowError when [start, end] is reversed, over, outside working time or before the
    next free slot (each with the first window that can be promised)."""
    suggestion = suggest_window(calendar, now)
    if end <= start:
        raise WindowError("order", suggestion)
    if end <= now:
        raise WindowError("past", suggestion)
    if calendar.period(calendar.local_date(start)) is None:
        raise WindowError("closed_day", suggestion)
    if not in_working_time(calendar, start, end):
        raise WindowError("hours", suggestion)
    if start < suggestion[0]:
        raise WindowError("too_early", suggestion)


def plan_window(question: Question, start: datetime, end: datetime) -> None:
    """Promise this window: the call is due when it ends."""
    question.callback_from, question.callback_until = start, end
    question.sla_due_at = end


async def record_outcome(
    session: AsyncSession, question: Question, staff: Staff, outcome: str,
    window: tuple[datetime, datetime] | None, calendar: WorkingCalendar,
) -> CallbackAttempt:
    """Record one try to call (only by whoever holds the callback, while it is open); when
    the party was not reached, a new window may be planned. The state stays as it is: after
    reaching the party, the holder answers or closes it as usual."""
    if outcome not in CALLBACK_OUTCOMES:
        raise QuestionError("outcome", "unknown")
    if question.state not in OPEN_STATES:
        raise TransitionRefused(question.state, "callback")
    if question.assignee_id != staff.id:
        raise PermissionError("only the holder records how a callback went")
    now = utcnow()
    if window is not None:
        if outcome == "reached":
            raise QuestionError("outcome", "window")
        check_window(calendar, *window, now)
        plan_window(question, *window)
    attempt = CallbackAttempt(
        question_id=question.id, outcome=outcome, staff_id=staff.id, at=now,
        window_from=window[0] if window else None, window_until=window[1] if window else None,
    )
    session.add(attempt)
    question.updated_at = now  # the page's version: a stale form is refused
    await session.flush()
    return attempt


@dataclass(frozen=True)
class AttemptView:
    """One try to call as staff read it (the party's page leaves out who called)."""

    at: datetime
    outcome: str
    staff_name: str
    window_from: datetime | None
    window_until: datetime | None


async def callback_attempts(session: AsyncSession, question: Question) -> list[AttemptView]:
    """Every try to call this party back, oldest first; none for a question."""
    if question.kind != "callback":
        return []
    found = list(await session.scalars(
        select(CallbackAttempt).where(CallbackAttempt.question_id == question.id)
        .order_by(CallbackAttempt.at, CallbackAttempt.id)
    ))
    names = await staff_names(session, {a.staff_id for a in found if a.staff_id})
    return [AttemptView(a.at, a.outcome, names.get(a.staff_id or 0, ""), a.window_from,
                        a.window_until) for a in found]


async def latest_attempt(session: AsyncSession, question: Question) -> CallbackAttempt | None:
    """The newest try to call this party back (None for a question or before the first)."""
    if question.kind != "callback":
        return None
    return await session.scalar(
        select(CallbackAttempt).where(CallbackAttempt.question_id == question.id)
        .order_by(CallbackAttempt.at.desc(), CallbackAttempt.id.desc()).limit(1)
    )


def may_record(question: Question, staff: Staff) -> bool:
    """Whether this staff member may record how a call went (the form is shown)."""
    return (question.kind == "callback" and question.state in OPEN_STATES
            and question.assignee_id == staff.id)
