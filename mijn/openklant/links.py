"""What each exported thing is called in Open Klant (uuid and url), and the one way to get an
object there: known here, else found there (look up before create), else created; so a retry
after a time-out that in fact succeeded creates nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import insert_ignore, utcnow
from mijn.openklant.client import JSON, OpenKlantError
from mijn.openklant.models import OpenKlantLink


@dataclass(frozen=True)
class Remote:
    """An object in Open Klant."""

    uuid: str
    url: str

    @property
    def ref(self) -> dict[str, str]:
        """The object as a foreign key in a request body."""
        return {"uuid": self.uuid}


async def one_at_a_time(session: AsyncSession, subject: str, role: str) -> None:
    """On PostgreSQL, wait until no other transaction is getting this object (a lock held to
    the end of this transaction: another worker then sees what this one made). Open Klant
    keeps no key that would refuse a second actor or klantcontact, so two workers must not
    both look, find nothing and make one. A transaction-level lock: fine behind PgBouncer."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                              {"key": f"mijn.openklant:{subject}:{role}"})


async def known(session: AsyncSession, subject: str, role: str) -> Remote | None:
    """The object kept for this subject in this role, if any."""
    row = (await session.execute(
        select(OpenKlantLink.uuid, OpenKlantLink.url)
        .where(OpenKlantLink.subject == subject, OpenKlantLink.role == role))).first()
    return Remote(row.uuid, row.url) if row else None


async def keep(session: AsyncSession, subject: str, role: str, found: JSON) -> Remote:
    """Note the object Open Klant has for this subject in this role (once)."""
    remote = Remote(str(found["uuid"]), str(found["url"]))
    await session.execute(insert_ignore(session, OpenKlantLink).values(
        subject=subject, role=role, uuid=remote.uuid, url=remote.url, created_at=utcnow()))
    await session.flush()
    return remote


async def linked(
    session: AsyncSession, subject: str, role: str,
    find: Callable[[], Awaitable[JSON | None]], create: Callable[[], Awaitable[JSON]],
) -> Remote:
    """The object for this subject and role: kept here, else found in Open Klant, else
    created there (and when Open Klant refuses that, found again: made meanwhile by another
    worker); kept here at once either way."""
    await one_at_a_time(session, subject, role)
    remote = await known(session, subject, role)
    if remote is not None:
        return remote
    found = await find()
    if found is None:
        try:
            found = await create()
        except OpenKlantError as exc:
            # Another worker made it a moment ago (a partij's identifier is unique): then
            # it is there now; anything else stays the refusal it was.
            found = None if exc.temporary else await find()
            if found is None:
                raise
    return await keep(session, subject, role, found)


async def forget(session: AsyncSession, subject: str, role: str) -> None:
    """Forget what was kept for this subject in this role (a role ending in % : every role
    that starts so), when Open Klant's object is gone or no longer what it was."""
    where = (OpenKlantLink.role.like(role) if role.endswith("%")
             else OpenKlantLink.role == role)
    await session.execute(delete(OpenKlantLink).where(OpenKlantLink.subject == subject, where))
    await session.flush()


async def links_of(session: AsyncSession, subjects: list[str], role: str) -> list[Remote]:
    """The objects kept for these subjects in this role."""
    if not subjects:
        return []
    rows = await session.execute(
        select(OpenKlantLink.uuid, OpenKlantLink.url)
        .where(OpenKlantLink.subject.in_(subjects), OpenKlantLink.role == role)
        .order_by(OpenKlantLink.id))
    return [Remote(row.uuid, row.url) for row in rows]
