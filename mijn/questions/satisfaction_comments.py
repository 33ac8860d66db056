"""What the KCC reads of satisfaction: the answers of a week with their comments (all of them
for a team lead, the questions they answered themselves for an agent or specialist; the
answers about closed dossiers for a team lead only), and the scores in a party's picture."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.closing import labelled
from mijn.questions.models import DossierSatisfaction, Question, SatisfactionResponse, Topic


@dataclass(frozen=True)
class WeekComment:
    """One satisfaction answer as the KCC lists it: about a question (its topic) or, when
    `dossier`, about a closed dossier (its type)."""

    reference: str
    topic_nl: str
    topic_en: str
    scale: str
    score: int
    satisfied: bool
    comment: str
    at: datetime
    reopened: bool
    dossier: bool = False


@dataclass(frozen=True)
class Score:
    """A satisfaction answer beside a question or dossier in the KCC (no one's name)."""

    scale: str
    score: int
    satisfied: bool
    comment: str
    reopened_at: datetime | None


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


async def dossier_comments_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[WeekComment]:
    """The satisfaction answers about closed dossiers given in [start, end), newest first,
    with the dossier's reference and type."""
    d, dossiers = DossierSatisfaction, labelled().subquery()
    query = (
        select(dossiers.c.reference, dossiers.c.type_nl, dossiers.c.type_en, d)
        .join(dossiers, dossiers.c.id == d.dossier_id)
        .where(d.created_at >= start, d.created_at < end)
        .order_by(d.created_at.desc(), d.id.desc())
    )
    return [WeekComment(ref, nl, en or "", r.scale, r.score, r.satisfied, r.comment,
                        r.created_at, False, dossier=True)
            for ref, nl, en, r in (await session.execute(query)).all()]


def merged(*lists: list[WeekComment]) -> list[WeekComment]:
    """Several lists of answers as one, newest first."""
    return sorted((c for found in lists for c in found), key=lambda c: c.at, reverse=True)


async def picture_scores(
    session: AsyncSession, question_ids: Iterable[int], dossier_ids: Iterable[int]
) -> tuple[dict[int, Score], dict[int, Score]]:
    """The satisfaction answers of these questions and of these dossiers, by id: one
    statement for both (none without ids)."""
    questions, dossiers = sorted(set(question_ids)), sorted(set(dossier_ids))
    parts: list[Any] = []  # the two selects (a typed list: mypy 2.4 fails on the union)
    if questions:
        r = SatisfactionResponse
        parts.append(select(literal_column("1").label("on_dossier"), r.question_id.label("of"),
                            r.scale, r.score, r.satisfied, r.comment, r.reopened_at)
                     .where(r.question_id.in_(questions)))
    if dossiers:
        d = DossierSatisfaction
        parts.append(select(literal_column("2").label("on_dossier"), d.dossier_id.label("of"),
                            d.scale, d.score, d.satisfied, d.comment,
                            null().label("reopened_at"))
                     .where(d.dossier_id.in_(dossiers)))
    found: tuple[dict[int, Score], dict[int, Score]] = ({}, {})
    if not parts:
        return found
    query: Any = union_all(*parts) if len(parts) > 1 else parts[0]
    for row in (await session.execute(query)).all():
        found[int(row.on_dossier) - 1][int(row.of)] = Score(
            row.scale, int(row.score), bool(row.satisfied), row.comment or "", row.reopened_at)
    return found
