"""Who holds a question, as a team lead and the clock change it: a lead reassigns questions to
a named colleague or gives them back to the queue (one or many at once), and claims nobody
worked on for a while return to the queue by themselves.

Every change is a question event. A lead's change names the version of each question the
lead saw; a question that changed meanwhile (the holder answered it, the clock released it)
is left alone and reported. Rows are locked before they change, so a holder acting on a
question, a lead and any number of `mijn worker` processes take turns on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.questions.common import new_event
from mijn.questions.models import Question, QuestionEvent, QuestionMessage
from mijn.questions.workflow import version_of
from mijn.staff.service import get_staff

# A lead gives back what an agent claimed; reassigns what an agent holds (waiting included).
RELEASABLE = ("claimed",)
REASSIGNABLE = ("claimed", "waiting")
SYSTEM_ACTOR = 0  # the actor_id of an event of actor_type "system"


@dataclass(frozen=True)
class Pick:
    """A question a lead selected, with the version of it the lead's page showed."""

    reference: str
    version: str | None


@dataclass
class LeadOutcome:
    """What a lead's change did: the questions changed, and those left alone because they
    changed meanwhile (or were not the lead's to change as they are now)."""

    done: list[Question] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


class UnknownColleague(ValueError):
    """The colleague to reassign to does not exist, or does not work the queue."""


async def _locked(session: AsyncSession, picks: list[Pick]) -> dict[str, Question]:
    """The picked questions, their rows locked in id order (two leads never deadlock)."""
    references = sorted({pick.reference for pick in picks})
    found = await session.scalars(
        select(Question).where(Question.reference.in_(references))
        .order_by(Question.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    return {question.reference: question for question in found}


def _unchanged(question: Question | None, pick: Pick, states: tuple[str, ...]) -> bool:
    if question is None or question.state not in states or question.assignee_id is None:
        return False
    return pick.version is None or pick.version == version_of(question)


async def _apply(
    session: AsyncSession, picks: list[Pick], states: tuple[str, ...],
    change: Callable[[Question], None],
) -> LeadOutcome:
    outcome = LeadOutcome()
    questions = await _locked(session, picks)
    for pick in picks:
        question = questions.get(pick.reference)
        if question is None or not _unchanged(question, pick, states):
            outcome.changed.append(pick.reference)
            continue
        change(question)
        outcome.done.append(question)
    await session.flush()
    return outcome


async def lead_release(
    session: AsyncSession, lead: Staff, picks: list[Pick], now: datetime | None = None
) -> LeadOutcome:
    """A team lead gives claimed questions back to the queue; the events name the former
    holder. The caller commits."""
    if not lead.is_lead:
        raise PermissionError("only a team lead releases questions others hold")
    at = now or utcnow()

    def release(question: Question) -> None:
        holder = question.assignee_id
        question.state, question.assignee_id, question.updated_at = "new", None, at
        session.add(new_event(question, "release", "claimed", "staff", lead.id, role="lead",
                              target_staff_id=holder, at=at))

    return await _apply(session, picks, RELEASABLE, release)


async def queue_worker(session: AsyncSession, staff_id: int | None) -> Staff:
    """A colleague who works the queue (an agent or a team lead); UnknownColleague else."""
    member = await get_staff(session, staff_id) if staff_id else None
    if member is None or not member.access().sees_all:
        raise UnknownColleague(str(staff_id))
    return member.access()


async def reassign(
    session: AsyncSession, lead: Staff, picks: list[Pick], to_id: int | None,
    now: datetime | None = None,
) -> LeadOutcome:
    """A team lead gives questions an agent holds to another agent (the state stays); the
    events name the new holder. The caller commits."""
    if not lead.is_lead:
        raise PermissionError("only a team lead reassigns questions")
    target = await queue_worker(session, to_id)
    at = now or utcnow()

    def give(question: Question) -> None:
        if question.assignee_id == target.id:
            return  # already theirs: nothing to record
        question.assignee_id, question.updated_at = target.id, at
        session.add(new_event(question, "reassign", question.state, "staff", lead.id,
                              role="lead", target_staff_id=target.id, at=at))

    return await _apply(session, picks, REASSIGNABLE, give)


def holder_active_since(cutoff: datetime) -> ColumnElement[bool]:
    """Whether the holder of a question did anything with it since cutoff: an event of
    theirs (the claim, a take-over), one that gave it to them (a reassign), or a message
    they wrote (a note)."""
    events = exists().where(
        QuestionEvent.question_id == Question.id, QuestionEvent.at >= cutoff,
        or_(and_(QuestionEvent.actor_type == "staff",
                 QuestionEvent.actor_id == Question.assignee_id),
            QuestionEvent.target_staff_id == Question.assignee_id),
    )
    messages = exists().where(
        QuestionMessage.question_id == Question.id, QuestionMessage.created_at >= cutoff,
        QuestionMessage.author_staff_id == Question.assignee_id,
    )
    return or_(events, messages)


def _idle(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [Question.state == "claimed", Question.assignee_id.is_not(None),
            ~holder_active_since(cutoff)]


async def release_idle(
    session: AsyncSession, idle_minutes: int, now: datetime | None = None, batch: int = 200,
) -> list[str]:
    """Claims whose holder did nothing for idle_minutes go back to the queue, each with an
    event of actor "system" naming the former holder; their references. The caller commits.

    The idle rows are locked first, skipping those someone holds locked (a holder acting on
    one, a lead, another worker); then, with the locks held, checked again on what was
    committed meanwhile (a holder's note made just before): two workers never release one
    claim twice, and a claim its holder just worked on stays theirs."""
    if idle_minutes <= 0:
        return []
    now = now or utcnow()
    cutoff = now - timedelta(minutes=idle_minutes)
    ids = list(await session.scalars(
        select(Question.id).where(*_idle(cutoff)).order_by(Question.id).limit(batch)
        .with_for_update(skip_locked=True)
    ))
    if not ids:
        return []
    found = await session.scalars(
        select(Question).where(Question.id.in_(ids), *_idle(cutoff)).order_by(Question.id)
        .execution_options(populate_existing=True)
    )
    released = []
    for question in found:
        holder = question.assignee_id
        question.state, question.assignee_id, question.updated_at = "new", None, now
        session.add(new_event(question, "release", "claimed", "system", SYSTEM_ACTOR,
                              target_staff_id=holder, at=now))
        released.append(question.reference)
    await session.flush()
    return released
