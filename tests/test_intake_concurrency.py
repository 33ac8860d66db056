"""The intake API under concurrent load: a real server with two worker processes on PostgreSQL.

Back-office systems retry and fan out: the same PUT or status event may arrive many times at
once, on different workers, and events may arrive in any order. These tests send such bursts
to `uvicorn --workers 2` and check what ends up in the database:

- the same new dossier PUT 20 times at once: one 201, the rest 200, one row;
- the same status event POSTed 20 times at once: one 201, one row;
- 30 different events with shuffled times at once: the latest occurred_at is current.

SQLite is skipped: it is the single-process development database, not one that serves
several workers at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conftest import HIGH_RATE_LIMITS, TEST_POOL
from mijn import PROJECT_ROOT
from mijn.db import Base, make_engine, make_sessionmaker
from mijn.dossiers.models import Dossier, StatusEvent
from mijn.intake.service import create_api_client
from mijn.models import REFERENCE_TABLES, import_all

T = TypeVar("T")
SOURCE = "concurrency"
STATUSES = [f"stap-{n}" for n in range(6)]
TYPE = {
    "kind": "case", "name_nl": "Gelijktijdige aanvraag", "name_en": "Concurrent case",
    "statuses": [
        {"code": code, "label_nl": code.title(), "text_nl": f"Uw aanvraag is bij {code}.",
         "is_final": code == STATUSES[-1]}
        for code in STATUSES
    ],
}
STARTUP_SECONDS = 30.0


def dossier_body(n: int) -> dict[str, Any]:
    """A new dossier; with its own reference, as back-offices that number their cases send."""
    return {
        "party": {"type": "bsn", "id": "999990019"}, "dossier_type": "gelijktijdig",
        "title": f"Aanvraag {n}", "channel": "web", "department": "Vergunningen",
        "opened_on": "2026-03-01", "expected_end": "2026-04-01", "reference": f"CONC-{n}",
    }


def _run_sync(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine function to completion, in a thread if an event loop runs already."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(fn())  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fn()).result()  # type: ignore[arg-type]


def _db(database_url: str, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`fn(session)` on a fresh engine of its own (the server's engines live in its workers)."""

    async def call() -> T:
        engine = make_engine(database_url, pool_size=1, max_overflow=0)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await fn(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return _run_sync(call)


async def _wipe(session: AsyncSession) -> None:
    """Empty every table, as conftest._wipe does, so later tests find the database empty."""
    import_all()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            await session.execute(delete(table))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The running portal and what the tests need to talk to it."""

    base_url: str
    database_url: str
    token: str
    log: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _start(database_url: str, data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIJN_")}
    env |= HIGH_RATE_LIMITS | {
        "MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
        "MIJN_BASE_URL": base_url, "MIJN_ENV": "development",
        **TEST_POOL,  # 2 workers: at most 12 connections; a burst waits for a free one
    }
    command = [
        sys.executable, "-m", "uvicorn", "mijn.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    _stop(process)
    pytest.fail(f"uvicorn did not answer /health within {STARTUP_SECONDS} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`uvicorn --workers 2` on the session's PostgreSQL database, with an API token."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency needs PostgreSQL: SQLite serves one process, not 2 workers")
    data_dir = tmp_path_factory.mktemp("concurrency")
    log = data_dir / "uvicorn.log"

    async def make_token(session: AsyncSession) -> str:
        _client, token = await create_api_client(
            session, "concurrency-test", SOURCE, ["dossiers", "catalogue"]
        )
        return token

    token = _db(database_url, make_token)
    process: subprocess.Popen[bytes] | None = None
    try:
        process, base_url = _start(database_url, data_dir, log)
        server = Server(base_url, database_url, token, log)
        response = httpx.put(f"{base_url}/api/v1/dossier-types/gelijktijdig", json=TYPE,
                             headers=server.headers(), timeout=10.0)
        assert response.status_code == 204, response.text
        yield server
    finally:
        if process is not None:
            _stop(process)
        _db(database_url, _wipe)


async def _burst(server: Server, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send all requests at once, each on its own connection (so both workers get some)."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers(),
                                 limits=limits, timeout=60.0) as client:
        return list(await asyncio.gather(
            *(client.request(method, path, json=body) for method, path, body in requests)
        ))


def burst(server: Server, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    return _run_sync(lambda: _burst(server, requests))


def _describe(responses: list[httpx.Response]) -> str:
    return "\n".join(f"{r.status_code} {r.text[:300]}" for r in responses)


def test_the_same_new_dossier_put_at_once_is_created_once(server: Server) -> None:
    for n in range(5):
        external_id = f"gelijk-{n}"
        path = f"/api/v1/dossiers/{SOURCE}/{external_id}"
        responses = burst(server, [("PUT", path, dossier_body(n))] * 20)
        codes = [r.status_code for r in responses]
        assert set(codes) <= {200, 201}, f"dossier {n}:\n{_describe(responses)}\n{server.log_tail()}"
        assert codes.count(201) == 1, f"dossier {n}: {sorted(codes)}"
        assert {r.json()["reference"] for r in responses} == {f"CONC-{n}"}

        async def rows(session: AsyncSession, external_id: str = external_id) -> int:
            return int(await session.scalar(
                select(func.count()).select_from(Dossier)
                .where(Dossier.source == SOURCE, Dossier.external_id == external_id)
            ) or 0)

        assert _db(server.database_url, rows) == 1


def test_the_same_new_dossier_without_reference_put_at_once_is_created_once(server: Server) -> None:
    body = {k: v for k, v in dossier_body(99).items() if k != "reference"}
    path = f"/api/v1/dossiers/{SOURCE}/zonder-kenmerk"
    responses = burst(server, [("PUT", path, body)] * 20)
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 201}, f"{_describe(responses)}\n{server.log_tail()}"
    assert codes.count(201) == 1, sorted(codes)
    assert len({r.json()["reference"] for r in responses}) == 1

    async def rows(session: AsyncSession) -> int:
        return int(await session.scalar(
            select(func.count()).select_from(Dossier)
            .where(Dossier.source == SOURCE, Dossier.external_id == "zonder-kenmerk")
        ) or 0)

    assert _db(server.database_url, rows) == 1


def _dossier_id(server: Server, external_id: str) -> int:
    async def find(session: AsyncSession) -> int:
        found = await session.scalar(
            select(Dossier.id).where(Dossier.source == SOURCE, Dossier.external_id == external_id)
        )
        assert found is not None
        return int(found)

    return _db(server.database_url, find)


def _events(server: Server, dossier_id: int) -> list[tuple[str | None, datetime]]:
    async def find(session: AsyncSession) -> list[tuple[str | None, datetime]]:
        rows = await session.execute(
            select(StatusEvent.source_event_id, StatusEvent.occurred_at)
            .where(StatusEvent.dossier_id == dossier_id).order_by(StatusEvent.id)
        )
        return [(key, moment) for key, moment in rows.all()]

    return _db(server.database_url, find)


def test_the_same_status_event_posted_at_once_is_recorded_once(server: Server) -> None:
    path = f"/api/v1/dossiers/{SOURCE}/event-burst"
    created = httpx.put(f"{server.base_url}{path}", json=dossier_body(100),
                        headers=server.headers(), timeout=10.0)
    assert created.status_code == 201, created.text
    event = {"event_id": "evt-1", "status": STATUSES[1],
             "occurred_at": "2026-03-02T10:00:00+01:00", "explanation": "Eén keer."}
    responses = burst(server, [("POST", f"{path}/statuses", event)] * 20)
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 201}, f"{_describe(responses)}\n{server.log_tail()}"
    assert codes.count(201) == 1, sorted(codes)
    assert {r.json()["current_status"] for r in responses} == {STATUSES[1]}
    events = _events(server, _dossier_id(server, "event-burst"))
    assert [key for key, _moment in events] == [f"{SOURCE}:evt-1"]


def test_shuffled_events_at_once_leave_the_latest_current(server: Server) -> None:
    path = f"/api/v1/dossiers/{SOURCE}/shuffled"
    created = httpx.put(f"{server.base_url}{path}", json=dossier_body(101),
                        headers=server.headers(), timeout=10.0)
    assert created.status_code == 201, created.text
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rng = random.Random(20260302)
    events = []
    for n in range(30):
        # Never a final status; the latest in time has a status no other event has.
        code = STATUSES[4] if n == 29 else rng.choice(STATUSES[:4])
        moment = start + timedelta(minutes=17 * n + rng.randrange(10))
        events.append({"event_id": f"shuffled-{n}", "status": code,
                       "occurred_at": moment.isoformat(), "explanation": f"Stap {n}"})
    rng.shuffle(events)
    latest = max(events, key=lambda e: datetime.fromisoformat(e["occurred_at"]))
    # The latest event must not be the last one sent, or arrival order would pass by chance.
    assert events[-1] is not latest
    responses = burst(server, [("POST", f"{path}/statuses", e) for e in events])
    assert [r.status_code for r in responses] == [201] * 30, (
        f"{_describe(responses)}\n{server.log_tail()}"
    )

    dossier = httpx.get(f"{server.base_url}{path}", headers=server.headers(), timeout=10.0)
    assert dossier.status_code == 200
    assert dossier.json()["current_status"] == latest["status"]
    assert dossier.json()["closed_on"] is None
    recorded = _events(server, _dossier_id(server, "shuffled"))
    assert len(recorded) == 30
    assert {key for key, _moment in recorded} == {f"{SOURCE}:{e['event_id']}" for e in events}

    async def current(session: AsyncSession) -> datetime | None:
        return await session.scalar(
            select(Dossier.status_changed_at)
            .where(Dossier.source == SOURCE, Dossier.external_id == "shuffled")
        )

    assert _db(server.database_url, current) == datetime.fromisoformat(latest["occurred_at"])
