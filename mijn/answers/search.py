"""Search in the published answers, in the database itself (SQLite and PostgreSQL alike).

Text becomes Dutch stems (Snowball: "vergunningen" and "vergunning" are both "vergun").
The index holds, per answer, each stem with a weight (title counts most). Two small tables
make search forgiving: every word with one letter left out points at its word, so one
mistake (a letter wrong, missing, extra, or two swapped) in a word of five letters or more
still finds it, verified with the edit distance; in long words so do two mistakes that the
one-letter variants reach (two letters wrong, or one extra and one missing; not two missing).
The tails of long stems point at them, so "vergunning" finds "bouwvergunning", and an
unfinished last word finds the words it begins ("parkeervergunni").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.models import AUDIENCES, Answer, AnswerTerm, SearchTerm, SearchVariant
from mijn.db import Base, insert_ignore

MAX_TERM = 60
MAX_QUERY_WORDS = 12
TITLE_WEIGHT, TOPIC_WEIGHT = 3.0, 1.5
TAIL_FACTOR, TYPO_FACTOR, PREFIX_FACTOR = 0.7, 0.8, 0.6
MAX_COMPOUNDS = 10  # compounds a query word also finds, the most common first
CAP, CAP_OTHER = 300, 100  # index entries read per term: the query's own, and the others
TOTAL = "#answers"  # the search_terms row whose df is the number of published answers
_WORD = re.compile(r"[a-z0-9]+")
_STEMMER = snowballstemmer.stemmer("dutch")

_STOPWORDS = """
aan al alle als bij dan dat de deze die dit doe doen door dus een en er ga gaat had heb
hebben heeft het hier hij hoe hoeveel ik in is je jij kan kun kunnen maar me meer met mij
mijn moet moeten na naar niet nog nu of om ons onze ook op over te tot u uw van veel voor
waar wanneer wat we wel welke wie wij wil wilt word wordt worden zal ze zelf zich zij zijn
zo zou
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def normalise(text: str) -> str:
    """Lower case without accents ("één" is "een", "coördinatie" "coordinatie")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text that carry meaning (no stop words, no single letters)."""
    return [w[:MAX_TERM] for w in _WORD.findall(normalise(text))
            if len(w) > 1 and w not in STOPWORDS]


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Dutch stem of a normalised word."""
    return str(_STEMMER.stemWord(word))[:MAX_TERM]


def deletes(word: str) -> set[str]:
    """The word with each one letter left out (only for words long enough to mistype)."""
    if len(word) < 4:
        return set()
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def tails(term: str) -> set[str]:
    """The ends of a long stem that may be a word of their own ("bouwvergun": "vergun")."""
    return {term[i:] for i in range(3, len(term) - 4)} if len(term) >= 8 else set()


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How many mistakes a word may have: none in short words, where a typo is another word."""
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


# --- indexing -------------------------------------------------------------------------------


def term_weights(title: str, topics: Iterable[str], body: str) -> dict[str, float]:
    """Each stem of an answer with its weight: title and topics count more than the body."""
    weights: dict[str, float] = {}
    for term in {stem(w) for w in words(title)}:
        weights[term] = weights.get(term, 0.0) + TITLE_WEIGHT
    for term in {stem(w) for label in topics for w in words(label)}:
        weights[term] = weights.get(term, 0.0) + TOPIC_WEIGHT
    for term, count in Counter(stem(w) for w in words(body)).items():
        weights[term] = weights.get(term, 0.0) + 1.0 + math.log(count)
    return weights


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def index_answer(
    session: AsyncSession, answer_id: int, title: str, topics: Iterable[str], body: str,
    audience: str = "all",
) -> None:
    """Replace an answer's entries in the index (its published text and audience)."""
    old = await _drop_entries(session, answer_id)
    weights = term_weights(title, topics, body)
    if weights:
        await session.execute(insert(AnswerTerm), [
            {"term": t, "answer_id": answer_id, "weight": w, "audience": audience}
            for t, w in weights.items()
        ])
    all_words = set(words(title)) | set(words(body)) | {w for t in topics for w in words(t)}
    await _add_vocabulary(session, all_words, set(weights))
    await _recount(session, old | set(weights))


async def unindex_answer(session: AsyncSession, answer_id: int) -> None:
    """Take an answer out of the index (it is no longer published)."""
    await _recount(session, await _drop_entries(session, answer_id))


async def _drop_entries(session: AsyncSession, answer_id: int) -> set[str]:
    """Remove an answer's index entries; the terms they were for."""
    old = set(await session.scalars(
        select(AnswerTerm.term).where(AnswerTerm.answer_id == answer_id)))
    await session.execute(delete(AnswerTerm).where(AnswerTerm.answer_id == answer_id))
    return old


async def _add_vocabulary(session: AsyncSession, new_words: set[str], terms: set[str]) -> None:
    """New stems get their tails; every word its one-letter deletions (done once per word)."""
    fresh = set(await session.scalars(
        insert_ignore(session, _table(SearchTerm)).returning(SearchTerm.term),
        [{"term": t, "df": 0} for t in sorted(terms)],
    )) if terms else set()
    variants = {(tail, term, "tail") for term in fresh for tail in tails(term)}
    known = set(await session.scalars(
        select(SearchVariant.variant).where(
            SearchVariant.kind == "word", SearchVariant.variant.in_(new_words))
    )) if new_words else set()
    for word in new_words - known:
        variants.add((word, stem(word), "word"))
        variants |= {(d, word, "delete") for d in deletes(word)}
    if variants:
        await session.execute(insert_ignore(session, _table(SearchVariant)), [
            {"variant": v, "term": t, "kind": k} for v, t, k in sorted(variants)
        ])


async def _recount(session: AsyncSession, terms: set[str]) -> None:
    """The df of these terms, and of TOTAL, counted again."""
    published = await session.scalar(
        select(func.count()).where(Answer.published.is_(True))) or 0
    await session.execute(insert_ignore(session, _table(SearchTerm)), [{"term": TOTAL, "df": 0}])
    await session.execute(update(SearchTerm).where(SearchTerm.term == TOTAL).values(df=published))
    if not terms:
        return
    count = (select(func.count()).where(AnswerTerm.term == SearchTerm.term)
             .scalar_subquery())
    ordered = sorted(terms)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        await session.execute(
            update(SearchTerm).where(SearchTerm.term.in_(chunk)).values(df=count)
        )


# --- searching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A published answer that matches, with how well."""

    answer_id: int
    score: float
    matched: int  # how many of the query's words it matches


@dataclass
class _Plan:
    """Which index terms stand for which word of the query, and how much each counts."""

    terms: dict[str, tuple[int, float]]  # term -> (word number, factor)
    df: dict[str, int]
    total: int = 0  # published answers

    def add(self, term: str, word_no: int, factor: float, df: int) -> None:
        if df > 0 and factor > self.terms.get(term, (0, 0.0))[1]:
            self.terms[term] = (word_no, factor)
            self.df[term] = df


async def _plan(session: AsyncSession, query_words: Sequence[str], prefix: bool) -> _Plan:
    plan = _Plan({}, {})
    stems = [stem(w) for w in query_words]
    rows = await session.execute(
        select(SearchTerm.term, SearchTerm.df).where(SearchTerm.term.in_({*stems, TOTAL}))
    )
    known = {term: df for term, df in rows if df > 0}
    plan.total = known.pop(TOTAL, 0)
    for number, term in enumerate(stems):
        if term in known:
            plan.add(term, number, 1.0, known[term])
    await _add_compounds(session, plan, stems)
    missing = [(n, w) for n, w in enumerate(query_words) if stems[n] not in known]
    await _add_typos(session, plan, [(n, w) for n, w in missing if allowed_typos(w)])
    if prefix and query_words and len(query_words[-1]) >= 3:
        await _add_prefix(session, plan, len(query_words) - 1, query_words[-1])
    return plan


async def _add_compounds(session: AsyncSession, plan: _Plan, stems: Sequence[str]) -> None:
    rows = await session.execute(
        select(SearchVariant.variant, SearchVariant.term, SearchTerm.df)
        .join(SearchTerm, SearchTerm.term == SearchVariant.term)
        .where(SearchVariant.kind == "tail", SearchVariant.variant.in_(set(stems)),
               SearchTerm.df > 0)
        .order_by(SearchTerm.df.desc()).limit(MAX_COMPOUNDS * len(stems))
    )
    for tail, term, df in rows:
        plan.add(term, stems.index(tail), TAIL_FACTOR, df)


async def _add_typos(
    session: AsyncSession, plan: _Plan, missing: Sequence[tuple[int, str]]
) -> None:
    if not missing:
        return
    probes = {p for _, w in missing for p in deletes(w) | {w}}
    rows = await session.execute(
        select(SearchVariant.variant, SearchVariant.term, SearchVariant.kind).where(
            SearchVariant.kind.in_(("delete", "word")), SearchVariant.variant.in_(probes))
    )
    # A deletion row points at its word; a word row is the word itself.
    surface = {variant if kind == "word" else term for variant, term, kind in rows}
    near: dict[int, set[str]] = {}
    for number, word in missing:
        limit = allowed_typos(word)
        near[number] = {s for s in surface if abs(len(s) - len(word)) <= limit
                        and edit_distance(word, s) <= limit}
    candidates = {s for found in near.values() for s in found}
    if not candidates:
        return
    rows = await session.execute(
        select(SearchVariant.variant, SearchVariant.term, SearchTerm.df)
        .join(SearchTerm, SearchTerm.term == SearchVariant.term)
        .where(SearchVariant.kind == "word", SearchVariant.variant.in_(candidates))
    )
    stems_of = {str(word): (str(term), int(df)) for word, term, df in rows}
    for number, found in near.items():
        for word in found & stems_of.keys():
            term, df = stems_of[word]
            plan.add(term, number, TYPO_FACTOR, df)


async def _add_prefix(session: AsyncSession, plan: _Plan, number: int, word: str) -> None:
    """Words of the index that begin with an unfinished last word ("parkeervergunni")."""
    upper = word[:-1] + chr(ord(word[-1]) + 1)
    rows = await session.execute(
        select(SearchVariant.term, SearchTerm.df)
        .join(SearchTerm, SearchTerm.term == SearchVariant.term)
        .where(SearchVariant.kind == "word", SearchVariant.variant >= word,
               SearchVariant.variant < upper, SearchTerm.df > 0)
        .order_by(SearchTerm.df.desc()).limit(8)
    )
    for term, df in rows:
        plan.add(term, number, PREFIX_FACTOR, df)


async def search(
    session: AsyncSession, query: str, audiences: Sequence[str], *,
    limit: int = 10, prefix: bool = False,
) -> list[Hit]:
    """The best-matching published answers for the audiences, best first: first those that
    match more of the query's words, then by weight (rare words count more).

    Each term brings at most its heaviest entries (CAP; fewer for the terms a typo,
    compound or prefix found), read in weight order from the index: a word found in most
    answers ("aanvraag") then costs the same as a rare one, and adds what matters about
    it, the answers where it stands in the title or often in the text."""
    query_words = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    if not query_words:
        return []
    plan = await _plan(session, query_words, prefix)
    if not plan.terms:
        return []
    total = max(plan.total, 1)
    params: dict[str, Any] = {"limit": limit}
    for i, (term, (number, f)) in enumerate(plan.terms.items()):
        params.update({f"t{i}": term, f"n{i}": number, f"c{i}": CAP if f == 1.0 else CAP_OTHER,
                       f"f{i}": f * math.log(1 + total / plan.df[term])})
    everyone = set(AUDIENCES) <= set(audiences)
    if not everyone:
        params.update({f"a{i}": a for i, a in enumerate(audiences)})
    sql = _ranking_sql(len(plan.terms), 0 if everyone else len(audiences))
    rows = await session.execute(text(sql), params)
    return [Hit(int(answer_id), float(s), int(m)) for answer_id, s, m in rows]


@lru_cache(maxsize=256)
def _ranking_sql(terms: int, audiences: int) -> str:
    """The ranking statement for so many terms (and audiences; 0: all): per term its
    heaviest entries, in weight order from ix_answer_terms_term_weight, then summed per
    answer. Plain SQL with bound values only: building it from SQLAlchemy expressions took
    longer than running it."""
    audience = (" AND audience IN ({})".format(", ".join(f":a{i}" for i in range(audiences)))
                if audiences else "")
    parts = [
        f"SELECT answer_id, weight * CAST(:f{i} AS FLOAT) AS score, "  # noqa: S608 - only
        # numbered placeholders go into this text; every value is bound
        f"CAST(:n{i} AS INTEGER) AS word FROM (SELECT answer_id, weight FROM answer_terms"
        f" WHERE term = :t{i}{audience} ORDER BY weight DESC LIMIT :c{i}) AS e{i}"
        for i in range(terms)
    ]
    return (
        "SELECT answer_id, SUM(score) AS score, COUNT(DISTINCT word) AS matched FROM ("  # noqa: S608
        + " UNION ALL ".join(parts)
        + ") AS entries GROUP BY answer_id ORDER BY matched DESC, score DESC, answer_id"
        " LIMIT :limit"
    )
