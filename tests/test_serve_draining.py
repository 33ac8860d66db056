"""Graceful shutdown as the load balancer sees it: `mijn serve --workers 2` told to stop
(SIGTERM) while a slow request is in flight.

The request is slow for real: a transaction of the test's own holds a lock on the answers
table, so the public answers page waits in PostgreSQL. After SIGTERM the instance drains:
/health/ready answers 503 `{"status": "draining"}` (what HAProxy checks, deploy/haproxy.cfg)
while it still accepts connections; then the listener closes; the request in flight still
gets its 200 once the lock is released, and the server exits cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from conftest import POSTGRES_URL, TEST_POOL
from mijn import PROJECT_ROOT
from mijn.dev.cluster import free_port, wait_http
from mijn.migrate import upgrade

DRAIN_SECONDS = 2.0


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A migrated PostgreSQL database of its own: its SQLAlchemy URL and its DSN."""
    name = f"mijn_drain_{uuid.uuid4().hex[:12]}"
    admin = f"{POSTGRES_URL}/postgres"
    asyncio.run(_execute(admin, f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        upgrade(url)
        yield url, f"{POSTGRES_URL}/{name}"
    finally:
        asyncio.run(_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"not within {seconds:g} s: {what}")


async def _ready(url: str) -> httpx.Response | None:
    """/health/ready on a connection of its own; None when the listener refuses it, or
    closes with the connection still in its queue (accepted by the kernel, never by the
    server: it is reset without an answer, as a load balancer's check then sees it)."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.get(f"{url}/health/ready")
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


async def _scenario(process: subprocess.Popen[bytes], url: str, dsn: str) -> list[object]:
    """What the test observes, in order: the slow request's status code at the end."""
    seen: list[object] = []
    lock = await asyncpg.connect(dsn)
    async with httpx.AsyncClient(timeout=60) as client:
        # both workers warm first (templates compiled, a connection in the pool): a busy
        # machine otherwise spends the waiting time below on a worker's first page
        warm = await asyncio.gather(*(client.get(f"{url}/antwoorden") for _ in range(8)))
        assert [r.status_code for r in warm] == [200] * 8
        transaction = lock.transaction()
        await transaction.start()
        await lock.execute("LOCK TABLE answers IN ACCESS EXCLUSIVE MODE")
        slow = asyncio.create_task(client.get(f"{url}/antwoorden"))

        async def waiting() -> bool:
            return bool(await lock.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))

        await _until(waiting, 60, "the answers page waits for the lock")
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()

        async def draining() -> bool:
            answer = await _ready(url)
            return answer is not None and answer.status_code == 503

        await _until(draining, DRAIN_SECONDS, "/health/ready says 503")
        answer = await _ready(url)
        seen.append(None if answer is None else (answer.status_code, answer.json()))

        async def closed() -> bool:
            return await _ready(url) is None

        await _until(closed, DRAIN_SECONDS + 10, "the listener closes")
        seen.append(time.monotonic() - started >= DRAIN_SECONDS * 0.9)
        seen.append(slow.done())
        await transaction.rollback()
        seen.append((await slow).status_code)
    await lock.close()
    return seen


def test_sigterm_drains_ready_says_so_and_the_request_in_flight_completes(
    database: tuple[str, str], tmp_path: Path
) -> None:
    url_db, dsn = database
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MIJN_")}, **TEST_POOL,
           "MIJN_DATABASE_URL": url_db, "MIJN_DATA_DIR": str(tmp_path), "MIJN_BASE_URL": url,
           "MIJN_ENV": "development", "PYTHONPATH": str(PROJECT_ROOT)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "mijn.cli", "serve", "--port", str(port), "--workers", "2",
             "--drain-seconds", str(DRAIN_SECONDS), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(f"{url}/health/ready", process, log.read_text)
        seen = asyncio.run(_scenario(process, url, dsn))
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    draining, drained_long_enough, finished_early, status = seen
    assert draining == (503, {"status": "draining"}), log.read_text()
    assert drained_long_enough  # it kept its listener for the drain period
    assert not finished_early  # the request was still in flight when the listener closed
    assert status == 200, log.read_text()
