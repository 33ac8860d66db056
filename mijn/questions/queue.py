"""The KCC's lists: the queue views with their filters, and a party's picture (dossiers,
questions, contacts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.dossiers.service import counted_dossiers
from mijn.mandates.service import MandateLine, party_mandates
from mijn.parties.service import get_party
from mijn.questions.asking import party_questions
from mijn.questions.contacts import party_contacts
from mijn.questions.models import Contact, Question, Topic
from mijn.questions.satisfaction_comments import Score, picture_scores
from mijn.staff.models import StaffMember, Team
from mijn.staff.service import team_ids_of

if TYPE_CHECKING:  # another area's rows, only named in annotations
    from mijn.parties.models import Party

QUEUE_VIEWS = ("queue", "mine", "team", "escalated")
PARTY_DOSSIERS = 100  # the party's page lists at most so many of its dossiers


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
            Question.callback_until, Question.callback_phone, Topic.label_nl, Topic.label_en,
            Team.name_nl.label("team_nl"), Team.name_en.label("team_en"),
            assignee.name.label("assignee_name"),
            Question.handover_unread,  # handed over, not opened yet: "nieuw" for the team
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
    """Everything about a party an agent needs next to a question, across channels: its
    dossiers and questions (the first ones only, when limited), and how many there are."""

    party: Party
    dossiers: list[Row[tuple[object, ...]]]
    questions: Sequence[tuple[Any, Any]]  # (question, topic): ORM rows, or Core rows limited
    contacts: list[Contact]
    mandates: list[MandateLine]
    dossier_count: int
    question_count: int
    # The satisfaction answers of its questions and of its closed dossiers (those shown),
    # by question id and by dossier id.
    satisfaction: dict[int, Score] = field(default_factory=dict)
    dossier_satisfaction: dict[int, Score] = field(default_factory=dict)


# Beside a question: the latest few questions as Core rows, with their topics' labels and
# how many there are (the question is also its own topic: label_nl, label_en).
_QUESTION_LINES = (
    select(Question.id, Question.reference, Question.dossier_id, Question.channel,
           Question.state, Question.created_at, Topic.label_nl, Topic.label_en,
           func.count().over().label("total"))
    .join(Topic, Topic.id == Question.topic_id)
    .where(Question.party_id == bindparam("party_id"))
    .order_by(Question.updated_at.desc(), Question.id.desc())
    .limit(bindparam("limit"))
)


async def party_picture(
    session: AsyncSession, party_id: int, limit: int | None = None, also: int | None = None,
    also_dossier: int | None = None,
) -> PartyPicture | None:
    """A party's dossiers with status, questions, contacts (internal ones included) and the
    mandates for and by it that hold today or will; with a limit, only the first so many
    dossiers and questions (as Core rows), and the counts of all. `also`, `also_dossier`: a
    question or dossier whose satisfaction is wanted too (the page's own), in the same read."""
    party = await get_party(session, party_id)
    if party is None:
        return None
    whole = PartyScope(party_id)  # the KCC sees all of a party
    dossiers, dossier_count = await counted_dossiers(session, whole, limit or PARTY_DOSSIERS)
    if limit is None:
        questions: Sequence[tuple[Any, Any]] = await party_questions(session, whole)
        question_count = len(questions)
    else:
        lines = (await session.execute(_QUESTION_LINES, {"party_id": party_id, "limit": limit}))
        questions = [(row, row) for row in lines.all()]
        question_count = int(questions[0][0].total) if questions else 0
    closed = [int(row.id) for row in dossiers if row.closed_on]
    on_questions, on_dossiers = await picture_scores(
        session, [q.id for q, _ in questions] + ([also] if also else []),
        closed + ([also_dossier] if also_dossier else []))
    return PartyPicture(
        party=party, dossiers=dossiers, questions=questions,
        contacts=await party_contacts(session, whole, include_internal=True),
        mandates=await party_mandates(session, party_id),
        dossier_count=dossier_count, question_count=question_count,
        satisfaction=on_questions, dossier_satisfaction=on_dossiers,
    )


async def question_references(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Public references of questions by id (for lists that mention questions)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Question.id, Question.reference).where(Question.id.in_(ids))
    )
    return {row.id: row.reference for row in rows}
