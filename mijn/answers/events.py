"""The moments the answers count (viewed, suggested, opened, used, and a question asked after
suggestions), and what they add up to: how the answers keep questions away."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.models import Answer, AnswerEvent
from mijn.db import utcnow

_EVENT = insert(AnswerEvent)


async def record(
    session: AsyncSession, kind: str, answer_ids: Sequence[int | None], context: str = "",
    form_key: str | None = None, question_id: int | None = None,
) -> None:
    """Count a moment for each answer (a view also adds to the answer's view count)."""
    if not answer_ids:
        return
    now = utcnow()
    key = form_key[:64] if form_key else None
    await session.execute(_EVENT, [
        {"kind": kind, "answer_id": a, "context": context[:12], "form_key": key,
         "question_id": question_id, "at": now} for a in answer_ids])
    if kind == "view":
        ids = [a for a in answer_ids if a is not None]
        await session.execute(update(Answer).where(Answer.id.in_(ids))
                              .values(view_count=Answer.view_count + 1))


async def suggestions_shown(session: AsyncSession, form_key: str) -> bool:
    """Whether answers were suggested in the form with this key."""
    found = await session.scalar(select(AnswerEvent.id).where(
        AnswerEvent.form_key == form_key, AnswerEvent.kind == "suggested").limit(1))
    return found is not None


@dataclass(frozen=True)
class Deflection:
    """How the answers keep questions away, over a period."""

    views: int
    suggested: int  # suggestions shown
    opened: int  # suggestions opened
    forms_opened: int  # forms in which a suggestion was opened
    forms_not_sent: int  # ... of which no question was sent


async def deflection(session: AsyncSession, since: datetime) -> Deflection:
    """Views, suggestions shown and opened, and the forms where an opened suggestion was
    followed by no question at all."""
    counts = dict((await session.execute(
        select(AnswerEvent.kind, func.count()).where(AnswerEvent.at >= since)
        .group_by(AnswerEvent.kind))).all())
    opened_forms = (select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "opened", AnswerEvent.at >= since,
        AnswerEvent.form_key.is_not(None)).distinct().subquery())
    asked = select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "asked", AnswerEvent.form_key.is_not(None))
    forms_opened = await session.scalar(select(func.count()).select_from(opened_forms)) or 0
    not_sent = await session.scalar(select(func.count()).select_from(opened_forms).where(
        opened_forms.c.form_key.not_in(asked))) or 0
    return Deflection(counts.get("view", 0), counts.get("suggested", 0),
                      counts.get("opened", 0), forms_opened, not_sent)
