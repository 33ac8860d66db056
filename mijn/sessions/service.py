"""Opening, finding, changing and ending login sessions (no Request: the caller gives the
time and the timeouts, so that every process agrees and tests can move the clock)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.identity import Identity
from mijn.sessions.models import WebSession

# Activity moves a session's last_seen_at at most once a minute (spares a write per request).
TOUCH_INTERVAL = timedelta(minutes=1)
STAFF = "staff"


@dataclass(frozen=True)
class Limits:
    """How long a session lives: idle (since its last activity) and in all (since login)."""

    idle: timedelta
    absolute: timedelta


def hash_token(token: str) -> str:
    """What the table keeps of a cookie's id."""
    return hashlib.sha256(token.encode()).hexdigest()


def identity_of(row: WebSession) -> Identity:
    """The logged-in party (or staff member) as the session row knows it."""
    return Identity(
        party_id=row.staff_id if row.audience == STAFF else row.party_id,  # type: ignore[arg-type]
        audience=row.audience, roles=tuple(row.roles.split()), loa=row.loa,
        branch=row.branch or None, actor_ref=row.actor_ref, actor_name=row.actor_name,
        mandate_id=row.mandate_id,
    )


async def open_session(
    session: AsyncSession, identity: Identity, now: datetime, limits: Limits
) -> str:
    """A new session for a fresh login; returns the cookie's id (kept only hashed). A staff
    login also gives the member's other sessions the roles it brought. Sessions past their
    absolute limit that nobody came back to are cleared away here."""
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    staff = identity.audience == STAFF
    session.add(WebSession(
        token_hash=hash_token(token), audience=identity.audience,
        party_id=None if staff else identity.party_id,
        staff_id=identity.party_id if staff else None,
        roles=" ".join(identity.roles), loa=identity.loa, branch=identity.branch,
        actor_ref=identity.actor_ref, actor_name=identity.actor_name,
        mandate_id=identity.mandate_id, created_at=now, last_seen_at=now,
        expires_at=now + limits.absolute,
    ))
    if staff:
        await session.execute(
            update(WebSession).where(WebSession.staff_id == identity.party_id)
            .values(roles=" ".join(identity.roles))
        )
    return token


async def find_session(
    session: AsyncSession, token: str, now: datetime, limits: Limits
) -> WebSession | None:
    """The live session of a cookie's id (one indexed look-up), its activity noted; None for
    an unknown id or one past its idle or absolute limit (then the row is removed)."""
    row = await session.scalar(
        select(WebSession).where(WebSession.token_hash == hash_token(token))
    )
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + limits.idle <= now:
        await session.execute(delete(WebSession).where(WebSession.id == row.id))
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        await session.execute(
            update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
        )
        row.last_seen_at = now
    return row


async def keep_alive(session: AsyncSession, token: str, now: datetime) -> None:
    """The visitor asked to stay logged in: activity noted now, whatever the once-a-minute
    throttle of find_session would skip."""
    await session.execute(
        update(WebSession).where(WebSession.token_hash == hash_token(token))
        .values(last_seen_at=now)
    )


def ends_at(row: WebSession, limits: Limits) -> datetime:
    """When the session ends without further activity (idle, or its absolute limit)."""
    return min(row.last_seen_at + limits.idle, row.expires_at)


async def end_session(session: AsyncSession, token: str) -> None:
    """End the session of this cookie's id: a copy of the cookie opens nothing any more."""
    await session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


async def set_mandate(session: AsyncSession, token: str, mandate_id: int | None) -> None:
    """From now on the session acts through this mandate (None: for oneself)."""
    await session.execute(
        update(WebSession).where(WebSession.token_hash == hash_token(token))
        .values(mandate_id=mandate_id)
    )


async def revoke(
    session: AsyncSession, *, party_id: int | None = None, staff_id: int | None = None
) -> int:
    """End every session of a party or of a staff member; returns how many ended."""
    if (party_id is None) == (staff_id is None):
        raise ValueError("name either a party or a staff member")
    column = WebSession.party_id if party_id is not None else WebSession.staff_id
    result = await session.execute(
        delete(WebSession).where(column == (party_id if party_id is not None else staff_id))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
