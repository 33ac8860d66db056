"""CPU per request of the observability middleware (mijn/observe/requests.py), in-process.

    PYTHONPATH=. .venv/bin/python -m bench.observe [--requests N] [--pages N]

Measured with time.process_time() (this process only, so other work on the machine disturbs
it little), each variant in several alternating rounds, the fastest round counted:
- around an ASGI app that answers at once (the middleware's own cost): without it; with it,
  log lines off; with text and with JSON lines (to /dev/null); with JSON lines and metrics;
- the whole portal (SQLite, in-process) serving GET /antwoorden with and without it.
Not part of the smoke runs (tests/test_bench_smoke.py): it starts no server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mijn.app import create_app
from mijn.db import make_engine
from mijn.migrate import upgrade
from mijn.observe.logs import configure_logging
from mijn.observe.metrics import Metrics
from mijn.observe.requests import ObserveMiddleware
from mijn.settings import load_settings
from mijn.telemetry import TelemetrySettings

ROUTE = Route("/antwoorden", lambda request: None, name="answers:search")
HEADERS = [(b"host", b"mijn.example"), (b"user-agent", b"Mozilla/5.0"), (b"accept", b"*/*"),
           (b"accept-language", b"nl"), (b"cookie", b"mijn_csrf=abc; mijn_session=def"),
           (b"x-forwarded-for", b"10.0.0.1"), (b"connection", b"keep-alive")]


async def answer_at_once(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that costs nothing: the route is known, the answer is short."""
    scope["route"] = ROUTE
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _receive() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: object) -> None:
    pass


async def _cpu(app: ASGIApp, requests: int) -> float:
    """CPU seconds per request of `requests` calls."""
    started = time.process_time()
    for _ in range(requests):
        scope = {"type": "http", "method": "GET", "path": "/antwoorden", "root_path": "",
                 "headers": HEADERS, "query_string": b"q=afval"}
        await app(scope, _receive, _send)
    return (time.process_time() - started) / requests


@contextlib.contextmanager
def _logging(level: int, log_format: str) -> Iterator[None]:
    configure_logging(TelemetrySettings(log_format=log_format))
    logging.getLogger("mijn").setLevel(level)
    saved, sys.stderr = sys.stderr, open(os.devnull, "w")  # noqa: SIM115
    try:
        yield
    finally:
        sys.stderr.close()
        sys.stderr = saved


async def middleware_alone(requests: int, rounds: int) -> dict[str, float]:
    """The middleware's cost around an app that answers at once, per variant (µs)."""
    engine = make_engine("sqlite+aiosqlite:///:memory:")
    metrics = Metrics(TelemetrySettings(metrics_port=9464), engine)
    variants: dict[str, tuple[ASGIApp, int, str]] = {
        "without": (answer_at_once, logging.INFO, "text"),
        "log off": (ObserveMiddleware(answer_at_once), logging.WARNING, "text"),
        "text log": (ObserveMiddleware(answer_at_once), logging.INFO, "text"),
        "JSON log": (ObserveMiddleware(answer_at_once), logging.INFO, "json"),
        "JSON log + metrics": (ObserveMiddleware(answer_at_once, metrics), logging.INFO, "json"),
    }
    best = {name: float("inf") for name in variants}
    for _ in range(rounds):
        for name, (app, level, log_format) in variants.items():
            with _logging(level, log_format):
                best[name] = min(best[name], await _cpu(app, requests))
    await engine.dispose()
    return {name: seconds * 1e6 for name, seconds in best.items()}


def whole_page(pages: int, rounds: int, path: str) -> dict[str, float]:
    """CPU per GET of a page of the whole portal, with and without the middleware (ms)."""
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    env = {"MIJN_DATABASE_URL": url, "MIJN_DATA_DIR": str(folder), "MIJN_LOG_FORMAT": "json",
           "MIJN_RATE_SEARCH": "off"}  # no 429s (and no counting statements)
    apps = {"with": create_app(load_settings(env)), "without": create_app(load_settings(env))}
    apps["without"].user_middleware = [
        m for m in apps["without"].user_middleware
        if getattr(m, "cls", None) is not ObserveMiddleware
    ]
    apps["without"].middleware_stack = None  # built again, without it

    async def run(app: ASGIApp) -> float:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://mijn.example") as client:
            for _ in range(5):
                assert (await client.get(path)).status_code == 200
            started = time.process_time()
            for _ in range(pages):
                await client.get(path)
            return (time.process_time() - started) / pages

    best = {name: float("inf") for name in apps}
    for turn in range(rounds):
        for name, app in sorted(apps.items(), reverse=turn % 2 == 1):  # either goes first
            with _logging(logging.INFO, "json"):
                best[name] = min(best[name], asyncio.run(run(app)))
    return {name: seconds * 1e3 for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    alone = asyncio.run(middleware_alone(args.requests, args.rounds))
    for name, micros in alone.items():
        extra = micros - alone["without"]
        print(f"around an empty app, {name:>20}: {micros:6.1f} µs CPU/request "
              f"({extra:+.1f} µs)")
    for path in ("/over/privacy", "/antwoorden?q=afval"):  # no database; the search's queries
        found = whole_page(args.pages, args.rounds, path)
        print(f"GET {path}, whole portal: {found['without']:.3f} ms CPU without, "
              f"{found['with']:.3f} ms with the middleware (JSON log, metrics off)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
