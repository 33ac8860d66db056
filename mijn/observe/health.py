"""Health checks for load balancers and orchestrators: /health/live (the process answers) and
/health/ready (the database answers and its migrations are at the head: JSON with each check;
503 when not ready). /health is /health/live under its older name.

Once `mijn serve` is told to stop (SIGTERM), /health/ready answers 503 `{"status": "draining"}`
for the drain period (mijn/serving.py) while the instance still serves: the load balancer
takes it out on its health check before the listener closes.

They are answered by the outermost middleware (mijn/observe/requests.py), before sessions,
CSRF, audit and rate limits: a load balancer asking every few seconds touches none of them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mijn.migrate import alembic_config

CHECK_TIMEOUT = 3.0  # seconds: a database that takes longer is not ready for visitors
NO_STORE = {"Cache-Control": "no-store"}
_HEADS: list[tuple[str, ...]] = []  # the migrations' head(s), read once per process
_DRAINING: set[str] = set()  # holds "draining" once this process is stopping


def start_draining() -> None:
    """From now on this process is stopping: /health/ready answers 503 "draining"."""
    _DRAINING.add("draining")


def draining() -> bool:
    """Whether this process is stopping (start_draining was called)."""
    return bool(_DRAINING)


async def live(request: Request) -> Response:
    """The process answers."""
    return PlainTextResponse("ok", headers=NO_STORE)


def migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations this code brings (read from migrations/)."""
    if not _HEADS:
        script = ScriptDirectory.from_config(alembic_config(""))
        _HEADS.append(tuple(sorted(script.get_heads())))
    return _HEADS[0]


async def _check_database(engine: AsyncEngine) -> tuple[dict[str, Any], dict[str, Any]]:
    """The database check (reachable, how fast) and the migrations check (at the head)."""
    started = time.perf_counter()
    heads = _HEADS[0] if _HEADS else await asyncio.to_thread(migration_heads)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            current = tuple(sorted(row[0] for row in rows))
    except Exception as exc:  # whatever it is, the database cannot serve: not ready
        failed = {"ok": False, "error": type(exc).__name__}
        return failed, {"ok": False, "error": "database not reachable", "head": list(heads)}
    database = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    migrations = {"ok": current == heads, "revision": list(current), "head": list(heads)}
    return database, migrations


async def ready(request: Request) -> Response:
    """Ready for visitors: the database answers and is migrated to this code's head, and the
    process is not stopping."""
    if draining():
        return JSONResponse({"status": "draining"}, status_code=503, headers=NO_STORE)
    database, migrations = await _check_database(request.app.state.engine)
    ok = database["ok"] and migrations["ok"]
    body = {"status": "ready" if ok else "not ready",
            "checks": {"database": database, "migrations": migrations}}
    return JSONResponse(body, status_code=200 if ok else 503, headers=NO_STORE)


routes = [
    Route("/health", live, name="health"),
    Route("/health/live", live, name="health:live"),
    Route("/health/ready", ready, name="health:ready"),
]
PATHS = frozenset(route.path for route in routes)
