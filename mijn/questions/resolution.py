"""First-contact resolution: the one rule the question workspace and the monthly report share.

A question is solved at first contact when the KCC answered it (a "reply" event), with one
answer, and never handed it over. It is not once it was handed over, or once it needed more
than one answer: a question to the citizen ("wait"), their reply, then the answer, or a
second reply after the citizen came back. Staff answers are the "reply" and "wait" events.
Nor is it once the party reopened it because they were not satisfied with the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select

from mijn.questions.models import QuestionEvent

ANSWERS = ("reply", "wait")  # the public messages of staff to the citizen
HANDOVER = "hand_over"
REOPEN = "reopen"  # not satisfied: counts as much as a handover


def first_contact_resolution(actions: Iterable[str]) -> bool | None:
    """From a question's event actions: solved at first contact (None: not answered yet)."""
    seen = list(actions)
    if "reply" not in seen:
        return None
    if HANDOVER in seen or REOPEN in seen:
        return False
    return sum(action in ANSWERS for action in seen) <= 1


def resolution_of(events: Iterable[QuestionEvent]) -> bool | None:
    """The same, from a question's events (the workspace shows it)."""
    return first_contact_resolution(event.action for event in events)


def needed_more(question_id: Any) -> Any:
    """SQL, true when the question (by its id column) was handed over, reopened or needed more
    than one answer: the same rule as first_contact_resolution, over the question's events."""
    weight = func.sum(case((QuestionEvent.action.in_((HANDOVER, REOPEN)), 2),
                           (QuestionEvent.action.in_(ANSWERS), 1), else_=0))
    found = select(weight).where(QuestionEvent.question_id == question_id).scalar_subquery()
    return func.coalesce(found, 0) > 1
