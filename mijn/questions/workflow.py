"""The staff workflow on one question: see it, claim, release, take, reply, ask the party,
note, hand over, close. Every change is kept as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.db import UTCDateTime, utcnow
from mijn.notifications.service import notify
from mijn.questions import resolution
from mijn.questions.callbacks import latest_attempt
from mijn.questions.common import QuestionError, clean_body, new_event, new_message
from mijn.questions.models import Question, QuestionEvent, QuestionMessage
from mijn.questions.states import next_state
from mijn.staff.service import get_staff, get_team, team_ids_of
from mijn.workingtime import WorkingCalendar, working_seconds_between


def visible_to(staff: Staff) -> ColumnElement[bool]:
    """The questions a staff member may see: all (agents, leads) or those handed to them."""
    if staff.sees_all:
        return true()
    return or_(Question.team_id.in_(team_ids_of(staff.id)), Question.assignee_id == staff.id)


async def staff_question(
    session: AsyncSession, reference: str, staff: Staff, *, lock: bool = False
) -> Question | None:
    """A question this staff member may see; None otherwise."""
    query = select(Question).where(Question.reference == reference, visible_to(staff))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


class QuestionChanged(Exception):
    """The question changed after the page the staff member acted on was shown."""


def version_of(question: Question) -> str:
    """What a form on the question's page was based on: it changes with every change to the
    question (a claim, a message of anyone, a note), so a form posted after a colleague or
    the party acted is told apart from one posted on what the staff member saw."""
    return question.updated_at.astimezone(UTC).isoformat(timespec="microseconds")


def check_version(question: Question, seen: str | None) -> None:
    """QuestionChanged when the form was based on another version of the (locked) question.

    A post without a version (not from the page: a script of our own tests) acts on the
    question as it is now; the state and holder checks still hold."""
    if seen is not None and seen != version_of(question):
        raise QuestionChanged(question.reference)


@dataclass(frozen=True)
class LastChange:
    """What happened last to a question: an event's action or a message's kind, and by whom."""

    what: str  # an action (claim, reply, citizen_reply, ...) or a message kind (note, citizen)
    actor_type: str  # staff | party | employee | representative
    actor_id: int | None


async def last_change(session: AsyncSession, question: Question) -> LastChange | None:
    """The newest event, message or try to call of a question (an event wins from its own
    message)."""
    event = await session.scalar(
        select(QuestionEvent).where(QuestionEvent.question_id == question.id)
        .order_by(QuestionEvent.at.desc(), QuestionEvent.id.desc()).limit(1)
    )
    message = await session.scalar(
        select(QuestionMessage).where(QuestionMessage.question_id == question.id)
        .order_by(QuestionMessage.created_at.desc(), QuestionMessage.id.desc()).limit(1)
    )
    attempt = await latest_attempt(session, question)
    seen = [moment for moment in (event and event.at, message and message.created_at) if moment]
    if attempt is not None and all(attempt.at > moment for moment in seen):
        return LastChange("callback", "staff", attempt.staff_id)
    if message is not None and (event is None or message.created_at > event.at):
        return LastChange(message.kind, message.author_type, message.author_staff_id)
    if event is not None:
        return LastChange(event.action, event.actor_type, event.actor_id)
    return None


_THREAD = select(QuestionMessage.__table__).where(
    QuestionMessage.question_id == bindparam("question_id")
).order_by(QuestionMessage.created_at, QuestionMessage.id)


async def full_thread(session: AsyncSession, question: Question) -> list[Row[Any]]:
    """Every message of a question, internal notes and handover notes included: Core rows
    with the model's names (the workspace shows them on every view)."""
    return list((await session.execute(_THREAD, {"question_id": question.id})).all())


async def question_events(session: AsyncSession, question_id: int) -> list[QuestionEvent]:
    """A question's state changes, oldest first."""
    found = await session.scalars(
        select(QuestionEvent)
        .where(QuestionEvent.question_id == question_id)
        .order_by(QuestionEvent.at, QuestionEvent.id)
    )
    return list(found)


def _claim_next_statement(topic_id: int | None) -> object:
    pick = select(Question.id).where(Question.state == "new")
    if topic_id is not None:
        pick = pick.where(Question.topic_id == topic_id)
    pick = (
        pick.order_by(Question.sla_due_at, Question.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # two agents never wait for, or get, the same one
    )
    return (
        update(Question)
        .where(Question.id == pick.scalar_subquery(), Question.state == "new")
        .values(state="claimed")
        .returning(Question.id, Question.reference)
    )


_CLAIM_NEXT = {None: _claim_next_statement(None)}


_EVENT_INSERT = insert(QuestionEvent)


# PostgreSQL: the pick, the claim and its event in one statement (one round trip, the row
# locked only while it runs). 'new' is written as a literal so that every plan, a cached
# generic one too, can use the partial index ix_questions_queue.
_PG_CLAIM = """
WITH pick AS (
    SELECT id FROM questions
    WHERE state = 'new'{topic}
    ORDER BY sla_due_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE questions SET state = 'claimed', assignee_id = :staff_id, updated_at = :now
    FROM pick WHERE questions.id = pick.id AND questions.state = 'new'
    RETURNING questions.id, questions.reference
), logged AS (
    INSERT INTO question_events
        (question_id, action, from_state, to_state, actor_type, actor_id, actor_role, at)
    SELECT id, 'claim', 'new', 'claimed', 'staff', :staff_id, :role, :now FROM claimed
)
SELECT reference FROM claimed
"""


_PG_CLAIM_NEXT = {
    with_topic: text(_PG_CLAIM.format(topic=" AND topic_id = :topic_id" if with_topic else ""))
    .bindparams(bindparam("now", type_=UTCDateTime))
    for with_topic in (False, True)
}


def claims_in_one_statement(dialect: str) -> bool:
    """Whether claim_next is one atomic statement here (then it needs no transaction)."""
    return dialect == "postgresql"


async def claim_next(
    session: AsyncSession, staff: Staff, topic_id: int | None = None, now: datetime | None = None
) -> str | None:
    """Claim the most urgent unassigned question (of a topic); its reference, or None."""
    if not staff.sees_all:
        raise PermissionError("only agents and team leads take questions from the queue")
    now = now or utcnow()
    role = staff.queue_role
    if session.bind is not None and claims_in_one_statement(session.bind.dialect.name):
        params = {"staff_id": staff.id, "role": role, "now": now, "topic_id": topic_id}
        found = await session.scalar(_PG_CLAIM_NEXT[topic_id is not None], params)
        return str(found) if found is not None else None
    statement = _CLAIM_NEXT[None] if topic_id is None else _claim_next_statement(topic_id)
    row = (
        await session.execute(
            statement.values(assignee_id=staff.id, updated_at=now)  # type: ignore[attr-defined]
        )
    ).first()
    if row is None:
        return None
    await session.execute(
        _EVENT_INSERT,
        {
            "question_id": row.id, "action": "claim", "from_state": "new", "to_state": "claimed",
            "actor_type": "staff", "actor_id": staff.id, "actor_role": role, "at": now,
        },
    )
    return str(row.reference)


def handed_away(question: Question, staff: Staff) -> bool:
    """Handed over, and not to them: the KCC only reads it now (until it comes back)."""
    return (question.state == "handed_over" and not staff.is_specialist
            and question.assignee_id != staff.id)


# What only the holder of a question does (or anyone, while nobody holds it).
HOLDER_ACTIONS = frozenset({"reply", "wait", "hand_over", "close"})


async def _change(
    session: AsyncSession, question: Question, staff: Staff, action: str, now: datetime,
    **event: int | None,
) -> QuestionEvent:
    """Check the holder and the state, move the question on, and add its event (returned, to
    be completed by the caller: a close's reason)."""
    if action in HOLDER_ACTIONS and not staff.may_answer(question.assignee_id):
        raise PermissionError("a colleague holds this question")
    if action in HOLDER_ACTIONS and handed_away(question, staff):
        raise PermissionError("handed over: the team or the specialist handles it now")
    before = question.state
    question.state = next_state(
        before, action, routed=question.handed_over, assigned=question.assignee_id is not None
    )
    question.updated_at = now
    added = new_event(question, action, before, "staff", staff.id,
                      role=staff.role_for(question), at=now, **event)
    session.add(added)
    return added


async def claim(session: AsyncSession, question: Question, staff: Staff) -> None:
    """An agent takes this (unassigned) question."""
    if not staff.sees_all:
        raise PermissionError("only agents and team leads claim questions")
    await _change(session, question, staff, "claim", utcnow())
    question.assignee_id = staff.id
    await session.flush()


async def release(session: AsyncSession, question: Question, staff: Staff) -> None:
    """Give a claimed question back to the queue (its holder, or a team lead)."""
    if not staff.may_release(question.assignee_id):
        raise PermissionError("only the holder or a team lead releases a question")
    await _change(session, question, staff, "release", utcnow())
    question.assignee_id = None
    await session.flush()


async def take(session: AsyncSession, question: Question, staff: Staff) -> None:
    """A specialist takes a question handed over to their team."""
    if not staff.is_specialist:
        raise PermissionError("only specialists take handed-over questions")
    await _change(session, question, staff, "take", utcnow())
    question.assignee_id = staff.id
    await session.flush()


async def take_over(session: AsyncSession, question: Question, staff: Staff) -> None:
    """A team lead takes over a question a colleague holds: from now on the lead holds it
    (and may answer it); the event names whom it was taken from."""
    if not staff.may_take_over(question.assignee_id):
        raise PermissionError("only a team lead takes over a question a colleague holds")
    await _change(session, question, staff, "take_over", utcnow(),
                  target_staff_id=question.assignee_id)
    question.assignee_id = staff.id
    await session.flush()


async def reply(session: AsyncSession, question: Question, staff: Staff, body: str) -> None:
    """A public answer: the question is answered, and the citizen sees there is news."""
    text = clean_body(body)
    now = utcnow()
    answered_before = await session.scalar(select(func.count()).where(  # resolution.py's rule
        QuestionEvent.question_id == question.id, QuestionEvent.action.in_(resolution.ANSWERS)))
    await _change(session, question, staff, "reply", now)
    session.add(new_message(question, "reply", text, now, staff.id))
    question.answered_at = question.answered_at or now
    question.answered_by_id = staff.id
    # Not at first contact once handed over (also when handed back since: False) or answered
    question.first_contact_resolution = (  # before (resolution.py's rule)
        not question.handed_over and not answered_before
        and question.first_contact_resolution is not False)
    question.party_unread = True
    question.sla_remaining_seconds = None
    await session.flush()
    await _tell_party(session, question, "reply")


async def ask_citizen(
    session: AsyncSession, question: Question, staff: Staff, body: str,
    calendar: WorkingCalendar,
) -> None:
    """A public message that needs the citizen's answer: the SLA clock stops meanwhile."""
    text = clean_body(body)
    now = utcnow()
    await _change(session, question, staff, "wait", now)
    if question.assignee_id is None:  # whoever waits for the answer holds it ("mine")
        question.assignee_id = staff.id
    session.add(new_message(question, "reply", text, now, staff.id))
    if question.sla_due_at is not None:
        question.sla_remaining_seconds = working_seconds_between(
            calendar, now, question.sla_due_at
        )
    question.party_unread = True
    await session.flush()
    await _tell_party(session, question, "reply")


async def add_note(session: AsyncSession, question: Question, staff: Staff, body: str) -> None:
    """An internal note: staff only, no change of state."""
    now = utcnow()
    session.add(new_message(question, "note", clean_body(body), now, staff.id))
    question.updated_at = now
    await session.flush()


@dataclass(frozen=True)
class Handover:
    """A warm handover: to a team and/or a named specialist, with the context they need."""

    team_id: int | None
    specialist_id: int | None
    who: str
    what: str
    tried: str = ""

    def note(self) -> str:
        """The handover note as the specialist reads it."""
        parts = [("who", self.who), ("what", self.what), ("tried", self.tried)]
        return "\n".join(f"[{key}] {value.strip()}" for key, value in parts if value.strip())


def check_handover(handover: Handover) -> None:
    """QuestionError for a handover without a target or without its context."""
    if handover.team_id is None and handover.specialist_id is None:
        raise QuestionError("target", "missing")
    clean_body(handover.who, "who", 1000)
    clean_body(handover.what, "what", 2000)
    if len(handover.tried) > 2000:
        raise QuestionError("tried", "too_long")


async def check_target(session: AsyncSession, handover: Handover) -> None:
    """QuestionError when the team or the specialist does not exist (or is no specialist)."""
    if handover.team_id is not None and await get_team(session, handover.team_id) is None:
        raise QuestionError("target", "unknown")
    if handover.specialist_id is not None:
        member = await get_staff(session, handover.specialist_id)
        if member is None or not member.is_specialist:
            raise QuestionError("target", "unknown")


async def hand_over(
    session: AsyncSession, question: Question, staff: Staff, handover: Handover
) -> None:
    """Pass the question on warmly; the citizen sees it went to a specialist, nothing more."""
    check_handover(handover)
    await check_target(session, handover)
    now = utcnow()
    await _change(  # refuses before anything changed
        session, question, staff, "hand_over", now,
        team_id=handover.team_id, target_staff_id=handover.specialist_id,
    )
    question.handed_over = True
    question.handover_unread = True  # news for the team or specialist until they open it
    question.team_id = handover.team_id
    question.assignee_id = handover.specialist_id
    if question.answered_at is not None:
        question.first_contact_resolution = False
    session.add(new_message(question, "handover", handover.note(), now, staff.id))
    await session.flush()
    if question.kind == "question":  # a callback request is not news for the citizen
        await _tell_party(session, question, "handover")


async def _tell_party(session: AsyncSession, question: Question, kind: str) -> None:
    """News for the party, in this transaction: a reply, that a specialist took over, or that
    an unanswered question was closed."""
    await notify(
        session, question.party_id, kind, dossier_id=question.dossier_id,
        question_id=question.id,
    )
