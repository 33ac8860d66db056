"""E-mail notifications: 100,000 pending, `mijn worker` processes, a local SMTP sink.

    .venv/bin/python -m bench.notify                    # batches 100 and 500, 1 and 2 workers
    .venv/bin/python -m bench.notify --notifications 5000 --parties 2500 --dossiers 3200 \
        --batches 100 --wait-idle 5                     # smoke run

Seeds the database mijn_bench_notify (created when missing, migrated with
mijn.migrate.upgrade): --parties parties with a verified e-mail address (notify_by_email on)
and --dossiers dossiers of theirs (every party at least one). Before every measured run
the outbox is loaded anew (TRUNCATE + COPY, the same rows every time, VACUUM ANALYZE):
--notifications pending status notifications spread over the dossiers (every dossier at
least one, some several, in quick succession), created over the last --backlog-minutes,
all due; for --prior-share of the dossiers a throttle row says an e-mail went out days
ago. So every run starts from exactly --notifications pending notifications, and one
e-mail per dossier (party, bundle_key) is due: the bundling of several notifications
into one e-mail applies within a round and, through the throttle row, across rounds.

An SMTP sink (bench/mailsink.py serve, aiosmtpd) runs in its own process on 127.0.0.1 and
only counts messages and recipients. Phases, each after waiting for an idle machine:

  raw-K   the baseline: K plain aiosmtplib clients (own processes, one connection each)
          send the same e-mails (one per dossier, to the same addresses) without a
          database: the SMTP ceiling of client + sink on this machine;
  drain   per --batches size and per --worker-counts: the outbox is reloaded, then W
          `mijn worker --batch N` processes are started at the same moment, and the runner
          polls until no notification is pending: notifications/s, e-mails/s, time to drain.

After every drain it checks: every notification 'sent' (none pending, failed or skipped,
no attempt failed), each dossier's notifications share one sent_at (told by one e-mail)
equal to its throttle row, e-mails received by the sink = e-mails the workers reported =
dossiers with news = distinct sent_at values... per recipient exactly as many e-mails as
the party has dossiers with news (none twice, none missing), as many SMTP connections as
rounds that sent, and nothing in the workers' output but their start and summary lines.
Reports the ratios 2 workers / 1 worker and delivery rate / raw SMTP rate, where the CPU
went, and writes everything as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench import BENCH_DIR, RESULTS_DIR
from bench.common import (
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    database_name,
    ensure_database,
    quote_ident,
    run_smoke,
    settle,
    smoke_sizes,
    truncate,
)
from bench.product import (
    MIJN_COMMAND,
    PROJECT_ROOT,
    Progress,
    upgrade_async,
)
from bench.run import (
    SECRET_KEY,
    busy_total,
    client_ports,
    cmdline,
    machine,
    machine_ticks,
    port_free,
    serves_workers,
    status_kb,
    wait_for_quiet,
)
from bench.seed import CHANNEL_WEIGHTS, FIRST_NAMES, LAST_NAMES, fit_total, seed_types, valid_bsns

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_notify"
SUMMARY = re.compile(
    r"(\d+) notifications sent in (\d+) e-mails, (\d+) portal only, (\d+) bundled for later, "
    r"(\d+) to retry, (\d+) failed \(([\d.]+) s\)"
)
STARTED_LINE = "Delivering notifications"
NOTIFICATION_COLUMNS = [
    "id", "party_id", "kind", "dossier_id", "question_id", "bundle_key", "created_at",
    "read_at", "email_state", "attempts", "next_attempt_at", "last_error", "sent_at", "payload",
]
PARTY_COLUMNS = ["id", "kind", "identifier_type", "identifier", "branch", "name", "email",
                 "phone", "language", "notify_by_email", "email_verified_at", "created_at"]
DOSSIER_COLUMNS = ["id", "reference", "kind", "dossier_type_id", "title", "party_id", "channel",
                   "department", "opened_on", "current_status_id", "status_changed_at",
                   "last_changed_at"]


def address(party_id: int) -> str:
    """A party's verified address."""
    return f"burger{party_id}@example.nl"


# --- the plan: who gets which news, the same every run ------------------------------------------

@dataclass
class Plan:
    """The parties' languages, the dossiers' owners and the outbox, as offsets from 'now'."""

    parties: int
    languages: list[str]                      # index party_id - 1
    owners: list[int]                         # index dossier_id - 1: party id
    notifications: list[tuple[float, int]]    # (seconds before now, dossier id), oldest first
    prior_throttles: list[tuple[int, float]]  # (dossier id, seconds before now)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def emails(self) -> int:
        """E-mails due: one per dossier with news (every dossier has some)."""
        return len(self.owners)

    def expected_per_recipient(self) -> Counter[str]:
        """E-mails each address should receive: its party's dossiers with news."""
        return Counter(address(p) for p in self.owners)

    def recipients_in_order(self) -> list[tuple[str, str]]:
        """(address, language) of each e-mail, in the order the groups become due."""
        seen: set[int] = set()
        out = []
        for _, dossier in self.notifications:
            if dossier not in seen:
                seen.add(dossier)
                party = self.owners[dossier - 1]
                out.append((address(party), self.languages[party - 1]))
        return out


def make_plan(args: argparse.Namespace) -> Plan:
    """Dossiers over parties and notifications over dossiers, skewed, with a fixed seed.

    Every party has at least one dossier with news, some several (a mean of
    dossiers/parties); every dossier at least one notification, some several. A dossier's
    first notification is at a random moment of the backlog, the next ones follow after
    exponential gaps (mean --gap-seconds): status changes in quick succession.
    """
    rng = random.Random(args.seed)
    p, d, n = args.parties, args.dossiers, args.notifications
    if not p <= d <= n:
        raise SystemExit("notify: need parties <= dossiers <= notifications (every party has "
                         "a dossier with news, every dossier a notification)")
    per_party = [1 + min(7, int(rng.expovariate(1 / max((d - p) / p, 1e-9)))) if d > p else 1
                 for _ in range(p)]
    fit_total(per_party, d, [1] * p, 8, rng)
    owners = [party for party, k in enumerate(per_party, start=1) for _ in range(k)]
    rng.shuffle(owners)
    per_dossier = [1 + min(9, int(rng.expovariate(1 / max((n - d) / d, 1e-9)))) if n > d else 1
                   for _ in range(d)]
    fit_total(per_dossier, n, [1] * d, 10, rng)
    span = args.backlog_minutes * 60.0
    moments: list[tuple[float, int]] = []
    for dossier, k in enumerate(per_dossier, start=1):
        t = rng.random() * span
        for _ in range(k):
            moments.append((min(t, span), dossier))
            t += rng.expovariate(1 / args.gap_seconds)
    moments.sort()
    notifications = [(span - t + 1.0, dossier) for t, dossier in moments]  # >= 1 s old
    prior = [(dossier, rng.uniform(1, 60) * 86400) for dossier in range(1, d + 1)
             if rng.random() < args.prior_share]
    languages = ["en" if rng.random() < 0.1 else "nl" for _ in range(p)]
    groups_per_party = Counter(Counter(owners).values())
    facts = {
        "parties": p, "dossiers_with_news": d, "notifications": n, "emails_due": d,
        "notifications_per_dossier": dict(sorted(Counter(per_dossier).items())),
        "dossiers_with_several": sum(1 for k in per_dossier if k > 1),
        "notifications_sharing_an_email": n - d,
        "dossiers_per_party": dict(sorted(groups_per_party.items())),
        "parties_with_several_dossiers": sum(1 for k in per_party if k > 1),
        "prior_throttles": len(prior), "backlog_minutes": args.backlog_minutes,
        "gap_seconds_mean": args.gap_seconds,
        "english": sum(1 for lang in languages if lang == "en"),
    }
    return Plan(p, languages, owners, notifications, prior, facts)


# --- the database ----------------------------------------------------------------------------

def _counted(records: list[tuple[Any, ...]], progress: Progress | None) -> Any:
    for n, record in enumerate(records, start=1):
        yield record
        if progress and n % 5_000 == 0:
            progress.advance(5_000)
    if progress and len(records) % 5_000:
        progress.advance(len(records) % 5_000)


async def seed_static(args: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    """Parties with verified addresses and their dossiers; reused when they match the plan."""
    url = args.database_url
    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"notify: refusing to use database {name!r}: its name does not "
                         "contain 'bench' (its outbox is emptied on every run)")
    if await ensure_database(url, recreate=args.recreate):
        print(f"notify: created database {quote_ident(name)}", file=sys.stderr)
    await upgrade_async(url)  # mijn.migrate.upgrade, from a thread
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        have = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM parties) AS parties, "
            "(SELECT count(*) FROM parties WHERE email_verified_at IS NOT NULL AND notify_by_email"
            " AND email = 'burger' || id || '@example.nl') AS verified, "
            "(SELECT count(*) FROM dossiers) AS dossiers, "
            "(SELECT coalesce(sum(hashtext(id || ':' || party_id)), 0) FROM dossiers) AS owners"
        )
        expected_owners = await conn.fetchval(
            "SELECT coalesce(sum(hashtext(i || ':' || o)), 0) "
            "FROM unnest($1::int[]) WITH ORDINALITY AS t(o, i)", plan.owners)
        if (have["parties"], have["verified"], have["dossiers"], have["owners"]) == (
                plan.parties, plan.parties, len(plan.owners), expected_owners):
            print(f"notify: {plan.parties} parties and {len(plan.owners)} dossiers already "
                  "there; reusing them", file=sys.stderr)
            return {"seeded": False}
    finally:
        await conn.close()
    types = await seed_types(url)
    rng = random.Random(args.seed + 1)
    now = datetime.now(UTC).replace(microsecond=0)
    bsns = valid_bsns(plan.parties, rng)
    parties = []
    for party_id, number in enumerate(bsns, start=1):
        created = now - timedelta(days=rng.randrange(5 * 365), seconds=rng.randrange(86400))
        parties.append((
            party_id, "person", "bsn", number, None,
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", address(party_id),
            f"06-{rng.randrange(10**8):08d}" if rng.random() < 0.4 else None,
            plan.languages[party_id - 1], True,
            created + timedelta(minutes=rng.randrange(60, 90 * 24 * 60)), created,
        ))
    picked = rng.choices(types, weights=[t.weight for t in types], k=len(plan.owners))
    channels = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()),
                           k=len(plan.owners))
    dossiers = []
    for i, (owner, t, channel) in enumerate(zip(plan.owners, picked, channels, strict=True)):
        dossier_id = i + 1
        opened = now - timedelta(days=rng.randrange(2, 365))
        changed = opened + timedelta(hours=rng.randrange(1, 24 * 30))
        dossiers.append((
            dossier_id, f"B-{dossier_id:07d}", t.kind, t.id, rng.choice(t.titles), owner,
            channel, t.department, opened.date(), rng.choice(t.statuses[:-1] or t.statuses),
            changed, changed,
        ))
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await truncate(conn, "parties")
            for table, columns, rows in (("parties", PARTY_COLUMNS, parties),
                                         ("dossiers", DOSSIER_COLUMNS, dossiers)):
                progress = Progress(f"{table:13}", len(rows))
                await conn.copy_records_to_table(table, columns=columns,
                                                 records=_counted(rows, progress))
                progress.finish(f"Copied {len(rows)} rows into {table}")
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"greatest((SELECT max(id) FROM {table}), 1))")
        await conn.execute("VACUUM (ANALYZE) parties, dossiers")
    finally:
        await conn.close()
    return {"seeded": True}


async def load_outbox(url: str, plan: Plan, quiet: bool = False) -> dict[str, Any]:
    """Empty the outbox and the throttles; load the plan's pending notifications (now)."""
    started = time.monotonic()
    now = datetime.now(UTC)
    rows = []
    for n, (age, dossier) in enumerate(plan.notifications, start=1):
        at = now - timedelta(seconds=age)
        rows.append((n, plan.owners[dossier - 1], "status", dossier, None, f"dossier:{dossier}",
                     at, None, "pending", 0, at, "", None, None))
    throttles = [(plan.owners[dossier - 1], f"dossier:{dossier}", now - timedelta(seconds=age))
                 for dossier, age in plan.prior_throttles]
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await settle(conn)
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await truncate(conn, "notifications", "notification_throttles")
            progress = None if quiet else Progress("notifications", len(rows))
            await conn.copy_records_to_table("notifications", columns=NOTIFICATION_COLUMNS,
                                             records=_counted(rows, progress))
            if progress:
                progress.finish(f"Copied {len(rows)} pending notifications")
            await conn.copy_records_to_table(
                "notification_throttles", columns=["party_id", "bundle_key", "last_sent_at"],
                records=throttles)
            await conn.execute("SELECT setval(pg_get_serial_sequence('notifications', 'id'), "
                               "greatest((SELECT max(id) FROM notifications), 1))")
        await conn.execute("VACUUM (ANALYZE) notifications, notification_throttles")
        pending = int(await conn.fetchval(
            "SELECT count(*) FROM notifications WHERE email_state = 'pending' "
            "AND next_attempt_at <= now()"))
    finally:
        await conn.close()
    if pending != len(plan.notifications):
        raise SystemExit(f"notify: {pending} notifications due after loading, "
                         f"expected {len(plan.notifications)}")
    return {"pending": pending, "throttles": len(throttles), "loaded_at": now.isoformat(),
            "seconds": round(time.monotonic() - started, 1)}


async def pg_counters(url: str) -> dict[str, Any]:
    """Counters to compare around a phase."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await conn.fetchrow(
            """
            SELECT d.xact_commit, d.xact_rollback, d.deadlocks, d.sessions,
                   d.blks_hit, d.blks_read, pg_current_wal_lsn()::text AS wal_lsn,
                   (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)
                     AS checkpoints,
                   (SELECT coalesce(sum(xact_commit + xact_rollback), 0) FROM pg_stat_database
                    WHERE datname IS DISTINCT FROM current_database()) AS other_xacts,
                   i.idx_scan AS due_idx_scan, i.idx_tup_read AS due_idx_tup_read,
                   io.idx_blks_hit + io.idx_blks_read AS due_idx_blks,
                   t.n_tup_upd, t.n_tup_hot_upd, t.autovacuum_count, t.autoanalyze_count
            FROM pg_stat_database d,
                 pg_stat_user_indexes i JOIN pg_statio_user_indexes io USING (indexrelid),
                 pg_stat_user_tables t
            WHERE d.datname = current_database() AND i.indexrelname = 'ix_notifications_due'
              AND t.relname = 'notifications'
            """
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


def counter_deltas(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two pg_counters()."""

    def position(lsn: str) -> int:
        high, low = lsn.split("/")
        return (int(high, 16) << 32) + int(low, 16)

    out = {k: int(after[k]) - int(before[k]) for k in before if k != "wal_lsn"}
    out["wal_bytes"] = position(after["wal_lsn"]) - position(before["wal_lsn"])
    return out


async def database_facts(url: str) -> dict[str, Any]:
    """Settings that decide what a commit costs, and sizes."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        facts: dict[str, Any] = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("server_version", "shared_buffers", "synchronous_commit", "fsync",
                         "max_connections")
        }
        facts["notifications_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('notifications'))")
        facts["database_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    return facts


# --- processes: the sink, the raw clients, the workers ----------------------------------------

class Sink:
    """The SMTP sink process, driven over its stdin/stdout."""

    def __init__(self, port: int, log: Path) -> None:
        if not port_free(port):
            raise SystemExit(f"notify: port {port} is in use; choose another with --smtp-port")
        self.port = port
        self.stderr = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.mailsink", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True, bufsize=1)
        first = self.process.stdout.readline()  # type: ignore[union-attr]
        if not first or not json.loads(first).get("ready"):
            raise SystemExit(f"notify: the SMTP sink did not start; see {log}")
        self.lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def ask(self, command: str) -> dict[str, Any]:
        with self.lock:
            assert self.process.stdin and self.process.stdout
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise SystemExit("notify: the SMTP sink stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def process_ticks() -> dict[int, tuple[str, int, int]]:
    """(name, utime + stime in clock ticks, start time) of every process.

    Like bench.run.process_ticks, with the start time: pids wrap around (pid_max is 32768
    here) and a test run spawns many processes, so a pid seen at the start of a phase can
    be another process at its end. The PostgreSQL postmaster (key -1) gets the ticks of
    the backends it reaped (cutime + cstime).
    """
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        start = int(fields[19])
        found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]), start)
        if name == "postgres" and "-D" in cmdline(int(entry.name)).split():
            found[-1] = ("postgres: ended backends", int(fields[13]) + int(fields[14]), start)
    return found


def client_backend_port(pid: int, name: str) -> int | None:
    """The client's port of a PostgreSQL client backend (None for anything else)."""
    if name != "postgres":
        return None
    words = cmdline(pid).split()
    # A client backend's title: "postgres: 15/main: user database host(port) state".
    if len(words) >= 5 and "(" in words[4]:
        port = words[4].rsplit("(", 1)[-1].rstrip(")")
        return int(port) if port.isdigit() else None
    return None


class Meter:
    """Where the CPU went during a phase, by role: workers (or raw clients), their PostgreSQL
    backends and the server's own processes, the sink, this runner, and others."""

    def __init__(self, db_port: int, sink_pid: int) -> None:
        self.db_port = db_port
        self.roles: dict[int, str] = {sink_pid: "sink", os.getpid(): "runner"}
        self.hz = os.sysconf("SC_CLK_TCK")
        self.worker_ports: set[int] = set()

    def add(self, pid: int, role: str) -> None:
        self.roles[pid] = role

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.p0 = process_ticks()
        self.m0 = machine_ticks()

    def note_ports(self) -> None:
        """Remember the workers' database connections (call while they run)."""
        pids = [p for p, role in self.roles.items() if role in ("workers", "clients")]
        self.worker_ports |= client_ports(pids, self.db_port)

    def stop(self) -> dict[str, Any]:
        self.note_ports()
        runner_ports = client_ports([os.getpid()], self.db_port)
        wall = time.monotonic() - self.t0
        m1, p1 = machine_ticks(), process_ticks()
        busy, total = busy_total(self.m0, m1)
        spent: defaultdict[str, float] = defaultdict(float)
        per_process: dict[str, float] = {}
        others: defaultdict[str, float] = defaultdict(float)
        for pid, (name, ticks, start) in p1.items():
            earlier = self.p0.get(pid)
            used = (ticks - (earlier[1] if earlier and earlier[2] == start else 0)) / self.hz
            role = self.roles.get(pid)
            if pid == -1:
                spent["postgres_ended"] += used
            elif role:
                spent[role] += used
                if role in ("workers", "clients"):
                    per_process[str(pid)] = round(used, 2)
            elif client_backend_port(pid, name) in runner_ports:
                spent["runner"] += used  # the runner's own poll and sampler connections
            elif serves_workers(pid, name, self.worker_ports):
                spent["postgres"] += used
            elif used > 0:
                spent["others"] += used
                others[name] += used
        kernel = (m1[5] + m1[6] - self.m0[5] - self.m0[6]) / self.hz
        unattributed = max(0.0, busy / self.hz - kernel - sum(spent.values()))
        cores = os.cpu_count() or 1
        other = spent["others"] + unattributed
        return {
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * busy / max(total, 1), 1),
            "workers_cpu_s": round(spent["workers"], 1),
            "clients_cpu_s": round(spent["clients"], 1),
            "postgres_cpu_s": round(spent["postgres"] + spent["postgres_ended"], 1),
            "postgres_ended_backends_cpu_s": round(spent["postgres_ended"], 1),
            "sink_cpu_s": round(spent["sink"], 1),
            "runner_cpu_s": round(spent["runner"], 1),
            "irq_softirq_cpu_s": round(kernel, 1),
            "other_cpu_s": round(other, 1),
            "other_pct": round(100 * other / max(wall * cores, 1e-9), 1),
            "other_processes": {k: round(v, 1) for k, v in
                                sorted(others.items(), key=lambda kv: -kv[1])[:5]},
            "unattributed_cpu_s": round(unattributed, 1),
            "machine_cpu_s": round(busy / self.hz, 1),
            "available_cpu_s": round(wall * cores, 1),
            "per_process_cpu_s": per_process,
        }


class ActivitySampler(threading.Thread):
    """What the workers' PostgreSQL backends do, sampled from pg_stat_activity.

    Per sample every backend of the bench database but the runner's own is counted as idle
    (waiting for its worker outside a transaction), idle in transaction (waiting for the
    worker between two statements: composing or sending e-mail, Python), active on the CPU,
    or waiting (on a lock, the WAL flush of a commit, ...); for lock waits, the statement.
    """

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url, self.interval = url, interval
        self.counts: Counter[str] = Counter()
        self.lock_statements: Counter[str] = Counter()
        self.samples = 0
        self.halt = threading.Event()
        self.failed: str | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._loop())
        except Exception as error:  # noqa: BLE001 - a diagnostic; never stop the run for it
            self.failed = repr(error)

    async def _loop(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            while not self.halt.is_set():
                rows = await conn.fetch(
                    """
                    SELECT state, wait_event_type, wait_event, left(query, 70) AS query
                    FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND backend_type = 'client backend'
                      AND application_name <> 'bench-notify-runner'
                    """
                )
                self.samples += 1
                for r in rows:
                    if r["state"] == "active":
                        if r["wait_event_type"]:
                            key = f"active, waiting on {r['wait_event_type']}:{r['wait_event']}"
                            if r["wait_event_type"] == "Lock":
                                self.lock_statements[" ".join(r["query"].split())] += 1
                        else:
                            key = "active (CPU)"
                    else:
                        key = str(r["state"])
                    self.counts[key] += 1
                await asyncio.sleep(self.interval)
        finally:
            await conn.close()

    def stop(self) -> dict[str, Any]:
        self.halt.set()
        self.join(timeout=10)
        n = max(self.samples, 1)
        return {
            "samples": self.samples, "interval_s": self.interval, "failed": self.failed,
            "mean_backends": {k: round(v / n, 2) for k, v in self.counts.most_common()},
            "lock_waits_by_statement": {k: round(v / n, 3)
                                        for k, v in self.lock_statements.most_common(5)},
        }


def worker_env(args: argparse.Namespace, sink: Sink) -> dict[str, str]:
    return {
        **os.environ,
        "MIJN_DATABASE_URL": args.database_url,
        "MIJN_SMTP_URL": sink.url,
        "MIJN_SECRET_KEY": SECRET_KEY,
        "MIJN_ENV": "development",
        "MIJN_DATA_DIR": str(RESULTS_DIR / "data"),
    }


def parse_worker_log(text: str) -> dict[str, Any]:
    """The worker's last summary line, and every line that is neither that nor the start."""
    lines = [x for x in text.splitlines() if x.strip()]
    summaries = [SUMMARY.search(x) for x in lines]
    last = next((m for m in reversed(summaries) if m), None)
    unexpected = [x for x, m in zip(lines, summaries, strict=True)
                  if not m and not x.startswith(STARTED_LINE)]
    out: dict[str, Any] = {"summary_lines": sum(1 for m in summaries if m),
                           "unexpected_lines": len(unexpected),
                           "unexpected_sample": unexpected[:10]}
    if last:
        keys = ("sent", "emails", "skipped", "postponed", "retried", "failed")
        out |= {k: int(v) for k, v in zip(keys, last.groups()[:6], strict=True)}
        out["seconds"] = float(last.group(7))
    return out


# --- the phases ---------------------------------------------------------------------------------

@dataclass
class Bench:
    args: argparse.Namespace
    plan: Plan
    sink: Sink
    stamp: str
    logs: list[str] = field(default_factory=list)


def check_sink(plan: Plan, stats: dict[str, Any]) -> dict[str, Any]:
    """Per recipient exactly the e-mails due: none twice, none missing, none unknown."""
    expected = plan.expected_per_recipient()
    got: dict[str, int] = stats.get("per_recipient", {})
    over = sum(max(0, n - expected.get(a, 0)) for a, n in got.items() if a in expected)
    under = sum(max(0, n - got.get(a, 0)) for a, n in expected.items())
    unknown = sum(n for a, n in got.items() if a not in expected)
    return {
        "messages": stats["messages"], "expected": plan.emails,
        "recipients_with_too_many": sum(1 for a, n in got.items() if n > expected.get(a, 0)),
        "emails_beyond_expected": over, "emails_missing": under, "emails_to_unknown": unknown,
        "multi_recipient_messages": stats["multi_recipient_messages"],
        "ok": stats["messages"] == plan.emails and over == 0 and under == 0 and unknown == 0
        and stats["multi_recipient_messages"] == 0,
    }


def raw_once(bench: Bench, connections: int, _attempt: int) -> dict[str, Any]:
    """K clients, one connection each, send the plan's e-mails between them (no database)."""
    args, sink = bench.args, bench.sink
    recipients = bench.plan.recipients_in_order()
    files = []
    for k in range(connections):
        path = RESULTS_DIR / f"notify-rcpt-{bench.stamp}-{k}.txt"
        path.write_text("".join(f"{a} {lang}\n" for a, lang in recipients[k::connections]))
        files.append(path)
    try:
        busy_before = wait_for_quiet(args.wait_idle)
        sink.ask("reset")
        env = worker_env(args, sink)
        clients = [subprocess.Popen(
            [sys.executable, "-m", "bench.mailsink", "send", "--port", str(sink.port),
             "--recipients", str(f)], cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True) for f in files]
        for c in clients:
            line = c.stdout.readline()  # type: ignore[union-attr]
            if line.strip() != "READY":
                raise SystemExit(f"notify: a raw client did not start: {line!r}")
        meter = Meter(make_url(args.database_url).port or 5432, sink.pid)
        for c in clients:
            meter.add(c.pid, "clients")
        progress = Progress(f"raw x{connections}  ", len(recipients))
        meter.start()
        t0 = time.monotonic()
        for c in clients:
            c.stdin.write("GO\n")  # type: ignore[union-attr]
            c.stdin.flush()  # type: ignore[union-attr]
        done = 0
        answers: list[str] = []
        reading = [threading.Thread(target=lambda c=c: answers.append(c.stdout.readline()),
                                    daemon=True) for c in clients]
        for thread in reading:
            thread.start()
        while any(thread.is_alive() for thread in reading):
            time.sleep(0.25)
            now = sink.ask("count")["messages"]
            progress.advance(now - done)
            done = now
            if any(c.poll() is not None for c in clients):
                break
        cpu = meter.stop()
        for c in clients:
            if c.poll() is None:
                c.stdin.write("BYE\n")  # type: ignore[union-attr]
                c.stdin.flush()  # type: ignore[union-attr]
            c.wait(timeout=30)
        if len(answers) != len(clients) or not all(a.strip() for a in answers):
            raise SystemExit(f"notify: a raw client failed: {answers}")
        results = [json.loads(a) for a in answers]
        stats = sink.ask("stats")
        progress.advance(stats["messages"] - done)
    finally:
        for f in files:
            f.unlink(missing_ok=True)
    start = min(r["connected"] for r in results)
    end = max(r["sent"] for r in results)
    seconds = end - start
    check = check_sink(bench.plan, stats)
    check["client_errors"] = sum(r["errors"] for r in results)
    check["ok"] = check["ok"] and check["client_errors"] == 0
    out = {
        "connections": connections, "messages": stats["messages"],
        "send_s": round(seconds, 3), "wall_s": round(time.monotonic() - t0, 2),
        "emails_per_s": round(stats["messages"] / seconds, 1),
        "sink_sessions": stats["sessions"], "bytes": stats["bytes"],
        "clients": results, "cpu": cpu | {"machine_busy_before_pct": busy_before},
        "check": check,
        "compose_us_per_message": results[0]["compose_us_per_message"],
    }
    out["per_email_ms"] = {
        "client_cpu": round(1000 * cpu["clients_cpu_s"] / max(stats["messages"], 1), 3),
        "sink_cpu": round(1000 * cpu["sink_cpu_s"] / max(stats["messages"], 1), 3),
    }
    progress.finish(f"raw SMTP, {connections} connection(s): {stats['messages']} e-mails in "
                    f"{seconds:.1f} s = {out['emails_per_s']} e-mails/s; other load "
                    f"{cpu['other_pct']}%; check {'OK' if check['ok'] else 'FAILED'}")
    return out


async def watch_drain(bench: Bench, workers: list[subprocess.Popen[bytes]], meter: Meter,
                      progress: Progress, t0: float) -> dict[str, Any]:
    """Poll until nothing is pending (or a worker dies, or the time is up)."""
    args = bench.args
    conn = await asyncpg.connect(asyncpg_dsn(args.database_url),
                                 server_settings={"application_name": "bench-notify-runner"})
    done = 0
    polls = 0
    next_ports = time.monotonic() + 1.0
    try:
        while True:
            await asyncio.sleep(args.poll_interval)
            polls += 1
            pending = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM notifications WHERE email_state = 'pending')")
            now = time.monotonic()
            count = bench.sink.ask("count")["messages"]
            progress.advance(count - done)
            done = count
            if now >= next_ports:
                meter.note_ports()
                next_ports = now + 2.0
            if not pending:
                return {"drained": True, "drained_at": now, "polls": polls}
            dead = [w.pid for w in workers if w.poll() is not None]
            if dead:
                return {"drained": False, "why": f"worker(s) {dead} exited", "polls": polls}
            if now - t0 > args.timeout:
                return {"drained": False, "why": f"not drained after {args.timeout:g} s",
                        "polls": polls}
    finally:
        await conn.close()


async def verify_outbox(url: str, plan: Plan, loaded_at: str) -> dict[str, Any]:
    """The outbox after a drain: every row sent once, one sent_at per dossier = its throttle."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        states = {r["email_state"]: r["n"] for r in await conn.fetch(
            "SELECT email_state, count(*) AS n FROM notifications GROUP BY 1")}
        troubled = await conn.fetchval(
            "SELECT count(*) FROM notifications WHERE attempts <> 0 OR last_error <> '' "
            "OR sent_at IS NULL OR payload IS NOT NULL")
        groups = await conn.fetchrow(
            """
            WITH g AS (
              SELECT party_id, bundle_key, count(*) AS n, count(DISTINCT sent_at) AS k,
                     min(sent_at) AS s
              FROM notifications GROUP BY party_id, bundle_key)
            SELECT count(*) AS groups,
                   count(*) FILTER (WHERE g.k <> 1) AS groups_with_several_sent_at,
                   count(*) FILTER (WHERE t.last_sent_at IS DISTINCT FROM g.s)
                     AS throttle_not_matching,
                   count(*) FILTER (WHERE g.s < $1::timestamptz) AS sent_before_the_run,
                   (SELECT count(DISTINCT sent_at) FROM notifications) AS distinct_sent_at,
                   (SELECT count(*) FROM notification_throttles) AS throttles
            FROM g LEFT JOIN notification_throttles t USING (party_id, bundle_key)
            """, datetime.fromisoformat(loaded_at))
        per_round = await conn.fetch(
            "SELECT sent_at, count(*) AS n, count(DISTINCT (party_id, bundle_key)) AS g "
            "FROM notifications GROUP BY sent_at ORDER BY sent_at")
    finally:
        await conn.close()
    assert groups is not None
    n = len(plan.notifications)
    out = {
        "states": states, "rows_not_cleanly_sent": troubled, **dict(groups),
        "rounds_that_sent": len(per_round),
        "notifications_per_sending_round_mean": round(n / max(len(per_round), 1), 1),
    }
    out["ok"] = (
        states == {"sent": n} and troubled == 0 and groups["groups"] == plan.emails
        and groups["groups_with_several_sent_at"] == 0 and groups["throttle_not_matching"] == 0
        and groups["sent_before_the_run"] == 0
    )
    return out


def drain_once(bench: Bench, batch: int, n_workers: int, attempt: int) -> dict[str, Any]:
    """Reload the outbox, start the workers at once, wait until nothing is pending, check."""
    args, sink, plan = bench.args, bench.sink, bench.plan
    url = args.database_url
    loaded = asyncio.run(load_outbox(url, plan, quiet=True))
    busy_before = wait_for_quiet(args.wait_idle)
    sink.ask("reset")
    before = asyncio.run(pg_counters(url))
    meter = Meter(make_url(url).port or 5432, sink.pid)
    sampler = ActivitySampler(url, args.sample_interval) if args.sample_interval > 0 else None
    env = worker_env(args, sink)
    command = [*MIJN_COMMAND, "worker", "--batch", str(batch), "--interval",
               f"{args.interval:g}"]
    logs = [RESULTS_DIR / f"notify-worker-{bench.stamp}-b{batch}-w{n_workers}-a{attempt}-{k}.log"
            for k in range(n_workers)]
    handles = [log.open("wb") for log in logs]
    progress = Progress(f"b{batch:<4} x{n_workers}   ", plan.emails)
    if sampler:
        sampler.start()
    meter.start()
    t0 = time.monotonic()
    workers = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=h,
                                stderr=subprocess.STDOUT) for h in handles]
    for w in workers:
        meter.add(w.pid, "workers")
    try:
        watched = asyncio.run(watch_drain(bench, workers, meter, progress, t0))
        cpu = meter.stop()
        activity = sampler.stop() if sampler else None
        vmhwm = {str(w.pid): round(status_kb(w.pid, "VmHWM") / 1024, 1) for w in workers}
        after = asyncio.run(pg_counters(url))
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=60)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        for h in handles:
            h.close()
        if sampler and sampler.is_alive():
            sampler.stop()
    bench.logs += [str(log.relative_to(BENCH_DIR.parent)) for log in logs]
    stats = sink.ask("stats")
    progress.advance(stats["messages"] - progress.done)
    reports = [parse_worker_log(log.read_text(errors="replace")) | {"exit_status": w.returncode}
               for log, w in zip(logs, workers, strict=True)]
    if not watched["drained"]:
        progress.finish(f"FAILED: {watched['why']}")
        return {"batch": batch, "workers": n_workers, "drained": False, "why": watched["why"],
                "worker_reports": reports, "cpu": cpu, "ok": False}
    outbox = asyncio.run(verify_outbox(url, plan, loaded["loaded_at"]))
    drain_s = watched["drained_at"] - t0
    first = (stats["first_message_at"] or t0) - t0
    last = (stats["last_message_at"] or t0) - t0
    n = len(plan.notifications)
    sink_check = check_sink(plan, stats)
    reported_emails = sum(r.get("emails", 0) for r in reports)
    reported_sent = sum(r.get("sent", 0) for r in reports)
    workers_check = {
        "reported_sent": reported_sent, "reported_emails": reported_emails,
        "reported_other": sum(r.get(k, 0) for r in reports
                              for k in ("skipped", "postponed", "retried", "failed")),
        "exit_statuses": [r["exit_status"] for r in reports],
        "unexpected_log_lines": sum(r["unexpected_lines"] for r in reports),
        "every_worker_delivered": all(r.get("sent", 0) > 0 for r in reports),
    }
    workers_check["ok"] = (
        reported_sent == n and reported_emails == stats["messages"] == plan.emails
        and workers_check["reported_other"] == 0 and workers_check["unexpected_log_lines"] == 0
        and all(s == 0 for s in workers_check["exit_statuses"])
        and all(r["summary_lines"] > 0 for r in reports)
    )
    pg = counter_deltas(before, after)
    sessions_ok = stats["sessions"] == outbox["rounds_that_sent"]
    result = {
        "batch": batch, "workers": n_workers, "drained": True,
        "drain_s": round(drain_s, 2), "first_email_s": round(first, 2),
        "last_email_s": round(last, 2), "poll_interval_s": args.poll_interval,
        "notifications": n, "emails": stats["messages"],
        "notifications_per_s": round(n / drain_s, 1),
        "emails_per_s": round(stats["messages"] / drain_s, 1),
        "notifications_per_s_after_first_email": round(n / max(drain_s - first, 1e-9), 1),
        "smtp_sessions": stats["sessions"],
        "emails_per_smtp_session": round(stats["messages"] / max(stats["sessions"], 1), 1),
        "loaded": loaded, "cpu": cpu | {"machine_busy_before_pct": busy_before},
        "pg": pg, "pg_activity": activity, "worker_vmhwm_mb": vmhwm,
        "worker_reports": reports, "checks": {
            "outbox": outbox, "sink": sink_check, "workers": workers_check,
            "smtp_sessions_equal_sending_rounds": sessions_ok,
            "no_deadlock": pg["deadlocks"] == 0,
        },
    }
    emails = max(stats["messages"], 1)
    result["per_email_ms"] = {
        "workers_cpu": round(1000 * cpu["workers_cpu_s"] / emails, 3),
        "postgres_cpu": round(1000 * cpu["postgres_cpu_s"] / emails, 3),
        "sink_cpu": round(1000 * cpu["sink_cpu_s"] / emails, 3),
    }
    result["per_round"] = {
        "commits": pg["xact_commit"], "rollbacks": pg["xact_rollback"],
        "wal_bytes_per_notification": round(pg["wal_bytes"] / n),
        "due_index_entries_read_per_scan": round(pg["due_idx_tup_read"] /
                                                 max(pg["due_idx_scan"], 1), 1),
    }
    result["ok"] = (outbox["ok"] and sink_check["ok"] and workers_check["ok"] and sessions_ok
                    and pg["deadlocks"] == 0)
    progress.finish(
        f"batch {batch}, {n_workers} worker(s): {n} notifications in {drain_s:.1f} s = "
        f"{result['notifications_per_s']}/s, {stats['messages']} e-mails = "
        f"{result['emails_per_s']}/s (first e-mail after {first:.1f} s); other load "
        f"{cpu['other_pct']}%; checks {'OK' if result['ok'] else 'FAILED'}")
    return result


def measured(bench: Bench, label: str,
             fn: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    """Measure again (up to --phase-attempts) while other processes used too much CPU."""
    tries: list[dict[str, Any]] = []
    for attempt in range(1, bench.args.phase_attempts + 1):
        result = fn(attempt)
        tries.append(result)
        other = result["cpu"]["other_pct"]
        if other <= bench.args.max_other_pct or not result.get("ok", result.get("check", {})
                                                                  .get("ok", True)):
            break
        again = attempt < bench.args.phase_attempts
        print(f"notify: other processes used {other}% of the CPU during {label}; "
              + ("measuring it again" if again else "keeping the least disturbed attempt"),
              file=sys.stderr)
    best = min(tries, key=lambda r: r["cpu"]["other_pct"])
    best["attempts"] = [{"other_pct": r["cpu"]["other_pct"],
                         "rate": r.get("notifications_per_s", r.get("emails_per_s")),
                         "ok": r.get("ok", r.get("check", {}).get("ok"))} for r in tries]
    best["disturbed"] = best["cpu"]["other_pct"] > bench.args.max_other_pct
    best["failed_in_an_attempt"] = any(a["ok"] is False for a in best["attempts"])
    return best


# --- where a worker's time goes ------------------------------------------------------------------

class PieceTimer:
    """Exclusive wall and CPU time per piece of the delivery, by wrapping functions at runtime
    (only in this process: the product code is not changed).

    One task runs at a time (a single in-process worker), so the pieces nest strictly in
    time and the process's CPU time during an await is the piece's own (the event loop has
    nothing else to do). Time spent in a nested piece counts only for the inner one.
    """

    def __init__(self) -> None:
        self.wall: defaultdict[str, float] = defaultdict(float)
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.stack: list[list[float]] = []  # [wall of children, cpu of children]
        self.undo: list[tuple[Any, str, Any]] = []

    def _enter(self) -> tuple[float, float]:
        self.stack.append([0.0, 0.0])
        return time.perf_counter(), time.process_time()

    def _leave(self, label: str, started: tuple[float, float]) -> None:
        wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
        children = self.stack.pop()
        self.wall[label] += wall - children[0]
        self.cpu[label] += cpu - children[1]
        self.calls[label] += 1
        if self.stack:
            self.stack[-1][0] += wall
            self.stack[-1][1] += cpu

    def wrap(self, owner: Any, name: str, label: str | Callable[..., str]) -> None:
        """Time calls of owner.name under label (or label(*args), e.g. by statement)."""
        original = getattr(owner, name)
        timer = self
        name_of = label if callable(label) else (lambda *_a, **_k: label)
        if inspect.iscoroutinefunction(original):
            async def wrapped_async(*a: Any, **k: Any) -> Any:
                started = timer._enter()
                try:
                    return await original(*a, **k)
                finally:
                    timer._leave(name_of(*a, **k), started)
            setattr(owner, name, wrapped_async)
        else:
            def wrapped(*a: Any, **k: Any) -> Any:
                started = timer._enter()
                try:
                    return original(*a, **k)
                finally:
                    timer._leave(name_of(*a, **k), started)
            setattr(owner, name, wrapped)
        self.undo.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self.undo):
            setattr(owner, name, original)
        self.undo.clear()

    async def run(self, label: str, coro: Any) -> Any:
        started = self._enter()
        try:
            return await coro
        finally:
            self._leave(label, started)


async def time_pieces(args: argparse.Namespace, sink: Sink) -> dict[str, Any]:
    """One worker in this process (deliver_due, as run_worker calls it) over a freshly loaded
    outbox, with the pieces of a round timed: where a worker's time per e-mail goes."""
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from bench.product import import_all, load_settings, make_engine, make_sessionmaker
    from bench.product import notification_delivery as delivery
    from bench.product import notification_mail as mail

    import_all()
    settings = load_settings(worker_env(args, sink))
    engine = make_engine(args.database_url)
    sessionmaker = make_sessionmaker(engine)
    mailer = mail.SmtpMailer(settings.smtp_url)
    timer = PieceTimer()
    await delivery.deliver_due(sessionmaker, mailer, settings, batch=args.profile_batch)  # warm
    def statement(_session: Any, stmt: Any, *_a: Any, **_k: Any) -> str:
        tables = {t.name for t in getattr(stmt, "get_final_froms", lambda: [])()}
        table = getattr(getattr(stmt, "table", None), "name", None)
        kind = type(stmt).__name__.upper()
        if kind == "SELECT" and "notifications" in tables:
            return "SQL: due rows SELECT ... FOR UPDATE SKIP LOCKED"
        if kind == "SELECT" and "parties" in tables:
            return "SQL: parties SELECT"
        if kind == "SELECT" and "notification_throttles" in tables:
            return "SQL: throttle SELECT ... FOR UPDATE"
        if table == "notification_throttles":
            return f"SQL: throttle {kind}"
        return f"SQL: other {kind} {sorted(tables) or table}"

    for owner, name, label in (
        (delivery, "compose_news", "compose the e-mail (compose_news)"),
        (mail.SmtpConnection, "send", "SMTP: connect and send (aiosmtplib)"),
        (mail.SmtpConnection, "close", "SMTP: QUIT"),
        (AsyncSession, "execute", statement),
        (AsyncSession, "scalar", statement),
        (AsyncSession, "commit", "SQL: COMMIT"),
        (Session, "flush", "ORM flush: UPDATE of the notification rows"),
    ):
        timer.wrap(owner, name, label)
    sent = emails = rounds = 0
    try:
        while sent < args.profile_notifications:
            report = await timer.run("deliver_due: the rest (Python, ORM attributes)",
                                     delivery.deliver_due(sessionmaker, mailer, settings,
                                                         batch=args.profile_batch))
            if report.handled == 0:
                break
            sent += report.sent
            emails += report.emails
            rounds += 1
    finally:
        timer.restore()
        await engine.dispose()
    total_wall, total_cpu = sum(timer.wall.values()), sum(timer.cpu.values())
    per = max(emails, 1)
    pieces = {
        label: {"wall_ms_per_email": round(1000 * timer.wall[label] / per, 3),
                "cpu_ms_per_email": round(1000 * timer.cpu[label] / per, 3),
                "calls_per_email": round(timer.calls[label] / per, 2),
                "cpu_share": round(timer.cpu[label] / max(total_cpu, 1e-9), 3)}
        for label, _ in sorted(timer.cpu.items(), key=lambda kv: -kv[1])
    }
    return {"batch": args.profile_batch, "rounds": rounds, "notifications": sent,
            "emails": emails, "wall_ms_per_email": round(1000 * total_wall / per, 3),
            "cpu_ms_per_email": round(1000 * total_cpu / per, 3), "pieces": pieces}


def profile_phase(bench: Bench) -> dict[str, Any]:
    """Reload, time the pieces of one in-process worker, report."""
    args = bench.args
    asyncio.run(load_outbox(args.database_url, bench.plan, quiet=True))
    busy_before = wait_for_quiet(args.wait_idle)
    bench.sink.ask("reset")
    progress = Progress("pieces   ", 1)
    result = asyncio.run(time_pieces(args, bench.sink))
    progress.advance()
    stats = bench.sink.ask("stats")
    result["sink_messages"] = stats["messages"]
    result["machine_busy_before_pct"] = busy_before
    progress.finish(f"one worker in-process, batch {result['batch']}: {result['emails']} "
                    f"e-mails, {result['cpu_ms_per_email']} ms CPU and "
                    f"{result['wall_ms_per_email']} ms wall per e-mail")
    return result


# --- report -----------------------------------------------------------------------------------

def judge(results: dict[str, Any]) -> None:
    """Ratios to the baselines measured in the same run, and the best batch size."""
    raw = results["raw"]
    drains = results["drains"]
    ratios: dict[str, float] = {}
    by = {(d["batch"], d["workers"]): d for d in drains if d.get("drained")}
    for (batch, w), d in sorted(by.items()):
        one = by.get((batch, 1))
        if w > 1 and one:
            ratios[f"batch {batch}: {w} workers / 1 worker (notifications/s)"] = round(
                d["notifications_per_s"] / one["notifications_per_s"], 3)
        for k, r in sorted(raw.items()):
            ratios[f"batch {batch}, {w} worker(s): e-mails/s / raw SMTP {k} connection(s)"] = \
                round(d["emails_per_s"] / r["emails_per_s"], 3)
    results["ratios"] = ratios
    top = max((w for _, w in by), default=0)
    candidates = [d for (b, w), d in by.items() if w == top]
    if candidates:
        best = max(candidates, key=lambda d: d["notifications_per_s"])
        results["best_batch"] = {"workers": top, "batch": best["batch"],
                                 "notifications_per_s": best["notifications_per_s"]}
    results["valid"] = (all(d.get("ok") for d in drains)
                        and all(r["check"]["ok"] for r in raw.values())
                        and not any(d.get("failed_in_an_attempt") for d in drains))


def report(results: dict[str, Any]) -> str:
    """The table, the checks and the ratios."""
    out = []
    m, facts = results["machine"], results["plan"]
    dirty = " + uncommitted changes" if m["git_uncommitted"] else ""
    out.append(
        f"commit {m['git_commit']}{dirty}; {m['cpus']} CPUs; {facts['notifications']} pending "
        f"notifications of {facts['parties']} parties about {facts['dossiers_with_news']} "
        f"dossiers -> {facts['emails_due']} e-mails due ({facts['dossiers_with_several']} "
        f"dossiers with several notifications, {facts['parties_with_several_dossiers']} parties "
        f"with several dossiers); {facts['prior_throttles']} throttle rows from earlier e-mails")
    out.append(f"{'phase':24} {'drain s':>8} {'notif/s':>8} {'e-mails/s':>9} {'1st mail':>8} "
               f"{'sessions':>8}  cpu s: workers|clients/pg/sink/runner/other, busy")
    for k, r in sorted(results["raw"].items()):
        c = r["cpu"]
        out.append(
            f"{'raw SMTP x' + str(k) + ' conn':24} {r['send_s']:8.1f} {'-':>8} "
            f"{r['emails_per_s']:9.1f} {'-':>8} {r['sink_sessions']:8d}  "
            f"{c['clients_cpu_s']}/{c['postgres_cpu_s']}/{c['sink_cpu_s']}/{c['runner_cpu_s']}/"
            f"{c['other_cpu_s']}, {c['machine_busy_pct']}%")
    for d in results["drains"]:
        label = f"batch {d['batch']}, {d['workers']} worker" + ("s" if d["workers"] > 1 else "")
        if not d.get("drained"):
            out.append(f"{label:24} FAILED: {d.get('why')}")
            continue
        c = d["cpu"]
        out.append(
            f"{label:24} {d['drain_s']:8.1f} {d['notifications_per_s']:8.1f} "
            f"{d['emails_per_s']:9.1f} {d['first_email_s']:8.1f} {d['smtp_sessions']:8d}  "
            f"{c['workers_cpu_s']}/{c['postgres_cpu_s']}/{c['sink_cpu_s']}/{c['runner_cpu_s']}/"
            f"{c['other_cpu_s']}, {c['machine_busy_pct']}%"
            + (" DISTURBED" if d["disturbed"] else ""))
    out.append("")
    for k, r in sorted(results["raw"].items()):
        out.append(f"raw x{k}: per e-mail client {r['per_email_ms']['client_cpu']} ms CPU, sink "
                   f"{r['per_email_ms']['sink_cpu']} ms; composing an e-mail (compose_news) "
                   f"{r['compose_us_per_message']} us; other load {r['cpu']['other_pct']}%; "
                   f"check {'OK' if r['check']['ok'] else 'FAILED'}")
    for d in results["drains"]:
        if not d.get("drained"):
            continue
        pe, ch = d["per_email_ms"], d["checks"]
        o, s, w = ch["outbox"], ch["sink"], ch["workers"]
        out.append(
            f"batch {d['batch']} x{d['workers']}: per e-mail workers {pe['workers_cpu']} ms CPU, "
            f"PostgreSQL {pe['postgres_cpu']} ms, sink {pe['sink_cpu']} ms; "
            f"{d['pg']['xact_commit']} commits, {d['pg']['xact_rollback']} rollbacks, "
            f"{d['pg']['deadlocks']} deadlocks, {d['per_round']['wal_bytes_per_notification']} "
            f"WAL bytes/notification, due index {d['per_round']['due_index_entries_read_per_scan']}"
            f" entries read per scan; other load {d['cpu']['other_pct']}%"
            + (f" (measured {len(d['attempts'])}x)" if len(d["attempts"]) > 1 else ""))
        act = d.get("pg_activity")
        if act and act["samples"]:
            out.append("  workers' backends, mean at a time: "
                       + ", ".join(f"{k} {v}" for k, v in act["mean_backends"].items()))
            for stmt, v in act["lock_waits_by_statement"].items():
                out.append(f"    waiting on a lock ({v} backends on average): {stmt}")
        out.append(
            f"  checks: rows {o['states']}, {o['rows_not_cleanly_sent']} with an attempt/error; "
            f"{o['groups']} dossiers, {o['groups_with_several_sent_at']} told by more than one "
            f"e-mail, {o['throttle_not_matching']} throttles not matching: "
            f"{'OK' if o['ok'] else 'FAILED'}")
        out.append(
            f"  sink {s['messages']} e-mails = workers reported {w['reported_emails']} = due "
            f"{s['expected']}; {s['emails_beyond_expected']} beyond a recipient's due ("
            f"{s['recipients_with_too_many']} recipients), {s['emails_missing']} missing, "
            f"{s['emails_to_unknown']} to unknown addresses: "
            f"{'OK' if s['ok'] and w['reported_emails'] == s['messages'] else 'FAILED'}")
        out.append(
            f"  {d['smtp_sessions']} SMTP connections = {o['rounds_that_sent']} rounds that sent "
            f"({d['emails_per_smtp_session']} e-mails each): "
            f"{'OK' if ch['smtp_sessions_equal_sending_rounds'] else 'MISMATCH'}; workers: "
            f"sent {w['reported_sent']}, exit {w['exit_statuses']}, "
            f"{w['unexpected_log_lines']} unexpected log lines: "
            f"{'OK' if w['ok'] else 'FAILED'}; peak RSS "
            + ", ".join(f"{v} MB" for v in d["worker_vmhwm_mb"].values()))
    prof = results.get("pieces")
    if prof:
        out.append("")
        out.append(f"where one worker's time goes (in-process, batch {prof['batch']}, "
                   f"{prof['emails']} e-mails in {prof['rounds']} rounds): "
                   f"{prof['cpu_ms_per_email']} ms CPU, {prof['wall_ms_per_email']} ms wall "
                   "per e-mail")
        for label, piece in prof["pieces"].items():
            out.append(f"  {label:50} {piece['cpu_ms_per_email']:7.3f} ms CPU "
                       f"{piece['wall_ms_per_email']:7.3f} ms wall  "
                       f"({100 * piece['cpu_share']:.0f}% of the CPU, "
                       f"{piece['calls_per_email']} calls per e-mail)")
    out.append("")
    for name, ratio in results.get("ratios", {}).items():
        out.append(f"ratio {name}: {ratio}")
    if "best_batch" in results:
        b = results["best_batch"]
        out.append(f"best batch with {b['workers']} workers: {b['batch']} "
                   f"({b['notifications_per_s']} notifications/s)")
    db = results["database"]
    out.append(f"PostgreSQL {db['server_version']}: synchronous_commit={db['synchronous_commit']}"
               f", fsync={db['fsync']}, shared_buffers={db['shared_buffers']}; notifications "
               f"{db['notifications_size']}")
    out.append(f"RESULT: {'all checks passed' if results['valid'] else 'CHECKS FAILED'}")
    return "\n".join(out)


def save(results: dict[str, Any], stamp: str) -> None:
    out = RESULTS_DIR / f"notify-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    text = report(results)
    (RESULTS_DIR / f"notify-{stamp}.txt").write_text(text + "\n")
    print()
    print(text)
    print(f"\nsaved {out.relative_to(BENCH_DIR.parent)} ({results['elapsed_s']} s)")


# --- main -------------------------------------------------------------------------------------

def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    plan = make_plan(args)
    asyncio.run(seed_static(args, plan))
    loaded = asyncio.run(load_outbox(args.database_url, plan))
    db = asyncio.run(database_facts(args.database_url))
    print(f"notify: {loaded['pending']} pending notifications of {plan.parties} parties about "
          f"{plan.emails} dossiers -> {plan.emails} e-mails due ({loaded['throttles']} throttle "
          f"rows from earlier e-mails; {db['database_size']})", file=sys.stderr)
    if args.seed_only:
        return (0), {}
    sink = Sink(args.smtp_port, RESULTS_DIR / f"notify-sink-{stamp}.log")
    bench = Bench(args, plan, sink, stamp)
    results: dict[str, Any] = {
        "started_at": stamp, "machine": machine(), "config": vars(args), "plan": plan.facts,
        "database": db, "raw": {}, "drains": [],
        "worker_command": f".venv/bin/mijn worker --batch N --interval {args.interval:g}",
    }
    try:
        if "raw" in args.phases:
            for k in args.raw_connections:
                results["raw"][k] = measured(bench, f"raw x{k}", partial(raw_once, bench, k))
        if "drain" in args.phases:
            for batch in args.batches:
                for w in args.worker_counts:
                    results["drains"].append(measured(
                        bench, f"batch {batch} x{w}", partial(drain_once, bench, batch, w)))
        if "pieces" in args.phases:
            results["pieces"] = profile_phase(bench)
    finally:
        sink.stop()
        # Leave the database as every run starts: all notifications pending again.
        asyncio.run(load_outbox(args.database_url, plan, quiet=True))
    results["worker_logs"] = bench.logs
    judge(results)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    save(results, stamp)
    return (0 if results["valid"] else 1), results


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def smoke(args: argparse.Namespace) -> SmokeResult:
    """600 notifications drained by one real `mijn worker` into the SMTP sink (no wrk: the
    full benchmark has no HTTP load either); the e-mails count as the requests."""
    smoke_sizes(args, notifications=600, parties=200, dossiers=300, batches=[100],
                worker_counts=[1], raw_connections=[1], profile_batch=100,
                profile_notifications=300, interval=0.5, wait_idle=0, phase_attempts=1,
                smtp_port=8835)
    code, results = main_inner(args)
    counts = {f"raw x{k}": (int(r.get("messages", 0)), 0 if r["check"]["ok"] else 1)
              for k, r in results.get("raw", {}).items()}
    counts |= {f"drain batch {d.get('batch')}": (int(d.get("emails", 0)), 0 if d.get("ok") else 1)
               for d in results.get("drains", [])}
    pieces = results.get("pieces")
    if pieces is not None:
        counts["pieces"] = (int(pieces["emails"]), 0 if pieces["emails"] else 1)
    return SmokeResult(code, counts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                   help="created when missing; its outbox is reloaded on every run (its name "
                        "must contain 'bench')")
    p.add_argument("--notifications", type=int, default=100_000)
    p.add_argument("--parties", type=int, default=50_000)
    p.add_argument("--dossiers", type=int, default=65_000,
                   help="dossiers with news = e-mails due (each party at least one)")
    p.add_argument("--backlog-minutes", type=float, default=60,
                   help="the pending notifications were created over this many minutes")
    p.add_argument("--gap-seconds", type=float, default=90,
                   help="mean gap between two notifications of one dossier")
    p.add_argument("--prior-share", type=float, default=0.5,
                   help="share of the dossiers that had an e-mail days ago (a throttle row)")
    p.add_argument("--batches", type=_ints, default=[100, 500], help="--batch sizes to try")
    p.add_argument("--worker-counts", type=_ints, default=[1, 2],
                   help="worker processes per drain (1 is the baseline for 2)")
    p.add_argument("--raw-connections", type=_ints, default=[1, 2],
                   help="raw SMTP baselines: this many client processes, one connection each")
    p.add_argument("--phases", default="raw,drain,pieces",
                   help="raw, drain and/or pieces (one worker in-process, its time per piece)")
    p.add_argument("--profile-batch", type=int, default=500, help="--batch of the pieces phase")
    p.add_argument("--profile-notifications", type=int, default=20_000,
                   help="notifications the pieces phase delivers")
    p.add_argument("--interval", type=float, default=5.0, help="the workers' --interval")
    p.add_argument("--smtp-port", type=int, default=8825)
    p.add_argument("--poll-interval", type=float, default=0.2,
                   help="seconds between the runner's checks for pending notifications")
    p.add_argument("--sample-interval", type=float, default=0.1,
                   help="seconds between samples of pg_stat_activity (0: none)")
    p.add_argument("--timeout", type=float, default=900, help="seconds a drain may take")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--wait-idle", type=float, default=300,
                   help="wait up to this many seconds for other load to stop before each phase")
    p.add_argument("--max-other-pct", type=float, default=5.0,
                   help="measure a phase again when other processes used more CPU than this")
    p.add_argument("--phase-attempts", type=int, default=2)
    p.add_argument("--recreate", action="store_true", help="drop and create the database first")
    p.add_argument("--seed-only", action="store_true", help="seed and load, do not measure")
    add_smoke_flag(p)
    args = p.parse_args(argv)
    args.phases = [x for x in args.phases.split(",") if x]
    if set(args.phases) - {"raw", "drain", "pieces"}:
        p.error("--phases: raw, drain and/or pieces")
    if any(w < 1 for w in args.worker_counts) or any(b < 1 for b in args.batches):
        p.error("--worker-counts and --batches must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.smoke:
        sys.exit(run_smoke("notify", args, smoke, need_wrk=False))
    sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
