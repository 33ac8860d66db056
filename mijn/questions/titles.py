"""A question's title for the citizen: the first words of what they first wrote."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.questions.models import QuestionMessage

TITLE_WORDS = 8
TITLE_CHARS = 60


def short_title(body: str, words: int = TITLE_WORDS, limit: int = TITLE_CHARS) -> str:
    """The first words of a text on one line, cut at a word, "…" when something is left
    out: at most `words` words and `limit` characters (a longer first word is cut)."""
    all_words = body.split()
    kept: list[str] = []
    for word in all_words[:words]:
        if len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    if not kept and all_words:
        kept = [all_words[0][:limit]]
    title = " ".join(kept)
    return title if len(title) == len(" ".join(all_words)) else f"{title}…"


async def question_titles(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Titles of questions by id: the first words of their first message from the citizen
    (a question without one is left out: the page names it another way)."""
    if not ids:
        return {}
    first = (
        select(func.min(QuestionMessage.id))
        .where(QuestionMessage.question_id.in_(ids), QuestionMessage.kind == "citizen")
        .group_by(QuestionMessage.question_id)
    )
    rows = await session.execute(
        select(QuestionMessage.question_id, QuestionMessage.body)
        .where(QuestionMessage.id.in_(first))
    )
    return {row.question_id: short_title(row.body) for row in rows if row.body.strip()}
