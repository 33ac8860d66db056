"""After a handover: the note read as its labelled parts, the news for the team or specialist
it went to (until they open it), and a specialist handing a question back to the KCC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.questions.common import clean_body, new_message
from mijn.questions.models import Question
from mijn.questions.states import next_state
from mijn.questions.workflow import _change
from mijn.staff.service import team_ids_of

NOTE_PARTS = ("who", "what", "tried")
_MARK = re.compile(r"^\[(who|what|tried)\] ?", re.MULTILINE)


@dataclass(frozen=True)
class HandoverNote:
    """A handover note in its parts: who asks, what the customer wants, what was tried."""

    who: str
    what: str
    tried: str


def parse_note(body: str) -> HandoverNote | None:
    """The parts of a note written as "[who] …\\n[what] …\\n[tried] …" (Handover.note);
    None for any other text (shown as it is). A marker only starts a part when it comes
    after the previous part's (who, what, tried): an earlier one inside a part is its text."""
    accepted: list[re.Match[str]] = []
    for mark in _MARK.finditer(body):
        order = NOTE_PARTS.index(mark.group(1))
        if not accepted or order > NOTE_PARTS.index(accepted[-1].group(1)):
            accepted.append(mark)
    if not accepted or accepted[0].start() != 0:
        return None
    parts = dict.fromkeys(NOTE_PARTS, "")
    for index, mark in enumerate(accepted):
        end = accepted[index + 1].start() if index + 1 < len(accepted) else len(body)
        parts[mark.group(1)] = body[mark.end():end].strip()
    return HandoverNote(**parts)


@dataclass(frozen=True)
class HandoverNews:
    """Handed-over questions not yet opened: to this specialist by name, and to their team."""

    mine: int = 0
    team: int = 0


async def handover_news(session: AsyncSession, staff: Staff) -> HandoverNews:
    """How many questions were handed to this specialist, or to their team (nobody named),
    that they have not opened yet."""
    if not staff.is_specialist:
        return HandoverNews()
    unread = (Question.state == "handed_over", Question.handover_unread.is_(True))
    mine = await session.scalar(
        select(func.count()).where(*unread, Question.assignee_id == staff.id)
    )
    team = await session.scalar(
        select(func.count()).where(
            *unread, Question.assignee_id.is_(None), Question.team_id.in_(team_ids_of(staff.id))
        )
    )
    return HandoverNews(int(mine or 0), int(team or 0))


async def mark_seen(session: AsyncSession, question: Question, staff: Staff) -> bool:
    """The specialist (or a member of the team) it was handed to opens it: no longer news.
    Whether that changed anything (the caller commits)."""
    if not (question.handover_unread and staff.is_specialist):
        return False
    if question.assignee_id is not None:
        mine = question.assignee_id == staff.id
    else:
        teams: set[Any] = {row[0] for row in await session.execute(team_ids_of(staff.id))}
        mine = question.team_id in teams
    if mine:
        question.handover_unread = False  # not a change of the question: its version stays
    return mine


async def hand_back(session: AsyncSession, question: Question, staff: Staff, note: str) -> None:
    """A specialist hands the question back to the KCC, with a note why: it goes back to the
    queue, no longer with the team; the note and the event keep what happened."""
    if not staff.is_specialist:
        raise PermissionError("only specialists hand a question back")
    if not staff.may_answer(question.assignee_id):
        raise PermissionError("a colleague holds this question")
    next_state(question.state, "hand_back")  # TransitionRefused unless handed over
    text = clean_body(note, "handback", 2000)
    now = utcnow()
    await _change(session, question, staff, "hand_back", now, team_id=question.team_id)
    session.add(new_message(question, "handback", text, now, staff.id))
    question.assignee_id = None
    question.team_id = None
    question.handed_over = False  # a citizen's reply goes to the KCC's queue now
    question.handover_unread = False
    question.first_contact_resolution = False  # it needed a handover, whoever answers
    await session.flush()
