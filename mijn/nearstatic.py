"""Near-static lists (the question topics, a dossier type's statuses) kept per process, so
that the most visited pages do not read them on every request.

An entry holds for at most TTL_SECONDS, and is dropped at once when a session of this
process writes to one of the watched tables (seen at flush, through the ORM or a statement
run by the session; dropped again at commit, so a reader between the flush and the commit
cannot keep the old list). Other processes (more `mijn serve` workers, the API, the CLI)
see such a change after at most TTL_SECONDS: these lists change a few times a year, and a
minute-old list of topics or steps is harmless; whose data a request may see is never kept
here (access and mandates are read on every request). Entries are kept per connection pool,
so two apps in one process (tests) never share them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import Pool

T = TypeVar("T")
TTL_SECONDS = 60.0
_CHANGED = "mijn.nearstatic.changed"

_watched: set[str] = set()
_generation = 0
_entries: WeakKeyDictionary[Pool, dict[Hashable, tuple[float, int, Any]]] = WeakKeyDictionary()


def watch(*tables: str) -> None:
    """Writes to these tables drop every entry (the modules that cache read from them)."""
    _watched.update(tables)


def drop_all() -> None:
    """Forget every entry of every pool (a watched table changed)."""
    global _generation
    _generation += 1


async def cached(
    session: AsyncSession, key: Hashable, load: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """The value under `key` for this session's database: kept, or loaded now with `load`."""
    pool = session.bind.sync_engine.pool  # type: ignore[union-attr]  # always bound here
    entries = _entries.setdefault(pool, {})
    found = entries.get(key)
    now = time.monotonic()
    if found is not None and found[1] == _generation and now - found[0] < TTL_SECONDS:
        value: T = found[2]
        return value
    generation = _generation
    value = await load(session)
    entries[key] = (now, generation, value)
    return value


def _touches(tables: set[str], session: Session) -> None:
    if tables & _watched:
        session.info[_CHANGED] = True
        drop_all()


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
    if session.info.pop(_CHANGED, False):
        drop_all()
