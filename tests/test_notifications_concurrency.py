"""Several delivery workers at once on PostgreSQL, with a real SMTP server (aiosmtpd).

- two workers (each its own engine and SMTP connection, started at the same moment) over
  300 notifications of 300 parties: every notification is sent exactly once, in one e-mail
  to its party, and both workers did part of the work;
- the same with two `mijn worker --once` processes;
- two workers over several notifications of the same party and dossier: one e-mail inside
  the bundling window, the rest in one e-mail after it;
- two workers over the news of a few parties whose rows interleave, so that both workers
  hold rows of the same parties at once: still one e-mail per party inside the window,
  and no delivery round fails.

SQLite is skipped: it is the single-process development database, where `FOR UPDATE SKIP
LOCKED` does not exist and writers queue behind one lock; the race only exists on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_notifications import SmtpServer, change_status, seed_dossier, seed_party, valid_bsns

from conftest import make_settings
from mijn import PROJECT_ROOT
from mijn.db import Base, make_engine, make_sessionmaker, utcnow
from mijn.models import REFERENCE_TABLES, import_all
from mijn.notifications.delivery import DeliveryReport, deliver_due
from mijn.notifications.mail import SmtpMailer
from mijn.notifications.models import Notification, NotificationThrottle
from mijn.settings import Settings

PARTIES = 300
WORKERS = 2
PROCESS_SECONDS = 120


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The session's database, if it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL: SQLite has no FOR UPDATE SKIP LOCKED and "
                    "serves one writer at a time")
    return database_url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server that collects what it receives."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_settings(postgres_url: str, data_dir: Path, smtp: SmtpServer) -> Settings:
    return make_settings(postgres_url, data_dir, MIJN_SMTP_URL=smtp.url)


async def _wipe(session: AsyncSession) -> None:
    """Empty every table, as conftest._wipe does, so other tests find the database empty."""
    import_all()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            await session.execute(delete(table))


async def _in_session(url: str, fn, *args):  # type: ignore[no-untyped-def]
    """`fn(session, *args)` on an engine of its own, committed."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await fn(session, *args)
            await session.commit()
            return result
    finally:
        await engine.dispose()


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """The PostgreSQL database, emptied before and after the test."""
    import_all()
    asyncio.run(_in_session(postgres_url, _wipe))
    try:
        yield postgres_url
    finally:
        asyncio.run(_in_session(postgres_url, _wipe))


def address(n: int) -> str:
    return f"burger{n:04d}@example.org"


async def _seed_many(session: AsyncSession, count: int, per_party: int) -> dict[int, str]:
    """`count` parties with a verified address and a dossier each, with `per_party` status
    changes each, written round-robin (so the rows of one party are spread over the queue)."""
    dossiers: dict[int, int] = {}
    addresses: dict[int, str] = {}
    for n, bsn in enumerate(valid_bsns(count)):
        party = await seed_party(session, bsn, f"Burger {n}", address(n))
        dossiers[party] = await seed_dossier(session, party, f"Z-C-{n}", f"Dossier {n}")
        addresses[party] = address(n)
    for round_ in range(per_party):
        for dossier in dossiers.values():
            await change_status(session, dossier, ("ontvangen", "ingepland")[round_ % 2])
    return addresses


@dataclass
class Outcome:
    """What one worker did: its rounds, and the rounds that failed."""

    reports: list[DeliveryReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.reports)

    @property
    def emails(self) -> int:
        return sum(r.emails for r in self.reports)


async def _worker(
    url: str, settings: Settings, start: asyncio.Barrier, batch: int, now: datetime | None
) -> Outcome:
    """Wait for the other worker, then deliver until nothing is due; a failed round is
    noted and the worker goes on, as `mijn worker` does."""
    engine = make_engine(url, pool_size=2, max_overflow=0)
    sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
    mailer = SmtpMailer(settings.smtp_url, timeout=30.0)
    outcome = Outcome()
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))  # connected before the start
        await start.wait()
        while len(outcome.errors) < 5:
            try:
                report = await deliver_due(sessions, mailer, settings, batch=batch, now=now)
            except SQLAlchemyError as exc:
                outcome.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            outcome.reports.append(report)
            if report.handled == 0:
                break
        return outcome
    finally:
        await engine.dispose()


async def _race(url: str, settings: Settings, batch: int, now: datetime | None) -> list[Outcome]:
    start = asyncio.Barrier(WORKERS)
    return list(await asyncio.gather(
        *(_worker(url, settings, start, batch, now) for _ in range(WORKERS))
    ))


async def _rows(session: AsyncSession) -> list[Notification]:
    return list(await session.scalars(select(Notification).order_by(Notification.id)))


def _duplicates(counts: Counter[str]) -> list[tuple[str, int]]:
    return [(to, n) for to, n in counts.items() if n != 1]


def test_two_workers_send_each_of_300_notifications_exactly_once(
    database: str, smtp: SmtpServer, mail_settings: Settings
) -> None:
    addresses = asyncio.run(_in_session(database, _seed_many, PARTIES, 1))
    outcomes = asyncio.run(_race(database, mail_settings, batch=20, now=None))

    assert [o.errors for o in outcomes] == [[]] * WORKERS
    received = Counter(to for mail in smtp.mails for to in mail.recipients)
    assert set(received) == set(addresses.values())
    assert not _duplicates(received), f"not exactly once: {_duplicates(received)[:10]}"
    assert all(len(mail.recipients) == 1 for mail in smtp.mails)
    rows = asyncio.run(_in_session(database, _rows))
    assert Counter(r.email_state for r in rows) == {"sent": PARTIES}
    assert {r.attempts for r in rows} == {0}
    assert sum(o.sent for o in outcomes) == PARTIES == sum(o.emails for o in outcomes)
    assert all(o.sent > 0 for o in outcomes), f"one worker did everything: {[o.sent for o in outcomes]}"


def _summary(stderr: str) -> tuple[int, int]:
    found = re.search(r"(\d+) notifications sent in (\d+) e-mails", stderr)
    assert found, stderr
    return int(found.group(1)), int(found.group(2))


def test_two_worker_processes_send_each_notification_once(
    database: str, smtp: SmtpServer, data_dir: Path
) -> None:
    addresses = asyncio.run(_in_session(database, _seed_many, PARTIES, 1))
    smtp.collector.delay = 0.01  # a server that takes its time: both processes get work
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIJN_")}
    env |= {
        "MIJN_DATABASE_URL": database, "MIJN_SMTP_URL": smtp.url, "MIJN_ENV": "development",
        "MIJN_DATA_DIR": str(data_dir), "MIJN_BASE_URL": "http://testserver",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [sys.executable, "-m", "mijn.cli", "worker", "--once", "--batch", "10"]
    processes = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=PROCESS_SECONDS)
            results.append((process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [code for code, _out, _err in results] == [0] * WORKERS, results

    received = Counter(to for mail in smtp.mails for to in mail.recipients)
    assert set(received) == set(addresses.values())
    assert not _duplicates(received), f"not exactly once: {_duplicates(received)[:10]}"
    rows = asyncio.run(_in_session(database, _rows))
    assert Counter(r.email_state for r in rows) == {"sent": PARTIES}
    summaries = [_summary(err) for _code, _out, err in results]
    assert sum(sent for sent, _emails in summaries) == PARTIES
    assert all(sent > 0 for sent, _emails in summaries), summaries


async def _throttles(session: AsyncSession) -> dict[int, datetime]:
    found = await session.execute(
        select(NotificationThrottle.party_id, NotificationThrottle.last_sent_at)
    )
    return {party: at for party, at in found.all()}


def test_two_workers_send_one_email_per_party_and_dossier_inside_the_window(
    database: str, smtp: SmtpServer, mail_settings: Settings
) -> None:
    [(party, to)] = asyncio.run(_in_session(database, _seed_many, 1, 6)).items()
    window = timedelta(minutes=mail_settings.notify_bundle_minutes)
    now = utcnow() + timedelta(seconds=1)

    outcomes = asyncio.run(_race(database, mail_settings, batch=2, now=now))
    assert [o.errors for o in outcomes] == [[]] * WORKERS
    assert [m.recipients for m in smtp.mails] == [(to,)], "more than one e-mail in the window"
    assert all(o.reports[0].handled > 0 for o in outcomes)  # both workers had rows of it
    rows = asyncio.run(_in_session(database, _rows))
    waiting = [r for r in rows if r.email_state == "pending"]
    assert {r.email_state for r in rows} <= {"sent", "pending"}
    assert {r.next_attempt_at for r in waiting} <= {now + window}
    assert asyncio.run(_in_session(database, _throttles)) == {party: now}

    outcomes = asyncio.run(_race(database, mail_settings, batch=2, now=now + window))
    assert [o.errors for o in outcomes] == [[]] * WORKERS
    rows = asyncio.run(_in_session(database, _rows))
    states = Counter(r.email_state for r in rows)
    assert states == {"sent": 6}, f"news of the first window still waits: {dict(states)}"
    assert len(smtp.mails) == 1 + bool(waiting), "the rest of the window: one more e-mail"


def test_two_workers_holding_rows_of_the_same_parties_send_one_email_each(
    database: str, smtp: SmtpServer, mail_settings: Settings
) -> None:
    # 5 parties x 6 rows, round-robin, in batches of 7: both workers' batches hold rows of
    # the same parties, met in a different order.
    addresses = asyncio.run(_in_session(database, _seed_many, 5, 6))
    window = timedelta(minutes=mail_settings.notify_bundle_minutes)
    now = utcnow() + timedelta(seconds=1)

    outcomes = asyncio.run(_race(database, mail_settings, batch=7, now=now))
    received = Counter(to for mail in smtp.mails for to in mail.recipients)
    errors = [error for o in outcomes for error in o.errors]
    assert not errors, f"delivery rounds failed: {errors}; e-mails per party: {dict(received)}"
    assert received == dict.fromkeys(addresses.values(), 1), "one e-mail per party in the window"
    waiting = {r.party_id for r in asyncio.run(_in_session(database, _rows))
               if r.email_state == "pending"}

    outcomes = asyncio.run(_race(database, mail_settings, batch=7, now=now + window))
    assert [o.errors for o in outcomes] == [[]] * WORKERS
    rows = asyncio.run(_in_session(database, _rows))
    assert {r.email_state for r in rows} == {"sent"}
    received = Counter(to for mail in smtp.mails for to in mail.recipients)
    assert received == {to: 1 + (party in waiting) for party, to in addresses.items()}
