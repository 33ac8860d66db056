"""Questions the knowledge base has no answer for: the questions of a period whose text the
answer search (mijn/answers/search.py) matches to no answer well enough, grouped by topic and
by the word most of them share, the largest groups first, each with a few examples whose
personal data is masked. What the editors should write next."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers import search as index
from mijn.answers.batchsearch import best_hits
from mijn.answers.models import AUDIENCES
from mijn.masking import mask
from mijn.questions.texts import QuestionText, recent_questions

# An answer matches a question when the search's best hit scores at least MATCH_SCORE and
# matches at least MATCH_SHARE of the question's words (measured on the demo answers: a
# question an answer is about scores 12 to 24 with most of its words; one it is not about
# scores below 8, on one word of several, or finds nothing).
MATCH_SCORE, MATCH_SHARE = 8.0, 0.5
SCAN_LIMIT = 200  # the newest questions of the period that are looked at (searched at once)
MIN_GROUP = 2  # a group is frequent from this many questions on
EXAMPLES = 3
EXAMPLE_LENGTH = 300
# Words nearly every question has, that say nothing about what it is about: no group's word.
_QUESTION_WORDS = """
beste bedankt bel bellen dag dank email goed graag groet groeten hallo help helpen hoor
iemand iets kunt laten mail mailen mag meneer mevrouw misschien nodig telefoon terug vraag
vragen vriendelijke weet weten wil willen
"""
QUESTION_STEMS = frozenset(index.stem(w) for w in _QUESTION_WORDS.split())


@dataclass(frozen=True)
class Example:
    """A question of a group, its text with personal data masked and shortened."""

    question_id: int
    reference: str
    party_id: int
    text: str
    answered: bool  # the KCC answered it: an answer may be proposed from it


@dataclass(frozen=True)
class Gap:
    """Questions of one topic, sharing one word, that no answer matches."""

    topic_id: int
    word: str
    count: int
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Gaps:
    """The groups of a period, and how many questions were looked at and left unmatched."""

    groups: list[Gap]
    scanned: int
    unmatched: int
    capped: bool  # more questions were asked than SCAN_LIMIT: the newest were looked at


def good_enough(text: str, hit: index.Hit | None) -> bool:
    """Whether the search's best hit for this question text matches it well enough (see
    MATCH_SCORE)."""
    query_words = set(index.words(text))
    if hit is None or not query_words:
        return False
    share = hit.matched / min(len(query_words), index.MAX_QUERY_WORDS)
    return hit.score >= MATCH_SCORE and share >= MATCH_SHARE


def _example(found: QuestionText) -> Example:
    text = " ".join(mask(found.question).split())
    if len(text) > EXAMPLE_LENGTH:
        text = text[:EXAMPLE_LENGTH].rsplit(" ", 1)[0] + " …"
    return Example(found.id, found.reference, found.party_id, text, found.answered)


def _words(text: str) -> list[str]:
    """The words of a question that may name what it is about (no numbers: a phone number,
    an amount or a reference is no subject)."""
    return [w for w in index.words(text) if not any(c.isdigit() for c in w)]


def group(unmatched: Sequence[QuestionText]) -> list[Gap]:
    """Group questions by topic and then by the stem most of the topic's questions share
    (each question goes to its most shared stem; of equals the longest, the more telling
    word, then the first by the alphabet; words every question has do not count); groups
    of MIN_GROUP or more, the largest first. The word shown is the stem's most used written
    form."""
    by_topic: dict[int, list[QuestionText]] = {}
    for found in unmatched:
        by_topic.setdefault(found.topic_id, []).append(found)
    gaps: list[Gap] = []
    for topic_id, questions in by_topic.items():
        stems = {q.id: {index.stem(w) for w in _words(q.question)} - QUESTION_STEMS
                 for q in questions}
        shared = Counter(s for found in stems.values() for s in found)
        written: dict[str, Counter[str]] = {}
        for q in questions:
            for w in _words(q.question):
                written.setdefault(index.stem(w), Counter())[w] += 1
        groups: dict[str, list[QuestionText]] = {}
        for q in questions:  # the newest first, as they came
            if stems[q.id]:
                best = min(stems[q.id], key=lambda s: (-shared[s], -len(s), s))
                groups.setdefault(best, []).append(q)
        for stem, members in groups.items():
            if len(members) >= MIN_GROUP:
                word = written[stem].most_common(1)[0][0]
                gaps.append(Gap(topic_id, word, len(members),
                                tuple(_example(q) for q in members[:EXAMPLES])))
    return sorted(gaps, key=lambda g: (-g.count, g.topic_id, g.word))


async def unanswered(session: AsyncSession, since: datetime, until: datetime) -> Gaps:
    """The frequent questions from `since` up to `until` that no answer matches."""
    questions = await recent_questions(session, since, until, SCAN_LIMIT + 1)
    capped = len(questions) > SCAN_LIMIT
    questions = questions[:SCAN_LIMIT]
    asked = [q for q in questions if q.question.strip()]
    hits = await best_hits(session, [q.question for q in asked], AUDIENCES)
    unmatched = [q for q, hit in zip(asked, hits, strict=True)
                 if not good_enough(q.question, hit)]
    return Gaps(group(unmatched), len(questions), len(unmatched), capped)
