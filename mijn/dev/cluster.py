"""The production topology on one machine, from Debian's haproxy and pgbouncer: for the
scale-out test (tests/test_scaleout.py) and benchmark (bench/scaleout.py).

HAProxy (deploy/haproxy.cfg, as it is) in front of N `mijn serve --workers W` instances, on
a PostgreSQL database through PgBouncer in transaction pooling (deploy/pgbouncer.ini with
this machine's [databases] line, address and trust authentication), plus `mijn worker`
processes; every part on a free port of 127.0.0.1. The database itself is the caller's
(created and migrated beforehand, on the server PgBouncer forwards to).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy.engine import make_url

from mijn import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
TOOLS = ("haproxy", "pgbouncer")
SBIN = "/usr/sbin:/sbin"  # where Debian puts both, off an ordinary user's PATH
LOG_LEVEL = os.environ.get("MIJN_CLUSTER_LOG_LEVEL", "warning")  # info: uvicorn's access log


def tool(name: str) -> str | None:
    """The path of a Debian tool, also when /usr/sbin is not on PATH."""
    return shutil.which(name) or shutil.which(name, path=SBIN)


def missing_tools() -> list[str]:
    """The tools of TOOLS that are not installed."""
    return [name for name in TOOLS if tool(name) is None]


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pgbouncer_ini(port: int, database_url: str) -> str:
    """deploy/pgbouncer.ini for this machine: listening on 127.0.0.1:port as the database
    `mijn`, forwarding to the database of database_url, trusting local connections."""
    target = make_url(database_url)
    text = (DEPLOY / "pgbouncer.ini").read_text()
    server = (f"mijn = host={target.host or '127.0.0.1'} port={target.port or 5432} "
              f"dbname={target.database} user={target.username or 'postgres'}")
    replacements = {
        r"^mijn = .*$": server,
        r"^listen_addr = .*$": "listen_addr = 127.0.0.1",
        r"^listen_port = .*$": f"listen_port = {port}",
        r"^auth_type = .*$": "auth_type = trust",
        r"^auth_file = .*$": "auth_file = userlist.txt\nunix_socket_dir =",
    }
    for pattern, value in replacements.items():
        text, found = re.subn(pattern, value, text, flags=re.MULTILINE)
        if found != 1:
            raise RuntimeError(f"deploy/pgbouncer.ini has no line matching {pattern}")
    return text


@dataclass
class Cluster:
    """The processes of one topology, their ports and their logs (in workdir)."""

    database_url: str  # the database itself (postgresql+asyncpg://...)
    env: dict[str, str]  # MIJN_* settings every Mijn process gets
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mijn-cluster-")))
    bouncer_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    instances: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    others: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """HAProxy's address: what visitors use."""
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def bouncer_url(self) -> str:
        """The database through PgBouncer, as the Mijn processes reach it."""
        user = make_url(self.database_url).username or "postgres"
        return f"postgresql+asyncpg://{user}@127.0.0.1:{self.bouncer_port}/mijn"

    def mijn_env(self) -> dict[str, str]:
        """The environment of a Mijn process: through PgBouncer, HAProxy as the base URL."""
        return {**os.environ, "MIJN_DATABASE_URL": self.bouncer_url,
                "MIJN_DATABASE_PGBOUNCER": "1", "MIJN_BASE_URL": self.url,
                "MIJN_DATA_DIR": str(self.workdir / "data"), "PYTHONPATH": str(PROJECT_ROOT),
                **self.env}

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None,
               user: str | None = None) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        self.logs.append(log)
        return subprocess.Popen(argv, cwd=self.workdir, env=env, stdout=log,
                                stderr=subprocess.STDOUT, user=user)

    def log(self, name: str) -> str:
        """What a process wrote so far."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_pgbouncer(self) -> None:
        """PgBouncer on bouncer_port (as user postgres when run by root: it refuses root)."""
        self.workdir.chmod(0o755)  # readable by that user
        (self.workdir / "pgbouncer.ini").write_text(
            pgbouncer_ini(self.bouncer_port, self.database_url))
        user = make_url(self.database_url).username or "postgres"
        (self.workdir / "userlist.txt").write_text(f'"{user}" ""\n')
        as_user = "postgres" if os.geteuid() == 0 else None
        self.others["pgbouncer"] = self._start(
            "pgbouncer", [str(tool("pgbouncer")), "pgbouncer.ini"], user=as_user)
        wait_port(self.bouncer_port, self.others["pgbouncer"], lambda: self.log("pgbouncer"))

    def start_haproxy(self, ports: list[int]) -> None:
        """HAProxy on proxy_port with deploy/haproxy.cfg, over these instances' ports (one
        port given: both server lines point at it)."""
        servers = (ports * 2)[:2]
        env = {**os.environ, "MIJN_HAPROXY_BIND": f"127.0.0.1:{self.proxy_port}",
               "MIJN_PORTAL1": f"127.0.0.1:{servers[0]}", "MIJN_PORTAL2": f"127.0.0.1:{servers[1]}"}
        self.others["haproxy"] = self._start(
            "haproxy", [str(tool("haproxy")), "-db", "-f", str(DEPLOY / "haproxy.cfg")], env)
        wait_port(self.proxy_port, self.others["haproxy"], lambda: self.log("haproxy"))

    def start_instances(self, ports: list[int], workers: int) -> None:
        """`mijn serve --workers N` on each port (instances 1, 2, ...), ready when each
        answers /health."""
        for index, port in enumerate(ports, 1):
            self.start_instance(index, port, workers)
        for index, port in enumerate(ports, 1):
            self.wait_instance(index, port)

    def start_instance(self, index: int, port: int, workers: int,
                       direct: bool = False) -> None:
        """`mijn serve --workers N` on port (not waiting for it); direct: on the database
        itself rather than through PgBouncer."""
        env = self.mijn_env()
        if direct:
            env = {**env, "MIJN_DATABASE_URL": self.database_url, "MIJN_DATABASE_PGBOUNCER": "0"}
        self.instances[index] = self._start(
            f"portal{index}", [sys.executable, "-m", "mijn.cli", "serve", "--port", str(port),
                               "--workers", str(workers), "--log-level", LOG_LEVEL], env)

    def wait_instance(self, index: int, port: int) -> None:
        """Wait until instance index answers /health on port."""
        wait_http(f"http://127.0.0.1:{port}/health", self.instances[index],
                  lambda: self.log(f"portal{index}"))

    def start_worker(self, name: str, *args: str) -> None:
        """`mijn worker ARGS` (notification delivery)."""
        self.others[name] = self._start(
            name, [sys.executable, "-m", "mijn.cli", "worker", *args], self.mijn_env())

    def stop(self) -> None:
        """Stop every process (SIGTERM to all, then SIGKILL after 10 s) and close the logs."""
        processes = [*self.instances.values(), *self.others.values()]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            stop(process)
        for log in self.logs:
            log.close()


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM, wait, SIGKILL when it takes longer; the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _check_alive(process: subprocess.Popen[bytes], log: object) -> None:
    if process.poll() is not None:
        text = log() if callable(log) else ""
        raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{text[-3000:]}")


def wait_port(port: int, process: subprocess.Popen[bytes], log: object,
              timeout: float = 20.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(process, log)
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:g} s")


def wait_http(url: str, process: subprocess.Popen[bytes], log: object,
              timeout: float = 120.0) -> None:
    """Wait until url answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(process, log)
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} does not answer after {timeout:g} s")
