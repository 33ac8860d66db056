"""Shared fixtures: every test that uses a database runs on SQLite and on PostgreSQL.

- `database_url`: a migrated database per backend (PostgreSQL: created and dropped here).
- `app` / `client`: the portal on that database; the portal's own HTTP calls (to the
  built-in development provider) go through ASGI, so no server is needed.
- `auth`: logs a demo persona in through the real OIDC flow of the development provider.
- `run`: runs a coroutine function with a database session on the app's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import asyncpg
import httpx
import pytest
from demo_snapshot import demo_data
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mijn.app import create_app
from mijn.db import Base
from mijn.migrate import upgrade
from mijn.models import REFERENCE_TABLES, import_all
from mijn.settings import RATE_LIMIT_DEFAULTS, Settings, load_settings

T = TypeVar("T")
BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL = os.environ.get("MIJN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
BASE_URL = "http://testserver"


async def _postgres(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# The PostgreSQL server is shared with other jobs: every portal a test starts keeps at most
# this many connections (a pool of 2, up to 4 more while requests overlap), and the whole
# run must stay under MAX_CONNECTIONS to its database at once (measured: PeakMeter).
TEST_POOL = {"MIJN_DATABASE_POOL_SIZE": "2", "MIJN_DATABASE_MAX_OVERFLOW": "4"}
MAX_CONNECTIONS = 40


class PeakMeter:
    """Counts the connections to one database, every 20 ms in a thread of its own (and its
    own connection, not counted), and keeps the highest count seen."""

    def __init__(self, name: str) -> None:
        self.name, self.peak, self.error = name, 0, ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._watch(),), daemon=True)

    def __enter__(self) -> PeakMeter:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    async def _watch(self) -> None:
        try:
            connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
        except (OSError, asyncpg.PostgresError) as exc:
            self.error = str(exc)
            return
        try:
            while not self._stop.is_set():
                count = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", self.name
                )
                self.peak = max(self.peak, int(count))
                await asyncio.sleep(0.02)
        finally:
            await connection.close()


METERS: list[PeakMeter] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Says how many PostgreSQL connections the run held at most (a shared server)."""
    for meter in METERS:
        over = meter.peak > MAX_CONNECTIONS
        terminalreporter.write_line(
            f"PostgreSQL: at most {meter.peak} connections to the test database at once "
            f"(limit {MAX_CONNECTIONS}){'; not measured: ' + meter.error if meter.error else ''}"
            f"{': too many for a shared server, the run fails' if over else ''}", red=over,
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A run that held more connections than its share of the shared server fails. A
    pytest-xdist worker under coverage saves its measurement now: the worker may be ended
    without running its exit handlers, which lost a worker's data (scripts/test.sh)."""
    if any(meter.peak > MAX_CONNECTIONS for meter in METERS) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if hasattr(session.config, "workerinput"):
        import coverage

        measuring = coverage.Coverage.current()
        if measuring is not None:
            measuring.stop()
            measuring.save()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database of one backend, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'mijn.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"mijn_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is needed for the tests: {exc}")
    url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    with PeakMeter(name) as meter:
        METERS.append(meter)
        upgrade(url)
        yield url
    asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the development provider keeps its key during the tests."""
    return tmp_path_factory.mktemp("data")


# Rate limits so high that no test meets them, except the tests marked `rate_limits` (the
# rules still count: every test runs their statements).
HIGH_RATE_LIMITS = {f"MIJN_RATE_{name}": "1000000/1m" for name in RATE_LIMIT_DEFAULTS}
# The limits as configured by default (for tests marked rate_limits), as overrides.
CONFIGURED_RATE_LIMITS = {f"MIJN_RATE_{name}": value for name, value in RATE_LIMIT_DEFAULTS.items()}


def make_settings(database_url: str, data_dir: Path, **overrides: str) -> Settings:
    """Settings as the environment would give them, for tests (very high rate limits unless
    overridden, e.g. with **CONFIGURED_RATE_LIMITS)."""
    env = {
        **HIGH_RATE_LIMITS,
        "MIJN_DATABASE_URL": database_url,
        "MIJN_DATA_DIR": str(data_dir),
        "MIJN_BASE_URL": BASE_URL,
        "MIJN_ENV": "development",
        **TEST_POOL,
        **overrides,
    }
    return load_settings(env)


def rate_overrides(request: pytest.FixtureRequest) -> dict[str, str]:
    """The configured limits for a test marked `rate_limits`, else none (very high ones)."""
    marked = request.node.get_closest_marker("rate_limits") is not None
    return CONFIGURED_RATE_LIMITS if marked else {}


class _SelfTransport(httpx.AsyncBaseTransport):
    """Routes the portal's outgoing HTTP to its own ASGI app (the dev provider)."""

    def __init__(self) -> None:
        self.app: Starlette | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


def build_app(settings: Settings) -> Starlette:
    """The portal with its own HTTP calls routed in-process."""
    transport = _SelfTransport()
    app = create_app(settings, http_transport=transport)
    transport.app = app
    return app


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, data_dir: Path) -> Settings:
    """Test settings on the current backend (very high rate limits unless marked)."""
    return make_settings(database_url, data_dir, **rate_overrides(request))


@pytest.fixture
def app(settings: Settings) -> Starlette:
    """The portal."""
    return build_app(settings)


async def _wipe(app: Starlette) -> None:
    import_all()
    async with app.state.sessionmaker() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                await session.execute(delete(table))
        await session.commit()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """A browser-like client; the database is emptied after the test."""
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        assert test_client.portal is not None  # the client's event loop, started on entering
        try:
            yield test_client
        finally:
            test_client.portal.call(_wipe, app)


@pytest.fixture
def client_with(
    request: pytest.FixtureRequest, database_url: str, data_dir: Path
) -> Iterator[Callable[..., Any]]:
    """Clients of portals with other settings (MIJN_* overrides); emptied afterwards."""
    stack = contextlib.ExitStack()

    def make(**overrides: str) -> TestClient:
        app = build_app(make_settings(database_url, data_dir,
                                      **{**rate_overrides(request), **overrides}))
        test_client = stack.enter_context(
            TestClient(app, base_url=BASE_URL, follow_redirects=False)
        )
        assert test_client.portal is not None  # the client's event loop, started on entering
        stack.callback(test_client.portal.call, _wipe, app)
        return test_client

    with stack:
        yield make


def steady_clock(client: TestClient) -> None:
    """Hold the portal's rate-limit clock (app.state.clock) still, in the middle of today:
    the limits count in fixed windows (10 minutes, an hour, a day) that start again at their
    end, and a test that crossed one would see its count start again."""
    moment = float(int(time.time()) // 86400 * 86400 + 43200 + 300)
    client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


Runner = Callable[..., Any]


@pytest.fixture
def run(client: TestClient, app: Starlette) -> Runner:
    """Run `fn(session, *args)` on the app's event loop with a fresh session; commits after."""

    async def _call(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        session: AsyncSession
        async with app.state.sessionmaker() as session:
            result = await fn(session, *args)
            await session.commit()
            return result

    def runner(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        assert client.portal is not None  # the client fixture is inside its `with` block
        return cast(T, client.portal.call(_call, fn, *args))  # Any: `*args` defeats the inference

    return runner


@pytest.fixture
def demo(run: Runner, settings: Settings) -> None:
    """The demo data: Jan (many dossiers, three questions), Fatima, Sanne (none), a business,
    and the demo staff with their teams (seeded once per database, then restored: see
    tests/demo_snapshot.py)."""
    run(demo_data, settings.database_url, settings)


def form_fields(page: str) -> dict[str, str]:
    """The named input values of a page's forms (hidden fields included)."""
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }


class Auth:
    """Logs in and out through the real flow of the development provider."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def login(
        self, persona: str = "demo-jan", next_url: str = "/mijn/dossiers", audience: str = "citizen",
        level: str | None = None,
    ) -> httpx.Response:
        """Log in as a demo persona (at the persona's usual level of assurance, or at least at
        `level`: "substantieel", "hoog", as a step-up asks); returns the final redirect."""
        params = {"next": next_url, **({"niveau": level} if level else {})}
        path = "/kcc/auth/login" if audience == "staff" else f"/auth/{audience}/login"
        start = self.client.get(path, params=params)
        assert start.status_code == 303, start.text
        page = self.client.get(start.headers["location"])
        assert page.status_code == 200, page.text
        fields = form_fields(page.text)
        fields["persona"] = persona
        back = self.client.post("/dev-idp/authorize", data=fields)
        assert back.status_code == 303, back.text
        done: httpx.Response = self.client.get(back.headers["location"])
        assert done.status_code == 303, done.text
        return done

    def login_staff(self, persona: str = "demo-agent", next_url: str = "/kcc") -> httpx.Response:
        """Log in as a demo staff member (agent, specialist or lead) into the staff session."""
        return self.login(persona, next_url, audience="staff")

    def csrf(self) -> str:
        """A valid CSRF token for this client's cookie (read from a page, as a browser would)."""
        page = self.client.get("/")
        return form_fields(page.text)["csrf_token"]

    def logout(self) -> httpx.Response:
        """Log out with the header form."""
        response: httpx.Response = self.client.post("/uitloggen", data={"csrf_token": self.csrf()})
        return response


@pytest.fixture
def auth(client: TestClient) -> Auth:
    """Login helper for the test client."""
    return Auth(client)
