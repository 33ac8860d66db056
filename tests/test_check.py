"""`mijn check` against real servers on 127.0.0.1: aiosmtpd, an HTTP server with an OIDC
discovery document and two ZGW API roots, a closed port and a port that never answers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from alembic.script import ScriptDirectory

from mijn import cli
from mijn.migrate import alembic_config

ZGW_SECRET = "s" * 32


class _Handler(BaseHTTPRequestHandler):
    """/oidc: a provider's discovery document; /zaken: an API root; /catalogi: refuses."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        _host, port = cast(tuple[str, int], self.server.server_address)
        base = f"http://127.0.0.1:{port}"
        if self.path == "/oidc/.well-known/openid-configuration":
            self._json(200, {"issuer": f"{base}/oidc", "jwks_uri": f"{base}/oidc/jwks",
                             "authorization_endpoint": f"{base}/oidc/auth",
                             "token_endpoint": f"{base}/oidc/token"})
        elif self.path == "/wrong/.well-known/openid-configuration":
            self._json(200, {"issuer": "https://elsewhere.example"})
        elif self.path.startswith("/broken"):
            self._json(500, {"detail": "kapot"})
        elif self.path.startswith("/zaken"):
            bearer = self.headers.get("Authorization", "").startswith("Bearer ey")
            self._json(200 if bearer else 401, {"zaken": f"{base}/zaken/zaken"})
        else:
            self._json(403, {"detail": "geen rechten"})

    def _json(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    """The HTTP server's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[str]:
    """A real SMTP server (aiosmtpd)."""
    port = _free_port()
    controller = Controller(object(), hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def _check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
           env: dict[str, str], timeout: str = "2") -> tuple[int, str]:
    import os

    for key in os.environ:
        if key.startswith("MIJN_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = cli.main(["check", "--timeout", timeout])
    return code, capsys.readouterr().out


def _env(database_url: str, data_dir: Path, web: str, smtp: str) -> dict[str, str]:
    return {
        "MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
        "MIJN_SMTP_URL": smtp, "MIJN_OIDC_CITIZEN_ISSUER": f"{web}/oidc",
        "MIJN_ZGW_NOTIFICATIONS_TOKEN": "n" * 32, "MIJN_ZGW_ZAKEN_URL": f"{web}/zaken",
        "MIJN_ZGW_CATALOGI_URL": f"{web}/catalogi", "MIJN_ZGW_CLIENT_ID": "mijn",
        "MIJN_ZGW_SECRET": ZGW_SECRET,
    }


def _line(out: str, name: str) -> str:
    found = [line for line in out.splitlines() if line[6:].startswith(f"{name} ")]
    assert len(found) == 1, out
    return found[0]


def test_everything_reachable_passes_but_a_refusing_api(
    database_url: str, data_dir: Path, web: str, smtp: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _check(monkeypatch, capsys, _env(database_url, data_dir, web, smtp))
    assert _line(out, "configuration").startswith("ok    configuration   MIJN_ENV=development")
    [head] = ScriptDirectory.from_config(alembic_config("")).get_heads()
    assert f"migrations at head ({head}" in _line(out, "database") and out.startswith("ok")
    assert _line(out, "smtp").startswith("ok    smtp ")
    assert _line(out, "login citizen") == (
        f"ok    login citizen   {web}/oidc: discovery document valid")
    assert _line(out, "login business").startswith("ok    login business  the built-in")
    assert _line(out, "zgw zaken") == f"ok    zgw zaken       {web}/zaken answers (200)"
    assert _line(out, "zgw catalogi").startswith("FAIL  zgw catalogi")
    assert "what to do: check MIJN_ZGW_CLIENT_ID and MIJN_ZGW_SECRET" in out
    assert _line(out, "virus scanner").startswith("ok    virus scanner   not configured")
    assert _line(out, "object store").startswith("ok    object store    not configured")
    assert (code, out.splitlines()[-1]) == (1, "1 of 11 checks failed.")

    env = _env(database_url, data_dir, web, smtp)
    del env["MIJN_ZGW_NOTIFICATIONS_TOKEN"]
    code, out = _check(monkeypatch, capsys, env)
    assert (code, out.splitlines()[-1]) == (0, "All 10 checks passed.")


def test_a_closed_port_a_silent_server_and_a_wrong_issuer_fail_quickly(
    database_url: str, data_dir: Path, web: str, smtp: str, silent: int,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    closed = _free_port()
    env = {**_env(database_url, data_dir, web, f"smtp://127.0.0.1:{silent}"),
           "MIJN_OIDC_CITIZEN_ISSUER": f"http://127.0.0.1:{closed}/oidc",
           "MIJN_OIDC_BUSINESS_ISSUER": f"{web}/wrong"}
    started = time.monotonic()
    code, out = _check(monkeypatch, capsys, env, timeout="1")
    assert time.monotonic() - started < 5  # the checks run at once, each at most 1 s
    assert code == 1
    assert _line(out, "smtp") == "FAIL  smtp            no answer in time"
    assert "ConnectError" in _line(out, "login citizen")
    assert "what to do: check MIJN_OIDC_CITIZEN_ISSUER and that Mijn may reach it" in out
    assert "issuer 'https://elsewhere.example'" in _line(out, "login business")
    assert _line(out, "database").startswith("ok")


def test_a_database_not_migrated_or_not_there_fails_with_what_to_do(
    tmp_path: Path, data_dir: Path, web: str, smtp: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    absent = tmp_path / "absent.sqlite3"
    code, out = _check(monkeypatch, capsys, _env(f"sqlite+aiosqlite:///{absent}", data_dir, web, smtp))
    assert code == 1 and not absent.exists()  # checking made no file
    assert _line(out, "database") == f"FAIL  database        there is no SQLite file {absent}"
    assert "what to do: run: mijn db upgrade (mijn serve does so too)" in out

    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    code, out = _check(monkeypatch, capsys, _env(f"sqlite+aiosqlite:///{empty}", data_dir, web, smtp))
    assert code == 1
    assert "reachable, but at revision none" in _line(out, "database")
    assert "what to do: run: mijn db upgrade\n" in out

    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/mijn"
    code, out = _check(monkeypatch, capsys, _env(nowhere, data_dir, web, smtp))
    assert code == 1 and _line(out, "database").startswith("FAIL  database")
    assert "what to do: check MIJN_DATABASE_URL" in out


def test_a_configuration_that_cannot_be_used_is_the_one_finding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _check(monkeypatch, capsys, {"MIJN_RETENTION_AUDIT_DAYS": "-1"})
    assert code == 1
    assert out.splitlines() == [
        "FAIL  configuration   MIJN_RETENTION_AUDIT_DAYS must be a number of days from 0 "
        "(keep for ever) to 36500, not -1.",
        "                      what to do: set the MIJN_* variable the message names "
        "(README.md, Configuration)",
        "1 of 1 checks failed.",
    ]


def _mijn_only(server: object, session: object, envelope: object, mechanism: str,
               data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mijn", b"geheim")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # 127.0.0.1 only
def test_a_login_a_missing_document_a_broken_api_and_odd_smtp_urls(
    database_url: str, data_dir: Path, web: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    port = _free_port()
    controller = Controller(object(), hostname="127.0.0.1", port=port, authenticator=_mijn_only,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        env = {**_env(database_url, data_dir, web, f"smtp://mijn:geheim@127.0.0.1:{port}"),
               "MIJN_OIDC_STAFF_ISSUER": f"{web}/nergens", "MIJN_ZGW_CATALOGI_URL": f"{web}/broken"}
        code, out = _check(monkeypatch, capsys, env)
        assert _line(out, "smtp") == f"ok    smtp            smtp://127.0.0.1:{port} answers, logged in"
        env["MIJN_SMTP_URL"] = f"smtp://mijn:fout@127.0.0.1:{port}"
        _code, wrong = _check(monkeypatch, capsys, env)
    finally:
        controller.stop()
    assert "geheim" not in out and "fout" not in wrong
    assert _line(wrong, "smtp").startswith("FAIL  smtp            SMTPAuthenticationError")
    assert _line(out, "login staff") == (
        f"FAIL  login staff     {web}/nergens/.well-known/openid-configuration answered 403")
    assert _line(out, "zgw catalogi") == f"FAIL  zgw catalogi    {web}/broken answered 500"
    assert "what to do: the API has a problem: ask its administrator" in out
    assert code == 1

    for smtp, expected in (("", "ok    smtp            not set: e-mails are not sent"),
                           ("http://127.0.0.1:25", "FAIL  smtp            MIJN_SMTP_URL has an unknown scheme")):
        _code, out = _check(monkeypatch, capsys, {**env, "MIJN_SMTP_URL": smtp})
        assert _line(out, "smtp").startswith(expected)


def test_in_production_an_unset_smtp_fails_and_an_unset_login_is_not_offered(
    database_url: str, data_dir: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    closed = _free_port()
    code, out = _check(monkeypatch, capsys, {
        "MIJN_ENV": "production", "MIJN_DATABASE_URL": database_url,
        "MIJN_DATA_DIR": str(data_dir), "MIJN_SECRET_KEY": "0123456789abcdef" * 4,
        "MIJN_BASE_URL": "https://mijn.example.nl",
        "MIJN_OIDC_CITIZEN_ISSUER": f"https://127.0.0.1:{closed}",
        "MIJN_OIDC_CITIZEN_CLIENT_SECRET": "x" * 32,
    }, timeout="1")
    assert code == 1
    assert _line(out, "configuration") == "ok    configuration   MIJN_ENV=production: production"
    assert _line(out, "smtp").startswith("FAIL  smtp            not set: e-mails are not sent")
    assert "what to do: set MIJN_SMTP_URL" in out
    assert _line(out, "login business") == "ok    login business  not configured: this login is not offered"
    assert _line(out, "login citizen").startswith("FAIL  login citizen   ConnectError")
