"""`mijn serve`'s process supervisor: several workers, stopped gracefully on SIGTERM.

On SIGTERM a worker first drains (DrainingServer): for `drain_seconds` it keeps serving while
/health/ready answers 503 `{"status": "draining"}`, so that the load balancer, checking
/health/ready (deploy/haproxy.cfg: every second, down after two failures), stops sending it
new requests before the listener closes. Then uvicorn's own shutdown does the rest (stop
accepting, let the requests in flight finish within the graceful timeout, then the lifespan
closes the database pool). A second SIGTERM, or Ctrl+C (SIGINT), skips what is left of the
drain period.

With several workers the supervisor process keeps a copy of the shared listening socket
while it waits for them: connections kept arriving in its queue, and were reset when it
finally exited. Closing it at once leaves the listening socket to the workers, which close
it when their drain period is over; a stopped instance then refuses new connections, which
HAProxy sends to another instance (`retry-on conn-failure`, deploy/haproxy.cfg).

The supervisor also pings each worker and kills one that does not answer within
`timeout_worker_healthcheck` (uvicorn's default: 5 s), with the requests it has in flight. A
worker starved of CPU (a busy machine, a container at its CPU limit) missed that: the e2e
test saw workers killed mid-request on a loaded machine. WORKER_HEALTHCHECK_SECONDS is
longer; a worker that is really stuck is still replaced, later.
"""

from __future__ import annotations

import signal
import socket
import time
from types import FrameType
from typing import Any

from uvicorn import Config, Server
from uvicorn.supervisors import multiprocess
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from mijn.observe import health

WORKER_HEALTHCHECK_SECONDS = 30
DRAIN_SECONDS = 3  # deploy/haproxy.cfg takes an instance out after 2 checks 1 s apart


class ServeConfig(Config):
    """uvicorn's configuration with the drain period (it travels to the worker processes)."""

    def __init__(self, app: Any, drain_seconds: float = DRAIN_SECONDS, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.drain_seconds = drain_seconds


class DrainingServer(Server):
    """uvicorn's server, draining for drain_seconds on SIGTERM before it shuts down."""

    def __init__(self, config: Config, drain_seconds: float = DRAIN_SECONDS) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self.drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM starts draining; anything else (or a second SIGTERM) stops as uvicorn does."""
        first = self.drain_until is None and not self.should_exit
        if sig == signal.SIGTERM and first and self.drain_seconds > 0:
            health.start_draining()
            self.drain_until = time.monotonic() + self.drain_seconds
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        """Every 0.1 s: at the end of the drain period, shut down as SIGTERM does."""
        if self.drain_until is not None and time.monotonic() >= self.drain_until:
            self.drain_until = None
            super().handle_exit(signal.SIGTERM, None)
        return await super().on_tick(counter)


class DrainingProcess(Process):
    """A worker process whose server drains for its ServeConfig's drain period."""

    @property
    def server(self) -> Server:
        if self._server is None:
            drain = self.config.drain_seconds if isinstance(self.config, ServeConfig) else 0
            self._server = DrainingServer(self.config, drain)
        return self._server


class GracefulMultiprocess(Multiprocess):
    """uvicorn's supervisor, closing its listening sockets before stopping the workers."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def run_workers(config: Config, sockets: list[socket.socket]) -> None:
    """Run config's app on config.workers processes sharing sockets, until SIGTERM/SIGINT."""
    # uvicorn's supervisor makes its workers (at the start, and to replace one that died)
    # from this module-level name; `mijn serve` runs nothing else in this process.
    setattr(multiprocess, "Process", DrainingProcess)  # noqa: B010
    GracefulMultiprocess(config, sockets=sockets).run()
