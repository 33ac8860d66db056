"""Reminders of a task's deadline through the outbox: one e-mail (without personal data) a
set number of days before it and one on the day, each once per deadline, however many
workers run (each marks its rows in one UPDATE ... RETURNING)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mijn.db import utcnow
from mijn.notifications.service import notify_task
from mijn.tasks.models import Task


async def _remind(
    session: AsyncSession, column: InstrumentedAttribute[date | None],
    where: list[ColumnElement[bool]],
    now: datetime,
) -> int:
    """Mark the open tasks that match as reminded of their deadline, and note a reminder for
    each in the outbox (in the same transaction)."""
    rows = (await session.execute(
        update(Task)
        .where(Task.status == "open", or_(column.is_(None), column != Task.deadline), *where)
        .values({column: Task.deadline})
        .returning(Task.id, Task.party_id, Task.dossier_id)
        .execution_options(synchronize_session=False)
    )).all()
    for task_id, party_id, dossier_id in rows:
        await notify_task(session, party_id, task_id, dossier_id, now)
    return len(rows)


async def remind_due(session: AsyncSession, days_before: int, now: datetime | None = None
                     ) -> int:
    """Note the reminders due today (the caller commits): `days_before` days before the
    deadline (for a task that existed before today; 0: none) and on the day itself. Returns
    how many were noted."""
    now = now or utcnow()
    today = now.date()
    start_of_today = datetime.combine(today, time(), tzinfo=UTC)
    count = await _remind(session, Task.reminded_on_day, [Task.deadline == today], now)
    if days_before > 0:
        count += await _remind(session, Task.reminded_before, [
            Task.deadline > today, Task.deadline <= today + timedelta(days=days_before),
            Task.created_at < start_of_today,
        ], now)
    return count
