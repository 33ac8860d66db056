"""The database's figures as metrics: the KCC queue (length, the oldest waiting question, the
late ones), the e-mail outbox (pending, dead), the ZGW retry backlog (pending, dead) and the
exports to Open Klant (pending, dead).

Read at each scrape, through the areas' own count queries (a few indexed counts).
"""

from __future__ import annotations

from opentelemetry.metrics import Meter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.intake.zgw_queue import backlog_counts
from mijn.notifications.service import outbox_counts
from mijn.openklant.queue import backlog_counts as export_counts
from mijn.questions.workload import queue_figures


class Gauges:
    """The instruments the figures are set on."""

    def __init__(self, meter: Meter) -> None:
        self.waiting = meter.create_gauge(
            "mijn.queue.waiting", description="Questions in the KCC queue, not yet taken")
        self.oldest = meter.create_gauge(
            "mijn.queue.oldest_waiting", unit="s",
            description="How long the longest-waiting question in the queue has waited")
        self.late = meter.create_gauge(
            "mijn.queue.late", description="Open questions past their service level")
        self.outbox = meter.create_gauge(
            "mijn.outbox.notifications", description="Notification e-mails by state")
        self.zgw = meter.create_gauge(
            "mijn.zgw.backlog", description="ZGW notifications by state")
        self.openklant = meter.create_gauge(
            "mijn.openklant.exports", description="Exports to Open Klant by state")


async def refresh(gauges: Gauges, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Read the figures now and set them."""
    now = utcnow()
    async with sessionmaker() as session:
        queue = await queue_figures(session, now)
        outbox = await outbox_counts(session)
        zgw = await backlog_counts(session)
        exports = await export_counts(session)
    gauges.waiting.set(queue.waiting)
    oldest = queue.oldest_waiting
    gauges.oldest.set((now - oldest).total_seconds() if oldest is not None else 0.0)
    gauges.late.set(queue.late)
    for state, count in outbox.items():
        gauges.outbox.set(count, {"state": state})
    for state, count in zgw.items():
        gauges.zgw.set(count, {"state": state})
    for state, count in exports.items():
        gauges.openklant.set(count, {"state": state})
