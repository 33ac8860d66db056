"""Health checks, the request id, the line per request and its route name, the log formats
and the metrics listener, in-process (tests/test_observe_server.py runs the real server)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from conftest import BASE_URL, Auth, build_app, make_settings
from mijn.db import make_engine, make_sessionmaker
from mijn.envvalues import ConfigurationError
from mijn.migrate import upgrade
from mijn.observe.logs import REQUEST_ID, JsonFormatter, TextFormatter
from mijn.observe.metrics import Metrics
from mijn.telemetry import MAX_METRICS_WORKERS, TelemetrySettings, telemetry_settings


def _requests(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mijn.request"]


def test_live_and_its_older_name(client: TestClient) -> None:
    for path in ("/health", "/health/live"):
        response = client.get(path)
        assert (response.status_code, response.text) == (200, "ok")
        assert response.headers["cache-control"] == "no-store"


def test_ready_reports_each_check(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
    migrations = body["checks"]["migrations"]
    assert migrations["ok"] is True and migrations["revision"] == migrations["head"]


def test_health_checks_pass_by_sessions_and_csrf(client: TestClient) -> None:
    """An unknown session cookie is not looked up (nor cleared), no CSRF cookie is handed out;
    anything but GET and HEAD goes the usual way (a POST without a token: CSRF refuses it)."""
    client.cookies.set("mijn_session", "no-such-session")
    response = client.get("/health/ready")
    assert "set-cookie" not in response.headers
    assert "content-security-policy" not in response.headers
    assert client.head("/health/ready").status_code == 200
    assert client.post("/health/live").status_code == 403
    assert client.get("/").headers.get("set-cookie")  # elsewhere the middlewares do their work


def test_ready_is_503_when_the_migrations_are_behind(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.sqlite3'}"
    upgrade(url, "0012e")  # one before the head
    with TestClient(build_app(make_settings(url, tmp_path)), base_url=BASE_URL) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["revision"] == ["0012e"]


def test_ready_is_503_when_the_database_is_away(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing"
    with TestClient(build_app(make_settings(url, tmp_path)), base_url=BASE_URL) as client:
        response = client.get("/health/ready")
        assert client.get("/health/live").status_code == 200  # the process still answers
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "ConnectionRefusedError"}
    assert checks["migrations"]["ok"] is False


def test_request_id_from_the_proxy_or_new(client: TestClient) -> None:
    kept = client.get("/antwoorden", headers={"X-Request-ID": "f00d-1:2"})
    assert kept.headers["x-request-id"] == "f00d-1:2"
    for bad in ("", "a b", "x" * 129, "é".encode(), "a\"b"):
        made = client.get("/antwoorden", headers={"X-Request-ID": bad})
        assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != bad
    first, second = client.get("/nergens"), client.get("/nergens")
    assert first.status_code == 404
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_one_line_per_request_by_route_name(
    client: TestClient, auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mijn.request")
    auth.login("demo-jan")
    client.get("/mijn/dossiers/Z-9999-0001", headers={"X-Request-ID": "one"})
    client.post("/mijn/vragen", data={"body": "zonder token"})  # refused before routing
    client.get("/nergens/999990019")
    client.get("/static/css/mijn.css")
    lines = {(r.route, r.status): r for r in _requests(caplog)}  # type: ignore[attr-defined]
    detail = lines[("dossiers:detail", 404)]
    assert (detail.method, detail.request_id) == ("GET", "one")  # type: ignore[attr-defined]
    assert detail.levelno == logging.INFO and detail.duration_ms >= 0  # type: ignore[attr-defined]
    assert ("questions:ask", 403) in lines  # the CSRF check refused it: still named
    assert ("unmatched", 404) in lines
    assert lines[("static", 200)].levelno == logging.DEBUG
    assert ("dev-idp:authorize", 303) in lines  # inside the development provider's mount
    assert all("999990019" not in r.getMessage() for r in caplog.records)


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("mijn.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_and_text_lines() -> None:
    token = REQUEST_ID.set("r-1")
    try:
        line = JsonFormatter().format(_record("%d failed", 2, route="home", status=500))
        text = TextFormatter().format(_record("plain"))
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "2 failed" and entry["level"] == "warning"
    assert (entry["request_id"], entry["route"], entry["status"]) == ("r-1", "home", 500)
    assert entry["time"].endswith("Z") and "duration_ms" not in entry
    assert "WARNING mijn.test [r-1] plain" in text
    try:
        raise ValueError("boom")
    except ValueError:
        failed = _record("oops")
        failed.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(JsonFormatter().format(failed))["exception"]


def test_the_settings() -> None:
    assert telemetry_settings({}, production=False) == TelemetrySettings(None, "127.0.0.1", "text")
    assert telemetry_settings({}, production=True).log_format == "json"
    given = telemetry_settings({"MIJN_METRICS_PORT": "9464", "MIJN_LOG_FORMAT": "TEXT",
                                "MIJN_METRICS_HOST": "0.0.0.0"}, production=True)  # noqa: S104
    assert given == TelemetrySettings(9464, "0.0.0.0", "text")  # noqa: S104
    for env, named in (({"MIJN_LOG_FORMAT": "xml"}, "MIJN_LOG_FORMAT"),
                       ({"MIJN_METRICS_PORT": "0"}, "MIJN_METRICS_PORT"),
                       ({"MIJN_METRICS_PORT": "negen"}, "MIJN_METRICS_PORT")):
        with pytest.raises(ConfigurationError, match=named):
            telemetry_settings(env, production=False)


def test_a_worker_takes_the_next_free_metrics_port(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)

    async def scenario() -> tuple[int | None, int, str, str]:
        engine = make_engine(url)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            metrics = Metrics(TelemetrySettings(metrics_port=port), engine)
            async with metrics.listening(make_sessionmaker(engine)):
                metrics.record("home", "GET", 200, 0.01)
                async with httpx.AsyncClient() as http:
                    other = await http.get(f"http://127.0.0.1:{metrics.port}/")
                    scraped = await http.get(f"http://127.0.0.1:{metrics.port}/metrics")
        await engine.dispose()
        return metrics.port, port, other.text, scraped.text

    got, taken, other, scraped = asyncio.run(scenario())
    # The next free one: taken + 1, unless a parallel test's process holds that one too.
    assert got is not None and taken < got < taken + MAX_METRICS_WORKERS
    assert other.startswith("Not Found")
    assert 'http_server_request_duration_seconds_count{http_request_method="GET"' in scraped
    assert "mijn_queue_waiting" not in scraped  # only the first port reads the database


def test_the_handler_passes_ours_and_other_libraries_warnings_only() -> None:
    from mijn.observe.logs import StderrHandler, configure_logging

    configure_logging(TelemetrySettings(log_format="json"))
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h, StderrHandler)]
    made = [logging.LogRecord(name, level, __file__, 1, "m", (), None) for name, level in (
        ("mijn.request", logging.INFO), ("uvicorn.error", logging.INFO),
        ("mail.log", logging.INFO), ("httpx", logging.INFO), ("asyncpg", logging.WARNING))]
    assert [bool(handler.filter(record)) for record in made] == [True, True, False, False, True]


def test_a_failing_request_is_logged_as_500_and_keeps_its_id_for_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mijn.observe.requests import ObserveMiddleware

    async def failing(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    async def scenario() -> str | None:
        scope = {"type": "http", "method": "GET", "path": "/x", "root_path": "",
                 "headers": [(b"x-request-id", b"req-9")], "query_string": b""}
        with pytest.raises(RuntimeError):
            await ObserveMiddleware(failing)(scope, None, None)  # type: ignore[arg-type]
        return REQUEST_ID.get()  # as the server's "Exception in ASGI application" reads it

    caplog.set_level(logging.INFO, logger="mijn.request")
    assert asyncio.run(scenario()) == "req-9"
    [line] = _requests(caplog)
    assert (line.status, line.route, line.request_id) == (500, "unmatched", "req-9")  # type: ignore[attr-defined]


def test_the_worker_and_the_other_commands_log_in_the_configured_format(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`mijn worker` logs JSON lines like the server (it used to keep Python's defaults: plain
    text, and its info lines, such as claims returned to the queue, were lost)."""
    from mijn.cli import main

    monkeypatch.setenv("MIJN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}")
    monkeypatch.setenv("MIJN_LOG_FORMAT", "json")
    monkeypatch.delenv("MIJN_SMTP_URL", raising=False)
    assert main(["worker", "--once"]) == 2  # stops at once: no SMTP server configured
    # a warning: the level of Mijn's loggers follows uvicorn's, which other tests may change
    logging.getLogger("mijn.worker").warning("delivery round failed (test); again in 5 s")
    [line] = [line for line in capfd.readouterr().err.splitlines() if "(test)" in line]
    entry = json.loads(line)
    assert (entry["level"], entry["logger"]) == ("warning", "mijn.worker")
