"""The best answer for many texts at once: the same plan and ranking as mijn/answers/search.py
(stems, compounds, typos; per term its heaviest entries, rare words counting more), but each
kind of look-up done once for all texts and the ranking done in memory, so that a list of 200
questions costs a handful of statements instead of a few per question."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.models import AUDIENCES, AnswerTerm, SearchTerm, SearchVariant
from mijn.answers.search import (
    CAP,
    CAP_OTHER,
    MAX_COMPOUNDS,
    MAX_QUERY_WORDS,
    TAIL_FACTOR,
    TOTAL,
    TYPO_FACTOR,
    Hit,
    _Plan,
    allowed_typos,
    deletes,
    edit_distance,
    stem,
    words,
)

CHUNK = 5000  # values per IN list: a long text of long words makes many typo probes


def _chunks(values: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK)]


async def _rows(session: AsyncSession, make: Any, values: Iterable[str]) -> list[Any]:
    """The rows of `make(chunk)` for every chunk of the values."""
    found: list[Any] = []
    for chunk in _chunks(values):
        found += (await session.execute(make(chunk))).all()
    return found


class _Lookups:
    """What the index says about all the texts' words, read once."""

    def __init__(self) -> None:
        self.df: dict[str, int] = {}
        self.total = 0
        self.tails: list[tuple[str, str, int]] = []  # (tail, compound term, df), by df
        self.variants: list[tuple[str, str, str]] = []  # (variant, term, kind)
        self.word_terms: dict[str, tuple[str, int]] = {}  # word -> (term, df)

    async def read(self, session: AsyncSession, queries: Sequence[Sequence[str]]) -> None:
        stems = {stem(w) for q in queries for w in q}
        rows = await _rows(session, lambda c: select(SearchTerm.term, SearchTerm.df)
                           .where(SearchTerm.term.in_(c)), stems | {TOTAL})
        self.df = {term: df for term, df in rows if df > 0}
        self.total = self.df.pop(TOTAL, 0)
        self.tails = sorted(await _rows(session, lambda c: select(
            SearchVariant.variant, SearchVariant.term, SearchTerm.df)
            .join(SearchTerm, SearchTerm.term == SearchVariant.term)
            .where(SearchVariant.kind == "tail", SearchVariant.variant.in_(c),
                   SearchTerm.df > 0), stems), key=lambda r: -r[2])
        probes = {p for q in queries for _, w in self.missing(q) for p in deletes(w) | {w}}
        self.variants = await _rows(session, lambda c: select(
            SearchVariant.variant, SearchVariant.term, SearchVariant.kind)
            .where(SearchVariant.kind.in_(("delete", "word")), SearchVariant.variant.in_(c)),
            probes)
        near = {s for q in queries for found in self.near(q).values() for s in found}
        rows = await _rows(session, lambda c: select(
            SearchVariant.variant, SearchVariant.term, SearchTerm.df)
            .join(SearchTerm, SearchTerm.term == SearchVariant.term)
            .where(SearchVariant.kind == "word", SearchVariant.variant.in_(c)), near)
        self.word_terms = {str(w): (str(t), int(df)) for w, t, df in rows}

    def missing(self, query: Sequence[str]) -> list[tuple[int, str]]:
        """The words of a query whose stem is not in the index, that may hold a typo."""
        return [(n, w) for n, w in enumerate(query)
                if stem(w) not in self.df and allowed_typos(w)]

    def near(self, query: Sequence[str]) -> dict[int, set[str]]:
        """Per missing word the known words its one-letter variants reach, within its typos
        (as search._add_typos: only this query's own probes)."""
        missing = self.missing(query)
        probes = {p for _, w in missing for p in deletes(w) | {w}}
        surface = {v if kind == "word" else t for v, t, kind in self.variants if v in probes}
        return {n: {s for s in surface if abs(len(s) - len(w)) <= allowed_typos(w)
                    and edit_distance(w, s) <= allowed_typos(w)} for n, w in missing}

    def plan(self, query: Sequence[str]) -> _Plan:
        """The plan search._plan makes for this query (without the prefix of a last word)."""
        plan = _Plan({}, {}, self.total)
        stems = [stem(w) for w in query]
        for number, term in enumerate(stems):
            if term in self.df:
                plan.add(term, number, 1.0, self.df[term])
        own = [r for r in self.tails if r[0] in stems][:MAX_COMPOUNDS * len(stems)]
        for tail, term, df in own:
            plan.add(term, stems.index(tail), TAIL_FACTOR, df)
        for number, found in self.near(query).items():
            for word in found & self.word_terms.keys():
                term, df = self.word_terms[word]
                plan.add(term, number, TYPO_FACTOR, df)
        return plan


async def _entries(
    session: AsyncSession, terms: set[str], audiences: Sequence[str]
) -> dict[str, list[tuple[int, float]]]:
    """Per term its CAP heaviest entries (answer, weight), heaviest first."""
    where = [AnswerTerm.term.in_(sorted(terms))]
    if not set(AUDIENCES) <= set(audiences):
        where.append(AnswerTerm.audience.in_(list(audiences)))
    rank = func.row_number().over(partition_by=AnswerTerm.term,
                                  order_by=(AnswerTerm.weight.desc(), AnswerTerm.answer_id))
    inner = (select(AnswerTerm.term, AnswerTerm.answer_id, AnswerTerm.weight,
                    rank.label("n")).where(*where).subquery())
    rows = await session.execute(select(inner.c.term, inner.c.answer_id, inner.c.weight)
                                 .where(inner.c.n <= CAP).order_by(inner.c.term, inner.c.n))
    found: dict[str, list[tuple[int, float]]] = {}
    for term, answer_id, weight in rows:
        found.setdefault(term, []).append((int(answer_id), float(weight)))
    return found


def _best(plan: _Plan, entries: dict[str, list[tuple[int, float]]]) -> Hit | None:
    """The best answer of a plan: most words matched, then the highest score."""
    score: dict[int, float] = {}
    matched: dict[int, set[int]] = {}
    total = max(plan.total, 1)
    for term, (number, factor) in plan.terms.items():
        f = factor * math.log(1 + total / plan.df[term])
        for answer_id, weight in entries.get(term, [])[:CAP if factor == 1.0 else CAP_OTHER]:
            score[answer_id] = score.get(answer_id, 0.0) + weight * f
            matched.setdefault(answer_id, set()).add(number)
    if not score:
        return None
    best = min(score, key=lambda a: (-len(matched[a]), -score[a], a))
    return Hit(best, score[best], len(matched[best]))


async def best_hits(
    session: AsyncSession, texts: Sequence[str], audiences: Sequence[str] = AUDIENCES
) -> list[Hit | None]:
    """Per text the answer search's best hit (None: none), as search.search(text, limit=1)
    finds it, in at most five statements for all texts (more only for very many words)."""
    queries = [list(dict.fromkeys(words(t)))[:MAX_QUERY_WORDS] for t in texts]
    if not any(queries):
        return [None] * len(texts)
    lookups = _Lookups()
    await lookups.read(session, queries)
    plans = [lookups.plan(q) if q else None for q in queries]
    terms = {t for p in plans if p is not None for t in p.terms}
    entries = await _entries(session, terms, audiences) if terms else {}
    return [_best(p, entries) if p is not None else None for p in plans]
