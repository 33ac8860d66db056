"""Publishing: a draft becomes what everyone reads, with its topics, the dossier types and
statuses it applies to, and its entries in the search index; withdrawing takes it offline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers import search as index
from mijn.answers.editing import draft_of
from mijn.answers.errors import AnswerError
from mijn.answers.models import Answer, AnswerTarget, AnswerTopic, AnswerVersion
from mijn.answers.text import summary
from mijn.db import utcnow
from mijn.dossiers.service import type_catalogue
from mijn.questions.common import list_topics


async def publish(
    session: AsyncSession, answer: Answer, staff_id: int | None
) -> AnswerVersion:
    """Publish the draft: it becomes what everyone reads; the previous version is kept."""
    version = await draft_of(session, answer.id)
    if version is None:
        raise AnswerError("version", "no_draft")
    now = utcnow()
    await session.execute(update(AnswerVersion).where(
        AnswerVersion.answer_id == answer.id, AnswerVersion.state == "published",
    ).values(state="superseded"))
    version.state, version.published_at, version.published_by_id = "published", now, staff_id
    answer.published, answer.version, answer.published_at = True, version.number, now
    answer.title, answer.body, answer.internal_notes = version.title, version.body, \
        version.internal_notes
    answer.summary = summary(version.body)
    answer.audience, answer.review_by, answer.updated_at = version.audience, version.review_by, now
    answer.yes_count = answer.no_count = 0  # votes were about the text before
    await session.flush()
    await _link(session, answer, version)
    return version


async def _link(session: AsyncSession, answer: Answer, version: AnswerVersion) -> None:
    """Topics, targets and index entries of the published version."""
    topics = {t.code: t for t in await list_topics(session)}
    chosen = [topics[c] for c in version.topics.split() if c in topics]
    await session.execute(delete(AnswerTopic).where(AnswerTopic.answer_id == answer.id))
    await session.execute(delete(AnswerTarget).where(AnswerTarget.answer_id == answer.id))
    if chosen:
        await session.execute(insert(AnswerTopic), [
            {"answer_id": answer.id, "topic_id": t.id} for t in chosen])
    targets = await _target_ids(session, version.targets.split())
    if targets:
        await session.execute(insert(AnswerTarget), [
            {"answer_id": answer.id, "dossier_type_id": t, "status_type_id": s}
            for t, s in targets])
    await index.index_answer(session, answer.id, answer.title,
                             [t.label_nl for t in chosen], answer.body, answer.audience)


async def _target_ids(session: AsyncSession, codes: Sequence[str]) -> list[tuple[int, int | None]]:
    ids: list[tuple[int, int | None]] = []
    catalogue = {t.code: (t, {s.code: s.id for s in statuses})
                 for t, statuses in await type_catalogue(session)}
    for code in codes:
        type_code, _, status_code = code.partition("/")
        if type_code not in catalogue:
            continue  # the type is gone since the draft was saved
        dossier_type, statuses = catalogue[type_code]
        if not status_code:
            ids.append((dossier_type.id, None))
        elif status_code in statuses:
            ids.append((dossier_type.id, statuses[status_code]))
    return ids


async def withdraw(session: AsyncSession, answer: Answer) -> None:
    """Take an answer offline (its versions are kept; publishing a draft brings it back)."""
    answer.published, answer.updated_at = False, utcnow()
    await session.execute(delete(AnswerTarget).where(AnswerTarget.answer_id == answer.id))
    await session.execute(delete(AnswerTopic).where(AnswerTopic.answer_id == answer.id))
    await index.unindex_answer(session, answer.id)
    await session.flush()
