"""Export to Open Klant: N questions with a reply each, through the outbox to the
Klantinteracties test server (tests/openklant_server.py, its own process), by 2 worker
processes; exports/s and worker CPU per export and per question, against, in the same run,
the same outbox delivered with a no-op sender (claim, lock, state, commit: the queue's own
cost) and the e-mail notification each reply noted, delivered by the same workers through
the notifications outbox to a local SMTP server (bench/openklant_mail.py): the cost of a
question's export against the cost of telling its asker by e-mail.

Each worker is `python -m bench.openklant --drain`: the outbox's own deliver_due (as `mijn
worker` calls it) until nothing is pending; it measures its CPU (time.process_time) from a
common start signal. The server's (or SMTP sink's) CPU is read from /proc. Every export must
end done, and the server must hold what the questions and replies make (2 klantcontacten per
question, an actorklantcontact per reply, a partij per party); every e-mail must end sent,
and the sink must have received one per question."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import RESULTS_DIR
from bench import openklant_mail as mail
from bench.common import (
    SECRET_KEY,
    SmokeResult,
    add_smoke_flag,
    asyncpg_dsn,
    ensure_database,
    run_smoke,
    smoke_sizes,
)
from bench.product import (
    PROJECT_ROOT,
    NewQuestion,
    OpenKlantClient,
    Progress,
    Staff,
    ask,
    claim,
    get_or_create_party,
    import_all,
    list_topics,
    load_settings,
    make_engine,
    make_sessionmaker,
    openklant_queue,
    record_login,
    reply,
    upgrade_async,
)

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn_bench_openklant"
TOKEN = "test-openklant-token-0123456789abcdef"  # noqa: S105 - the test server's
PREFIX = "/klantinteracties/api/v1"
QUESTION = ("Ik heb vorige maand een vergunning aangevraagd voor een dakkapel. Wanneer hoor "
            "ik iets over mijn aanvraag, en moet ik nog iets opsturen? ") * 2
ANSWER = ("Dank voor uw vraag. Uw aanvraag is in behandeling; u hoort binnen vier weken van "
          "ons. U hoeft niets meer op te sturen. ") * 3
PHASES = ("noop", "export", "mail")


def bsns(n: int) -> list[str]:
    """n numbers that pass the BSN eleven-test, from 100000009 on."""
    found: list[str] = []
    number = 100_000_000
    while len(found) < n:
        number += 1
        digits = f"{number:09d}"
        total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        if (total - int(digits[8])) % 11 == 0:
            found.append(digits)
    return found


def worker_env(args: argparse.Namespace) -> dict[str, str]:
    return {**os.environ, "MIJN_DATABASE_URL": args.database_url,
            "MIJN_SECRET_KEY": SECRET_KEY, "MIJN_ENV": "development",
            "MIJN_DATA_DIR": str(RESULTS_DIR / "data"),
            "MIJN_OPENKLANT_URL": f"http://127.0.0.1:{args.port}{PREFIX}",
            "MIJN_OPENKLANT_TOKEN": TOKEN, "MIJN_OPENKLANT_TIMEOUT": "30",
            "MIJN_SMTP_URL": f"smtp://127.0.0.1:{args.smtp_port}",
            "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}


async def _seed_batch(sessionmaker: Any, settings: Any, numbers: list[str], first: int,
                      count: int) -> None:
    async with sessionmaker() as session:
        member = await record_login(session, "bench|agent", "Bench Agent", ("agent",), ())
        agent, topic = Staff(member.id, ("agent",)), (await list_topics(session))[0].id
        for n in range(first, first + count):
            party = await get_or_create_party(session, "bsn", numbers[n % len(numbers)])
            question, _ = await ask(session, NewQuestion(party.id, topic, QUESTION),
                                    settings.calendar)
            await openklant_queue.enqueue(session, settings.openklant, "question", question.id,
                                          question.reference)
            await claim(session, question, agent)
            await reply(session, question, agent, ANSWER)
            await openklant_queue.after_action(session, settings.openklant, question, "reply")
        await session.commit()


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    """A fresh schema; N questions, each asked, claimed and answered, their exports noted
    with the change, as the portal and the KCC note them."""
    await upgrade_async(args.database_url)
    import_all()
    settings = load_settings(worker_env(args))
    engine = make_engine(args.database_url)
    numbers = bsns(args.parties)
    bar = Progress("seed", args.questions)
    try:
        sessionmaker = make_sessionmaker(engine)
        for first in range(0, args.questions, 50):
            count = min(50, args.questions - first)
            await _seed_batch(sessionmaker, settings, numbers, first, count)
            bar.advance(count)
    finally:
        await engine.dispose()
    reachable = await mail.reachable_by_email(args.database_url)
    bar.finish(f"seeded {args.questions} questions with a reply, {args.parties} parties")
    return {"questions": args.questions, "parties": args.parties, "by_email": reachable}


# --- a worker process -----------------------------------------------------------------------


async def _pending(sessionmaker: Any) -> int:
    from sqlalchemy import text
    async with sessionmaker() as session:
        return int(await session.scalar(text(
            "SELECT count(*) FROM openklant_exports WHERE state = 'pending'")) or 0)


def _wait_for(go: Path) -> None:
    while not go.exists():
        time.sleep(0.005)


async def drain(args: argparse.Namespace) -> None:
    """Deliver the outbox until nothing is pending (after the go file appears); print what
    it did and its CPU as one JSON line."""
    import_all()
    settings = load_settings(worker_env(args))
    engine = make_engine(args.database_url)
    sessionmaker = make_sessionmaker(engine)
    if args.noop:
        async def nothing(*_args: Any) -> None:
            return None
        openklant_queue.run_export = nothing  # type: ignore[assignment]
    counts: dict[str, int] = {}
    smtp, left = mail.mailer(settings), mail.pending if args.mail else _pending
    async with OpenKlantClient(settings.openklant) as client:
        await left(sessionmaker)  # connected before the start
        print("READY", flush=True)
        await asyncio.to_thread(_wait_for, Path(args.go))
        cpu, wall = time.process_time(), time.time()
        while True:
            done = (await mail.deliver(sessionmaker, settings, smtp, args.batch) if args.mail
                    else await openklant_queue.deliver_due(sessionmaker, settings.openklant,
                                                           client, args.batch))
            for state, n in done.items():
                counts[state] = counts.get(state, 0) + n
            if not done and not await left(sessionmaker):
                break
            if not done:
                await asyncio.sleep(0.01)  # the rest is the other worker's, in turn
        result = {"counts": counts, "cpu": time.process_time() - cpu, "start": wall,
                  "end": time.time()}
    await engine.dispose()
    print(json.dumps(result), flush=True)


# --- the run ----------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    """The test server in its own process (started while the data is seeded)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.openklant", "--serve", "--port", str(args.port)],
        env=worker_env(args), stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_for_server(args: argparse.Namespace, server: subprocess.Popen[bytes]) -> None:
    """Until the test server answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{args.port}{PREFIX}/partijen",
                      headers={"Authorization": f"Token {TOKEN}"}, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the Open Klant test server did not start (see its log in bench/results)")


def serve(args: argparse.Namespace) -> None:
    """Run the test server on this port until killed."""
    import uvicorn
    sys.path.insert(0, str(PROJECT_ROOT / "tests"))
    from openklant_server import Server
    server = Server()
    server.store.base = f"http://127.0.0.1:{args.port}"
    uvicorn.run(server.app, host="127.0.0.1", port=args.port, log_level="warning",
                lifespan="off")


async def _reset(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("UPDATE openklant_exports SET state = 'pending', attempts = 0, "
                           "done_at = NULL, last_error = '', next_attempt_at = now()")
        await conn.execute("DELETE FROM openklant_links")
        # Statistics of the freshly loaded outbox: without them the planner takes the claim's
        # anti-join for one row and scans the whole outbox per claim (0.7 s at 2,000 rows).
        await conn.execute("ANALYZE openklant_exports")
    finally:
        await conn.close()


async def _states(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT state, count(*) AS n FROM openklant_exports GROUP BY 1")
        return {r["state"]: int(r["n"]) for r in rows}
    finally:
        await conn.close()


def _workers(args: argparse.Namespace, phase: str, go: Path) -> list[subprocess.Popen[str]]:
    command = [sys.executable, "-m", "bench.openklant", "--drain", "--go", str(go),
               "--database-url", args.database_url, "--port", str(args.port),
               "--batch", str(args.batch), "--smtp-port", str(args.smtp_port),
               *([f"--{phase}"] if phase in ("noop", "mail") else [])]
    procs = [subprocess.Popen(command, env=worker_env(args), stdout=subprocess.PIPE, text=True)
             for _ in range(args.workers)]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "READY":
            raise SystemExit(f"a {phase} worker did not start: {line!r}")
    return procs


def run_phase(args: argparse.Namespace, phase: str, server_pid: int) -> dict[str, Any]:
    """The outbox made pending again, delivered by the workers from one start signal (the
    mail phase: the notifications outbox, server_pid the SMTP sink's)."""
    reset, states = (mail.reset, mail.states) if phase == "mail" else (_reset, _states)
    asyncio.run(reset(args.database_url))
    total = sum(asyncio.run(states(args.database_url)).values())
    go = RESULTS_DIR / f"openklant-go-{os.getpid()}-{phase}"
    go.unlink(missing_ok=True)
    procs = _workers(args, phase, go)
    server_cpu, bar = proc_cpu(server_pid), Progress(phase, total)
    go.touch()
    while any(p.poll() is None for p in procs):
        time.sleep(0.5)
        now = asyncio.run(states(args.database_url))
        if (moved := total - now.get("pending", 0) - bar.done) > 0:
            bar.advance(moved)
    go.unlink(missing_ok=True)
    results = [json.loads(p.stdout.read().strip().splitlines()[-1])  # type: ignore[union-attr]
               for p in procs]
    done = sum(r["counts"].get("done", 0) for r in results)
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    out = {"exports": total, "done": done, "dead": sum(r["counts"].get("dead", 0)
                                                        for r in results),
           "seconds": wall, "per_second": done / wall if wall else 0.0,
           "worker_cpu_ms_per_export": 1000 * sum(r["cpu"] for r in results) / max(done, 1),
           "server_cpu_ms_per_export": 1000 * (proc_cpu(server_pid) - server_cpu) / max(done, 1),
           "worker_cpu_ms_per_question": 1000 * sum(r["cpu"] for r in results)
           / max(args.questions, 1),
           "states": asyncio.run(states(args.database_url))}
    bar.finish(f"{phase}: {done}/{total} {'e-mails' if phase == 'mail' else 'exports'} done "
               f"in {wall:.1f} s")
    return out


def check_server(args: argparse.Namespace) -> dict[str, Any]:
    """What the server holds against what the questions and replies make."""
    def count(resource: str) -> int:
        found = httpx.get(f"http://127.0.0.1:{args.port}{PREFIX}/{resource}",
                          headers={"Authorization": f"Token {TOKEN}"}, timeout=30)
        return int(found.json()["count"])
    held = {r: count(r) for r in ("partijen", "klantcontacten", "actorklantcontacten")}
    wanted = {"partijen": args.parties, "klantcontacten": 2 * args.questions,
              "actorklantcontacten": args.questions}
    return {"held": held, "wanted": wanted, "ok": held == wanted}


def check_sink(args: argparse.Namespace, sink: Any) -> dict[str, Any]:
    """E-mails the SMTP sink received in the mail phase: one per question."""
    held = mail.received(sink)
    return {"received": held, "wanted": args.questions, "ok": held == args.questions}


def print_report(results: dict[str, Any]) -> None:
    """The figures, and the ratio of the export to the no-op sender."""
    for phase in PHASES:
        r = results["phases"][phase]
        unit = "e-mails" if phase == "mail" else "exports"
        print(f"{phase:>7}: {r['per_second']:8.1f} {unit}/s, {r['worker_cpu_ms_per_export']:6.2f}"
              f" ms worker CPU each, {r['worker_cpu_ms_per_question']:6.2f} ms per question, "
              f"{r['server_cpu_ms_per_export']:6.2f} ms server CPU each"
              f" ({r['done']} done, {r['dead']} dead, {r['seconds']:.1f} s)")
    print(f"export / no-op sender: {results['ratio']:.3f} x exports/s; "
          f"{results['cpu_ratio']:.1f} x worker CPU per export; server holds what it should: "
          f"{results['check']['ok']} {results['check']['held']}")
    m = results["per_question"]
    print(f"per question, export (2 klantcontacten) / e-mail notification: "
          f"{m['questions_per_second_export']:.1f} / {m['questions_per_second_mail']:.1f} "
          f"questions/s ({m['rate_ratio']:.2f} x); worker CPU {m['cpu_ms_export']:.2f} / "
          f"{m['cpu_ms_mail']:.2f} ms ({m['cpu_ratio']:.2f} x); the sink received what it "
          f"should: {results['sink']['ok']} ({results['sink']['received']})")


def per_question(args: argparse.Namespace, phases: dict[str, Any]) -> dict[str, float]:
    """A question's export (its question and its reply) against its e-mail notification."""
    real, sent = phases["export"], phases["mail"]
    export_rate = real["per_second"] * args.questions / max(real["exports"], 1)
    return {"questions_per_second_export": export_rate,
            "questions_per_second_mail": sent["per_second"],
            "rate_ratio": export_rate / sent["per_second"] if sent["per_second"] else 0.0,
            "cpu_ms_export": real["worker_cpu_ms_per_question"],
            "cpu_ms_mail": sent["worker_cpu_ms_per_question"],
            "cpu_ratio": real["worker_cpu_ms_per_question"]
            / max(sent["worker_cpu_ms_per_question"], 1e-9)}


def main_inner(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Seed, start the server, run both phases, check, save."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    asyncio.run(ensure_database(args.database_url, recreate=True))
    server = start_server(args, RESULTS_DIR / f"openklant-server-{stamp}.log")
    sink = mail.start_sink(args, RESULTS_DIR / f"openklant-sink-{stamp}.log")
    try:
        seeded = asyncio.run(seed(args))
        wait_for_server(args, server)
        phases = {phase: run_phase(args, phase, server.pid) for phase in ("noop", "export")}
        check = check_server(args)
        sink.ask("reset")
        phases["mail"] = run_phase(args, "mail", sink.pid)
        sunk = check_sink(args, sink)
    finally:
        server.terminate()
        server.wait(timeout=10)
        sink.stop()
    noop, real = phases["noop"], phases["export"]
    results = {"args": vars(args), "seed": seeded, "phases": phases, "check": check,
               "sink": sunk, "load": os.getloadavg(),
               "ratio": real["per_second"] / noop["per_second"] if noop["per_second"] else 0,
               "cpu_ratio": real["worker_cpu_ms_per_export"]
               / max(noop["worker_cpu_ms_per_export"], 1e-9),
               "per_question": per_question(args, phases)}
    out = RESULTS_DIR / f"openklant-{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print_report(results)
    print(f"load average at the end: {results['load']}")
    print(f"\nwritten: {out}")
    bad = (any(p["done"] != p["exports"] for p in phases.values()) or not check["ok"]
           or not sunk["ok"])
    return (1 if bad else 0), results


def smoke(args: argparse.Namespace) -> SmokeResult:
    """20 questions, 5 parties: works, no figures."""
    smoke_sizes(args, questions=20, parties=5, port=8873, smtp_port=8874)
    code, results = main_inner(args)
    phases = {name: (p["exports"], p["exports"] - p["done"])
              for name, p in results["phases"].items()}
    if not results["check"]["ok"]:
        phases["check"] = (1, 1)
    if not results["sink"]["ok"]:
        phases["sink"] = (1, 1)
    return SmokeResult(code, phases)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--questions", type=int, default=2000, help="questions, each with a reply")
    p.add_argument("--parties", type=int, default=500)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=200, help="exports per deliver_due round")
    p.add_argument("--port", type=int, default=8773, help="the test server's port")
    p.add_argument("--smtp-port", type=int, default=mail.SMTP_PORT,
                   help="the SMTP sink's port (the e-mail baseline)")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--noop", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mail", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--go", default="", help=argparse.SUPPRESS)
    add_smoke_flag(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, internally, its server or one worker)."""
    args = parse_args(argv)
    if args.serve:
        serve(args)
    elif args.drain:
        asyncio.run(drain(args))
    elif args.smoke:
        sys.exit(run_smoke("openklant", args, smoke, need_wrk=False))
    else:
        sys.exit(main_inner(args)[0])


if __name__ == "__main__":
    main()
