"""Opening, finding, changing and ending login sessions (no Request: the caller gives the
time and the timeouts, so that every process agrees and tests can move the clock)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


def identity_of(row: Any) -> Identity:
    """The logged-in party (or staff member) as the session row knows it."""
    return Identity(
        party_id=row.staff_id if row.audience == STAFF else row.party_id,
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


# The columns a request needs of its session, read on a plain connection (Core: the ORM's
# session and identity map cost ~0.3 ms more CPU on every request: bench.profile --split).
_FIND = select(
    WebSession.id, WebSession.audience, WebSession.party_id, WebSession.staff_id,
    WebSession.roles, WebSession.loa, WebSession.branch, WebSession.actor_ref,
    WebSession.actor_name, WebSession.mandate_id, WebSession.last_seen_at,
    WebSession.expires_at,
).where(WebSession.token_hash == bindparam("token_hash"))


class Live(NamedTuple):
    """A live session: its row (the columns of _FIND), and its last activity (now, when
    this request noted it)."""

    row: Any  # a Row of _FIND's columns
    last_seen_at: datetime


async def find_session(
    connection: AsyncConnection, token: str, now: datetime, limits: Limits
) -> Live | None:
    """The live session of a cookie's id (one indexed look-up), its activity noted; None for
    an unknown id or one past its idle or absolute limit (then the row is removed). The
    connection commits each statement, or the caller commits (mijn.db.autocommit_connection)."""
    row = (await connection.execute(_FIND, {"token_hash": hash_token(token)})).first()
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + limits.idle <= now:
        await connection.execute(delete(WebSession).where(WebSession.id == row.id))
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        await connection.execute(
            update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
        )
        return Live(row, now)
    return Live(row, row.last_seen_at)


async def keep_alive(session: AsyncSession, token: str, now: datetime) -> None:
    """The visitor asked to stay logged in: activity noted now, whatever the once-a-minute
    throttle of find_session would skip."""
    await session.execute(
        update(WebSession).where(WebSession.token_hash == hash_token(token))
        .values(last_seen_at=now)
    )


def ends_at(live: Live, limits: Limits) -> datetime:
    """When the session ends without further activity (idle, or its absolute limit)."""
    expires_at: datetime = live.row.expires_at
    return min(live.last_seen_at + limits.idle, expires_at)


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
