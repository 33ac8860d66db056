"""What the benchmarks share: the database, the smoke size, small helpers.

Every name the benchmarks take from the mijn package is imported in bench/product.py, so
that a move of a mijn module means one file to change.

The smoke size (`python -m bench.<name> --smoke`): run_smoke() checks the tools (wrk,
PostgreSQL), creates a fresh database mijn_bench_smoke_<name>_<pid>, runs the benchmark's
own code on small data for a second or two per phase (a real server, real load), drops the
database, and prints one summary line `SMOKE <name>: PASS|FAIL ...`; exit status 1 on any
failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from bench import RESULTS_DIR
from bench.product import RATE_LIMIT_DEFAULTS, alembic_config

SECRET_KEY = "bench-only-secret-key-4f1d2c9a8b7e6d5c4b3a29181716151413"
# A benchmark is one client address doing the traffic of thousands of visitors: the rate
# limits are set out of reach, but still counted, so that their cost is in the figures.
UNLIMITED_RATES = {f"MIJN_RATE_{name}": "100000000/1m" for name in RATE_LIMIT_DEFAULTS}
SMOKE_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


# --- PostgreSQL ---------------------------------------------------------------------------------

def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """The plain postgresql:// DSN asyncpg understands, optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def database_name(url: str) -> str:
    """The database part of a URL."""
    name = make_url(url).database
    if not name:
        raise SystemExit(f"bench: the database URL names no database: {url}")
    return name


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def lua_string(value: str) -> str:
    """A Lua string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def ensure_database(url: str, recreate: bool) -> bool:
    """Create the database if needed (drop it first on recreate); True when (re)created."""
    name = database_name(url)
    admin = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and recreate:
            if "bench" not in name:
                raise SystemExit(
                    f"bench: refusing to drop database {name!r}: its name does not contain "
                    "'bench'. Drop it yourself or choose another --database-url."
                )
            print(f"bench: dropping database {name}", file=sys.stderr)
            await admin.execute(f"DROP DATABASE {quote_ident(name)} WITH (FORCE)")
            exists = False
        if not exists:
            await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
            return True
        return False
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    """Drop a bench database (its name must contain 'bench')."""
    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"bench: refusing to drop database {name!r} (no 'bench' in its name)")
    admin = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()


async def truncate(conn: asyncpg.Connection, *tables: str) -> None:
    """Empty tables and whatever refers to them (CASCADE: a foreign key added later to
    another table must not break the benchmark), restarting their ids."""
    await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


async def settle(conn: asyncpg.Connection, patience: float = 15.0) -> None:
    """Wait until no other backend of the database is busy, 0.5 s in a row.

    When wrk stops (or is killed to be restarted), or a worker ends its last round, the
    server still finishes what it had; reloading under it would mix the runs.
    """
    deadline = time.monotonic() + patience
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        busy = await conn.fetchval(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND backend_type = 'client backend' AND state <> 'idle'
            """
        )
        if busy:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.5:
            return
        await asyncio.sleep(0.05)


def wal_bytes(start: str, end: str) -> int:
    """Bytes of WAL between two positions like 0/8B34CDA8 (the whole cluster's WAL)."""

    def value(lsn: str) -> int:
        high, low = lsn.split("/")
        return (int(high, 16) << 32) + int(low, 16)

    return value(end) - value(start)


async def check_seeded(url: str, wanted: dict[str, int], label: str) -> dict[str, int]:
    """The schema is at the migrations' head and each table holds at least `wanted` rows.

    Raises SystemExit with what to do otherwise (a half-seeded or outdated database).
    """
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        current = await conn.fetchval("SELECT version_num FROM alembic_version")
        counts = {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in wanted}
    finally:
        await conn.close()
    if current != head:
        raise SystemExit(f"{label}: the schema of {database_name(url)} is at {current}, the "
                         f"migrations' head is {head}: run the benchmark again (it migrates), "
                         "or reseed with --recreate")
    short = {t: n for t, n in counts.items() if n < wanted[t]}
    if short:
        raise SystemExit(f"{label}: {database_name(url)} is not fully seeded: "
                         + ", ".join(f"{t} has {counts[t]} rows, expected {wanted[t]}"
                                     for t in short)
                         + "; reseed it (--recreate, or drop the database)")
    return counts


async def seeded_as(conn: asyncpg.Connection, name: str) -> Any:
    """What mark_seeded recorded for this data set (None: never completely seeded)."""
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_seeds (name text PRIMARY KEY, "
                       "sizes jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())")
    found = await conn.fetchval("SELECT sizes FROM bench_seeds WHERE name = $1", name)
    return json.loads(found) if found is not None else None


async def mark_seeded(conn: asyncpg.Connection, name: str, sizes: dict[str, Any]) -> None:
    """Record that the data set is completely loaded, in the loading transaction itself:
    a seed that failed halfway leaves no mark, and the next run loads it again."""
    await conn.execute(
        "INSERT INTO bench_seeds (name, sizes) VALUES ($1, $2) ON CONFLICT (name) "
        "DO UPDATE SET sizes = excluded.sizes, at = now()", name, json.dumps(sizes))


# --- the smoke size ---------------------------------------------------------------------------

@dataclass
class SmokeResult:
    """What a benchmark run did, for the smoke summary: requests and failures per phase."""

    exit_code: int
    phases: dict[str, tuple[int, int]] = field(default_factory=dict)  # name: (requests, bad)


def tools_problems(need_wrk: bool) -> list[str]:
    """What is missing to run a benchmark at all, each with what to do."""
    problems = []
    if need_wrk and shutil.which("wrk") is None:
        problems.append("wrk is not on PATH: install it (apt-get install wrk)")

    async def reach() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(SMOKE_SERVER_URL), timeout=5)
        await conn.close()

    try:
        asyncio.run(reach())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        problems.append(f"PostgreSQL on 127.0.0.1:5432 (user postgres) is not reachable "
                        f"({exc}): start it (pg_ctlcluster 15 main start)")
    return problems


def run_smoke(name: str, args: argparse.Namespace,
              body: Callable[[argparse.Namespace], SmokeResult], need_wrk: bool = True) -> int:
    """Run body on a fresh database of its own, print the summary; the exit status."""
    started = time.monotonic()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    problems = tools_problems(need_wrk)
    result = SmokeResult(1)
    if not problems:
        url = make_url(SMOKE_SERVER_URL).set(
            database=f"mijn_bench_smoke_{name}_{os.getpid()}"
        ).render_as_string(hide_password=False)
        args.database_url = url
        try:
            asyncio.run(ensure_database(url, recreate=True))
            result = body(args)
        except SystemExit as exc:
            problems.append(str(exc.code) if not isinstance(exc.code, int) else
                            f"exited with status {exc.code}")
        except Exception:  # noqa: BLE001 - every failure must end in the summary
            problems.append(traceback.format_exc())
        finally:
            asyncio.run(drop_database(url))
    requests = sum(r for r, _ in result.phases.values())
    bad = sum(b for _, b in result.phases.values())
    if not problems and result.exit_code:
        problems.append(f"the benchmark exited with status {result.exit_code} (see above)")
    if not problems and not requests:
        problems.append("no requests were made")
    if not problems and bad:
        problems.append(f"{bad} requests failed or were not the real page")
    ok = not problems
    phases = ", ".join(f"{k} {r} requests/{b} bad" for k, (r, b) in result.phases.items())
    print(f"\nSMOKE {name}: {'PASS' if ok else 'FAIL'} in {time.monotonic() - started:.1f} s; "
          f"requests {requests}, failed {bad}" + (f" ({phases})" if phases else ""))
    for problem in problems:
        print(f"SMOKE {name}: FAILED: {problem}")
    if problems:
        print(f"SMOKE {name}: what to do: the message above names the check, route or status "
              f"that failed; the server's log is the newest bench/results/*{name}*.log. Fix the "
              f"route (or the benchmark, if the product changed) and run "
              f"`python -m bench.{name} --smoke` again.")
    return 0 if ok else 1


def wrk_counts(phases: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(requests, bad) per phase from the results of wrk runs: transport errors, unexpected
    statuses and wrong pages are bad; a phase its own checks failed counts one bad at least."""
    counts = {}
    for name, r in phases.items():
        bad = sum(r.get("errors", {}).values()) if isinstance(r.get("errors"), dict) \
            else int(r.get("errors", 0))
        bad += sum(int(r.get(k, 0)) for k in ("non_200", "non_303", "wrong_page", "bad"))
        if r.get("ok") is False or r.get("check", {}).get("ok") is False:
            bad = max(bad, 1)
        counts[name] = (int(r.get("requests", 0)), bad)
    return counts


def add_smoke_flag(p: argparse.ArgumentParser) -> None:
    """The --smoke option."""
    p.add_argument("--smoke", action="store_true",
                   help="small data in a fresh database of its own (dropped after), a second "
                        "or two of load per phase, a PASS/FAIL summary (exit status 1 on FAIL)")


def smoke_sizes(args: argparse.Namespace, **sizes: Any) -> None:
    """Set the smoke sizes on args (what the smoke run uses instead of the defaults)."""
    for key, value in sizes.items():
        setattr(args, key, value)
