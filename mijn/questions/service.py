"""What the questions area can do: ask, reply and close (citizens); claim, answer, note,
hand over, register contacts and callbacks (staff). Every state change is kept as an event.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.db import UTCDateTime, utcnow
from mijn.dossiers.models import CHANNELS
from mijn.dossiers.service import party_dossiers, scope_dossier_ids
from mijn.notifications.service import notify
from mijn.parties.models import Party
from mijn.parties.service import get_party
from mijn.questions.models import (
    Contact,
    Question,
    QuestionEvent,
    QuestionMessage,
    Topic,
)
from mijn.questions.states import next_state
from mijn.staff.models import StaffMember, Team
from mijn.staff.service import team_ids_of
from mijn.workingtime import WorkingCalendar, add_working_time, working_seconds_between

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
    """The text as it will be saved; QuestionError when it is empty or too long."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
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


async def _topic(session: AsyncSession, topic_id: int | None) -> Topic:
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


def _event(
    question: Question, action: str, from_state: str | None, actor_type: str, actor_id: int,
    *, role: str | None = None, team_id: int | None = None, target_staff_id: int | None = None,
    at: datetime,
) -> QuestionEvent:
    return QuestionEvent(
        question_id=question.id, action=action, from_state=from_state, to_state=question.state,
        actor_type=actor_type, actor_id=actor_id, actor_role=role, team_id=team_id,
        target_staff_id=target_staff_id, at=at,
    )


def _party_event(
    question: Question, action: str, from_state: str | None, by: OnBehalf | None, at: datetime
) -> QuestionEvent:
    """A change made on the party's side: by the party, or by someone acting for it."""
    if by is None:
        return _event(question, action, from_state, "party", question.party_id, at=at)
    event = _event(question, action, from_state, by.kind, by.actor_id, at=at)
    event.actor_ref, event.mandate_id = by.actor_ref[:100], by.mandate_id
    event.on_behalf_of_id = question.party_id
    return event


def _message(
    question: Question, kind: str, body: str, at: datetime, staff_id: int | None = None,
    by: OnBehalf | None = None,
) -> QuestionMessage:
    return QuestionMessage(
        question_id=question.id, kind=kind, body=body, created_at=at,
        author_type="staff" if staff_id else "party", author_staff_id=staff_id,
        author_name=by.name[:200] if by else None,
    )


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
    topic = await _topic(session, new.topic_id)
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
    if body:  # typed by the citizen, or by an agent on their behalf
        session.add(_message(question, "citizen", body, now, staff.id if staff else None,
                             new.by))
    if staff:
        session.add(_event(question, "ask", None, "staff", staff.id,
                           role=_role(staff, question), at=now))
    else:
        session.add(_party_event(question, "ask", None, new.by, now))
    await session.flush()
    return question, True


async def check_question(session: AsyncSession, new: NewQuestion) -> None:
    """QuestionError for what ask() would refuse about the text and topic (nothing saved)."""
    clean_body(new.body)
    await _topic(session, new.topic_id)


def _role(staff: Staff | None, question: Question) -> str | None:
    return staff.role_for(question) if staff else None


async def _by_submit_key(session: AsyncSession, party_id: int, key: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.party_id == party_id, Question.submit_key == key)
    )


# --- citizens -----------------------------------------------------------------------------


def _in_scope(scope: PartyScope) -> list[ColumnElement[bool]]:
    """A party's questions a restricted visitor may see: of their branch, about a dossier
    of their mandate's types."""
    found = [Question.party_id == scope.party_id]
    if scope.branch is not None:
        found.append(Question.branch == scope.branch)
    if scope.dossier_types is not None:
        found.append(Question.dossier_id.in_(scope_dossier_ids(scope)))
    return found


def scope_question_ids(scope: PartyScope) -> Select[Any]:
    """The ids of the party's questions in scope (for news about them)."""
    return select(Question.id).where(*_in_scope(scope))


async def party_question(
    session: AsyncSession, reference: str, scope: PartyScope, *, lock: bool = False
) -> Question | None:
    """A question of this party (in scope); None for another party's, one out of scope or an
    unknown reference."""
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
    session.add(_message(question, "citizen", text, now, by=by))
    if question.state != before:
        await _restart_clock(session, question, before, now, calendar)
        if question.state == "new":
            question.assignee_id = None
        question.closed_at = None
        session.add(_party_event(question, "citizen_reply", before, by, now))
    question.updated_at = now
    await session.flush()


async def _restart_clock(
    session: AsyncSession, question: Question, before: str, now: datetime,
    calendar: WorkingCalendar,
) -> None:
    if before == "waiting" and question.sla_remaining_seconds is not None:
        seconds = max(0, question.sla_remaining_seconds)  # the clock stood still meanwhile
    else:
        seconds = (await _topic(session, question.topic_id)).sla_hours * 3600
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
    session.add(_party_event(question, "close", before, by, now))
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


async def party_contacts(
    session: AsyncSession, scope: PartyScope, *, include_internal: bool
) -> list[Contact]:
    """A party's contacts, newest first; citizens see only the public summaries, and a
    restricted visitor (a branch, a mandate's types) only those about their dossiers."""
    query = select(Contact).where(Contact.party_id == scope.party_id)
    if scope.restricted:
        query = query.where(Contact.dossier_id.in_(scope_dossier_ids(scope)))
    if not include_internal:
        query = query.where(Contact.internal.is_(False))
    return list(await session.scalars(query.order_by(Contact.at.desc(), Contact.id.desc())))


async def dossier_questions(
    session: AsyncSession, dossier_id: int, party_id: int
) -> list[tuple[Question, Topic]]:
    """A party's questions about one dossier."""
    rows = await session.execute(
        select(Question, Topic)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Question.dossier_id == dossier_id, Question.party_id == party_id)
        .order_by(Question.created_at.desc())
    )
    return [(q, t) for q, t in rows.all()]


# --- staff ----------------------------------------------------------------------------------


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


async def full_thread(session: AsyncSession, question: Question) -> list[QuestionMessage]:
    """Every message of a question, internal notes and handover notes included."""
    found = await session.scalars(
        select(QuestionMessage)
        .where(QuestionMessage.question_id == question.id)
        .order_by(QuestionMessage.created_at, QuestionMessage.id)
    )
    return list(found)


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


async def _change(
    session: AsyncSession, question: Question, staff: Staff, action: str, now: datetime,
    **event: int | None,
) -> str:
    before = question.state
    question.state = next_state(
        before, action, routed=question.handed_over, assigned=question.assignee_id is not None
    )
    question.updated_at = now
    session.add(
        _event(question, action, before, "staff", staff.id, role=staff.role_for(question),
               at=now, **event)
    )
    return before


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


async def reply(session: AsyncSession, question: Question, staff: Staff, body: str) -> None:
    """A public answer: the question is answered, and the citizen sees there is news."""
    text = clean_body(body)
    now = utcnow()
    await _change(session, question, staff, "reply", now)
    session.add(_message(question, "reply", text, now, staff.id))
    if question.answered_at is None:
        question.answered_at = now
    question.answered_by_id = staff.id
    question.first_contact_resolution = not question.handed_over
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
    session.add(_message(question, "reply", text, now, staff.id))
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
    session.add(_message(question, "note", clean_body(body), now, staff.id))
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
    if handover.team_id is not None and await session.get(Team, handover.team_id) is None:
        raise QuestionError("target", "unknown")
    if handover.specialist_id is not None:
        member = await session.get(StaffMember, handover.specialist_id)
        if member is None or "specialist" not in member.roles.split():
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
    question.team_id = handover.team_id
    question.assignee_id = handover.specialist_id
    if question.answered_at is not None:
        question.first_contact_resolution = False
    session.add(_message(question, "handover", handover.note(), now, staff.id))
    await session.flush()
    if question.kind == "question":  # a callback request is not news for the citizen
        await _tell_party(session, question, "handover")


async def staff_close(session: AsyncSession, question: Question, staff: Staff) -> None:
    """Close a question (answered by phone, a duplicate)."""
    now = utcnow()
    await _change(session, question, staff, "close", now)
    question.closed_at = now
    await session.flush()


async def _tell_party(session: AsyncSession, question: Question, kind: str) -> None:
    """News for the party, in this transaction: a reply, or that a specialist took over."""
    await notify(
        session, question.party_id, kind, dossier_id=question.dossier_id,
        question_id=question.id,
    )


def first_contact_resolution(events: Sequence[QuestionEvent]) -> bool | None:
    """From the history alone: answered without any handover (None: not answered yet)."""
    actions = {event.action for event in events}
    if "reply" not in actions:
        return None
    return "hand_over" not in actions


# --- contacts and callbacks -----------------------------------------------------------------


async def register_contact(
    session: AsyncSession, staff: Staff, party_id: int, channel: str, summary: str,
    *, internal: bool, dossier_id: int | None = None,
) -> Contact:
    """Note a phone call, counter visit, e-mail or social media contact on a party."""
    if channel not in CHANNELS or channel in ("web", "partner"):
        raise QuestionError("channel", "unknown")
    contact = Contact(
        party_id=party_id, dossier_id=dossier_id, channel=channel,
        summary=clean_body(summary, "summary", MAX_SUMMARY), internal=internal,
        staff_id=staff.id, at=utcnow(),
    )
    session.add(contact)
    await session.flush()
    return contact


@dataclass(frozen=True)
class Callback:
    """A callback request for a specialist: whom to call, on what number, when."""

    party_id: int
    topic_id: int | None
    phone: str
    window_from: datetime
    window_until: datetime
    handover: Handover
    dossier_id: int | None = None


def check_phone(phone: str) -> str:
    """A phone number as typed (digits, spaces, +, -, parentheses), or QuestionError."""
    value = " ".join(phone.split())
    digits = sum(c.isdigit() for c in value)
    if not 6 <= digits <= 15 or any(c not in "0123456789+-() " for c in value):
        raise QuestionError("phone", "invalid")
    return value


async def request_callback(
    session: AsyncSession, staff: Staff, callback: Callback, calendar: WorkingCalendar
) -> Question:
    """A callback request, straight into the specialist's (team's) queue."""
    phone = check_phone(callback.phone)
    if callback.window_until <= callback.window_from:
        raise QuestionError("window", "order")
    if callback.window_until <= utcnow():
        raise QuestionError("window", "past")
    check_handover(callback.handover)
    await check_target(session, callback.handover)
    question, _ = await ask(
        session,
        NewQuestion(callback.party_id, callback.topic_id, "", callback.dossier_id, "phone",
                    kind="callback"),
        calendar, staff,
    )
    question.callback_phone = phone
    question.callback_from, question.callback_until = callback.window_from, callback.window_until
    question.sla_due_at = min(question.sla_due_at or callback.window_until, callback.window_until)
    await hand_over(session, question, staff, callback.handover)
    return question


# --- the queue and the party's picture ------------------------------------------------------

QUEUE_VIEWS = ("queue", "mine", "team", "escalated")
ESCALATE_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class QueueFilters:
    """Narrowing a queue view down: a topic, a channel, only overdue questions."""

    topic_id: int | None = None
    channel: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class QueuePage:
    """One page of a queue view, with the number of questions in every view."""

    view: str
    rows: list[Row[tuple[object, ...]]]
    page: int
    pages: int
    total: int
    counts: dict[str, int]


def views_for(staff: Staff) -> tuple[str, ...]:
    """The queue views a staff member has: specialists see what was handed to them."""
    return QUEUE_VIEWS if staff.sees_all else ("team", "mine")


def _view_condition(view: str, staff: Staff, now: datetime) -> ColumnElement[bool]:
    if view == "queue":
        return Question.state == "new"
    if view == "mine":
        return and_(
            Question.assignee_id == staff.id,
            Question.state.in_(("claimed", "handed_over", "waiting")),
        )
    if view == "team":
        return and_(
            Question.state == "handed_over",
            or_(Question.team_id.in_(team_ids_of(staff.id)), Question.assignee_id == staff.id),
        )
    return and_(
        Question.state.in_(("new", "claimed", "handed_over")),
        Question.sla_due_at < now + ESCALATE_WITHIN,
    )


def _filter_conditions(filters: QueueFilters, now: datetime) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.topic_id is not None:
        conditions.append(Question.topic_id == filters.topic_id)
    if filters.channel:
        conditions.append(Question.channel == filters.channel)
    if filters.overdue:  # a question waiting on the citizen has its clock stopped
        conditions.append(and_(Question.sla_due_at < now, Question.state != "waiting"))
    return conditions


async def staff_queue(
    session: AsyncSession, staff: Staff, view: str, filters: QueueFilters, page: int,
    page_size: int, now: datetime | None = None,
) -> QueuePage:
    """A page of one queue view, most urgent first."""
    now = now or utcnow()
    view = view if view in views_for(staff) else views_for(staff)[0]
    where = [_view_condition(view, staff, now), *_filter_conditions(filters, now)]
    counts = {
        name: int(await session.scalar(
            select(func.count()).select_from(Question).where(_view_condition(name, staff, now))
        ) or 0)
        for name in views_for(staff)
    }
    total = int(await session.scalar(select(func.count()).select_from(Question).where(*where)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    assignee = aliased(StaffMember)
    rows = await session.execute(
        select(
            Question.reference, Question.kind, Question.state, Question.channel,
            Question.created_at, Question.sla_due_at, Question.callback_from,
            Question.callback_until, Topic.label_nl, Topic.label_en,
            Team.name_nl.label("team_nl"), Team.name_en.label("team_en"),
            assignee.name.label("assignee_name"),
        )
        .join(Topic, Topic.id == Question.topic_id)
        .outerjoin(Team, Team.id == Question.team_id)
        .outerjoin(assignee, assignee.id == Question.assignee_id)
        .where(*where)
        .order_by(Question.sla_due_at, Question.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return QueuePage(view, list(rows.all()), page, pages, total, counts)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PartyPicture:
    """Everything about a party an agent needs next to a question, across channels."""

    party: Party
    dossiers: list[Row[tuple[object, ...]]]
    questions: list[tuple[Question, Topic]]
    contacts: list[Contact]


async def party_picture(session: AsyncSession, party_id: int) -> PartyPicture | None:
    """A party's dossiers with status, questions and contacts (internal ones included)."""
    party = await get_party(session, party_id)
    if party is None:
        return None
    whole = PartyScope(party_id)  # the KCC sees all of a party
    return PartyPicture(
        party=party,
        dossiers=await party_dossiers(session, whole),
        questions=await party_questions(session, whole),
        contacts=await party_contacts(session, whole, include_internal=True),
    )


async def question_references(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Public references of questions by id (for lists that mention questions)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Question.id, Question.reference).where(Question.id.in_(ids))
    )
    return {row.id: row.reference for row in rows}
