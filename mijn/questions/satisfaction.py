"""Satisfaction (KTO) with an answered or closed question: when it is asked, the one answer
(in the portal or by the e-mail link), and the reopen when the party is not satisfied.
The e-mail invitations are in mijn.questions.invitations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.i18n import N_
from mijn.questions.common import OnBehalf, QuestionError, clean_body, new_message, party_event
from mijn.questions.models import (
    SATISFACTION_SCALES,
    SATISFIED_FROM,
    Question,
    SatisfactionInvite,
    SatisfactionResponse,
    Topic,
)
from mijn.questions.states import TransitionRefused, next_state
from mijn.satisfactionsettings import SatisfactionSettings
from mijn.workingtime import WorkingCalendar, add_working_time

MAX_COMMENT = 1000
MAX_REASON = 2000
# How a score reads, per scale (the form's choices, best last on the five-point scale).
SCORE_LABELS = {
    "five": {1: N_("Zeer ontevreden"), 2: N_("Ontevreden"), 3: N_("Neutraal"),
             4: N_("Tevreden"), 5: N_("Zeer tevreden")},
    "two": {5: N_("Tevreden"), 1: N_("Niet tevreden")},
}


def score_label(scale: str, score: int) -> str:
    """The words of a score (untranslated: the template translates them)."""
    return SCORE_LABELS.get(scale, SCORE_LABELS["five"]).get(score, str(score))


def asked_since(question: Question) -> datetime | None:
    """From when satisfaction may be asked: the answer, or the closing of a question that
    was answered (or of a callback request: it ends with the call); None: not (yet)."""
    if question.state == "answered":
        return question.answered_at
    if question.state == "closed" and (question.answered_at or question.kind == "callback"):
        return question.closed_at
    return None


def since_column() -> ColumnElement[datetime]:
    """asked_since in SQL (NULL: not asked)."""
    return case(
        (Question.state == "answered", Question.answered_at),
        (and_(Question.state == "closed",
              or_(Question.answered_at.is_not(None), Question.kind == "callback")),
         Question.closed_at),
        else_=None,
    )


def offered(question: Question, settings: SatisfactionSettings, now: datetime) -> str | None:
    """The scale to ask this question's satisfaction with now (after the wait, within the
    days it is asked); None when it is not asked now."""
    scale = settings.scale(question.kind)
    since = asked_since(question)
    if scale is None or since is None:
        return None
    start = since + timedelta(minutes=settings.wait_minutes)
    return scale if start <= now < start + timedelta(days=settings.days) else None


def parse_answer(scale: str, raw_score: str | None, comment: str | None) -> tuple[int, str]:
    """The score and the comment as they will be kept; QuestionError for a score not on the
    scale or a comment that is too long or holds control characters."""
    if scale not in SATISFACTION_SCALES:
        raise QuestionError("score", "missing")
    score = int(raw_score) if raw_score and raw_score.isdigit() else 0
    if score not in SCORE_LABELS[scale]:
        raise QuestionError("score", "missing")
    text = (comment or "").strip()
    return score, clean_body(text, "comment", MAX_COMMENT) if text else ""


def scores() -> Select[int, int]:
    """(question id, score 1-5) of every satisfaction answer, for another area's report to
    join (answer quality: the satisfaction with the questions an answer was used in)."""
    return select(SatisfactionResponse.question_id, SatisfactionResponse.score)


async def response_of(session: AsyncSession, question_id: int) -> SatisfactionResponse | None:
    """The satisfaction answer of a question, if any."""
    return await session.scalar(
        select(SatisfactionResponse).where(SatisfactionResponse.question_id == question_id))


async def responses_of(
    session: AsyncSession, question_ids: Iterable[int]
) -> dict[int, SatisfactionResponse]:
    """The satisfaction answers of these questions, by question id."""
    ids = list(set(question_ids))
    if not ids:
        return {}
    found = await session.scalars(
        select(SatisfactionResponse).where(SatisfactionResponse.question_id.in_(ids)))
    return {r.question_id: r for r in found}


async def record(
    session: AsyncSession, question: Question, scale: str, score: int, comment: str, via: str,
    now: datetime | None = None,
) -> SatisfactionResponse | None:
    """Keep the question's one satisfaction answer, and end its e-mail link; None when it
    was answered already (a second tab, a double click, the link and the portal)."""
    now = now or utcnow()
    response = SatisfactionResponse(
        question_id=question.id, scale=scale, score=score, satisfied=score >= SATISFIED_FROM,
        comment=comment, via=via, created_at=now)
    try:
        async with session.begin_nested():
            session.add(response)
    except IntegrityError:
        return None
    await session.execute(
        update(SatisfactionInvite)
        .where(SatisfactionInvite.question_id == question.id, SatisfactionInvite.used_at.is_(None))
        .values(used_at=now))
    return response


@dataclass(frozen=True)
class Survey:
    """A question's satisfaction as its page shows it: the scale asked now (None: not asked
    now), the answer given, and whether the party may reopen the question."""

    scale: str | None
    response: SatisfactionResponse | None
    reopen: bool

    @property
    def label(self) -> str:
        """The words of the answer given ("" when none)."""
        r = self.response
        return score_label(r.scale, r.score) if r is not None else ""


async def survey_of(
    session: AsyncSession, question: Question, settings: SatisfactionSettings,
    now: datetime | None = None,
) -> Survey:
    """What a question's page shows of satisfaction."""
    response = await response_of(session, question.id)
    scale = offered(question, settings, now or utcnow()) if response is None else None
    return Survey(scale, response, may_reopen(question, response))


def may_reopen(question: Question, response: SatisfactionResponse | None) -> bool:
    """Whether the party may reopen the question: not satisfied, not reopened yet, and the
    question is still answered or closed."""
    return (response is not None and not response.satisfied and response.reopened_at is None
            and question.state in ("answered", "closed"))


async def reopen(
    session: AsyncSession, question: Question, response: SatisfactionResponse | None,
    reason: str, calendar: WorkingCalendar, by: OnBehalf | None = None,
    now: datetime | None = None,
) -> None:
    """Not satisfied: the question goes back to the KCC queue with its history and the
    reason as the party's message; its service level starts again, and it no longer counts
    as solved at first contact."""
    if not may_reopen(question, response):
        raise TransitionRefused(question.state, "reopen")
    assert response is not None
    text = clean_body(reason, "reason", MAX_REASON)
    now = now or utcnow()
    before = question.state
    question.state = next_state(before, "reopen")
    session.add(new_message(question, "citizen", text, now, by=by))
    event = party_event(question, "reopen", before, by, now)
    event.reason = "unsatisfied"
    session.add(event)
    topic = await session.get(Topic, question.topic_id)
    hours = topic.sla_hours if topic is not None else 16
    question.sla_due_at = add_working_time(calendar, now, hours * 3600)
    question.sla_remaining_seconds = None
    question.assignee_id = None
    question.closed_at = None
    question.first_contact_resolution = False
    question.updated_at = now
    response.reopened_at = now
    await session.flush()
