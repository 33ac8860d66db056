"""Virus scanning against a real clamd (Debian's clamav-daemon; scripts/setup.sh installs it
with MIJN_SETUP_TESTS=1), started by this module on a temporary unix socket and a TCP port of
127.0.0.1, with a signature database the test makes itself (no freshclam, no network): an MD5
hash signature (.hdb) of one file and a body signature (.ndb) of a marker anywhere in a stream.

A clean file, an infected one, a big stream, a stream over clamd's StreamMaxLength and over
Mijn's own limit, clamd stopped, a socket that never answers: only a whole scan that found
nothing is CLEAN; every kind of trouble is UNAVAILABLE, never an exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mijn.check import scanner_check
from mijn.envvalues import ConfigurationError
from mijn.scanning.clamd import Clamd, ScannerUnavailable, Verdict, parse_reply
from mijn.scanning.settings import ScannerSettings, scanner_settings

LIMIT = 8 * 1024 * 1024  # the test clamd's StreamMaxLength
MARKER = b"MIJN-TEST-MARKER-7f3a9c: een eigen handtekening, geen echt virus"
HASHED = b"Dit bestand is besmet volgens de eigen handtekening van de test.\n" * 200


@dataclass
class Daemon:
    """A clamd of this test: its unix socket, its TCP port, its process."""

    socket: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clamd_binary() -> str:
    found = shutil.which("clamd") or shutil.which("/usr/sbin/clamd")
    if found is None:
        pytest.fail("clamd is not installed: run MIJN_SETUP_TESTS=1 scripts/setup.sh (it "
                    "installs Debian's clamav-daemon, which the upload scanning tests need)")
    return found


def start_clamd(root: Path) -> Daemon:
    """clamd in the foreground on root/clamd.sock and a free port, with the test's signatures."""
    database = root / "db"
    database.mkdir()
    (database / "mijn-test.hdb").write_text(
        f"{hashlib.md5(HASHED).hexdigest()}:{len(HASHED)}:Mijn.Test.Hash\n")  # noqa: S324
    (database / "mijn-test.ndb").write_text(f"Mijn.Test.Marker:0:*:{MARKER.hex()}\n")
    sock, port, log = root / "clamd.sock", _free_port(), root / "clamd.log"
    config = root / "clamd.conf"
    config.write_text(
        f"Foreground yes\nLocalSocket {sock}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n"
        f"DatabaseDirectory {database}\nTemporaryDirectory {root}\nLogFile {log}\n"
        f"StreamMaxLength {LIMIT // 1024 // 1024}M\nBytecode no\n")
    process = subprocess.Popen([_clamd_binary(), "--config-file", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    daemon = Daemon(sock, port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if asyncio.run(_clamd(daemon).command("PING")) == "PONG":
                return daemon
        except ScannerUnavailable:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"clamd did not start: {log.read_text() if log.exists() else 'no log'}")


def _clamd(daemon: Daemon, **overrides: object) -> Clamd:
    fields: dict[str, object] = {"socket": str(daemon.socket), "timeout": 10.0,
                                 "stream_max_length": LIMIT, **overrides}
    return Clamd(ScannerSettings(**fields))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One clamd for the module (a tiny database loads in about a second)."""
    started = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield started
    started.process.terminate()
    started.process.wait(10)


async def _stream(size: int, chunk: int = 256 * 1024, tail: bytes = b"") -> AsyncIterator[bytes]:
    """size bytes of varied content in chunks of chunk bytes, then tail."""
    block = hashlib.sha256(b"mijn").digest() * (chunk // 32)
    for start in range(0, size, chunk):
        yield block[:min(chunk, size - start)]
    if tail:
        yield tail


def test_a_clean_file_is_clean_and_an_infected_one_is_named(daemon: Daemon,
                                                              tmp_path: Path) -> None:
    clean, infected = tmp_path / "brief.pdf", tmp_path / "bijlage.pdf"
    clean.write_bytes(b"%PDF-1.4\n" + HASHED[:-1] + b"\n%%EOF\n")
    infected.write_bytes(HASHED)
    clamd = _clamd(daemon)

    assert asyncio.run(clamd.scan_file(clean)).verdict is Verdict.CLEAN
    result = asyncio.run(clamd.scan_file(infected))
    assert result.verdict is Verdict.INFECTED and not result.clean
    assert result.signature.startswith("Mijn.Test.Hash")  # clamd adds .UNOFFICIAL
    over_tcp = _clamd(daemon, socket=f"127.0.0.1:{daemon.port}")
    assert asyncio.run(over_tcp.scan_file(infected)).verdict is Verdict.INFECTED
    assert asyncio.run(over_tcp.scan_file(clean)).clean


def test_a_big_stream_is_scanned_to_its_end(daemon: Daemon) -> None:
    clamd = _clamd(daemon)
    big = LIMIT - 1024 * 1024  # 7 MiB in chunks of 256 KiB, sent as INSTREAM chunks of 64 KiB

    assert asyncio.run(clamd.scan(_stream(big))).clean
    found = asyncio.run(clamd.scan(_stream(big, tail=MARKER)))
    assert found.verdict is Verdict.INFECTED
    assert found.signature.startswith("Mijn.Test.Marker")


def test_a_stream_over_the_limit_is_not_clean(daemon: Daemon) -> None:
    # Mijn allows more than clamd does: clamd refuses, and says so.
    refused = asyncio.run(_clamd(daemon, stream_max_length=4 * LIMIT).scan(_stream(LIMIT + 1)))
    assert refused.verdict is Verdict.UNAVAILABLE
    # clamd's own answer; or, when it closed while the stream was still being sent and its
    # answer never reached the reader (a race on a busy machine), the broken connection.
    assert "size limit" in refused.reason or refused.reason.startswith("clamd broke off"), \
        refused.reason

    # Mijn's own limit: it stops reading the stream and sending it.
    pulled: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in _stream(4 * 1024 * 1024):
            pulled.append(len(chunk))
            yield chunk

    small = asyncio.run(_clamd(daemon, stream_max_length=1024 * 1024).scan(counted()))
    assert small.verdict is Verdict.UNAVAILABLE and "larger than" in small.reason
    assert sum(pulled) <= 1024 * 1024 + 256 * 1024


def test_a_stopped_or_absent_clamd_gives_no_verdict(tmp_path: Path) -> None:
    own = start_clamd(tmp_path)
    clamd = _clamd(own)
    assert asyncio.run(clamd.scan(_stream(1000))).clean
    own.process.send_signal(signal.SIGTERM)
    own.process.wait(10)

    for stopped in (clamd, _clamd(own, socket=f"127.0.0.1:{own.port}"),
                    _clamd(own, socket=str(tmp_path / "nothing-here.sock"))):
        result = asyncio.run(stopped.scan(_stream(1000)))
        assert result.verdict is Verdict.UNAVAILABLE
        assert "cannot be reached" in result.reason
        with pytest.raises(ScannerUnavailable):
            asyncio.run(stopped.command("PING"))


def test_a_scanner_that_does_not_answer_in_time_or_sensibly_gives_no_verdict(
        tmp_path: Path) -> None:
    async def scenario(answer: bytes | None) -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen = b""
            while not seen.endswith(b"\0\0\0\0"):  # the stream's end: a zero length
                seen = seen[-4:] + await reader.read(65536)
            if answer is not None:
                writer.write(answer)
                await writer.drain()
            await asyncio.sleep(5)
            writer.close()

        path = tmp_path / f"silent-{answer!r:.8}.sock"
        server = await asyncio.start_unix_server(serve, str(path))
        async with server:
            clamd = Clamd(ScannerSettings(socket=str(path), timeout=0.3))
            result = await clamd.scan(_stream(100_000))
            assert result.verdict is Verdict.UNAVAILABLE
            return result.reason

    assert "did not answer within 0.3 s" in asyncio.run(scenario(None))
    assert "UNKNOWN COMMAND" in asyncio.run(scenario(b"UNKNOWN COMMAND\0"))


def test_replies_and_settings_are_read_strictly() -> None:
    assert parse_reply(b"stream: OK\0").clean
    assert parse_reply(b"stream: Win.Test.EICAR_HDB-1 FOUND\0").signature == (
        "Win.Test.EICAR_HDB-1")
    assert parse_reply(b"stream: OK FOUND\0").verdict is Verdict.INFECTED
    assert parse_reply(b"").reason == "clamd closed the connection"
    assert parse_reply(b"Can't allocate memory ERROR\0").reason == "clamd: Can't allocate memory"

    assert not scanner_settings({}).enabled
    read = scanner_settings({"MIJN_CLAMD_SOCKET": "clamav.internal:3310",
                             "MIJN_CLAMD_STREAM_MAX_LENGTH": "20M", "MIJN_CLAMD_TIMEOUT": "5"})
    assert read.host_port == ("clamav.internal", 3310) and read.unix_path is None
    assert read.stream_max_length == 20 * 1024 * 1024 and read.timeout == 5.0
    assert scanner_settings({"MIJN_CLAMD_SOCKET": "/run/clamav/clamd.ctl"}).unix_path == (
        "/run/clamav/clamd.ctl")
    assert scanner_settings({"MIJN_CLAMD_STREAM_MAX_LENGTH": "1024k"}).stream_max_length == 2**20
    for env, named in (({"MIJN_CLAMD_SOCKET": "clamd"}, "MIJN_CLAMD_SOCKET"),
                       ({"MIJN_CLAMD_SOCKET": "h:99999"}, "MIJN_CLAMD_SOCKET"),
                       ({"MIJN_CLAMD_STREAM_MAX_LENGTH": "veel"}, "STREAM_MAX_LENGTH"),
                       ({"MIJN_CLAMD_TIMEOUT": "0"}, "MIJN_CLAMD_TIMEOUT")):
        with pytest.raises(ConfigurationError, match=named):
            scanner_settings(env)


def test_mijn_check_asks_clamd_for_its_version(daemon: Daemon, tmp_path: Path) -> None:
    found = asyncio.run(scanner_check(ScannerSettings(socket=str(daemon.socket)), 5))
    assert found.ok and found.name == "virus scanner"
    assert "ClamAV" in found.detail and str(daemon.socket) in found.detail

    absent = asyncio.run(scanner_check(ScannerSettings(socket=str(tmp_path / "x.sock")), 5))
    assert not absent.ok and "cannot be reached" in absent.detail
    assert "MIJN_CLAMD_SOCKET" in absent.advice

    off = asyncio.run(scanner_check(ScannerSettings(), 5))
    assert off.ok and "not configured" in off.detail
