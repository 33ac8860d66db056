"""Scale-out: the dossier pages and "Volgende vraag" through HAProxy with 2 instances against 1,
and what HAProxy + PgBouncer add per request.

    .venv/bin/python -m bench.scaleout                  # 20 s per phase
    .venv/bin/python -m bench.scaleout --smoke          # fresh small database, 1 s per phase

The topology is mijn/dev/cluster.py's (the e2e test's, deploy/haproxy.cfg and
deploy/pgbouncer.ini with Debian's haproxy and pgbouncer), on the database
mijn_bench_scaleout (recreated: the demo data plus --questions open questions). Each
instance runs `mijn serve --workers 2`. Three set-ups, each measured with wrk on three
routes (/mijn/dossiers, /mijn/dossiers/<ref> of the demo citizen, POST /kcc/volgende of
--agents staff sessions, one connection per agent):

  direct   wrk -> instance 3 -> PostgreSQL                   (no HAProxy, no PgBouncer)
  proxy-1  wrk -> HAProxy -> instance 1 -> PgBouncer -> PostgreSQL
  proxy-2  wrk -> HAProxy -> instances 1 and 2 -> PgBouncer -> PostgreSQL

The three instances start together, once; an instance outside the set-up measured idles.

Reported per set-up and route: requests/s, p50/p99, and the CPU time per request of the
portal processes, of HAProxy, of PgBouncer and of the PostgreSQL backends serving the
database (from /proc: user + system ticks over the run; robust against the machine being
shared, unlike the rates). The ratios proxy-2 /
proxy-1 (scale-out) and proxy-1 / direct (the cost of the two proxies) are printed and
saved as JSON under bench/results/. Between runs the claimed questions go back to the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from itsdangerous import URLSafeSerializer

from bench import RESULTS_DIR
from bench.common import (
    SECRET_KEY,
    UNLIMITED_RATES,
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    ensure_database,
    lua_string,
    run_smoke,
    smoke_sizes,
)
from bench.product import (
    CSRF_COOKIE,
    STAFF_SESSION_COOKIE,
    Cluster,
    Identity,
    NewQuestion,
    WorkingCalendar,
    ask,
    free_port,
    list_topics,
    load_settings,
    make_engine,
    make_sessionmaker,
    missing_tools,
    seed_demo,
    upgrade_async,
    utcnow,
)
from bench.sessions import mint, mint_staff

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_scaleout"
JAN = "999990019"
SETUPS = ("direct", "proxy-1", "proxy-2")
ENV = {**UNLIMITED_RATES, "MIJN_SECRET_KEY": SECRET_KEY, "MIJN_ENV": "development",
       "MIJN_DATABASE_POOL_SIZE": "5", "MIJN_DATABASE_MAX_OVERFLOW": "5"}

LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 n = 0 end
function request()
  n = n + 1
  return wrk.format(method, paths[(n %% #paths) + 1], headers, body)
end
function response(status, hdrs, resp) if status ~= expect then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests": %%d, "duration_us": %%d, "errors": %%d, ' ..
    '"bad": %%d, "p50_us": %%d, "p99_us": %%d}\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, b, latency:percentile(50),
    latency:percentile(99)))
end
method = %(method)s
expect = %(expect)d
paths = {%(paths)s}
headers = {["Cookie"] = %(cookie)s, ["Content-Type"] = "application/x-www-form-urlencoded"}
body = %(body)s
"""


async def seed(url: str, questions: int) -> list[str]:
    """Demo data and `questions` open questions; the demo citizen's dossier paths."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session, settings=load_settings({**ENV, "MIJN_DATABASE_URL": url}))
            topics = await list_topics(session)
            party = await _party_id(url)
            earlier = utcnow() - timedelta(hours=1)
            for n in range(questions):
                await ask(session, NewQuestion(party, topics[n % len(topics)].id, f"Vraag {n}"),
                          WorkingCalendar(), None, earlier)
            await session.commit()
    finally:
        await engine.dispose()
    rows = await _fetch(url, "SELECT d.reference FROM dossiers d JOIN parties p ON "
                             "p.id = d.party_id WHERE p.identifier = $1", JAN)
    return ["/mijn/dossiers", *(f"/mijn/dossiers/{r['reference']}" for r in rows)]


async def _party_id(url: str) -> int:
    rows = await _fetch(url, "SELECT id FROM parties WHERE identifier = $1", JAN)
    return int(rows[0]["id"])


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def requeue(url: str) -> None:
    """Every claimed question back in the queue (the next run finds as many)."""
    asyncio.run(_fetch(url, "UPDATE questions SET state = 'new', assignee_id = NULL "
                            "WHERE state = 'claimed'"))


def scripts(url: str, paths: list[str], agents: int, workdir: Path) -> dict[str, Path]:
    """The wrk scripts: the dossier list, the dossier pages, take-next."""
    party = asyncio.run(_party_id(url))
    citizen = mint(url, [Identity(party_id=party, audience="citizen", roles=(), loa="hoog")],
                   time.time())[0]
    csrf = secrets.token_urlsafe(32)
    token = str(URLSafeSerializer(SECRET_KEY, salt="mijn.csrf").dumps(csrf))
    staff = mint_staff(url, "bench|scaleout", ("agent",))
    routes = {
        "list": ("GET", 200, paths[:1], f"mijn_session={citizen}", ""),
        "detail": ("GET", 200, paths[1:], f"mijn_session={citizen}", ""),
        "next": ("POST", 303, ["/kcc/volgende"],
                 f"{STAFF_SESSION_COOKIE}={staff}; {CSRF_COOKIE}={csrf}", f"csrf_token={token}"),
    }
    found = {}
    for name, (method, expect, route_paths, cookie, body) in routes.items():
        found[name] = workdir / f"scaleout-{name}.lua"
        found[name].write_text(LUA % {
            "method": lua_string(method), "expect": expect, "cookie": lua_string(cookie),
            "paths": ", ".join(lua_string(p) for p in route_paths), "body": lua_string(body)})
    return found


def backends(url: str) -> list[int]:
    """The PostgreSQL backends now connected to the database (the portals' pools, or
    PgBouncer's server connections): their CPU is the database's share of a request."""
    rows = asyncio.run(_fetch(url, "SELECT pid FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND pid <> pg_backend_pid()"))
    return [int(row["pid"]) for row in rows]


def tree_ticks(pids: list[int]) -> int:
    """User + system clock ticks of these processes and all their descendants."""
    total, todo, seen = 0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return total


def wrk(base: str, script: Path, connections: int, seconds: float,
        meters: dict[str, list[int]]) -> dict[str, Any]:
    """One wrk run; its figures and the CPU ms per request of each group of processes."""
    before = {name: tree_ticks(pids) for name, pids in meters.items()}
    done = subprocess.run(["wrk", f"-t{min(connections, 4)}", f"-c{connections}",
                           f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s",
                           "-s", str(script), base],
                          capture_output=True, text=True, check=False)
    after = {name: tree_ticks(pids) for name, pids in meters.items()}
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"scaleout: wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    n = max(result["requests"], 1)
    hz = os.sysconf("SC_CLK_TCK")
    result["requests_per_s"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["p50_ms"], result["p99_ms"] = result["p50_us"] / 1000, result["p99_us"] / 1000
    result["cpu_ms_per_request"] = {
        name: round(1000 * (after[name] - before[name]) / hz / n, 3) for name in meters}
    return result


def start_instances(cluster: Cluster) -> list[int]:
    """Instances 1 and 2 through PgBouncer, 3 on the database directly, started together;
    their ports."""
    ports = [free_port() for _ in range(3)]
    for index, port in enumerate(ports, 1):
        cluster.start_instance(index, port, workers=2, direct=index == 3)
    for index, port in enumerate(ports, 1):
        cluster.wait_instance(index, port)
    return ports


def start_setup(cluster: Cluster, name: str, ports: list[int]) -> tuple[str, dict[str, list[int]]]:
    """HAProxy for a set-up (none for direct); the address wrk uses and the processes to
    meter (idle instances are left out: they use no CPU)."""
    if name == "direct":
        return f"http://127.0.0.1:{ports[2]}", {"portal": [cluster.instances[3].pid]}
    count = 2 if name == "proxy-2" else 1
    cluster.proxy_port = free_port()
    cluster.start_haproxy(ports[:count])
    return cluster.url, {"portal": [cluster.instances[i].pid for i in range(1, count + 1)],
                         "haproxy": [cluster.others["haproxy"].pid],
                         "pgbouncer": [cluster.others["pgbouncer"].pid]}


def stop_haproxy(cluster: Cluster) -> None:
    """Stop HAProxy, if it runs."""
    process = cluster.others.pop("haproxy", None)
    if process is not None:
        process.terminate()
        process.wait(30)


def measure_setup(args: argparse.Namespace, cluster: Cluster, name: str, ports: list[int],
                  lua: dict[str, Path], progress: Callable[[str], None]) -> dict[str, Any]:
    """Every route on one set-up: the saturation runs, and one connection for latency."""
    base, meters = start_setup(cluster, name, ports)
    results: dict[str, Any] = {}
    try:
        for route in ("list", "detail", "next"):
            connections = args.agents if route == "next" else args.connections
            progress(f"{name} {route}")
            if args.warmup:  # first requests: templates compiled, pools filled
                wrk(base, lua[route], connections, args.warmup, meters)
            if route == "next":
                requeue(args.database_url)
            meters["postgres"] = backends(args.database_url)
            results[route] = wrk(base, lua[route], connections, args.duration, meters)
        progress(f"{name} detail, 1 connection")
        meters["postgres"] = backends(args.database_url)
        results["detail-1"] = wrk(base, lua["detail"], 1, args.duration, meters)
    finally:
        stop_haproxy(cluster)
    return results


def ratios(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """proxy-2 / proxy-1 throughput, and what the proxies add (proxy-1 against direct)."""
    found: dict[str, Any] = {}
    for route in ("list", "detail", "next"):
        one, two = phases["proxy-1"][route], phases["proxy-2"][route]
        found[f"{route}: 2 instances / 1 (requests/s)"] = round(
            two["requests_per_s"] / max(one["requests_per_s"], 0.1), 2)
    direct, proxied = phases["direct"]["detail-1"], phases["proxy-1"]["detail-1"]
    found["detail, 1 connection: p50 added by HAProxy + PgBouncer (ms)"] = round(
        proxied["p50_ms"] - direct["p50_ms"], 2)
    cpu = proxied["cpu_ms_per_request"]
    found["detail: CPU ms per request of HAProxy + PgBouncer"] = round(
        cpu.get("haproxy", 0) + cpu.get("pgbouncer", 0), 3)
    for part in ("portal", "postgres"):
        found[f"detail: {part} CPU ms per request, proxied / direct"] = round(
            cpu[part] / max(direct["cpu_ms_per_request"][part], 0.001), 2)
    return found


def report(results: dict[str, Any]) -> str:
    """The table of every set-up and route, and the ratios."""
    lines = [f"{'set-up':<9} {'route':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
             f"{'bad':>4}  CPU ms/request (portal, haproxy, pgbouncer, postgres)"]
    for setup, routes in results["phases"].items():
        for route, r in routes.items():
            cpu = r["cpu_ms_per_request"]
            lines.append(f"{setup:<9} {route:<9} {r['requests_per_s']:>8} {r['p50_ms']:>8.1f} "
                         f"{r['p99_ms']:>8.1f} {r['bad'] + r['errors']:>4}  " + ", ".join(
                             f"{cpu.get(k, 0):.2f}" for k in ("portal", "haproxy", "pgbouncer",
                                                              "postgres")))
    lines += [f"{key}: {value}" for key, value in results["ratios"].items()]
    lines.append(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end "
                 "(shared: rates and latencies move with the others' load; CPU per request less)")
    return "\n".join(lines)


def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Seed, measure the three set-ups, report; the exit status."""
    if missing := missing_tools():
        raise SystemExit(f"scaleout: install {' and '.join(missing)} (apt-get install "
                         f"{' '.join(missing)}; scripts/setup.sh with MIJN_SETUP_TESTS=1)")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_database(args.database_url, recreate=True))
    asyncio.run(upgrade_async(args.database_url))
    paths = asyncio.run(seed(args.database_url, args.questions))
    cluster = Cluster(args.database_url, ENV, RESULTS_DIR / f"scaleout-{os.getpid()}")
    cluster.workdir.mkdir(parents=True, exist_ok=True)
    lua = scripts(args.database_url, paths, args.agents, cluster.workdir)
    started = time.monotonic()

    def step(label: str) -> None:
        print(f"scaleout: {time.monotonic() - started:5.0f} s  {label} ({args.warmup:g} + "
              f"{args.duration:g} s of wrk)", file=sys.stderr, flush=True)

    phases: dict[str, Any] = {}
    try:
        cluster.start_pgbouncer()
        ports = start_instances(cluster)
        for name in SETUPS:
            phases[name] = measure_setup(args, cluster, name, ports, lua, step)
    finally:
        cluster.stop()
    results = {"phases": phases, "ratios": ratios(phases), "args": {
        k: v for k, v in vars(args).items() if k != "database_url"}}
    print(report(results))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"scaleout-{stamp}.json").write_text(json.dumps(results, indent=2))
    bad = sum(r["bad"] + r["errors"] for routes in phases.values() for r in routes.values())
    return (1 if bad else 0), results


def smoke(args: argparse.Namespace) -> SmokeResult:
    """100 questions, 4 agents and connections, a second per run."""
    smoke_sizes(args, questions=100, agents=4, connections=4, duration=1, warmup=1)
    code, results = main_inner(args)
    counts = {f"{setup} {route}": (r["requests"], r["bad"] + r["errors"])
              for setup, routes in results.get("phases", {}).items()
              for route, r in routes.items()}
    return SmokeResult(code, counts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL,
                   help="recreated on every run (its name must contain 'bench')")
    p.add_argument("--questions", type=int, default=20_000, help="open questions in the queue")
    p.add_argument("--agents", type=int, default=20, help="connections pressing take-next")
    p.add_argument("--connections", type=int, default=16, help="connections on the pages")
    p.add_argument("--duration", type=float, default=20, help="seconds per wrk run")
    p.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load first")
    add_smoke_flag(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    if args.smoke:
        sys.exit(run_smoke("scaleout", args, smoke, need_wrk=True))
    sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
