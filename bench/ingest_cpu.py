"""Worker CPU per status event and per authenticated no-op, in-process (no server, no wrk).

    PYTHONPATH=. .venv/bin/python -m bench.ingest_cpu                     # this code, 3 rounds
    PYTHONPATH=. .venv/bin/python -m bench.ingest_cpu --against /work/main --rounds 5
    PYTHONPATH=. .venv/bin/python -m bench.ingest_cpu --profile 30        # cProfile, top 30
    PYTHONPATH=. .venv/bin/python -m bench.ingest_cpu --smoke

Creates the database mijn_bench_ingest_cpu (dropped afterwards), migrates it, makes an API
client as bench.ingest does, registers its dossier type and --dossiers dossiers through the
API, then measures in child processes, each importing the code of one tree (this one, or
--against's, in turns, --rounds rounds): the real app (`create_app`, as `mijn serve` builds
it, rate limits unlimited as in bench.ingest) called directly as an ASGI app, one request at
a time, after a warm-up:

  ping    GET /api/v1/ping with the bearer token (the authenticated no-op);
  status  POST /api/v1/dossiers/bench/<random dossier>/statuses, a unique event id, a random
          status and moment (as bench.ingest's wrk script sends them).

Worker CPU is time.process_time() of the child around its loop: Python and the driver,
not PostgreSQL (another process), and little disturbed by other work on the machine. Every
answer is checked (200 for the ping, 201 for an event) and the events counted in the
database afterwards. Reports the median ms per request of each tree and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

THIS_FILE = Path(__file__).resolve()
SOURCE = "bench"
STATUSES = ("ontvangen", "beoordeeld", "ingepland", "in_uitvoering", "opgelost")
ZONES = ("+01:00", "+02:00", "Z", "+00:00", "-05:00", "+05:30", "+09:00")
EXPLANATION = "De aannemer is ingepland om de melding op te lossen."
SECRET_KEY = "bench-ingest-cpu-secret-key-0123456789abcdef"


# --- the child: one tree's code, measured ------------------------------------------------------

def _scope(method: str, path: str, token: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench-ingest-cpu"),
               (b"accept", b"*/*"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "root_path": "", "query_string": b"", "headers": headers,
            "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    """Call the ASGI app once; the response's status."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _event(rng: random.Random, tag: str, n: int, dossiers: int) -> tuple[str, bytes]:
    moment = 1735689600 + rng.randrange(2 * 365 * 86400)
    occurred = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + rng.choice(ZONES)
    body = json.dumps({"event_id": f"{tag}-{n}", "status": rng.choice(STATUSES),
                       "occurred_at": occurred, "explanation": EXPLANATION}).encode()
    path = f"/api/v1/dossiers/{SOURCE}/Z{1 + rng.randrange(dossiers):07d}/statuses"
    return path, body


async def _loop(app: Any, token: str, kind: str, count: int, tag: str, dossiers: int,
                rng: random.Random) -> tuple[float, int]:
    """(CPU seconds, bad answers) of `count` requests of one kind."""
    requests = []
    for n in range(count):
        path, body = _event(rng, tag, n, dossiers) if kind == "status" else ("/api/v1/ping", b"")
        requests.append((_scope("POST" if body else "GET", path, token, body), body))
    wanted = 201 if kind == "status" else 200
    bad = 0
    began = time.process_time()
    for scope, body in requests:
        if await _call(app, scope, body) != wanted:
            bad += 1
    return time.process_time() - began, bad


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    from mijn.app import create_app  # this tree's code (PYTHONPATH)

    app = create_app()
    rng = random.Random(args.seed)
    tag = f"{args.tag}{os.getpid()}"
    result: dict[str, Any] = {"pid": os.getpid()}
    try:
        await _loop(app, args.token, "ping", args.warmup, tag + "w", args.dossiers, rng)
        await _loop(app, args.token, "status", args.warmup, tag + "w", args.dossiers, rng)
        if args.profile:
            import cProfile
            import pstats
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await _loop(app, args.token, "status", args.events, tag, args.dossiers, rng)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
            return result
        for kind, count in (("ping", args.pings), ("status", args.events)):
            cpu, bad = await _loop(app, args.token, kind, count, tag, args.dossiers, rng)
            result[kind] = {"ms": cpu * 1000 / count, "requests": count, "bad": bad}
    finally:
        await app.state.engine.dispose()
    return result


# --- the runner: database, setup, rounds --------------------------------------------------------

def _env(args: argparse.Namespace, tree: Path) -> dict[str, str]:
    from bench import RESULTS_DIR
    from bench.common import UNLIMITED_RATES

    return {**os.environ, **UNLIMITED_RATES, "PYTHONPATH": str(tree),
            "MIJN_DATABASE_URL": args.database_url, "MIJN_SECRET_KEY": SECRET_KEY,
            "MIJN_ENV": "development", "MIJN_DATA_DIR": str(RESULTS_DIR / "data")}


def _run_child(args: argparse.Namespace, tree: Path, token: str, round_no: int) -> dict[str, Any]:
    cmd = [sys.executable, str(THIS_FILE), "--child", "--token", token,
           "--events", str(args.events), "--pings", str(args.pings), "--warmup", str(args.warmup),
           "--dossiers", str(args.dossiers), "--seed", str(args.seed + round_no),
           "--tag", f"r{round_no}"]
    if args.profile:
        cmd += ["--profile", str(args.profile)]
    done = subprocess.run(cmd, cwd=tree, env=_env(args, tree), capture_output=True, text=True,
                          check=False, timeout=900)
    if done.returncode:
        raise SystemExit(f"ingest_cpu: the child for {tree} failed:\n{done.stderr[-4000:]}")
    if args.profile:
        print(done.stderr)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


async def _setup(args: argparse.Namespace) -> str:
    """Migrate, an API client, the dossier type and the dossiers (in-process, this code)."""
    import httpx

    from bench.ingest import CLIENT_NAME, DOSSIER_TYPE, TITLES, TYPE_CODE
    from bench.product import (
        Progress,
        create_api_client,
        create_app,
        make_engine,
        make_sessionmaker,
        upgrade_async,
    )
    from bench.seed import valid_bsns

    await upgrade_async(args.database_url)
    engine = make_engine(args.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            _client, token = await create_api_client(
                session, CLIENT_NAME, SOURCE, ["dossiers", "catalogue"])
            await session.commit()
    finally:
        await engine.dispose()
    os.environ.update({k: v for k, v in _env(args, THIS_FILE.parent.parent).items()
                       if k.startswith("MIJN_")})
    app = create_app()
    rng = random.Random(args.seed)
    bsns = valid_bsns(max(1, args.dossiers // 3), rng)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        r = await client.put(f"/api/v1/dossier-types/{TYPE_CODE}", json=DOSSIER_TYPE)
        if r.status_code != 204:
            raise SystemExit(f"ingest_cpu: the dossier type: {r.status_code} {r.text[:300]}")
        progress = Progress("dossiers", args.dossiers)
        for n in range(1, args.dossiers + 1):
            r = await client.put(f"/api/v1/dossiers/{SOURCE}/Z{n:07d}", json={
                "party": {"type": "bsn", "id": bsns[n % len(bsns)]},
                "dossier_type": TYPE_CODE, "title": rng.choice(TITLES), "channel": "web",
                "opened_on": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"})
            if r.status_code != 201:
                raise SystemExit(f"ingest_cpu: dossier {n}: {r.status_code} {r.text[:300]}")
            progress.advance()
        progress.finish(f"registered {args.dossiers} dossiers")
    await app.state.engine.dispose()
    return token


async def _stored(url: str) -> int:
    import asyncpg

    from bench.common import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM status_events "
                                       "WHERE source_event_id NOT LIKE '%w%'"))
    finally:
        await conn.close()


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, then the rounds, alternating the trees; the medians and ratios."""
    from bench.product import Progress

    token = asyncio.run(_setup(args))
    trees = {"this": THIS_FILE.parent.parent}
    if args.against:
        trees["against"] = Path(args.against).resolve()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    load = []
    progress = Progress("rounds", args.rounds * len(trees))
    for round_no in range(args.rounds):
        order = list(trees.items())
        if round_no % 2:
            order.reverse()
        for name, tree in order:
            load.append(float(Path("/proc/loadavg").read_text().split()[0]))
            runs[name].append(_run_child(args, tree, token, round_no * 10 + len(runs[name])))
            progress.advance()
    progress.finish(f"{args.rounds} rounds of {args.pings} pings and {args.events} events "
                    f"per tree ({', '.join(trees)})")
    if args.profile:
        return {}
    summary: dict[str, Any] = {"trees": {k: str(v) for k, v in trees.items()},
                               "loadavg": [min(load), max(load)], "runs": runs}
    for name in trees:
        for kind in ("ping", "status"):
            values = [r[kind]["ms"] for r in runs[name]]
            summary[f"{name}_{kind}_ms"] = round(statistics.median(values), 3)
            summary[f"{name}_{kind}_all"] = [round(v, 3) for v in values]
    if args.against:
        for kind in ("ping", "status"):
            summary[f"ratio_{kind}"] = round(
                summary[f"this_{kind}_ms"] / summary[f"against_{kind}_ms"], 3)
    summary["bad"] = sum(r[k]["bad"] for rs in runs.values() for r in rs
                         for k in ("ping", "status"))
    summary["stored"] = asyncio.run(_stored(args.database_url))
    summary["sent"] = sum(r["status"]["requests"] for rs in runs.values() for r in rs)
    return summary


def print_report(s: dict[str, Any]) -> None:
    print(f"\nin-process worker CPU per request (median of {len(s['this_ping_all'])} rounds; "
          f"load average {s['loadavg'][0]}-{s['loadavg'][1]} during the run)")
    for name in ("this", "against"):
        if f"{name}_ping_ms" in s:
            print(f"  {name:8} {s['trees'][name]}: ping {s[f'{name}_ping_ms']:.3f} ms "
                  f"{s[f'{name}_ping_all']}, status {s[f'{name}_status_ms']:.3f} ms "
                  f"{s[f'{name}_status_all']}")
    if "ratio_ping" in s:
        print(f"  this / against: ping {s['ratio_ping']}x, status {s['ratio_status']}x")
    print(f"  events sent {s['sent']}, stored {s['stored']}, bad answers {s['bad']}; "
          f"target < 1.5 ms per event: {'PASS' if s['this_status_ms'] < 1.5 else 'FAIL'}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url",
                   default="postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_ingest_cpu")
    p.add_argument("--against", help="another checkout (e.g. a worktree of main) to alternate with")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--pings", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--dossiers", type=int, default=1000)
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--profile", type=int, default=0,
                   help="cProfile the events of one child, print the top N functions")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--tag", default="r", help=argparse.SUPPRESS)
    p.add_argument("--smoke", action="store_true",
                   help="small sizes in a fresh database of its own, one round, a PASS/FAIL line")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(_child(args))))
        return
    from bench.common import SmokeResult, drop_database, ensure_database, run_smoke

    if args.smoke:
        args.rounds, args.events, args.pings, args.warmup, args.dossiers = 1, 50, 50, 10, 20

        def body(a: argparse.Namespace) -> SmokeResult:
            s = measure(a)
            print_report(s)
            ok = s["bad"] == 0 and s["stored"] == s["sent"]
            return SmokeResult(0 if ok else 1, {"ping": (a.pings, s["bad"]),
                                                "status": (s["sent"], s["sent"] - s["stored"])})

        sys.exit(run_smoke("ingest_cpu", args, body, need_wrk=False))
    asyncio.run(ensure_database(args.database_url, recreate=True))
    try:
        started = time.monotonic()
        summary = measure(args)
        if summary:
            print_report(summary)
            from bench import RESULTS_DIR
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            out = RESULTS_DIR / f"ingest_cpu-{time.strftime('%Y%m%d-%H%M%S')}.json"
            out.write_text(json.dumps(summary, indent=2))
            print(f"  saved {out} ({time.monotonic() - started:.0f} s)")
    finally:
        asyncio.run(drop_database(args.database_url))


if __name__ == "__main__":
    if THIS_FILE.parent.name == "bench" and sys.path and Path(sys.path[0]) == THIS_FILE.parent:
        sys.path.pop(0)  # run as a file by path: bench/'s modules are not top-level ones
    main()
