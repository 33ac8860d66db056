"""`mijn serve`'s process supervisor: several workers, stopped gracefully on SIGTERM.

uvicorn's own shutdown does the per-process part (stop accepting, let the requests in
flight finish, then the lifespan closes the database pool). With several workers the
supervisor process keeps a copy of the shared listening socket while it waits for them:
connections kept arriving in its queue, and were reset when it finally exited. Closing
it at once makes a stopping instance refuse new connections, which HAProxy then sends to
another instance (`retry-on conn-failure`, deploy/haproxy.cfg).

The supervisor also pings each worker and kills one that does not answer within
`timeout_worker_healthcheck` (uvicorn's default: 5 s), with the requests it has in flight. A
worker starved of CPU (a busy machine, a container at its CPU limit) missed that: the e2e
test saw workers killed mid-request on a loaded machine. WORKER_HEALTHCHECK_SECONDS is
longer; a worker that is really stuck is still replaced, later.
"""

from __future__ import annotations

import socket

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

WORKER_HEALTHCHECK_SECONDS = 30


class GracefulMultiprocess(Multiprocess):
    """uvicorn's supervisor, closing its listening sockets before stopping the workers."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def run_workers(config: Config, sockets: list[socket.socket]) -> None:
    """Run config's app on config.workers processes sharing sockets, until SIGTERM/SIGINT."""
    GracefulMultiprocess(config, sockets=sockets).run()
