"""Counting and checking: one atomic statement per limited action, in any database session.

A hit adds one to the subject's counter in every window of its rules with
INSERT ... ON CONFLICT DO UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): parallel
requests in any number of processes each get their own count, so no more than the limit
pass. The caller gives the time (epoch seconds), so that tests can move the clock.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, null, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.ratelimits.models import RateCounter
from mijn.ratelimits.rules import Rule, Window

# One in so many new counter rows also clears the rows whose window ended.
PRUNE_EVERY = 100


@dataclass(frozen=True)
class Verdict:
    """Whether the action may go ahead; if not, in how many seconds it may again."""

    allowed: bool
    retry_after: int = 0


ALLOWED = Verdict(True)


def subject(secret: str, kind: str, value: object) -> str:
    """Who acts, as the counters keep it: an HMAC, never the party id or address itself."""
    message = f"{kind}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _key(rule: Rule, window: Window) -> str:
    return f"{rule.name.lower()}:{window.seconds}"


def _start(window: Window, now: float) -> int:
    return int(now // window.seconds) * window.seconds


def _verdict(over: list[tuple[Window, int]], now: float) -> Verdict:
    """Refused while any window is over its limit: until the last of those windows ends."""
    if not over:
        return ALLOWED
    ends = max(start + window.seconds for window, start in over)
    return Verdict(False, max(1, math.ceil(ends - now)))


async def hit(
    session: AsyncSession, checks: Sequence[tuple[Rule, str]], now: float
) -> Verdict:
    """Count one action of each (rule, subject) and say whether it stays within every limit.

    A refused action is counted too; a caller that rolls back its transaction undoes that.
    """
    rows, windows = [], {}
    for rule, who in checks:
        for window in rule.windows:
            start = _start(window, now)
            key = _key(rule, window)
            windows[(key, who)] = (window, start)
            rows.append({"rule": key, "subject": who, "window_start": start, "count": 1,
                         "expires_at": start + window.seconds})
    if not rows:
        return ALLOWED
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    statement = insert(RateCounter).values(rows).on_conflict_do_update(
        index_elements=["rule", "subject", "window_start"],
        set_={"count": RateCounter.count + 1},
    ).returning(RateCounter.rule, RateCounter.subject, RateCounter.count)
    counts = (await session.execute(statement)).all()
    if any(count == 1 for _, _, count in counts) and random.randrange(PRUNE_EVERY) == 0:
        await prune(session, now)
    over = [windows[(key, who)] for key, who, count in counts
            if count > windows[(key, who)][0].limit]
    return _verdict(over, now)


# Built once: a check runs before every API request.
_COUNTS = select(RateCounter.rule, RateCounter.window_start, RateCounter.count).where(
    RateCounter.subject == bindparam("who"),
    tuple_(RateCounter.rule, RateCounter.window_start).in_(bindparam("keys", expanding=True)),
)


async def check(session: AsyncSession, rule: Rule, who: str, now: float) -> Verdict:
    """Whether the subject is already over the rule's limit (a read; counts nothing)."""
    if not rule.windows:
        return ALLOWED
    keys = {(_key(rule, w), _start(w, now)): w for w in rule.windows}
    found = await session.execute(_COUNTS, {"who": who, "keys": list(keys)})
    over = [(keys[(key, start)], start) for key, start, count in found
            if count >= keys[(key, start)].limit]
    return _verdict(over, now)


@functools.lru_cache(maxsize=64)
def _over_until(rule: Rule) -> ColumnElement[Any]:
    """A scalar subquery: when the subject's last window of this rule that is over its limit
    ends (epoch seconds), NULL when none is. Built once per rule."""
    if not rule.windows:
        return null()
    return select(func.max(RateCounter.expires_at)).where(
        RateCounter.subject == bindparam("over_who"),
        or_(*(and_(RateCounter.rule == _key(rule, window),
                   RateCounter.window_start == bindparam(f"over_start_{i}"),
                   RateCounter.count >= window.limit)
              for i, window in enumerate(rule.windows))),
    ).scalar_subquery()


def over_until(rule: Rule, who: str, now: float) -> tuple[ColumnElement[Any], dict[str, Any]]:
    """`check` as a column for another statement to select (saving a round trip), with the
    parameters to bind; `verdict_from` reads its value."""
    params: dict[str, Any] = {"over_who": who}
    params.update({f"over_start_{i}": _start(window, now)
                   for i, window in enumerate(rule.windows)})
    return _over_until(rule), params


def verdict_from(until: int | None, now: float) -> Verdict:
    """The verdict of an `over_until` column's value."""
    return ALLOWED if until is None else Verdict(False, max(1, math.ceil(until - now)))


async def prune(session: AsyncSession, now: float) -> int:
    """Remove the counters whose window has ended; returns how many."""
    result = await session.execute(delete(RateCounter).where(RateCounter.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]
