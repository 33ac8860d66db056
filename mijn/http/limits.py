"""Rate limits at the web boundary: a request's subjects (its party, its client address), the
clock, and a refusal as the form's own error or a page (429 with Retry-After).

Only limited actions call these: one statement each, none on any other route.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.db import request_session
from mijn.ratelimits import service
from mijn.ratelimits.rules import rule
from mijn.ratelimits.service import Verdict
from mijn.settings import Settings

RATE_LIMITED = 429
ALLOWED = service.ALLOWED


@dataclass(frozen=True)
class RateLimitError:
    """A form sent too often: shown as that form's error, with what was typed kept."""

    field: str
    retry_after: int
    code: str = "rate_limited"

    @property
    def minutes(self) -> int:
        """The wait in whole minutes (at least one)."""
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def hours(self) -> int:
        """The wait in whole hours when it is two hours or more (else 0: say minutes)."""
        return math.ceil(self.retry_after / 3600) if self.retry_after >= 7200 else 0


def now(request: Request) -> float:
    """The time in epoch seconds from the app's clock (tests set app.state.clock)."""
    clock = getattr(request.app.state, "clock", time.time)
    return float(clock())


def client_address(request: Request) -> str:
    """The client's address (behind the proxy: the one it forwarded; `mijn serve` trusts it)."""
    return request.client.host if request.client else "unknown"


def subject(request: Request, kind: str, value: object) -> str:
    """An HMAC of who acts, keyed with the secret key: no personal data in the counters."""
    settings: Settings = request.app.state.settings
    return service.subject(settings.secret_key.reveal(), kind, value)


def party(request: Request, party_id: int) -> str:
    """The subject of a party."""
    return subject(request, "party", party_id)


def client(request: Request) -> str:
    """The subject of the client's address."""
    return subject(request, "ip", client_address(request))


async def hit(request: Request, session: AsyncSession, *checks: tuple[str, str]) -> Verdict:
    """Count one action against each (rule name, subject), in the caller's transaction."""
    settings: Settings = request.app.state.settings
    rules = [(rule(settings, name), who) for name, who in checks]
    return await service.hit(session, rules, now(request))


async def hit_now(request: Request, *checks: tuple[str, str]) -> Verdict:
    """Count one action at once, committed whatever the request does next (its own
    statement: for actions that write nothing else, or that fail)."""
    async with request_session(request, autocommit=True) as session:
        return await hit(request, session, *checks)


async def over(
    request: Request, name: str, who: str, session: AsyncSession | None = None
) -> Verdict:
    """Whether the subject is over this rule's limit already (a read; counts nothing), in
    the given session or a session of its own."""
    settings: Settings = request.app.state.settings
    if session is not None:
        return await service.check(session, rule(settings, name), who, now(request))
    async with request_session(request, autocommit=True) as own:
        return await service.check(own, rule(settings, name), who, now(request))


def over_until(request: Request, name: str, who: str) -> tuple[ColumnElement[Any], dict[str, Any]]:
    """`over` as a column for another statement to select, and its parameters."""
    settings: Settings = request.app.state.settings
    return service.over_until(rule(settings, name), who, now(request))


def verdict_from(request: Request, until: int | None) -> Verdict:
    """The verdict of an `over_until` column's value."""
    return service.verdict_from(until, now(request))


def retry_after(verdict: Verdict) -> dict[str, str]:
    """The Retry-After header of a refusal."""
    return {"Retry-After": str(verdict.retry_after)}


def form_error(field: str, verdict: Verdict) -> RateLimitError:
    """The form error of a refusal, at the form's main field."""
    return RateLimitError(field, verdict.retry_after)
