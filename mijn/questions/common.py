"""What every part of the questions area shares: limits, references, topics, errors, and how an
event or a message is written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mijn import nearstatic
from mijn.plaintext import has_control, is_blank
from mijn.questions.models import (
    Contact,
    Question,
    QuestionEvent,
    QuestionMessage,
    Topic,
)

MAX_BODY = 4000


MAX_SUMMARY = 4000


REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


class QuestionError(ValueError):
    """Input that cannot become (part of) a question; `field` and `code` say what is wrong."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def new_reference() -> str:
    """A question's public reference: V- and ten random characters (not guessable)."""
    return "V-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def clean_body(body: str, field: str = "body", limit: int = MAX_BODY) -> str:
    """The text as it will be saved; QuestionError when it is empty (also when it holds only
    invisible characters: zero-width, direction marks), too long, or holds control
    characters (a NUL byte and the like) that have no place in a message."""
    text = body.replace("\r\n", "\n").strip()
    if has_control(text):
        raise QuestionError(field, "control")
    if is_blank(text):
        raise QuestionError(field, "empty")
    if len(text) > limit:
        raise QuestionError(field, "too_long")
    return text


async def list_topics(session: AsyncSession) -> list[Topic]:
    """The topics a question can be about, in their order."""
    found = await session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id)
    )
    return list(found)


_ACTIVE_TOPICS = (
    select(Topic.__table__).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id)
)
_TOPIC_TABLES = (Topic.__tablename__,)
nearstatic.watch(*_TOPIC_TABLES)


async def topic_choices(session: AsyncSession) -> tuple[Row[Any], ...]:
    """list_topics as Core rows with the same attributes, kept per process (see
    mijn.nearstatic): for the ask form on the most visited pages."""

    async def load(db: AsyncSession) -> tuple[Row[Any], ...]:
        return tuple((await db.execute(_ACTIVE_TOPICS)).all())

    return await nearstatic.cached(session, "question_topics", _TOPIC_TABLES, load)


_ALL_TOPICS = select(Topic.__table__)


async def topic_row(session: AsyncSession, topic_id: int) -> Row[Any] | Topic | None:
    """A topic by id, active or not (labels as Topic names them), from the topics kept per
    process; one added in another process since is read now."""

    async def load(db: AsyncSession) -> dict[int, Row[Any]]:
        return {row.id: row for row in (await db.execute(_ALL_TOPICS)).all()}

    kept = await nearstatic.cached(session, "all_question_topics", _TOPIC_TABLES, load)
    found = kept.get(topic_id)
    return found if found is not None else await session.get(Topic, topic_id)


async def get_topic(session: AsyncSession, topic_id: int | None) -> Topic:
    topic = await session.get(Topic, topic_id) if topic_id else None
    if topic is None or not topic.active:
        raise QuestionError("topic", "unknown")
    return topic


@dataclass(frozen=True)
class OnBehalf:
    """Someone who writes for the party: an employee of the company, or a person acting on
    a mandate. Kept with every message and event, next to the party itself."""

    kind: str  # employee | representative
    actor_id: int  # the representative's party; for an employee, the company's
    actor_ref: str  # the employee's pseudonym, or party:<id> of the representative
    name: str
    mandate_id: int | None = None


def new_event(
    question: Question, action: str, from_state: str | None, actor_type: str, actor_id: int,
    *, role: str | None = None, team_id: int | None = None, target_staff_id: int | None = None,
    at: datetime,
) -> QuestionEvent:
    return QuestionEvent(
        question_id=question.id, action=action, from_state=from_state, to_state=question.state,
        actor_type=actor_type, actor_id=actor_id, actor_role=role, team_id=team_id,
        target_staff_id=target_staff_id, at=at,
    )


def party_event(
    question: Question, action: str, from_state: str | None, by: OnBehalf | None, at: datetime
) -> QuestionEvent:
    """A change made on the party's side: by the party, or by someone acting for it."""
    if by is None:
        return new_event(question, action, from_state, "party", question.party_id, at=at)
    event = new_event(question, action, from_state, by.kind, by.actor_id, at=at)
    event.actor_ref, event.mandate_id = by.actor_ref[:100], by.mandate_id
    event.on_behalf_of_id = question.party_id
    return event


def new_message(
    question: Question, kind: str, body: str, at: datetime, staff_id: int | None = None,
    by: OnBehalf | None = None,
) -> QuestionMessage:
    return QuestionMessage(
        question_id=question.id, kind=kind, body=body, created_at=at,
        author_type="staff" if staff_id else "party", author_staff_id=staff_id,
        author_name=by.name[:200] if by else None,
    )


async def question_by_id(session: AsyncSession, question_id: int) -> Question | None:
    """A question by its id, whoever's (for exports to other systems, not for pages)."""
    return await session.get(Question, question_id)


async def message_by_id(session: AsyncSession, message_id: int) -> QuestionMessage | None:
    """A message of a thread by its id (for exports to other systems, not for pages)."""
    return await session.get(QuestionMessage, message_id)


async def latest_message_id(session: AsyncSession, question_id: int, kind: str) -> int | None:
    """The id of the question's newest message of this kind (reply, handover, ...)."""
    found = await session.scalar(
        select(QuestionMessage.id)
        .where(QuestionMessage.question_id == question_id, QuestionMessage.kind == kind)
        .order_by(QuestionMessage.id.desc()).limit(1))
    return found


async def topic_by_id(session: AsyncSession, topic_id: int) -> Topic | None:
    """A topic by its id, also one no longer offered (for exports of older questions)."""
    return await session.get(Topic, topic_id)


async def question_ids_since(session: AsyncSession, since: datetime | None) -> list[int]:
    """The ids of every question (and callback request) asked since then, oldest first."""
    query = select(Question.id).order_by(Question.id)
    if since is not None:
        query = query.where(Question.created_at >= since)
    return list(await session.scalars(query))


async def contact_by_id(session: AsyncSession, contact_id: int) -> Contact | None:
    """A registered contact by its id (for exports to other systems, not for pages)."""
    return await session.get(Contact, contact_id)


async def contact_ids_since(session: AsyncSession, since: datetime | None) -> list[int]:
    """The ids of every registered contact since then, oldest first."""
    query = select(Contact.id).order_by(Contact.id)
    if since is not None:
        query = query.where(Contact.at >= since)
    return list(await session.scalars(query))


async def latest_reply_id(session: AsyncSession, question_id: int) -> int | None:
    """The id of the question's newest public reply (under the question's lock: the one just
    sent)."""
    found: int | None = await session.scalar(select(func.max(QuestionMessage.id)).where(
        QuestionMessage.question_id == question_id, QuestionMessage.kind == "reply"))
    return found
