"""Asking and following a question as a party: ask (also for a caller, by staff), read the
public thread, reply, close; a party's questions in scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.channels import CHANNELS
from mijn.db import utcnow
from mijn.dossiers.service import locked_dossier_ids, scope_dossier_ids
from mijn.questions.common import (
    OnBehalf,
    QuestionError,
    clean_body,
    get_topic,
    new_event,
    new_message,
    new_reference,
    party_event,
)
from mijn.questions.models import (
    Question,
    QuestionMessage,
    Topic,
)
from mijn.questions.states import next_state
from mijn.questions.titles import short_title
from mijn.workingtime import WorkingCalendar, add_working_time


@dataclass(frozen=True)
class NewQuestion:
    """What a question is created from."""

    party_id: int
    topic_id: int | None
    body: str
    dossier_id: int | None = None
    channel: str = "web"
    submit_key: str | None = None
    kind: str = "question"  # or "callback": no message of the citizen, a handover note instead
    branch: str | None = None  # the vestiging it belongs to (a branch-restricted employee's)
    by: OnBehalf | None = None  # written by an employee or a representative of the party


async def ask(
    session: AsyncSession, new: NewQuestion, calendar: WorkingCalendar,
    staff: Staff | None = None, now: datetime | None = None,
) -> tuple[Question, bool]:
    """Save a new question (and its first message); a repeated submit returns the first one.

    Returns the question and whether it was created now.
    """
    body = clean_body(new.body) if new.kind == "question" else ""
    topic = await get_topic(session, new.topic_id)
    if new.channel not in CHANNELS:
        raise QuestionError("channel", "unknown")
    if new.submit_key:
        earlier = await _by_submit_key(session, new.party_id, new.submit_key)
        if earlier is not None:
            return earlier, False
    now = now or utcnow()
    question = Question(
        reference=new_reference(), kind=new.kind, party_id=new.party_id, dossier_id=new.dossier_id,
        topic_id=topic.id, channel=new.channel, state="new", created_at=now, updated_at=now,
        sla_due_at=add_working_time(calendar, now, topic.sla_hours * 3600),
        submit_key=new.submit_key, created_by_id=staff.id if staff else None,
        branch=new.branch, asked_by_name=new.by.name[:200] if new.by else None,
    )
    try:
        async with session.begin_nested():
            session.add(question)
    except IntegrityError:  # the same form, submitted twice at the same moment
        earlier = await _by_submit_key(session, new.party_id, new.submit_key or "")
        if earlier is None:
            raise
        return earlier, False
    _first_entries(session, question, new, body, staff, now)
    await session.flush()
    return question, True


def _first_entries(session: AsyncSession, question: Question, new: NewQuestion, body: str,
                   staff: Staff | None, now: datetime) -> None:
    """The question's first message (its text, if any) and its "ask" event."""
    if body:  # typed by the citizen, or by an agent on their behalf
        session.add(new_message(question, "citizen", body, now, staff.id if staff else None,
                                new.by))
    if staff:
        session.add(new_event(question, "ask", None, "staff", staff.id,
                              role=_role(staff, question), at=now))
    else:
        session.add(party_event(question, "ask", None, new.by, now))


async def check_question(session: AsyncSession, new: NewQuestion) -> None:
    """QuestionError for what ask() would refuse about the text and topic (nothing saved)."""
    clean_body(new.body)
    await get_topic(session, new.topic_id)


FORM_ORDER = ("topic", "dossier", "body")


async def question_errors(
    session: AsyncSession, topic_id: int | None, body: str, first: QuestionError
) -> list[QuestionError]:
    """Every error of the ask form, in the form's order, not only the first one found."""
    found = {first.field: first}
    try:
        await get_topic(session, topic_id)
    except QuestionError as error:
        found.setdefault(error.field, error)
    try:
        clean_body(body)
    except QuestionError as error:
        found.setdefault(error.field, error)
    return sorted(found.values(), key=lambda error: (
        FORM_ORDER.index(error.field) if error.field in FORM_ORDER else len(FORM_ORDER)))


def _role(staff: Staff | None, question: Question) -> str | None:
    return staff.role_for(question) if staff else None


async def _by_submit_key(session: AsyncSession, party_id: int, key: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.party_id == party_id, Question.submit_key == key)
    )


def _in_scope(scope: PartyScope) -> list[ColumnElement[bool]]:
    """A party's questions a restricted visitor may see: of their branch, about a dossier
    of their mandate's types, and none about a dossier above the session's level."""
    found = [Question.party_id == scope.party_id]
    if scope.branch is not None:
        found.append(Question.branch == scope.branch)
    if scope.dossier_types is not None:
        found.append(Question.dossier_id.in_(scope_dossier_ids(scope)))
    locked = locked_dossier_ids(scope)
    if locked is not None:
        found.append(or_(Question.dossier_id.is_(None), Question.dossier_id.not_in(locked)))
    return found


def locked_question_ids(scope: PartyScope) -> Select[Any] | None:
    """The ids of the party's questions about a dossier above the scope's level of
    assurance (None: none can be)."""
    locked = locked_dossier_ids(scope)
    if locked is None:
        return None
    return select(Question.id).where(Question.party_id == scope.party_id,
                                     Question.dossier_id.in_(locked))


def scope_question_ids(scope: PartyScope) -> Select[Any]:
    """The ids of the party's questions in scope (for news about them)."""
    return select(Question.id).where(*_in_scope(scope))


async def locked_question_count(session: AsyncSession, scope: PartyScope) -> int:
    """How many of the party's questions are about a dossier above the scope's level of
    assurance (left out of the list: only that they exist)."""
    locked = locked_question_ids(scope)
    if locked is None:
        return 0
    return int(await session.scalar(select(func.count()).select_from(locked.subquery())) or 0)


async def party_question(
    session: AsyncSession, reference: str, scope: PartyScope, *, lock: bool = False
) -> Question | None:
    """A question of this party (in scope); None for another party's, one out of scope
    (also about a dossier above the scope's level of assurance) or an unknown reference."""
    query = select(Question).where(Question.reference == reference, *_in_scope(scope))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def public_thread(session: AsyncSession, question: Question) -> list[QuestionMessage]:
    """The messages a citizen may read: theirs and the public replies, never internal notes."""
    found = await session.scalars(
        select(QuestionMessage)
        .where(
            QuestionMessage.question_id == question.id,
            QuestionMessage.kind.in_(("citizen", "reply")),
        )
        .order_by(QuestionMessage.created_at, QuestionMessage.id)
    )
    return list(found)


async def mark_read(session: AsyncSession, question: Question) -> None:
    """The citizen has seen the latest reply."""
    if question.party_unread:
        await session.execute(
            update(Question).where(Question.id == question.id).values(party_unread=False)
        )
        question.party_unread = False


async def citizen_reply(
    session: AsyncSession, question: Question, body: str, calendar: WorkingCalendar,
    now: datetime | None = None, by: OnBehalf | None = None,
) -> None:
    """The citizen adds to their question; a waiting, answered or closed one reopens."""
    text = clean_body(body)
    now = now or utcnow()
    before = question.state
    question.state = next_state(
        before, "citizen_reply", routed=question.handed_over,
        assigned=question.assignee_id is not None,
    )
    session.add(new_message(question, "citizen", text, now, by=by))
    if question.state != before:
        await _restart_clock(session, question, before, now, calendar)
        if question.state == "new":
            question.assignee_id = None
        question.closed_at = None
        session.add(party_event(question, "citizen_reply", before, by, now))
    if question.state == "handed_over":
        question.handover_unread = True  # news again for the team or specialist who has it
    question.updated_at = now
    await session.flush()


async def _restart_clock(
    session: AsyncSession, question: Question, before: str, now: datetime,
    calendar: WorkingCalendar,
) -> None:
    if before == "waiting" and question.sla_remaining_seconds is not None:
        seconds = max(0, question.sla_remaining_seconds)  # the clock stood still meanwhile
    else:
        seconds = (await get_topic(session, question.topic_id)).sla_hours * 3600
    question.sla_due_at = add_working_time(calendar, now, seconds)
    question.sla_remaining_seconds = None


async def citizen_close(
    session: AsyncSession, question: Question, now: datetime | None = None,
    by: OnBehalf | None = None,
) -> None:
    """The citizen needs nothing more."""
    now = now or utcnow()
    before = question.state
    question.state = next_state(before, "close")
    question.closed_at = question.updated_at = now
    session.add(party_event(question, "close", before, by, now))
    await session.flush()


async def party_questions(
    session: AsyncSession, scope: PartyScope
) -> list[tuple[Question, Topic]]:
    """All questions of a party (in scope) with their topics, most recently changed first."""
    rows = await session.execute(
        select(Question, Topic)
        .join(Topic, Topic.id == Question.topic_id)
        .where(*_in_scope(scope))
        .order_by(Question.updated_at.desc(), Question.id.desc())
    )
    return [(q, t) for q, t in rows.all()]


# The first message the party wrote in a question (its title on the citizen's pages).
_FIRST_BODY = (
    select(QuestionMessage.body)
    .where(QuestionMessage.question_id == Question.id, QuestionMessage.kind == "citizen")
    .order_by(QuestionMessage.id).limit(1).correlate(Question).scalar_subquery()
)


def dossier_questions_part(scope: PartyScope, dossier_id: ColumnElement[int]) -> Select[Any]:
    """A party's questions about one dossier (in scope), newest first, with the first
    message the party wrote (`first_body`: its title, see short_title), as a part of a
    combined statement (mijn.combined), the dossier given as an expression."""
    order = (Question.created_at.desc(), Question.id.desc())
    query: Select[*tuple[Any, ...]] = select(
        Question.id, Question.reference, Question.state, Question.asked_by_name,
        Question.party_unread, _FIRST_BODY.label("first_body"),
        func.row_number().over(order_by=order).label("n"),
    ).where(Question.dossier_id == dossier_id, *_in_scope(scope))
    return query


def question_titles_of(rows: list[Any]) -> dict[int, str]:
    """The titles of dossier_questions_part's rows by question id (none: no text)."""
    return {q.id: short_title(q.first_body) for q in rows if q.first_body and q.first_body.strip()}
