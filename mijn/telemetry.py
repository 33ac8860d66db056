"""What Mijn tells its operators, as configured: the metrics listener for Prometheus
(MIJN_METRICS_PORT, MIJN_METRICS_HOST) and the format of the log (MIJN_LOG_FORMAT).

Domain-free, so that the configuration can read it; used by mijn/observe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mijn.envvalues import ConfigurationError, int_value

LOG_FORMATS = ("json", "text")
# `mijn serve --workers N`: each worker listens on the first free port from
# MIJN_METRICS_PORT on, so at most this many workers per instance export metrics.
MAX_METRICS_WORKERS = 64


@dataclass(frozen=True)
class TelemetrySettings:
    """Metrics (off without a port) and the log format."""

    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    log_format: str = "text"

    @property
    def metrics_enabled(self) -> bool:
        """True when a metrics port is configured."""
        return self.metrics_port is not None


def telemetry_settings(env: Mapping[str, str], production: bool) -> TelemetrySettings:
    """Read MIJN_METRICS_PORT, MIJN_METRICS_HOST and MIJN_LOG_FORMAT (JSON by default in
    production, text otherwise)."""
    port: int | None = None
    if env.get("MIJN_METRICS_PORT", "").strip():
        port = int_value(env, "MIJN_METRICS_PORT", 0)
        if not 1 <= port <= 65535 - MAX_METRICS_WORKERS:
            raise ConfigurationError(
                f"MIJN_METRICS_PORT must be a port between 1 and {65535 - MAX_METRICS_WORKERS} "
                f"(workers take the ports after it), not {port}; leave it unset for no metrics."
            )
    log_format = env.get("MIJN_LOG_FORMAT", "").strip().lower()
    log_format = log_format or ("json" if production else "text")
    if log_format not in LOG_FORMATS:
        raise ConfigurationError(
            f"MIJN_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}."
        )
    host = env.get("MIJN_METRICS_HOST", "").strip() or "127.0.0.1"
    return TelemetrySettings(port, host, log_format)
