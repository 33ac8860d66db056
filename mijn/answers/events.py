"""The moments the answers count (viewed, suggested, opened, used, and a question asked after
suggestions), and what they add up to: how the answers keep questions away."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select, update
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
    """How the answers keep questions away, over a period: the one computation of these
    figures (the editors' list shows them for this month, insight's report per month)."""

    views: int
    suggested: int  # suggestions shown
    opened: int  # suggestions opened
    forms_opened: int  # forms in which a suggestion was opened
    forms_not_sent: int  # ... of which no question was sent


async def deflection(
    session: AsyncSession, since: datetime, until: datetime | None = None
) -> Deflection:
    """Views, suggestions shown and opened from `since` (up to `until`, when given), and the
    forms in which a suggestion was opened then, with those of them from which no question
    was sent. A question is sent after the suggestion was opened: it counts from `since` on,
    also after `until` (a form opened on the 31st may be sent on the 1st)."""
    period = [AnswerEvent.at >= since, *([AnswerEvent.at < until] if until else [])]
    kinds = dict((await session.execute(select(AnswerEvent.kind, func.count()).where(
        *period, AnswerEvent.kind.in_(("view", "suggested", "opened")))
        .group_by(AnswerEvent.kind))).all())
    forms = select(AnswerEvent.form_key).where(
        *period, AnswerEvent.kind == "opened", AnswerEvent.form_key.is_not(None)
    ).distinct().subquery()
    asked = select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "asked", AnswerEvent.form_key.is_not(None), AnswerEvent.at >= since)
    forms_opened, not_sent = (await session.execute(select(
        func.count(), func.coalesce(func.sum(case((forms.c.form_key.in_(asked), 0), else_=1)), 0)
    ).select_from(forms))).one()
    return Deflection(int(kinds.get("view", 0)), int(kinds.get("suggested", 0)),
                      int(kinds.get("opened", 0)), int(forms_opened), int(not_sent))
