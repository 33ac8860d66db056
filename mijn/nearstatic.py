"""Near-static lists (the question topics, a dossier type's statuses) kept per process, so
that the most visited pages do not read them on every request.

An entry holds for at most TTL_SECONDS, and is dropped at once when a session of this
process writes to one of the tables it was read from (seen at flush, through the ORM or a statement
run by the session; dropped again at commit, so a reader between the flush and the commit
cannot keep the old list). Other processes (more `mijn serve` workers, the API, the CLI)
see such a change after at most TTL_SECONDS: these lists change a few times a year, and a
minute-old list of topics or steps is harmless; whose data a request may see is never kept
here (access and mandates are read on every request). Entries are kept per connection pool,
so two apps in one process (tests) never share them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import Pool

T = TypeVar("T")
TTL_SECONDS = 60.0
# Per pool at most so many entries (some are kept per question: the answers suggested beside
# it); past it the oldest goes.
MAX_ENTRIES = 1000
_CHANGED = "mijn.nearstatic.changed"

_watched: set[str] = set()
_generations: dict[str, int] = {}
_entries: WeakKeyDictionary[Pool, dict[Hashable, tuple[float, tuple[int, ...], Any]]] = (
    WeakKeyDictionary())


def watch(*tables: str) -> None:
    """Writes to these tables drop the entries read from them (call at import, in the module
    that caches them, so that a write before the first read is seen too)."""
    _watched.update(tables)


def drop(tables: Iterable[str]) -> None:
    """Forget the entries of every pool that were read from these tables (they changed)."""
    for table in tables:
        _generations[table] = _generations.get(table, 0) + 1


async def cached(
    session: AsyncSession, key: Hashable, tables: tuple[str, ...],
    load: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """The value under `key` for this session's database, read from these (watched) tables:
    kept, or loaded now with `load`."""
    pool = session.bind.sync_engine.pool  # type: ignore[union-attr]  # always bound here
    entries = _entries.setdefault(pool, {})
    found = entries.get(key)
    now = time.monotonic()
    stamp = tuple(_generations.get(table, 0) for table in tables)
    if found is not None and found[1] == stamp and now - found[0] < TTL_SECONDS:
        value: T = found[2]
        return value
    value = await load(session)
    if found is None and len(entries) >= MAX_ENTRIES:
        del entries[next(iter(entries))]
    entries[key] = (now, stamp, value)
    return value


def _touches(tables: set[str], session: Session) -> None:
    changed = tables & _watched
    if changed:
        session.info.setdefault(_CHANGED, set()).update(changed)
        drop(changed)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    written = [*session.new, *session.dirty, *session.deleted]
    _touches({getattr(obj, "__tablename__", "") for obj in written}, session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _touches({getattr(table, "name", "")}, state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    drop(session.info.pop(_CHANGED, ()))
