"""The `mijn` command (README.md, "Commands"), run as an administrator would."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import BASE_URL, Runner
from mijn import cli
from mijn.dossiers.models import Dossier
from mijn.migrate import upgrade
from mijn.parties.models import Party
from mijn.staff.models import StaffMember

ROOT = Path(__file__).resolve().parent.parent
ZGW_ENV = {
    "MIJN_ZGW_NOTIFICATIONS_TOKEN": "n" * 32, "MIJN_ZGW_ZAKEN_URL": "http://127.0.0.1:9/zaken",
    "MIJN_ZGW_CATALOGI_URL": "http://127.0.0.1:9/catalogi", "MIJN_ZGW_CLIENT_ID": "mijn",
    "MIJN_ZGW_SECRET": "s" * 32,
}


@dataclass
class Done:
    """What a command returned and printed."""

    code: int
    out: str
    err: str


Mijn = Callable[..., Done]


@pytest.fixture
def mijn(
    client: TestClient, database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Mijn:
    """`mijn ARGS...` on the current backend's database (emptied after the test)."""
    for key in os.environ:
        if key.startswith("MIJN_"):
            monkeypatch.delenv(key)
    for key, value in _env(database_url, data_dir).items():
        monkeypatch.setenv(key, value)

    def run(*argv: str) -> Done:
        capsys.readouterr()
        code = cli.main(list(argv))
        printed = capsys.readouterr()
        return Done(code, printed.out, printed.err)

    return run


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {"MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
            "MIJN_BASE_URL": BASE_URL, "MIJN_ENV": "development"}


def _ping(client: TestClient, token: str) -> int:
    response = client.get("/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
    status: int = response.status_code
    return status


def test_an_api_client_is_created_listed_and_revoked(mijn: Mijn, client: TestClient) -> None:
    assert "No API clients yet" in mijn("api-client", "list").err
    done = mijn("api-client", "create", "zaaksysteem", "--source", "bron-a",
                "--scope", "dossiers", "--scope", "mandates")
    assert done.code == 0 and "shown only now" in done.err
    token = done.out.strip()
    assert _ping(client, token) == 200
    assert mijn("api-client", "list").out == (
        "zaaksysteem\tsource=bron-a\tscopes=dossiers mandates\tactive\n")

    done = mijn("api-client", "revoke", "zaaksysteem")
    assert done.code == 0 and "no longer works" in done.err
    assert _ping(client, token) == 401
    assert "\trevoked 20" in mijn("api-client", "list").out
    again = mijn("api-client", "revoke", "zaaksysteem")
    assert again.code == 1 and "no active API client named 'zaaksysteem'" in again.err


@pytest.mark.parametrize(("argv", "message"), [
    (["--source", "bron-a", "--scope", "everything"], "unknown scope 'everything'; known: dossiers, catalogue, mandates"),
    (["--source", "zgw"], "source 'zgw' is reserved for Mijn itself"),
    (["--source", "bron-a"], "an API client named 'koppeling' exists already"),
])
def test_api_client_create_refuses_with_the_reason(
    mijn: Mijn, argv: list[str], message: str
) -> None:
    if "exists" in message:
        assert mijn("api-client", "create", "koppeling", "--source", "bron-b").code == 0
    done = mijn("api-client", "create", "koppeling", *argv)
    assert (done.code, done.out) == (2, "")
    assert done.err == f"mijn: {message}\n"


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    parties = await session.scalar(select(func.count()).select_from(Party))
    dossiers = await session.scalar(select(func.count()).select_from(Dossier))
    staff = await session.scalar(select(func.count()).select_from(StaffMember))
    return parties or 0, dossiers or 0, staff or 0


def test_demo_loads_the_demo_data_once(mijn: Mijn, run: Runner) -> None:
    assert mijn("demo").code == 0
    first = run(_counts)
    assert all(first)  # people, their dossiers and the KCC's staff
    assert mijn("demo").code == 0
    assert run(_counts) == first


def test_db_upgrade_says_where_the_database_is(mijn: Mijn) -> None:
    done = mijn("db", "upgrade")  # the test database is at head already: nothing to do
    assert (done.code, done.err) == (0, "Database is at revision head.\n")


def test_db_upgrade_builds_a_new_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.sqlite3"
    for key, value in _env(f"sqlite+aiosqlite:///{path}", tmp_path).items():
        monkeypatch.setenv(key, value)
    assert cli.main(["db", "upgrade"]) == 0
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert {"alembic_version", "parties", "dossiers", "web_sessions"} <= tables


def test_sessions_revoke_says_how_many_ended(mijn: Mijn) -> None:
    done = mijn("sessions", "revoke", "--party", "424242")
    assert (done.code, done.out) == (0, "0 session(s) of party 424242 ended.\n")
    done = mijn("sessions", "revoke", "--staff", "424242")
    assert done.out == "0 session(s) of staff member 424242 ended.\n"


@pytest.mark.parametrize("argv", [["sessions", "revoke"],
                                  ["sessions", "revoke", "--party", "1", "--staff", "2"]])
def test_sessions_revoke_needs_exactly_one_whose(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert "--party" in capsys.readouterr().err


def test_zgw_retry_without_zgw_says_what_to_set(mijn: Mijn) -> None:
    done = mijn("zgw", "retry")
    assert done.code == 2
    assert "ZGW is not configured: set MIJN_ZGW_NOTIFICATIONS_TOKEN" in done.err


def test_a_command_refuses_a_production_configuration_with_development_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in os.environ:
        if key.startswith("MIJN_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MIJN_ENV", "production")
    monkeypatch.setenv("MIJN_DATA_DIR", str(tmp_path))
    assert cli.main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mijn: ") and "MIJN_SECRET_KEY" in err
    assert not (tmp_path / "mijn.sqlite3").exists()  # refused before touching a database


# --- as separate processes, as they run in production -----------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def process_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `mijn` process on a new SQLite file (the embedded default)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIJN_")}
    env.update(_env(f"sqlite+aiosqlite:///{tmp_path / 'mijn.sqlite3'}", tmp_path))
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class Started:
    """A `mijn` process and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def start(process_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """Start `mijn ARGS...` as its own process; stopped after the test."""
    started: list[Started] = []

    def begin(*argv: str) -> Started:
        log = tmp_path / f"mijn-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "mijn.cli", *argv], cwd=ROOT, env=process_env,
                stdout=out, stderr=subprocess.STDOUT,
            )
        started.append(Started(process, log))
        return started[-1]

    yield begin
    for each in started:
        if each.process.poll() is None:
            each.process.terminate()
            each.process.wait(timeout=20)


def _wait_for(check: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"not within 30 s; the process logged:\n{log.read_text()}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_migrates_a_new_sqlite_database_and_serves(
    start: Callable[..., Started], tmp_path: Path
) -> None:
    # Several workers (--workers 2) run in the benchmarks' smoke runs (tests/test_bench_smoke.py).
    port = str(_free_port())
    server = start("serve", "--port", port, "--log-level", "warning")
    url = f"http://127.0.0.1:{port}"
    _wait_for(lambda: _healthy(url), server.log)
    assert f"Mijn runs on {url} (stop with Ctrl+C)" in server.log.read_text()
    assert httpx.get(f"{url}/antwoorden", timeout=10).status_code == 200  # its tables are there
    with sqlite3.connect(tmp_path / "mijn.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    server.process.terminate()
    # uvicorn shuts down and then ends itself with the signal it was stopped with.
    assert server.process.wait(timeout=20) == -signal.SIGTERM


def test_zgw_retry_loop_runs_until_stopped(
    start: Callable[..., Started], process_env: dict[str, str]
) -> None:
    process_env.update(ZGW_ENV)
    upgrade(process_env["MIJN_DATABASE_URL"])
    worker = start("zgw", "retry", "--loop", "--interval", "0.1")
    _wait_for(lambda: "Retrying ZGW notifications every 0.1 s (stop with Ctrl+C)"
              in worker.log.read_text(), worker.log)
    time.sleep(1)  # a few rounds with nothing to do: they say nothing
    worker.process.send_signal(signal.SIGINT)
    assert worker.process.wait(timeout=20) == 0
    assert worker.log.read_text().splitlines()[-1] == "Stopped."
    assert "failed" not in worker.log.read_text()
