"""The back-office learns of a completed task: the completion is written to the task's own
outbox columns in the same transaction (push_state pending), and the worker POSTs it to the
configured webhook, signed (HMAC-SHA256 over the timestamp and the body), retried with
back-off until it is accepted or dead after its tries (then the KCC's deliveries page shows
it, to put back). Each completion is pushed until one POST is accepted; the delivery id in
the headers lets a receiver drop a repeat after a crash between its answer and our commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.retry import DEAD, backoff, error_summary, is_temporary
from mijn.tasks.models import Task
from mijn.tasks.service import describe_task
from mijn.tasksettings import TaskSettings

log = logging.getLogger("mijn.tasks")
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
SIGNATURE_HEADER = "X-Mijn-Signature"
TIMESTAMP_HEADER = "X-Mijn-Timestamp"
DELIVERY_HEADER = "X-Mijn-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class PushReport:
    """What one round of pushing did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        """Completions that were sent or rescheduled or went dead."""
        return self.sent + self.retried + self.failed


def _due(batch: int, now: datetime) -> Select[Task]:
    return (
        select(Task).where(Task.push_state == "pending", Task.push_next_at <= now)
        .order_by(Task.push_next_at, Task.id).limit(batch)
        .with_for_update(skip_locked=True)  # several workers never push the same completion
    )


async def _post(client: httpx.AsyncClient, settings: TaskSettings, body: bytes,
                delivery: str, now: datetime) -> None:
    timestamp = int(now.timestamp())
    response = await client.post(settings.webhook_url, content=body, headers={
        "Content-Type": "application/json", TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(settings.webhook_secret.reveal(), timestamp, body),
        DELIVERY_HEADER: delivery,
    }, timeout=settings.webhook_timeout)
    response.raise_for_status()


def _failed(task: Task, exc: Exception, settings: TaskSettings, now: datetime,
            report: PushReport) -> None:
    task.push_attempts += 1
    task.push_error = error_summary(exc)
    if not is_temporary(exc) or task.push_attempts >= settings.webhook_max_attempts:
        task.push_state = DEAD
        report.failed += 1
    else:
        task.push_next_at = now + backoff(task.push_attempts, FIRST_RETRY, LAST_RETRY)
        report.retried += 1
    log.warning("task webhook failed (attempt %d): %s", task.push_attempts, task.push_error)


async def push_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: TaskSettings,
    client: httpx.AsyncClient, *, batch: int = 50, now: datetime | None = None,
) -> PushReport:
    """POST the completions due now to the webhook; one transaction."""
    report = PushReport()
    if not settings.webhook_url:
        return report
    async with sessionmaker() as session:
        now = now or utcnow()
        for task in list(await session.scalars(_due(batch, now))):
            described = await describe_task(session, task)
            body = json.dumps({"event": "task.completed", "task": described},
                              ensure_ascii=False).encode()
            delivery = f"{task.source}:{task.external_id}:{task.version}"
            try:
                await _post(client, settings, body, delivery, now)
            except Exception as exc:  # noqa: BLE001 - classified by the one retry rule
                _failed(task, exc, settings, now, report)
                continue
            task.push_state, task.push_error = "sent", ""
            report.sent += 1
        await session.commit()
    return report


@dataclass(frozen=True)
class DeadPush:
    """A completion the webhook did not take after its tries (for the KCC)."""

    id: int
    party_id: int
    completed_at: datetime | None
    attempts: int
    last_error: str


async def dead_pushes(session: AsyncSession, limit: int = 100) -> list[DeadPush]:
    """The dead pushes, newest completion first."""
    rows = await session.execute(
        select(Task.id, Task.party_id, Task.completed_at, Task.push_attempts, Task.push_error)
        .where(Task.push_state == DEAD).order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(limit))
    return [DeadPush(*row) for row in rows.all()]


async def push_counts(session: AsyncSession) -> dict[str, int]:
    """How many completions are pending, sent and dead."""
    rows = await session.execute(
        select(Task.push_state, func.count()).where(Task.push_state.is_not(None))
        .group_by(Task.push_state))
    return {str(state): int(count) for state, count in rows.all()}


async def requeue_push(session: AsyncSession, task_id: int) -> int | None:
    """Put a dead push back in the queue (due now, its tries counted anew); the task's party,
    or None when it is not dead."""
    party_id = await session.scalar(
        update(Task).where(Task.id == task_id, Task.push_state == DEAD)
        .values(push_state="pending", push_attempts=0, push_next_at=utcnow())
        .returning(Task.party_id).execution_options(synchronize_session=False))
    return party_id
