"""Applying the retention periods: what is due per kind, a batched run through each area's
own deletions, and the figures of past runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.audit.retention import anonymise_expired_audit_events, count_expired_audit_events
from mijn.documents.store import DocumentStore
from mijn.dossiers.retention import count_expired_dossiers, delete_expired_dossiers
from mijn.notifications.retention import (
    count_expired_notifications,
    delete_expired_notifications,
)
from mijn.questions.retention import (
    count_expired_contacts,
    count_expired_questions,
    delete_expired_contacts,
    delete_expired_questions,
)
from mijn.retention.files import (
    delete_expired_dossiers_and_files,
    delete_expired_questions_and_files,
)
from mijn.retention.models import RetentionRun
from mijn.retentionperiods import RetentionPeriods
from mijn.sessions.retention import count_expired_sessions, delete_expired_sessions

Counter = Callable[[AsyncSession, datetime], Awaitable[int]]
Remover = Callable[[AsyncSession, datetime, int], Awaitable[int]]
FileRemover = Callable[[AsyncSession, datetime, int, DocumentStore], Awaitable[int]]


@dataclass(frozen=True)
class Kind:
    """A kind of data with a retention period, and the owning area's count and removal."""

    name: str
    action: str  # delete | anonymise
    count: Counter
    remove: Remover
    # With the documents' store: the removal that also deletes the files of what goes.
    remove_files: FileRemover | None = None


# In this order: what refers to a dossier goes before the dossier; the audit log last.
KINDS = (
    Kind("sessions", "delete", count_expired_sessions, delete_expired_sessions),
    Kind("notifications", "delete", count_expired_notifications, delete_expired_notifications),
    Kind("contacts", "delete", count_expired_contacts, delete_expired_contacts),
    Kind("questions", "delete", count_expired_questions, delete_expired_questions,
         delete_expired_questions_and_files),
    Kind("dossiers", "delete", count_expired_dossiers, delete_expired_dossiers,
         delete_expired_dossiers_and_files),
    Kind("audit", "anonymise", count_expired_audit_events, anonymise_expired_audit_events),
)


@dataclass(frozen=True)
class Due:
    """One kind's period and how many rows are past it now (0 when it is kept)."""

    kind: str
    action: str
    days: int
    cutoff: datetime | None
    count: int


@dataclass(frozen=True)
class Figure:
    """One kind on the staff page: what is due, and what its last run removed."""

    due: Due
    last_at: datetime | None
    last_removed: int
    removed_in_all: int


def cutoff_of(days: int, now: datetime) -> datetime | None:
    """Rows done with before this moment are past the period; None: kept for ever."""
    return now - timedelta(days=days) if days > 0 else None


async def due(session: AsyncSession, periods: RetentionPeriods, now: datetime) -> list[Due]:
    """Per kind: its period, its cutoff and how many rows are past it (a dry run)."""
    found: list[Due] = []
    for kind in KINDS:
        days = periods.days(kind.name)
        cutoff = cutoff_of(days, now)
        count = await kind.count(session, cutoff) if cutoff is not None else 0
        found.append(Due(kind.name, kind.action, days, cutoff, count))
    return found


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], plan: list[Due], now: datetime,
    batch: int, advance: Callable[[int], None] = lambda n: None,
    store: DocumentStore | None = None,
) -> dict[str, int]:
    """Remove what the plan (of `due`) found, `batch` rows per transaction, and note each
    kept period's run; returns how many rows each kind lost. With the documents' store, the
    files of deleted dossiers' documents and questions' attachments go too. Running it again
    removes nothing more."""
    removed: dict[str, int] = {}
    for kind, item in zip(KINDS, plan, strict=True):
        if item.cutoff is None:
            continue
        removed[kind.name] = await _remove_all(sessionmaker, kind, item.cutoff, batch, advance,
                                               store)
        async with sessionmaker() as session:
            await session.execute(insert(RetentionRun), {
                "at": now, "kind": kind.name, "days": item.days, "cutoff": item.cutoff,
                "removed": removed[kind.name],
            })
            await session.commit()
    return removed


async def _remove_all(
    sessionmaker: async_sessionmaker[AsyncSession], kind: Kind, cutoff: datetime, batch: int,
    advance: Callable[[int], None], store: DocumentStore | None,
) -> int:
    """One kind, batch after batch (each its own transaction), until a batch is not full."""
    total = 0
    while True:
        async with sessionmaker() as session:
            if kind.remove_files is not None and store is not None:
                done = await kind.remove_files(session, cutoff, batch, store)
            else:
                done = await kind.remove(session, cutoff, batch)
            await session.commit()
        total += done
        advance(done)
        if done < batch:
            return total


async def figures(session: AsyncSession, periods: RetentionPeriods, now: datetime) -> list[Figure]:
    """What is due per kind, with its last run and all it removed so far."""
    totals = dict(list(await session.execute(
        select(RetentionRun.kind, func.sum(RetentionRun.removed)).group_by(RetentionRun.kind)
    )))
    found: list[Figure] = []
    for item in await due(session, periods, now):
        last = await session.scalar(
            select(RetentionRun).where(RetentionRun.kind == item.kind)
            .order_by(RetentionRun.at.desc(), RetentionRun.id.desc()).limit(1)
        )
        found.append(Figure(item, last.at if last else None, last.removed if last else 0,
                            int(totals.get(item.kind) or 0)))
    return found


async def recent_runs(session: AsyncSession, limit: int = 30) -> list[RetentionRun]:
    """The latest runs, newest first, per kind (for the staff page)."""
    query = select(RetentionRun).order_by(RetentionRun.at.desc(), RetentionRun.id).limit(limit)
    return list(await session.scalars(query))
