"""The monthly report (/kcc/inzicht) at 1,000,000 questions and 1,000,000 dossiers.

    .venv/bin/python -m bench.insight                    # seed once (~minutes), then measure
    .venv/bin/python -m bench.insight --questions 20000 --dossiers 20000 --duration 5   # smoke

Seeds the database mijn_bench_insight (created when missing, migrated) on PostgreSQL in bulk,
inside the server (INSERT ... SELECT over generate_series, seeded random()): --parties
parties, --dossiers dossiers (4 types, 2 cases and 2 reports; 6 departments; 6 channels),
--questions questions over the last --months months (half about a dossier; 95% answered
after an exponential time, mean 20 h; 15% handed over to one of 5 teams), an 'ask' event
per question and a 'hand_over' event per handover, contacts (a fifth of the questions),
200 answers with votes, flags and answer events (views, suggestions shown and opened,
questions asked after suggestions: as many as questions). Seeded once: when the counts
match, the data is reused (--reseed loads it again).

Then starts `mijn serve` (1 worker) on 127.0.0.1, logs a team lead in (mijn_staff: a session
row as a login writes it, bench/sessions.py), checks each route (200, the report, its
figures against a direct SQL count; 303 without the cookie), and measures every route with
wrk at 1 connection (-t1 -c1): p50, p90, p95, p99 from wrk's own latency histogram.

  baseline   the report for a month before the data (same page, same ~25 queries, empty
             ranges): what the page costs without the aggregation work
  report     the last complete month, trend over 6 months (the page's default length)
  report-12  the same month with a 12-month trend
  department the same month, 6 months, one department (dossier join)
  current    /kcc/inzicht as it opens: this month so far

Each route is reported with its ratio to the baseline, and whether p95 <= 1 s (the issue's
target: the monthly report page renders in at most 1 s). Finally every statement the report
sends is timed in-process with EXPLAIN (ANALYZE, BUFFERS); the JSON goes to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench import RESULTS_DIR
from bench.common import (
    UNLIMITED_RATES,
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    check_seeded,
    ensure_database,
    mark_seeded,
    run_smoke,
    seeded_as,
    smoke_sizes,
    truncate,
    wrk_counts,
)
from bench.product import (
    MIJN_COMMAND,
    PROJECT_ROOT,
    Period,
    Progress,
    add_months,
    insight_departments,
    language,
    make_engine,
    make_sessionmaker,
    month_start,
    upgrade_async,
)
from bench.product import (
    insight_report as report,
)
from bench.run import machine, port_free, wait_for_quiet
from bench.sessions import mint_staff

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_insight"
SECRET_KEY = "bench-only-secret-key-4f1d2c9a8b7e6d5c4b3a29181716151413"
TARGET_MS = 1000.0
MARKER = '<div id="rapport"'
DEPARTMENTS = ("Burgerzaken", "Vergunningen", "Wijkbeheer", "Belastingen", "Zorg", "Onderwijs")
TEAMS = ("vergunningen", "wijkbeheer", "belastingen", "zorg", "handhaving")
TYPES = (("bi-omgeving", "case", "Omgevingsvergunning"), ("bi-melding", "report", "Melding"),
         ("bi-subsidie", "case", "Subsidie"), ("bi-afval", "report", "Afvalmelding"))

# --- seeding ----------------------------------------------------------------------------------

SEED_STEPS: tuple[tuple[str, str], ...] = (
    ("parties", """
INSERT INTO parties (kind, identifier_type, identifier, name, language, created_at,
                     notify_by_email)
SELECT 'person', 'bsn', lpad(g::text, 9, '0'), '', 'nl', now(), false
FROM generate_series(1, :parties) g"""),
    ("dossiers", """
INSERT INTO dossiers (reference, kind, dossier_type_id, title, party_id, channel, department,
                      opened_on, last_changed_at)
SELECT 'BI-' || g, (:kinds::text[])[1 + g % 4], (:type_ids::int[])[1 + g % 4], 'Dossier',
       1 + (g::bigint * 7919) % :parties,
       (ARRAY['web','web','web','phone','email','social_media','counter','partner'])[1 + g % 8],
       (:departments::text[])[1 + (g * 31) % 6],
       (:start)::text::date
       + floor((current_date - (:start)::text::date) * (g - 1 + random()) / :dossiers)::int,
       now()
FROM generate_series(1, :dossiers) g"""),
    ("questions", """
INSERT INTO questions (reference, kind, party_id, dossier_id, topic_id, channel, state,
                      created_at, updated_at, sla_due_at, answered_at, handed_over,
                      first_contact_resolution, party_unread, team_id)
SELECT 'BQ' || g, 'question', 1 + (g::bigint * 104729) % :parties,
       CASE WHEN g % 2 = 0 THEN 1 + ((g / 2)::bigint * 15485863) % :dossiers END,
       (:topic_ids::int[])[1 + floor(power(r5, 1.6) * cardinality(:topic_ids::int[]))::int],
       (ARRAY['web','web','web','web','phone','phone','email','counter'])[1 + g % 8],
       CASE WHEN answered IS NULL THEN 'new' ELSE 'answered' END,
       created, created, created + interval '16 hours', answered, handed,
       CASE WHEN answered IS NOT NULL THEN NOT handed END, false,
       CASE WHEN handed THEN (:team_ids::int[])[1 + g % 5] END
FROM (SELECT g, r5, created, r2 < 0.15 AS handed,
             CASE WHEN r3 < 0.95 THEN least(now(), created + interval '1 hour'
                  * (-ln(1 - r4) * 20)) END AS answered
      FROM (SELECT g, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                   (:start)::text::timestamptz + (now() - (:start)::text::timestamptz)
                   * ((g - 1 + random()) / :questions) AS created
            FROM generate_series(1, :questions) g) AS raw) AS q"""),
    ("question events", """
INSERT INTO question_events (question_id, action, from_state, to_state, actor_type, actor_id,
                             actor_role, team_id, at)
SELECT id, 'ask', NULL, 'new', 'party', party_id, NULL, NULL, created_at FROM questions
UNION ALL
SELECT id, 'hand_over', 'claimed', 'handed_over', 'staff', 1, 'agent', team_id,
       created_at + interval '30 minutes' FROM questions WHERE handed_over"""),
    ("contacts", """
INSERT INTO contacts (party_id, dossier_id, channel, summary, internal, at)
SELECT party_id, dossier_id, (ARRAY['phone','phone','counter','email','social_media'])[1 + id % 5],
       'Gebeld', false, created_at + interval '2 hours'
FROM questions WHERE id % 5 = 0"""),
    ("answers", """
INSERT INTO answers (slug, published, version, title, body, summary, internal_notes, audience,
                     review_by, yes_count, no_count, view_count, created_at, updated_at)
SELECT 'bench-' || g, g % 10 <> 0, 1, 'Antwoord ' || g, 'Tekst', 'Tekst', '', 'all',
       current_date + (g * 7 % 400) - 100, g % 17, g % 11, g * 13, now(), now()
FROM generate_series(1, 200) g"""),
    ("answer feedback", """
INSERT INTO answer_feedback (answer_id, version, helpful, comment, created_at)
SELECT (SELECT min(id) FROM answers) + g % 200, 1, random() < 0.7, '',
       (:start)::text::timestamptz + (now() - (:start)::text::timestamptz) * random()
FROM generate_series(1, :questions / 10) g"""),
    ("answer flags", """
INSERT INTO answer_flags (kind, answer_id, comment, created_at, resolved_at)
SELECT CASE WHEN g % 5 = 0 THEN 'missing' ELSE 'wrong' END,
       CASE WHEN g % 5 <> 0 THEN (SELECT min(id) FROM answers) + g % 200 END, 'Klopt niet',
       at, CASE WHEN g % 3 = 0 THEN at + interval '2 days' END
FROM (SELECT g, (:start)::text::timestamptz + (now() - (:start)::text::timestamptz) * random() AS at
      FROM generate_series(1, greatest(:questions / 300, 10)) g) AS f"""),
    ("answer events", """
INSERT INTO answer_events (kind, answer_id, context, form_key, at)
SELECT kind, CASE WHEN kind <> 'asked' THEN (SELECT min(id) FROM answers) + g % 200 END,
       CASE WHEN kind = 'view' THEN 'search' ELSE 'ask' END,
       CASE WHEN kind <> 'view' THEN 'f' || (g / 4) END,
       (:start)::text::timestamptz
       + (now() - (:start)::text::timestamptz) * ((g - 1 + random()) / :questions)
FROM (SELECT g, CASE WHEN g % 20 < 11 THEN 'view' WHEN g % 20 < 15 THEN 'suggested'
                     WHEN g % 20 < 18 THEN 'opened' ELSE 'asked' END AS kind
      FROM generate_series(1, :questions) g) AS e"""),
)
TABLES = ("answer_events", "answer_flags", "answer_feedback", "answer_topics", "answer_targets",
          "answer_terms", "answer_versions", "answers", "contacts", "question_events",
          "question_messages", "questions", "dossiers", "dossier_types", "parties", "teams")


def _bind(sql: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """:name placeholders to asyncpg's $n."""
    names: list[str] = []

    def place(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"(?<!:):([a-z_]+)", place, sql), [values[n] for n in names]


async def _counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow("SELECT (SELECT count(*) FROM parties), (SELECT count(*) FROM "
                              "dossiers), (SELECT count(*) FROM questions)")
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def _reference_rows(conn: asyncpg.Connection) -> dict[str, Any]:
    type_ids = [await conn.fetchval(
        "INSERT INTO dossier_types (code, kind, name_nl, name_en) VALUES ($1, $2, $3, $3) "
        "RETURNING id", code, kind, name) for code, kind, name in TYPES]
    team_ids = [await conn.fetchval(
        "INSERT INTO teams (code, name_nl, name_en) VALUES ($1, $2, $2) RETURNING id",
        code, code.capitalize()) for code in TEAMS]
    topic_ids = [r[0] for r in await conn.fetch("SELECT id FROM question_topics ORDER BY position")]
    return {"type_ids": type_ids, "team_ids": team_ids, "topic_ids": topic_ids,
            "kinds": [kind for _, kind, _ in TYPES], "departments": list(DEPARTMENTS)}


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """Load the data set in bulk, in one transaction that also records it as complete; reuse
    it only when that record matches (a seed that failed halfway leaves nothing to reuse)."""
    await ensure_database(args.database_url, recreate=False)
    await upgrade_async(args.database_url)
    start = add_months(month_start(date.today()), -(args.months - 1))
    sizes = {"parties": args.parties, "dossiers": args.dossiers, "questions": args.questions,
             "start": start.isoformat()}
    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    try:
        if await seeded_as(conn, "insight") == sizes and not args.reseed:
            print(f"seed: reusing {args.questions:,} questions and {args.dossiers:,} dossiers",
                  file=sys.stderr)
            result: dict[str, Any] = {"reused": True}
        else:
            result = await _load(conn, args, start, sizes)
    finally:
        await conn.close()
    await check_seeded(args.database_url, {"parties": args.parties, "dossiers": args.dossiers,
                                           "questions": args.questions, "answers": 200},
                       "insight")
    return result


async def _load(conn: asyncpg.Connection, args: argparse.Namespace, start: date,
                sizes: dict[str, Any]) -> dict[str, Any]:
    progress = Progress("seed", len(SEED_STEPS) + 1)
    timings = {}
    async with conn.transaction():
        await truncate(conn, *TABLES)
        await conn.execute("SELECT setseed(0.42)")
        values: dict[str, Any] = {"parties": args.parties, "dossiers": args.dossiers,
                                  "questions": args.questions, "start": start.isoformat(),
                                  **await _reference_rows(conn)}
        for name, sql in SEED_STEPS:
            began = time.monotonic()
            statement, params = _bind(sql, values)
            await conn.execute(statement, *params)
            timings[name] = round(time.monotonic() - began, 1)
            progress.advance()
        await mark_seeded(conn, "insight", sizes)
    began = time.monotonic()
    await conn.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = round(time.monotonic() - began, 1)
    progress.advance()
    progress.finish(f"seed: {args.questions:,} questions and {args.dossiers:,} dossiers from "
                    f"{start} ({', '.join(f'{k} {v} s' for k, v in timings.items())})")
    return {"reused": False, "seconds": timings, "start": start.isoformat()}


# --- the server, the cookie, the routes -------------------------------------------------------


def staff_cookie(url: str) -> str:
    """A team lead's mijn_staff cookie as a staff login makes it (a session row, the cookie
    its random id), and a CSRF cookie."""
    session = mint_staff(url, "bench|insight-lead", ("lead",))
    return f"mijn_staff={session}; mijn_csrf=bench"


def routes(months: int) -> dict[str, str]:
    """The measured addresses."""
    this = month_start(date.today())
    last = add_months(this, -1).strftime("%Y-%m")
    before_data = add_months(this, -35).strftime("%Y-%m")
    assert months <= 32, "the baseline month must lie before the data"
    return {
        "baseline": f"/kcc/inzicht?maand={before_data}&maanden=3",
        "report": f"/kcc/inzicht?maand={last}&maanden=6",
        "report-12": f"/kcc/inzicht?maand={last}&maanden=12",
        "department": f"/kcc/inzicht?maand={last}&maanden=6&afdeling=Wijkbeheer",
        "current": "/kcc/inzicht",
    }


def start_server(args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    """`mijn serve` on the bench database; waits until it answers."""
    if not port_free(args.port):
        raise SystemExit(f"insight: port {args.port} is in use; choose another with --port")
    env = {**os.environ, "MIJN_DATABASE_URL": args.database_url, "MIJN_SECRET_KEY": SECRET_KEY,
           "MIJN_ENV": "development", "MIJN_DATA_DIR": str(RESULTS_DIR / "data"),
           **UNLIMITED_RATES}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*MIJN_COMMAND, "serve", "--host", "127.0.0.1", "--port", str(args.port),
             "--workers", "1", "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"insight: mijn serve exited:\n{log.read_text()}")
        try:
            httpx.get(f"http://127.0.0.1:{args.port}/kcc/inloggen", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("insight: mijn serve did not answer within 60 s")


async def _direct_count(url: str, month: str) -> int:
    first = date.fromisoformat(f"{month}-01")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM questions WHERE created_at >= $1::date::timestamp AT TIME ZONE "
            "'Europe/Amsterdam' AND created_at < $2::date::timestamp AT TIME ZONE "
            "'Europe/Amsterdam'", first, add_months(first, 1)))
    finally:
        await conn.close()


def preflight(base: str, paths: dict[str, str], url: str) -> dict[str, Any]:
    """Every route answers the report to the lead, the login to anyone else; and the report's
    question count for last month equals a direct count."""
    cookie = staff_cookie(url)
    for name, path in paths.items():
        r = httpx.get(base + path, headers={"Cookie": cookie}, timeout=60)
        if r.status_code != 200 or MARKER not in r.text:
            raise SystemExit(f"insight: {name} ({path}) gave {r.status_code}")
        anonymous = httpx.get(base + path, timeout=60)
        if anonymous.status_code != 303:
            raise SystemExit(f"insight: {name} without a session gave {anonymous.status_code}")
    month = paths["report"].split("maand=")[1][:7]
    page = httpx.get(base + paths["report"], headers={"Cookie": cookie}, timeout=60).text
    rows = re.search(r'aria-labelledby="kop-trend">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert rows is not None
    last_row = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows.group(1).strip().splitlines()[-1])
    shown = int(last_row[1].replace(".", ""))
    counted = asyncio.run(_direct_count(url, month))
    if shown != counted:
        raise SystemExit(f"insight: the report shows {shown} questions in {month}, SQL {counted}")
    return {"questions_last_month": counted}


LUA = """
wrk.headers["Cookie"] = %s
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '<div id="rapport"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "bad": %%d, "p50": %%d, "p90": %%d, ' ..
    '"p95": %%d, "p99": %%d, "max": %%d, "mean": %%.1f, "errors": %%d}\\n',
    summary.requests, bad, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
end
"""


def run_wrk(base: str, path: str, seconds: float, script: Path) -> dict[str, Any]:
    """wrk at one connection; latencies in ms."""
    cmd = ["wrk", "-t1", "-c1", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script),
           base + path]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"insight: wrk failed:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len("RESULT "):])
    result = {k: round(raw[k] / 1000, 1) for k in ("p50", "p90", "p95", "p99", "max", "mean")}
    result.update(requests=raw["requests"], bad=raw["bad"], errors=raw["errors"],
                  per_second=round(raw["requests"] / seconds, 2))
    return result


# --- in-process: every statement, timed and explained ----------------------------------------


async def explain_report(url: str) -> list[dict[str, Any]]:
    """The report for last month, its statements timed one by one, with their plans."""
    engine = make_engine(url)
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql, params))

    month = add_months(month_start(date.today()), -1)
    async with make_sessionmaker(engine)() as session:
        await insight_departments(session)
        await report.collect(session, Period(month, 6), date.today())
    await engine.dispose()
    return await _explain_all(url, statements)


async def _explain_all(url: str, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    found = []
    try:
        for sql, params in statements:
            values = list(params) if isinstance(params, tuple | list) else []
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *values)
            text = "\n".join(r[0] for r in plan)
            took = re.search(r"Execution Time: ([\d.]+) ms", text)
            found.append({"sql": " ".join(sql.split())[:300],
                          "ms": float(took.group(1)) if took else None, "plan": text})
    finally:
        await conn.close()
    return sorted(found, key=lambda f: -(f["ms"] or 0))


# --- the run --------------------------------------------------------------------------------


def measure(args: argparse.Namespace, base: str, paths: dict[str, str]) -> dict[str, Any]:
    """Warm up and measure every route."""
    script = RESULTS_DIR / "insight.lua"
    script.write_text(LUA % json.dumps(staff_cookie(args.database_url)))
    results = {}
    for name, path in paths.items():
        busy = wait_for_quiet(args.wait_idle)
        run_wrk(base, path, args.warmup, script)
        results[name] = {"path": path, "busy_before_pct": busy,
                         **run_wrk(base, path, args.duration, script)}
        r = results[name]
        print(f"insight: {name:<10} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
              f"p99 {r['p99']:7.1f} ms  {r['per_second']:6.2f}/s  bad {r['bad']}",
              file=sys.stderr)
    base_p50 = results["baseline"]["p50"]
    for r in results.values():
        r["p50_ratio_to_baseline"] = round(r["p50"] / base_p50, 2) if base_p50 else None
        r["within_target"] = r["p95"] <= TARGET_MS and r["bad"] == 0 and r["errors"] == 0
    return results


def print_report(results: dict[str, Any]) -> None:
    """The table of the run."""
    print(f"\n{'route':<11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
          f"{'x base':>8}  <= 1 s")
    for name, r in results["routes"].items():
        print(f"{name:<11}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{r['per_second']:>8.2f}"
              f"{r['p50_ratio_to_baseline']:>8.2f}  {'yes' if r['within_target'] else 'NO'}")
    print("\nslowest statements of the report (EXPLAIN ANALYZE, ms):")
    for s in results["statements"][:6]:
        print(f"  {s['ms']:>8.1f}  {s['sql'][:110]}")


def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    seeded = asyncio.run(seed(args))
    paths = routes(args.months)
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(args, RESULTS_DIR / f"insight-serve-{stamp}.log")
    try:
        checks = preflight(base, paths, args.database_url)
        measured = measure(args, base, paths)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results = {"args": vars(args), "machine": machine(), "seed": seeded, "checks": checks,
               "routes": measured, "statements": asyncio.run(explain_report(args.database_url))}
    out = RESULTS_DIR / f"insight-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print_report(results)
    print(f"\nwritten: {out}")
    return (0 if all(r["within_target"] for r in measured.values()) else 1), results


def smoke(args: argparse.Namespace) -> SmokeResult:
    """3,000 questions and 2,000 dossiers, each route for a second."""
    smoke_sizes(args, parties=500, dossiers=2000, questions=3000, duration=1, warmup=1,
                wait_idle=0, port=8871)
    code, results = main_inner(args)
    return SmokeResult(code, wrk_counts(results.get("routes", {})))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--parties", type=int, default=100_000)
    p.add_argument("--dossiers", type=int, default=1_000_000)
    p.add_argument("--questions", type=int, default=1_000_000)
    p.add_argument("--months", type=int, default=30, help="months of data, up to this month")
    p.add_argument("--duration", type=float, default=20.0, help="seconds measured per route")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--wait-idle", type=float, default=30.0,
                   help="wait up to this long for an idle machine before each route")
    p.add_argument("--port", type=int, default=8771)
    p.add_argument("--reseed", action="store_true", help="load the data again even if the "
                   "counts match")
    add_smoke_flag(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark."""
    args = parse_args(argv)
    language("nl")  # read the catalogue before timing anything
    if args.smoke:
        sys.exit(run_smoke("insight", args, smoke))
    sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
