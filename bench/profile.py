"""Where a dossier page's CPU goes, in one process (bench/README.md, "Where a dossier page's
time goes"): the bench app called through httpx's ASGI transport, no server and no wrk.

    .venv/bin/python -m bench.profile                      # CPU per request and statements
    .venv/bin/python -m bench.profile --profile detail     # and cProfile's top functions
    .venv/bin/python -m bench.profile --split              # the CPU of each step of a page
    .venv/bin/python -m bench.profile --smoke              # a small database of its own

Needs the seeded database of bench.seed (its sample of parties). Per route: 50 unmeasured
requests, then `--requests` measured ones over `--parties` logged-in parties, with CPU time
(time.process_time: other load on the machine does not count) and the statements each
request sent. The client's own work is included (the same for every route).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import inspect
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from jinja2 import Template
from sqlalchemy import event

from bench import DEFAULT_DATABASE_URL
from bench.app import TEMPLATE_ONLY_PATH, create_bench_app
from bench.common import (
    SECRET_KEY,
    UNLIMITED_RATES,
    SmokeResult,
    add_smoke_flag,
    check_seeded,
    run_smoke,
)
from bench.product import SessionsMiddleware, answer_reading, dossier_pages
from bench.run import Session, load_sample, login_all
from bench.seed import main_async as seed_main
from bench.seed import parse_args as seed_args
from bench.seed import sample_path

ROUTES: dict[str, Callable[[Session], str]] = {
    "template-only": lambda s: TEMPLATE_ONLY_PATH,
    "overview": lambda s: "/mijn/dossiers",
    "detail": lambda s: f"/mijn/dossiers/{s.references[0]}",
}


def _app(url: str) -> Any:
    """The bench app as bench.run serves it (its environment)."""
    os.environ.update({"MIJN_DATABASE_URL": url, "MIJN_ENV": "development",
                       "MIJN_SECRET_KEY": SECRET_KEY, **UNLIMITED_RATES})
    return create_bench_app()


# The steps of a dossier page that `--split` clocks: (where the name is looked up, name).
STEPS: dict[str, tuple[Any, str]] = {
    "session lookup (middleware)": (SessionsMiddleware, "_load"),
    "dossier statement and view": (dossier_pages, "_dossier"),
    "audit row": (dossier_pages, "record_access"),
    "render: context and template": (dossier_pages, "render"),
    "tailored answers": (answer_reading, "kept_for_dossier"),
}
# Always clocked: Jinja's Template.render (the page's template, its layout and macros), what
# of a request is its template and what is the rest.
TEMPLATE: dict[str, tuple[Any, str]] = {"template": (Template, "render")}


class StepClock:
    """The CPU time spent in each of these steps (label: (owner, name)) while on. Requests run
    one at a time, so the time between a step's start and end (its awaits included) is that
    step's own."""

    def __init__(self, steps: dict[str, tuple[Any, str]]) -> None:
        self.steps = steps
        self.spent = dict.fromkeys(steps, 0.0)
        self._originals = {label: getattr(*where) for label, where in steps.items()}

    def _timed(self, label: str, original: Any) -> Any:
        def note(start: float) -> None:
            self.spent[label] += time.process_time() - start

        if inspect.iscoroutinefunction(original):
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.process_time()
                try:
                    return await original(*args, **kwargs)
                finally:
                    note(start)
            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                note(start)
        return timed

    def __enter__(self) -> StepClock:
        for label, (owner, name) in self.steps.items():
            setattr(owner, name, self._timed(label, self._originals[label]))
        return self

    def __exit__(self, *_exc: object) -> None:
        for label, (owner, name) in self.steps.items():
            setattr(owner, name, self._originals[label])


async def _measure(app: Any, sessions: list[Session], route: str, n: int,
                   profile: cProfile.Profile | None, steps: StepClock | None = None
                   ) -> tuple[float, float, float]:
    path_of = ROUTES[route]
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        async def one(i: int) -> None:
            s = sessions[i % len(sessions)]
            r = await client.get(path_of(s), headers={"Cookie": s.cookie})
            if r.status_code != 200:
                raise SystemExit(f"profile: {route} gave {r.status_code}")
        for i in range(50):
            await one(i)
        statements[0] = 0
        start = time.process_time()
        if profile:
            profile.enable()
        with StepClock(TEMPLATE) as rendering, steps or contextlib.nullcontext():
            for i in range(n):
                await one(i)
        if profile:
            profile.disable()
        spent = time.process_time() - start
    event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
    return spent / n * 1000, statements[0] / n, rendering.spent["template"] / n * 1000


async def main(args: argparse.Namespace, sessions: list[Session]) -> None:
    app = _app(args.database_url)
    async with app.router.lifespan_context(app):
        for route in ROUTES:
            profile = cProfile.Profile(time.process_time) if route == args.profile else None
            steps = StepClock(STEPS) if args.split else None
            ms, per, render = await _measure(app, sessions, route, args.requests, profile, steps)
            print(f"{route:14} {ms:6.2f} ms CPU per request, of which the template "
                  f"{render:5.2f} ms and the rest {ms - render:5.2f} ms; {per:.1f} statements"
                  + (" (under cProfile: its own cost included)" if profile else ""))
            if steps:
                _print_steps(steps, ms, args.requests)
            if profile:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
                print(out.getvalue())


def _print_steps(steps: StepClock, total_ms: float, n: int) -> None:
    """Each step's CPU per request, and what is left: middleware, routing, the handler's own
    code, the event loop and the client."""
    clocked = 0.0
    for label, spent in steps.spent.items():
        if spent:
            clocked += spent / n * 1000
            print(f"    {label:32} {spent / n * 1000:5.2f} ms")
    print(f"    {'everything else':32} {total_ms - clocked:5.2f} ms")


def measure(args: argparse.Namespace) -> None:
    """Log in the parties, then measure (and profile) every route."""
    sample = load_sample(sample_path(args.database_url))
    chosen = random.Random(7).sample(sorted(sample), min(args.parties, len(sample)))
    sessions = [Session(party, sample[party]) for party in chosen]
    login_all(sessions, args.database_url)  # its own event loop
    asyncio.run(main(args, sessions))


def smoke(args: argparse.Namespace) -> SmokeResult:
    """A small seeded database, 20 measured requests per route, the detail page profiled."""
    asyncio.run(seed_main(seed_args(["--database-url", args.database_url, "--parties", "100",
                                     "--dossiers", "600", "--events", "2400",
                                     "--sample-parties", "50"])))
    asyncio.run(check_seeded(args.database_url, {"parties": 100, "dossiers": 600,
                                                 "status_events": 2400}, "profile"))
    args.requests, args.parties, args.profile, args.top, args.split = 20, 20, "detail", 5, True
    measure(args)  # a page that is not 200 ends it (SystemExit)
    return SmokeResult(0, {route: (50 + args.requests, 0) for route in ROUTES})


def cli(argv: list[str] | None = None) -> None:
    """Command-line options, then the run."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--parties", type=int, default=200)
    p.add_argument("--profile", choices=sorted(ROUTES), help="cProfile this route")
    p.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--split", action="store_true",
                   help="the CPU of each step of a page (session, statements, render)")
    add_smoke_flag(p)
    args = p.parse_args(argv)
    if args.smoke:
        sys.exit(run_smoke("profile", args, smoke, need_wrk=False))
    measure(args)


if __name__ == "__main__":
    cli(sys.argv[1:])
