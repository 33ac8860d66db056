"""Logged-in sessions for the load generators, as a login makes them: a row in the sessions
table (mijn.sessions), the cookie only its random id."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from bench.product import (
    Identity,
    Limits,
    make_engine,
    make_sessionmaker,
    open_session,
    record_login,
)

LIMITS = Limits(idle=timedelta(hours=8), absolute=timedelta(hours=8))


async def mint_async(database_url: str, identities: list[Identity], now: float) -> list[str]:
    """One new session per identity, logged in at now; their cookie values, in order."""
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            at = datetime.fromtimestamp(now, UTC)
            tokens = [await open_session(db, identity, at, LIMITS) for identity in identities]
            await db.commit()
            return tokens
    finally:
        await engine.dispose()


def mint(database_url: str, identities: list[Identity], now: float) -> list[str]:
    """mint_async, from code that runs no event loop."""
    return asyncio.run(mint_async(database_url, identities, now))


async def _staff_login(database_url: str, subject: str, roles: tuple[str, ...],
                       now: float) -> str:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            member = await record_login(db, subject, subject, roles, ())
            identity = Identity(party_id=member.id, audience="staff", roles=roles, loa="")
            token = await open_session(db, identity, datetime.fromtimestamp(now, UTC), LIMITS)
            await db.commit()
            return token
    finally:
        await engine.dispose()


def mint_staff(database_url: str, subject: str, roles: tuple[str, ...]) -> str:
    """A staff login, now: the member as the login records them, and their session cookie."""
    return asyncio.run(_staff_login(database_url, subject, roles, time.time()))
