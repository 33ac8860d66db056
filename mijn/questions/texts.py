"""What questions say, for the knowledge base: the party's first message and the last public
reply of questions asked in a period (examples of what people ask), and of one answered
question an agent or editor turns into a proposed answer. Internal notes never leave here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.questions.models import Question, QuestionMessage
from mijn.questions.workflow import visible_to

# A question is answered well enough to become an answer once the KCC replied and it is
# answered or closed. (Satisfaction, when the KTO exists, may narrow this.)
ANSWERED_STATES = ("answered", "closed")


@dataclass(frozen=True)
class QuestionText:
    """A question's own words and the reply it got (as typed: mask before showing)."""

    id: int
    reference: str
    party_id: int
    topic_id: int
    state: str
    created_at: datetime
    question: str  # the party's first message
    reply: str  # the last public reply; "" when there is none

    @property
    def answered(self) -> bool:
        """Answered or closed, with a reply of the KCC's."""
        return self.state in ANSWERED_STATES and bool(self.reply.strip())


async def _texts(session: AsyncSession, questions: Sequence[Question]) -> list[QuestionText]:
    ids = [q.id for q in questions]
    rows = (await session.execute(
        select(QuestionMessage.question_id, QuestionMessage.kind, QuestionMessage.body)
        .where(QuestionMessage.question_id.in_(ids),
               QuestionMessage.kind.in_(("citizen", "reply")))
        .order_by(QuestionMessage.created_at, QuestionMessage.id))).all() if ids else []
    first: dict[int, str] = {}
    last_reply: dict[int, str] = {}
    for question_id, kind, body in rows:
        if kind == "citizen":
            first.setdefault(question_id, body)
        else:
            last_reply[question_id] = body
    return [QuestionText(q.id, q.reference, q.party_id, q.topic_id, q.state, q.created_at,
                         first.get(q.id, ""), last_reply.get(q.id, "")) for q in questions]


async def recent_questions(
    session: AsyncSession, since: datetime, until: datetime, limit: int
) -> list[QuestionText]:
    """The questions (not callback requests) asked from `since` up to `until`, the newest
    first, at most `limit`."""
    found = await session.scalars(
        select(Question).where(Question.created_at >= since, Question.created_at < until,
                               Question.kind == "question")
        .order_by(Question.created_at.desc(), Question.id.desc()).limit(limit))
    return await _texts(session, list(found))


def _may_propose_from(staff: Staff) -> ColumnElement[bool]:
    """Whose answered questions a staff member may turn into an answer: those they see in
    the workspace; an editor any (they read it masked, and only to write the answer)."""
    return true() if staff.edits_answers else visible_to(staff)


async def answered_question(
    session: AsyncSession, reference: str, staff: Staff
) -> QuestionText | None:
    """An answered question this staff member may propose an answer from; None otherwise
    (unknown, out of their sight, not answered yet, a callback request)."""
    if not (staff.edits_answers or staff.handles_questions):
        return None
    question = await session.scalar(select(Question).where(
        Question.reference == reference, Question.kind == "question",
        Question.state.in_(ANSWERED_STATES), _may_propose_from(staff)))
    if question is None:
        return None
    found = (await _texts(session, [question]))[0]
    return found if found.answered else None
