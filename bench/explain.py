"""Query plans and in-process timings of the dossier pages' queries, on the bench database.

    .venv/bin/python -m bench.explain [--party-id N]

Runs mijn.dossiers.service.list_dossiers (both tabs) and get_dossier_view for the party
with the most dossiers (or the given one), captures the exact SQL and parameters
SQLAlchemy sends, and shows EXPLAIN (ANALYZE, BUFFERS) of each, both as a custom plan
and as the generic plan PostgreSQL switches to for prepared statements (asyncpg prepares
every statement). It also times the data access of the pages in-process (no HTTP, no
template): a fresh session per call, as the routes do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from typing import Any

import asyncpg
from sqlalchemy import event, text

from bench import DEFAULT_DATABASE_URL
from bench.common import asyncpg_dsn
from bench.product import (
    PartyScope,
    get_dossier_view,
    list_dossiers,
    make_engine,
    make_sessionmaker,
)

PAGE_SIZE = 10


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def _plans(url: str, statements: list[tuple[str, tuple[Any, ...]]]) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    out = []
    try:
        for n, (sql, params) in enumerate(statements):
            await conn.execute(f"PREPARE bench_q{n} AS {sql}")
            args = f"({', '.join(_literal(p) for p in params)})" if params else ""
            plans = {}
            for mode in ("force_custom_plan", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q{n}{args}")
                plans[mode.split("_")[1]] = "\n".join(r[0] for r in rows)
            out.append({"sql": sql, "params": list(params), **plans})
            await conn.execute(f"DEALLOCATE bench_q{n}")
    finally:
        await conn.close()
    return out


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "calls": len(samples),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
        "p50_ms": round(samples[len(samples) // 2] * 1000, 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000, 3),
    }


async def explain(url: str, party_id: int | None = None, calls: int = 300) -> dict[str, Any]:
    """Plans of the overview and detail queries, and in-process timings of them."""
    engine = make_engine(url)
    captured: list[tuple[str, tuple[Any, ...]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            if party_id is None:
                party_id = (await session.execute(text(
                    "SELECT party_id FROM dossiers GROUP BY party_id "
                    "ORDER BY count(*) DESC, party_id LIMIT 1"
                ))).scalar_one()
            n_dossiers = (await session.execute(
                text("SELECT count(*) FROM dossiers WHERE party_id = :p"), {"p": party_id}
            )).scalar_one()
            reference = (await session.execute(text(
                "SELECT reference FROM dossiers WHERE party_id = :p "
                "ORDER BY closed_on IS NOT NULL, last_changed_at DESC LIMIT 1"
            ), {"p": party_id})).scalar_one()
            others = [tuple(r) for r in (await session.execute(text(
                "SELECT party_id, min(reference) FROM dossiers "
                "WHERE party_id IN (SELECT party_id FROM dossiers TABLESAMPLE SYSTEM (1)) "
                "GROUP BY party_id LIMIT 500"
            )))]
            captured.clear()
            scope = PartyScope(party_id)
            for tab in ("open", "closed"):
                await list_dossiers(session, scope, tab, 1, PAGE_SIZE)
            overview_sql = list(dict.fromkeys(captured))
            captured.clear()
            await get_dossier_view(session, reference, scope)
            detail_sql = list(captured)
        event.remove(engine.sync_engine, "before_cursor_execute", capture)

        async def timed(fn: Any, *args: Any) -> float:
            started = time.perf_counter()
            async with sessionmaker() as s:
                await fn(s, *args)
            return time.perf_counter() - started

        rng = random.Random(1)
        timings: dict[str, dict[str, float]] = {}
        for _ in range(20):  # warm the pool and the statement caches
            await timed(list_dossiers, scope, "open", 1, PAGE_SIZE)
        timings["overview_max_party"] = _stats([
            await timed(list_dossiers, scope, "open", 1, PAGE_SIZE) for _ in range(calls)
        ])
        timings["detail_max_party"] = _stats([
            await timed(get_dossier_view, reference, scope) for _ in range(calls)
        ])
        if others:
            picks = [rng.choice(others) for _ in range(calls)]
            timings["overview_random_party"] = _stats([
                await timed(list_dossiers, PartyScope(p), "open", 1, PAGE_SIZE) for p, _ in picks
            ])
            timings["detail_random_party"] = _stats([
                await timed(get_dossier_view, ref, PartyScope(p)) for p, ref in picks
            ])
    finally:
        await engine.dispose()
    return {
        "party_id": party_id, "party_dossiers": n_dossiers, "reference": reference,
        "overview": await _plans(url, overview_sql),
        "detail": await _plans(url, detail_sql),
        "in_process_timings": timings,
    }


def print_report(report: dict[str, Any]) -> None:
    """The plans and timings, readable."""
    print(f"Party {report['party_id']} ({report['party_dossiers']} dossiers), "
          f"dossier {report['reference']}")
    for page in ("overview", "detail"):
        for q in report[page]:
            print(f"\n--- {page}: {q['sql']}\n    params {q['params']}")
            for kind in ("custom", "generic"):
                print(f"  [{kind} plan]")
                print("\n".join("    " + line for line in q[kind].splitlines()))
    print("\nIn-process data access per request (fresh session, no HTTP, no template):")
    for name, s in report["in_process_timings"].items():
        print(f"  {name:24} mean {s['mean_ms']:7.3f} ms  p50 {s['p50_ms']:7.3f} ms  "
              f"p99 {s['p99_ms']:7.3f} ms  ({s['calls']} calls)")


def main() -> None:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    p.add_argument("--party-id", type=int)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = p.parse_args()
    report = asyncio.run(explain(args.database_url, args.party_id, args.calls))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
