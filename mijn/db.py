"""Database engine, session factory, declarative base, the per-request session and
"insert, ignore conflicts" for both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from starlette.requests import Request

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, **kwargs: Any
) -> AsyncEngine:
    """Create the async engine; for SQLite, make its folder and turn on foreign keys and WAL.

    PostgreSQL: at most pool_size + max_overflow connections (MIJN_DATABASE_POOL_SIZE and
    MIJN_DATABASE_MAX_OVERFLOW for the portal and the worker); a request beyond them waits
    for one to come free."""
    parsed = make_url(url)
    # An error's message never carries the values of a query (a BSN, an e-mail address):
    # they would end up in the log with its traceback.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs["pool_size"] = pool_size  # default: a worker serves ~16 requests at once under load
    kwargs["max_overflow"] = max_overflow
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory: objects stay usable after commit, for rendering."""
    return async_sessionmaker(engine, expire_on_commit=False)


def make_autocommit_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions without a transaction (same pool): each statement commits on its own.

    For pages that read, and at most append a row (an audit event): they skip the
    BEGIN and ROLLBACK/COMMIT round trips of a transaction they do not need.
    """
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )


@asynccontextmanager
async def request_session(
    request: Request, *, autocommit: bool = False
) -> AsyncIterator[AsyncSession]:
    """One session for one request; the handler commits explicitly after a write."""
    state = request.app.state
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.autocommit_sessionmaker if autocommit else state.sessionmaker
    )
    async with sessionmaker() as session:
        yield session


@asynccontextmanager
async def request_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection without an ORM session for a request that runs a few Core statements
    (the API's ping and status events): each statement commits on its own; behind PgBouncer
    (`autocommit_engine` is then the engine itself) one transaction, committed when the block
    ends without an error, as its "autocommit" sessions do (mijn.pgbouncer)."""
    async with autocommit_connection(request.app.state.autocommit_engine) as connection:
        yield connection


@asynccontextmanager
async def autocommit_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of `app.state.autocommit_engine`: each statement commits on its own, or
    (behind PgBouncer, and on SQLite) one transaction committed when the block ends without
    an error."""
    if engine.dialect.name == "postgresql" and engine.get_execution_options().get(
            "isolation_level") == "AUTOCOMMIT":
        async with engine.connect() as connection:
            yield connection
    else:
        async with engine.begin() as connection:
            yield connection


def insert_ignore(
    session: AsyncSession, target: Table | type[Base],
    index_elements: list[str] | None = None,
) -> postgresql.Insert | sqlite.Insert:
    """INSERT ... ON CONFLICT DO NOTHING in this session's dialect (PostgreSQL or SQLite).

    index_elements names the unique columns whose conflict is ignored (default: any).
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing(index_elements=index_elements)
    return sqlite.insert(target).on_conflict_do_nothing(index_elements=index_elements)
