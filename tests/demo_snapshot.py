"""The demo data for tests: seeded once per database, then restored from its rows.

Seeding the demo goes through the services as the application would, and costs about half a
second per test; more than half of a demo test's time went there. The first seed of a run
on an empty database is kept as rows, and later tests get those rows back in one insert per
table, with every date and time moved by the time passed since, so a test sees the demo as
if it had been seeded when it started (tests/conftest.py, fixture `demo`). A database that
is not empty gets the real seed, which adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import Base
from mijn.dev.demo import seed_demo
from mijn.models import REFERENCE_TABLES, import_all
from mijn.settings import Settings


@dataclass(frozen=True)
class Snapshot:
    """The demo's rows per table (in the order of their foreign keys) and when they were
    written."""

    at: datetime
    day: date
    rows: tuple[tuple[Table, list[dict[str, Any]]], ...]


_KEPT: dict[str, Snapshot] = {}


def _tables() -> list[Table]:
    import_all()
    return [t for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]


async def _empty(session: AsyncSession) -> bool:
    """Whether no table but the reference tables holds a row (one statement)."""
    found = await session.execute(select(*(exists().select_from(t) for t in _tables())))
    return not any(found.one())


async def _take(session: AsyncSession) -> Snapshot:
    at, day = datetime.now(UTC), date.today()
    rows = []
    for table in _tables():
        found = (await session.execute(select(table))).mappings().all()
        if found:
            rows.append((table, [dict(row) for row in found]))
    return Snapshot(at, day, tuple(rows))


def _moved(value: Any, by: timedelta, days: timedelta) -> Any:
    if isinstance(value, datetime):  # before date: a datetime is a date
        return value + by
    if isinstance(value, date):
        return value + days
    return value


async def _restore(session: AsyncSession, snapshot: Snapshot) -> None:
    by = datetime.now(UTC) - snapshot.at
    days = date.today() - snapshot.day
    for table, rows in snapshot.rows:
        moved = [{k: _moved(v, by, days) for k, v in row.items()} for row in rows]
        await session.execute(insert(table), moved)


async def demo_data(session: AsyncSession, key: str, settings: Settings) -> None:
    """The demo on this database (key: its URL): restored from the run's first seed when the
    database is empty and that seed was kept, else seeded (and kept if it was empty)."""
    empty = await _empty(session)
    kept = _KEPT.get(key)
    if empty and kept is not None:
        await _restore(session, kept)
        return
    await seed_demo(session, None, settings)
    if empty:
        await session.commit()
        _KEPT[key] = await _take(session)

