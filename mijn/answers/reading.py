"""Reading published answers: which ones a visitor's audience sees, one by its address or
ids, the most read, a search, and those about a dossier's type and status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn import nearstatic
from mijn.answers import search as index
from mijn.answers.models import AUDIENCES, Answer, AnswerTarget


def audiences_for(audience: str | None) -> tuple[str, ...]:
    """Which answers a visitor reads: citizens and businesses their own, others all."""
    if audience == "citizen":
        return ("all", "citizens")
    if audience == "business":
        return ("all", "businesses")
    return AUDIENCES


async def published_answer(
    session: AsyncSession, slug: str, audiences: Sequence[str]
) -> Answer | None:
    """A published answer for these audiences; None for a draft, a withdrawn or unknown one."""
    return await session.scalar(select(Answer).where(
        Answer.slug == slug, Answer.published.is_(True), Answer.audience.in_(audiences)))


async def published_by_ids(
    session: AsyncSession, ids: Sequence[int], audiences: Sequence[str] = AUDIENCES
) -> list[Answer]:
    """Published answers by id, in the order of the ids."""
    if not ids:
        return []
    found = {a.id: a for a in await session.scalars(select(Answer).where(
        Answer.id.in_(ids), Answer.published.is_(True), Answer.audience.in_(audiences)))}
    return [found[i] for i in ids if i in found]


async def popular(session: AsyncSession, audiences: Sequence[str], limit: int = 8) -> list[Answer]:
    """The most read published answers (shown before anything is searched)."""
    found = await session.scalars(select(Answer).where(
        Answer.published.is_(True), Answer.audience.in_(audiences))
        .order_by(Answer.view_count.desc(), Answer.title).limit(limit))
    return list(found)


async def search_answers(
    session: AsyncSession, query: str, audiences: Sequence[str], *, limit: int = 10,
    prefix: bool = False,
) -> list[Answer]:
    """Published answers matching a query, best first."""
    hits = await index.search(session, query, audiences, limit=limit, prefix=prefix)
    return await published_by_ids(session, [h.answer_id for h in hits], audiences)


async def for_dossier(
    session: AsyncSession, dossier_type_id: int, status_type_id: int | None,
    audiences: Sequence[str], limit: int = 5,
) -> list[Answer]:
    """The answers for a dossier's type and current status: those about the status first,
    then those about the type as a whole."""
    specific = AnswerTarget.status_type_id.is_not(None)
    stmt = (
        select(Answer).join(AnswerTarget, AnswerTarget.answer_id == Answer.id)
        .where(AnswerTarget.dossier_type_id == dossier_type_id,
               or_(AnswerTarget.status_type_id.is_(None),
                   AnswerTarget.status_type_id == status_type_id),
               Answer.published.is_(True), Answer.audience.in_(audiences))
        .order_by(specific.desc(), Answer.title).limit(limit * 2)
    )
    seen: dict[int, Answer] = {}
    for answer in await session.scalars(stmt):
        seen.setdefault(answer.id, answer)
    return list(seen.values())[:limit]


_FOR_DOSSIER: Select[*tuple[Any, ...]] = (
    select(Answer.id, Answer.slug, Answer.title, Answer.body)
    .join(AnswerTarget, AnswerTarget.answer_id == Answer.id)
    .where(AnswerTarget.dossier_type_id == bindparam("dossier_type_id"),
           or_(AnswerTarget.status_type_id.is_(None),
               AnswerTarget.status_type_id == bindparam("status_type_id")),
           Answer.published.is_(True), Answer.audience.in_(bindparam("audiences", expanding=True)))
    .order_by(AnswerTarget.status_type_id.is_not(None).desc(), Answer.title)
    .limit(bindparam("limit"))
)
_ANSWER_TABLES = (Answer.__tablename__, AnswerTarget.__tablename__)
nearstatic.watch(*_ANSWER_TABLES)


async def kept_for_dossier(
    session: AsyncSession, dossier_type_id: int, status_type_id: int | None,
    audiences: Sequence[str], limit: int = 5,
) -> tuple[Row[Any], ...]:
    """for_dossier as Core rows (id, slug, title, body), kept per process by type, status and
    audiences (see mijn.nearstatic: a change here drops them at once, elsewhere within a
    minute): the dossier page shows them on every visit."""

    async def load(db: AsyncSession) -> tuple[Row[Any], ...]:
        params = {"dossier_type_id": dossier_type_id, "status_type_id": status_type_id,
                  "audiences": list(audiences), "limit": limit * 2}
        seen: dict[int, Row[Any]] = {}
        for row in await db.execute(_FOR_DOSSIER, params):
            seen.setdefault(row.id, row)
        return tuple(seen.values())[:limit]

    key = ("answers_for_dossier", dossier_type_id, status_type_id, tuple(audiences), limit)
    return await nearstatic.cached(session, key, _ANSWER_TABLES, load)
