"""The e-mail baseline of bench/openklant.py: in the same run, the same workers deliver the
e-mail notification that each question's reply noted (one per question, in the same
transaction as the reply, as the KCC notes it) through the notifications outbox
(mijn.notifications.delivery.deliver_due, as `mijn worker` calls it) to a real local SMTP
server: bench/mailsink.py (aiosmtpd, its own process, counting what arrives).

Every party of the benchmark has a verified address with e-mail notifications on, so every
reply is one e-mail (its own bundle: one question each). Before the phase the outbox is made
pending again and the throttles are emptied, so the phase sends exactly as many e-mails as
there are questions; the sink must have received that many."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import asyncpg_dsn
from bench.notify import Sink
from bench.product import notification_delivery, notification_mail

SMTP_PORT = 8826


async def reachable_by_email(url: str) -> int:
    """Give every party a verified address with e-mail notifications on; how many."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        done = await conn.execute(
            "UPDATE parties SET email = 'burger' || id || '@example.nl', notify_by_email = true,"
            " email_verified_at = now()")
        return int(done.split()[-1])
    finally:
        await conn.close()


async def reset(url: str) -> None:
    """The reply notifications pending again, nothing throttled."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("UPDATE notifications SET email_state = 'pending', attempts = 0, "
                           "sent_at = NULL, last_error = '', next_attempt_at = now()")
        await conn.execute("DELETE FROM notification_throttles")
        await conn.execute("ANALYZE notifications")
    finally:
        await conn.close()


async def states(url: str) -> dict[str, int]:
    """The notifications per e-mail state."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT email_state AS state, count(*) AS n FROM notifications GROUP BY 1")
        return {r["state"]: int(r["n"]) for r in rows}
    finally:
        await conn.close()


async def pending(sessionmaker: Any) -> int:
    """Notifications still pending (any worker's)."""
    from sqlalchemy import text
    async with sessionmaker() as session:
        return int(await session.scalar(text(
            "SELECT count(*) FROM notifications WHERE email_state = 'pending'")) or 0)


def mailer(settings: Any) -> Any:
    """The worker's own SMTP mailer (MIJN_SMTP_URL: the sink)."""
    return notification_mail.SmtpMailer(settings.smtp_url)


async def deliver(sessionmaker: Any, settings: Any, smtp: Any, batch: int) -> dict[str, int]:
    """One round of the worker's e-mail delivery; what it did, as the export round's counts
    (done: notifications sent)."""
    report = await notification_delivery.deliver_due(sessionmaker, smtp, settings, batch=batch)
    counts = {"done": report.sent, "dead": report.failed, "retried": report.retried,
              "skipped": report.skipped, "postponed": report.postponed,
              "emails": report.emails}
    return {state: n for state, n in counts.items() if n}


def start_sink(args: argparse.Namespace, log: Path) -> Sink:
    """The SMTP sink (bench/mailsink.py serve) on --smtp-port."""
    return Sink(args.smtp_port, log)


def received(sink: Sink) -> int:
    """Messages the sink received since its last reset."""
    return int(sink.ask("count")["messages"])
