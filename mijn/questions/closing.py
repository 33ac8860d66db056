"""Staff close a question, always with a reason; an unanswered question's party is told why,
in plain words (never the staff member's own text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.i18n import N_
from mijn.questions.common import QuestionError, clean_body
from mijn.questions.models import CLOSE_REASONS, Question, QuestionEvent
from mijn.questions.states import next_state
from mijn.questions.workflow import _change, _tell_party, handed_away

MAX_REASON_TEXT = 1000

# How staff read a reason (the form and the history).
CLOSE_REASON_LABELS = {
    "phone": N_("Telefonisch beantwoord"),
    "duplicate": N_("Dubbele vraag"),
    "no_answer_needed": N_("Geen antwoord nodig"),
    "withdrawn": N_("De klant trekt de vraag in"),
    "other": N_("Anders"),
}

# What the party reads when their question was closed before it was answered.
CITIZEN_CLOSE_TEXTS = {
    "phone": N_("Wij hebben uw vraag met u besproken aan de telefoon. Daarom hebben wij "
                "uw vraag gesloten."),
    "duplicate": N_("U stelde deze vraag al eerder. U krijgt antwoord op die andere vraag. "
                    "Daarom hebben wij deze vraag gesloten."),
    "no_answer_needed": N_("Uw bericht vraagt geen antwoord van ons. Daarom hebben wij uw "
                           "vraag gesloten."),
    "withdrawn": N_("U liet ons weten dat u geen antwoord meer nodig heeft. Daarom hebben "
                    "wij uw vraag gesloten."),
    "other": N_("Wij hebben uw vraag gesloten."),
}


@dataclass(frozen=True)
class Closing:
    """Why a question is closed: a code of CLOSE_REASONS; with "other", the words too."""

    reason: str
    text: str = ""


def check_closing(closing: Closing) -> str | None:
    """The staff member's words as they will be kept (only with "other"); QuestionError when
    no reason was chosen, or "other" without words."""
    if closing.reason not in CLOSE_REASONS:
        raise QuestionError("reason", "missing")
    if closing.reason != "other":
        return None
    return clean_body(closing.text, "reason_text", MAX_REASON_TEXT)


async def staff_close(
    session: AsyncSession, question: Question, staff: Staff, closing: Closing
) -> None:
    """Close a question with a reason (kept on its close event). When it was never answered,
    the party hears of it: their thread says why."""
    if not staff.may_answer(question.assignee_id) or handed_away(question, staff):
        raise PermissionError("not theirs to close")
    next_state(question.state, "close")  # TransitionRefused when it is closed already
    words = check_closing(closing)  # before anything changed
    now = utcnow()
    event = await _change(session, question, staff, "close", now)
    event.reason, event.reason_text = closing.reason, words
    question.closed_at = now
    question.handover_unread = False
    await session.flush()
    if question.answered_at is None:
        question.party_unread = True
        await _tell_party(session, question, "close")


def citizen_close_texts(
    events: list[QuestionEvent], answered_at: datetime | None
) -> dict[int, str]:
    """Per staff close event (by id) that closed the question before it was ever answered:
    the plain text for the party (untranslated: the template translates it)."""
    return {
        event.id: CITIZEN_CLOSE_TEXTS.get(event.reason, CITIZEN_CLOSE_TEXTS["other"])
        for event in events
        if event.action == "close" and event.actor_type == "staff" and event.reason
        and (answered_at is None or event.at < answered_at)
    }
