"""What the KCC reads of satisfaction: the answers of a week with their comments, all of
them for a team lead, the questions they answered themselves for an agent or specialist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.questions.models import Question, SatisfactionResponse, Topic


@dataclass(frozen=True)
class WeekComment:
    """One satisfaction answer as the KCC lists it."""

    reference: str
    topic_nl: str
    topic_en: str
    scale: str
    score: int
    satisfied: bool
    comment: str
    at: datetime
    reopened: bool


async def comments_between(
    session: AsyncSession, start: datetime, end: datetime, answered_by: int | None = None
) -> list[WeekComment]:
    """The satisfaction answers given in [start, end), newest first; with answered_by only
    those about questions that staff member answered."""
    query = (
        select(Question.reference, Topic.label_nl, Topic.label_en, SatisfactionResponse)
        .join(Question, Question.id == SatisfactionResponse.question_id)
        .join(Topic, Topic.id == Question.topic_id)
        .where(SatisfactionResponse.created_at >= start, SatisfactionResponse.created_at < end)
        .order_by(SatisfactionResponse.created_at.desc(), SatisfactionResponse.id.desc())
    )
    if answered_by is not None:
        query = query.where(Question.answered_by_id == answered_by)
    rows = (await session.execute(query)).all()
    return [WeekComment(ref, nl, en or "", r.scale, r.score, r.satisfied, r.comment,
                        r.created_at, r.reopened_at is not None)
            for ref, nl, en, r in rows]
