"""The one rule for everything Mijn retries (e-mail delivery, ZGW intake): which failures may
pass (retried with back-off, up to a maximum of attempts) and which never will (dead at once:
a programming error, a refusal), and an error text without personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import aiosmtplib
import httpx
from sqlalchemy import exc as sa

# The state of an item that is not tried again until someone puts it back in the queue.
DEAD = "dead"

# SQLSTATEs of a database that will serve again: connection exceptions (08), a serialisation
# failure or deadlock (40), too many clients (53), shutting down or starting up (57P0x),
# a lock not available (55P03).
TEMPORARY_SQLSTATES = ("08", "40", "53", "55P03", "57P01", "57P02", "57P03")
# SQLite says OperationalError for a locked file (passes) and a missing table (never passes).
_SQLITE_PERMANENT = ("no such ", "syntax error", "has no column")
_EMAIL = re.compile(r"[^\s<>()\[\]'\"@,;:]+@[^\s<>()\[\]'\",;:]+")
_NUMBER = re.compile(r"\d[\d .\-]{4,}\d")  # a BSN, KvK number, phone number, IBAN digits
SUMMARY_LENGTH = 200


def backoff(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failed attempt: `first`, doubling, at most `cap`.

    The doubling stops at the cap, so any number of attempts is fine (no overflow).
    """
    delay = first
    for _ in range(attempts - 1):
        if delay >= cap:
            break
        delay *= 2
    return min(delay, cap)


def is_temporary(exc: BaseException) -> bool:
    """Whether trying again later may succeed: a network error or timeout, an SMTP 4xx, a
    remote's 5xx/408/429, a database out of reach or busy. Anything else (a TypeError, a
    KeyError, an IntegrityError, a missing table, an SMTP 5xx, a remote's other 4xx) is
    permanent. An exception may decide for itself with a boolean `temporary` attribute."""
    own = getattr(exc, "temporary", None)
    if isinstance(own, bool):
        return own
    if isinstance(exc, sa.SQLAlchemyError):
        return _database_temporary(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(400 <= r.code < 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError
                  | aiosmtplib.SMTPTimeoutError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status in (408, 429)
    if isinstance(exc, httpx.TransportError):  # timeouts, refused connections, resets
        return not isinstance(exc, httpx.UnsupportedProtocol)
    return isinstance(exc, OSError)  # ConnectionError, TimeoutError, a name not resolved


def _database_temporary(exc: sa.SQLAlchemyError) -> bool:
    if isinstance(exc, sa.TimeoutError | sa.DisconnectionError):  # pool exhausted, dropped
        return True
    if not isinstance(exc, sa.DBAPIError):
        return False  # NoReferencedTableError, ArgumentError, ...: a programming error
    if exc.connection_invalidated:
        return True
    code = str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")
    if code:
        return code.startswith(TEMPORARY_SQLSTATES)
    if isinstance(exc, sa.OperationalError):
        return not str(exc.orig).lower().startswith(_SQLITE_PERMANENT)
    return isinstance(exc.orig, OSError)


def scrub(text: str) -> str:
    """The text without e-mail addresses and long numbers (a BSN, a phone number), on one
    line and short enough for a list."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _NUMBER.sub("[nummer]", text)
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def error_summary(exc: BaseException) -> str:
    """The error's class and the first line of its message, without personal data: what the
    KCC's deliveries page shows and the log says. SQL, its parameters and a database's
    DETAIL line (which quotes values) stay out."""
    if isinstance(exc, sa.DBAPIError):
        message = str(exc.orig).split("\n", 1)[0]
    elif isinstance(exc, sa.SQLAlchemyError):
        message = str(exc).split("\n", 1)[0].split(" [SQL:", 1)[0]
    else:
        message = str(exc).split("\n", 1)[0]
    name = type(exc).__name__
    return scrub(f"{name}: {message}" if message else name)
