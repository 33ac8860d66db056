"""Metrics in OpenTelemetry, exported for Prometheus on a port of their own
(MIJN_METRICS_PORT; off when unset).

Each process keeps its own figures (OpenTelemetry has no shared multi-process store, and a
request's count belongs to the process that served it): each worker of `mijn serve
--workers N` listens on the first free port from MIJN_METRICS_PORT on, so N workers answer on
MIJN_METRICS_PORT ... MIJN_METRICS_PORT + N - 1, and Prometheus scrapes each as a target of
its own (sum over them in queries). A worker that is replaced takes the port that came free.
The database's own figures (the queue, the outbox, the ZGW backlog) are the same for every
worker: only the listener on MIJN_METRICS_PORT itself reads them, at each scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mijn.observe import figures
from mijn.telemetry import MAX_METRICS_WORKERS, TelemetrySettings

log = logging.getLogger("mijn.metrics")
# Seconds: OpenTelemetry's advice for http.server.request.duration.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                    7.5, 10.0)
READ_TIMEOUT = 5.0  # seconds for a scraper to send its request


class Metrics:
    """The instruments of one process and its Prometheus listener."""

    def __init__(self, telemetry: TelemetrySettings, engine: AsyncEngine) -> None:
        self.telemetry = telemetry
        self.engine = engine
        self.registry = CollectorRegistry(auto_describe=False)
        self.reader = PrometheusMetricReader(registry=self.registry)
        resource = Resource.create({"service.name": "mijn",
                                    "service.instance.id": f"{socket.gethostname()}:{os.getpid()}"})
        self.provider = MeterProvider(metric_readers=[self.reader], resource=resource)
        meter = self.provider.get_meter("mijn")
        self.duration = meter.create_histogram(
            "http.server.request.duration", unit="s",
            description="Requests and their duration, per route name, method and status",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.logins = meter.create_counter(
            "mijn.logins", description="Logins per audience and result (ok or why refused)")
        self.connections = meter.create_gauge(
            "db.client.connection.count", description="Database connections of this process")
        self.connections_max = meter.create_gauge(
            "db.client.connection.max", description="At most this many database connections")
        self.database = figures.Gauges(meter)
        self.port: int | None = None
        self.sessionmaker: async_sessionmaker[AsyncSession] | None = None

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request served."""
        self.duration.record(seconds, {"http.route": route, "http.request.method": method,
                                       "http.response.status_code": status})

    def login(self, audience: str, result: str) -> None:
        """One login finished: result "ok", or the reason it was refused."""
        self.logins.add(1, {"audience": audience, "result": result})

    @property
    def reads_database(self) -> bool:
        """Whether this listener reports the database's figures (the one on the first port)."""
        return self.port == self.telemetry.metrics_port

    async def exposition(self) -> bytes:
        """The metrics as Prometheus reads them, with the figures of this moment."""
        pool: Any = self.engine.pool
        if hasattr(pool, "checkedout"):
            self.connections.set(pool.checkedout(), {"db.client.connection.state": "used"})
            self.connections.set(pool.checkedin(), {"db.client.connection.state": "idle"})
            self.connections_max.set(pool.size() + max(getattr(pool, "_max_overflow", 0), 0))
        if self.reads_database and self.sessionmaker is not None:
            try:
                await figures.refresh(self.database, self.sessionmaker)
            except Exception as exc:  # the database may be away: report what we have
                log.warning("metrics: the database's figures could not be read (%s)",
                            type(exc).__name__)
        return generate_latest(self.registry)

    @contextlib.asynccontextmanager
    async def listening(self, sessionmaker: async_sessionmaker[AsyncSession]
                        ) -> AsyncIterator[None]:
        """Serve /metrics on the first free port from MIJN_METRICS_PORT on, while the app runs."""
        self.sessionmaker = sessionmaker
        server = await self._bind()
        log.info("metrics for Prometheus on http://%s:%d/metrics",
                 self.telemetry.metrics_host, self.port)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()
            self.provider.shutdown()

    async def _bind(self) -> asyncio.Server:
        first = self.telemetry.metrics_port or 0
        for port in range(first, first + MAX_METRICS_WORKERS):
            try:
                server = await asyncio.start_server(self._answer, self.telemetry.metrics_host,
                                                    port)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            self.port = port
            return server
        raise OSError(errno.EADDRINUSE, f"no free metrics port from {first} on")

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A minimal HTTP/1.1 answer: GET /metrics, then close the connection."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            parts = head.split(b"\r\n", 1)[0].split()
            path = parts[1].split(b"?", 1)[0] if len(parts) == 3 else b""
            if parts[:1] != [b"GET"] or path != b"/metrics":
                writer.write(_http(404, b"Not Found: GET /metrics\n", "text/plain"))
            else:
                writer.write(_http(200, await self.exposition(), CONTENT_TYPE_PLAIN_0_0_4))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError):
            pass
        finally:
            writer.close()


def _http(status: int, body: bytes, content_type: str) -> bytes:
    reason = "OK" if status == 200 else "Not Found"
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body
