"""The worker behind `mijn worker`: rounds of deliver_due until stopped; each round first notes
the tasks' reminders, pushes completed tasks to the back-office and puts the satisfaction
e-mails that are due in the outbox, then sends the e-mails, gives claims nobody worked on for
MIJN_CLAIM_IDLE_MINUTES back to the queue, and delivers the exports to Open Klant when
MIJN_OPENKLANT_URL is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import make_engine, make_sessionmaker
from mijn.models import import_all
from mijn.notifications.delivery import DeliveryReport, deliver_due
from mijn.notifications.mail import Mailer, SmtpMailer
from mijn.openklant.client import OpenKlantClient
from mijn.openklant.ended import DailySweep
from mijn.openklant.queue import deliver_due as deliver_exports
from mijn.questions.claims import release_idle
from mijn.questions.dossier_satisfaction import invite_due as invite_dossiers_due
from mijn.questions.invitations import invite_due
from mijn.retry import error_summary, is_temporary
from mijn.settings import Settings
from mijn.tasks.reminders import remind_due
from mijn.tasks.webhook import push_due

log = logging.getLogger("mijn.worker")
_sweep = DailySweep()  # the exported mandates that ended by their date, once a day


def _add(total: DeliveryReport, report: DeliveryReport) -> None:
    for name in ("sent", "emails", "postponed", "retried", "failed", "skipped"):
        setattr(total, name, getattr(total, name) + getattr(report, name))


def summary(total: DeliveryReport, seconds: float) -> str:
    """One line on what the worker did."""
    return (
        f"{total.sent} notifications sent in {total.emails} e-mails, {total.skipped} portal "
        f"only, {total.postponed} bundled for later, {total.retried} to retry, "
        f"{total.failed} failed ({seconds:.1f} s)"
    )


async def release_idle_claims(sessionmaker: async_sessionmaker[AsyncSession],
                              settings: Settings) -> int:
    """One round of the idle-claim release (locked rows: any number of workers may run)."""
    async with sessionmaker() as session:
        released = await release_idle(session, settings.claim_idle_minutes)
        await session.commit()
    if released:
        log.info("%d idle claims returned to the queue: %s", len(released), ", ".join(released))
    return len(released)


async def task_round(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                     client: httpx.AsyncClient) -> int:
    """One round of the tasks' reminders (noted in the outbox, sent by the next delivery
    round) and of the completions pushed to the back-office's webhook; how many it handled."""
    async with sessionmaker() as session:
        reminded = await remind_due(session, settings.tasks.remind_days)
        await session.commit()
    pushed = await push_due(sessionmaker, settings.tasks, client)
    return reminded + pushed.handled


async def invite_satisfaction(sessionmaker: async_sessionmaker[AsyncSession],
                              settings: Settings) -> int:
    """One round of satisfaction invitations (one link per question and per closed dossier,
    whatever runs it)."""
    async with sessionmaker() as session:
        made = await invite_due(session, settings)
        made += await invite_dossiers_due(session, settings)
        await session.commit()
    return made


async def _round(
    sessionmaker: async_sessionmaker[AsyncSession], mailer: Mailer, settings: Settings,
    batch: int, exporter: OpenKlantClient | None, client: httpx.AsyncClient,
) -> tuple[DeliveryReport, int]:
    """One round: the tasks, the satisfaction invitations, the e-mails, the idle claims, the
    exports; the report and how many tasks and exports were handled."""
    tasks = await task_round(sessionmaker, settings, client)
    await invite_satisfaction(sessionmaker, settings)
    report = await deliver_due(sessionmaker, mailer, settings, batch=batch)
    await release_idle_claims(sessionmaker, settings)
    if exporter is None:
        return report, tasks
    await _sweep(sessionmaker, settings.openklant)
    counts = await deliver_exports(sessionmaker, settings.openklant, exporter, batch)
    if counts:
        log.info("Open Klant exports: %s", dict(counts))
    return report, tasks + sum(counts.values())


async def run_worker(
    settings: Settings, *, once: bool = False, interval: float = 5.0, batch: int = 200,
    mailer: Mailer | None = None, stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """Deliver until stopped (or, with once, until nothing is due); returns the totals."""
    import_all()  # every table the outbox refers to, or the first commit fails after sending
    engine = make_engine(settings.database_url, **settings.pool)
    sessionmaker = make_sessionmaker(engine)
    mailer = mailer or SmtpMailer(settings.smtp_url)
    stop = stop or asyncio.Event()
    total, started, last_line = DeliveryReport(), time.monotonic(), time.monotonic()
    web = httpx.AsyncClient()  # the tasks' webhook
    exporter = OpenKlantClient(settings.openklant) if settings.openklant.enabled else None
    try:
        while not stop.is_set():
            try:
                report, other = await _round(sessionmaker, mailer, settings, batch, exporter, web)
            except Exception as exc:
                if not is_temporary(exc):  # a programming error: never retried for ever
                    log.error("delivery round failed: %s; stopping", error_summary(exc))
                    raise
                log.warning("delivery round failed (%s); again in %g s", error_summary(exc),
                            interval)
                report, other = DeliveryReport(), 0
            _add(total, report)
            if once and report.handled + other == 0:
                break
            if time.monotonic() - last_line > 10 and not once:
                print(summary(total, time.monotonic() - started), file=sys.stderr, flush=True)
                last_line = time.monotonic()
            if report.handled + other in (0, report.postponed):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await web.aclose()
        if exporter is not None:
            await exporter.__aexit__()
        await engine.dispose()
    print(summary(total, time.monotonic() - started), file=sys.stderr, flush=True)
    return total


def main(settings: Settings, once: bool, interval: float, batch: int) -> int:
    """Run the worker in this process; SIGTERM and Ctrl+C stop it after the current round."""
    if not settings.smtp_url:
        print("mijn: MIJN_SMTP_URL is not set: set it to smtp://host:port (or smtps://, "
              "smtp+starttls://, with user:password@ when needed).", file=sys.stderr)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if not once:
            print(f"Delivering notifications (every {interval:g} s when idle; stop with "
                  "Ctrl+C)", file=sys.stderr, flush=True)
        await run_worker(settings, once=once, interval=interval, batch=batch, stop=stop)

    asyncio.run(run())
    return 0
