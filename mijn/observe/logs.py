"""The log: one line per event, as JSON (MIJN_LOG_FORMAT=json, the default in production) or
as text, each with the request id of the request it belongs to.

What goes in: the time, the level, the logger, the message and, for the line per request, the
route's name, method, status and duration. What never does: a request's address (a search
term could be a BSN), its headers, cookies or body, and a query's parameters (the engine
hides them, see mijn/db.py). uvicorn's own access log, which writes the whole address, is
turned off; its other messages go through the same handler.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from mijn.telemetry import TelemetrySettings

# The request id of the request being served (set by the middleware in mijn/observe/requests).
REQUEST_ID: ContextVar[str | None] = ContextVar("mijn_request_id", default=None)
# The fields of a request's line (LogRecord attributes given as `extra`), in this order.
REQUEST_FIELDS = ("route", "method", "status", "duration_ms")


def _request_id(record: logging.LogRecord) -> str | None:
    found = getattr(record, "request_id", None)
    return found if isinstance(found, str) else REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the
    request's fields when given, and a traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        entry: dict[str, object] = {
            "time": stamp.replace("+00:00", "Z"), "level": record.levelname.lower(),
            "logger": record.name, "message": record.getMessage(),
        }
        request_id = _request_id(record)
        if request_id is not None:
            entry["request_id"] = request_id
        for name in REQUEST_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`, for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = _request_id(record) or "-"
        return super().format(record)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the moment (a test's capture too)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _ours_or_a_warning(record: logging.LogRecord) -> bool:
    """Mijn's and the server's records; of other libraries only warnings and worse (their
    chatter at lower levels may quote addresses, URLs or statements)."""
    return record.levelno >= logging.WARNING or record.name.startswith(("mijn", "uvicorn"))


def configure_logging(telemetry: TelemetrySettings) -> None:
    """Send every log record through one handler in the configured format (again on each call:
    the last app built sets it); uvicorn's access log is replaced by the line per request."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.addFilter(_ours_or_a_warning)
    handler.setFormatter(JsonFormatter() if telemetry.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    # Mijn's own loggers at the level `mijn serve --log-level` (uvicorn's) gave, else info;
    # other libraries keep theirs (the root's warning: SQLAlchemy would log every statement).
    logging.getLogger("mijn").setLevel(logging.getLogger("uvicorn.error").level or logging.INFO)
    server = logging.getLogger("uvicorn")
    server.handlers.clear()
    server.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
