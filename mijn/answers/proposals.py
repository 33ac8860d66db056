"""Answers proposed from the KCC: an agent or editor turns a well-answered question into a
draft answer, prefilled from the question and the reply with personal data masked. A
proposal is a draft like any other: only an editor publishes it, after reading it; an
editor may also decline it (a proposal never published is then removed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.editing import MAX_TITLE, Draft, create_answer, review_default
from mijn.answers.models import Answer, AnswerProposal
from mijn.masking import mask
from mijn.questions.texts import QuestionText

TITLE_WORDS = 120  # the prefilled title: the question's first sentence, at most this long
_SENTENCE = re.compile(r"[^\n.?!]*[.?!]?")


def _title(question: str) -> str:
    first = _SENTENCE.match(question.strip())
    title = (first.group(0) if first else "").strip() or question.strip()
    if len(title) > TITLE_WORDS:
        title = title[:TITLE_WORDS].rsplit(" ", 1)[0] + " …"
    return title[:MAX_TITLE]


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def prefill(found: QuestionText, topic_code: str | None, today: date | None = None) -> Draft:
    """The proposal as it starts: the question's first sentence as title, the reply as the
    text, the question itself in the internal notes; all with personal data masked (the
    editor still checks: names and the like are not recognised)."""
    question, reply = mask(found.question), mask(found.reply)
    notes = ("Voorgesteld uit een beantwoorde vraag van een klant. Persoonsgegevens zijn "
             "gemaskeerd; controleer de tekst voordat u publiceert.\n\nDe vraag:\n\n"
             f"{_quoted(question)}")
    return Draft(title=_title(question), body=reply, internal_notes=notes, audience="all",
                 review_by=review_default(today).isoformat(),
                 topics=[topic_code] if topic_code else [])


async def propose(
    session: AsyncSession, staff_id: int, question_id: int, draft: Draft
) -> Answer:
    """Save a proposal as a new, unpublished answer with its first draft (AnswerError when a
    field is wrong). Publishing is for an editor, on the answer's own page."""
    answer = await create_answer(session, staff_id, draft)
    session.add(AnswerProposal(answer_id=answer.id, question_id=question_id,
                               proposed_by_id=staff_id))
    await session.flush()
    return answer


@dataclass(frozen=True)
class Proposal:
    """An open proposal: an answer proposed from a question and never published yet."""

    answer_id: int
    title: str
    proposed_by_id: int | None
    question_id: int | None
    created_at: datetime


_OPEN = (Answer.published.is_(False), Answer.version == 0)


async def open_proposals(session: AsyncSession, limit: int = 100) -> list[Proposal]:
    """Proposals no editor has published or declined yet, the oldest first."""
    rows = await session.execute(
        select(Answer.id, Answer.title, AnswerProposal.proposed_by_id,
               AnswerProposal.question_id, AnswerProposal.created_at)
        .join(AnswerProposal, AnswerProposal.answer_id == Answer.id).where(*_OPEN)
        .order_by(AnswerProposal.created_at, Answer.id).limit(limit))
    return [Proposal(*row) for row in rows]


async def proposal_of(session: AsyncSession, answer_id: int) -> Proposal | None:
    """The proposal an answer came from, when it did (published or not)."""
    row = (await session.execute(
        select(Answer.id, Answer.title, AnswerProposal.proposed_by_id,
               AnswerProposal.question_id, AnswerProposal.created_at)
        .join(AnswerProposal, AnswerProposal.answer_id == Answer.id)
        .where(Answer.id == answer_id).order_by(AnswerProposal.id).limit(1))).first()
    return Proposal(*row) if row else None


async def decline(session: AsyncSession, answer_id: int) -> bool:
    """An editor declines a proposal: the answer, never published, is removed with its
    draft. False when it is not an open proposal (published once, or not proposed)."""
    proposed = exists().where(AnswerProposal.answer_id == Answer.id)
    result = await session.execute(
        delete(Answer).where(Answer.id == answer_id, *_OPEN, proposed)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))
