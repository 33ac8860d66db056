"""Running on PostgreSQL through PgBouncer in transaction pooling (MIJN_DATABASE_PGBOUNCER=1).

In transaction pooling, PgBouncer hands a server connection to a client for one transaction
only; whatever lives longer on a server connection is another client's next. Debian
bookworm's PgBouncer (1.18) does not track protocol-level prepared statements
(`max_prepared_statements` came in 1.21), so:

- asyncpg's statement caches are off (`statement_cache_size=0`, SQLAlchemy's
  `prepared_statement_cache_size=0`) and each statement is prepared under a name of its own
  (never asyncpg's counter, `__asyncpg_stmt_1__` on every connection): a statement that
  reaches another server connection fails loudly instead of running someone else's;
- nothing runs outside a transaction: asyncpg prepares and executes in two round trips, and
  between them, outside a transaction, PgBouncer may hand the server connection to another
  client. SQLAlchemy begins a transaction before the first statement, except in AUTOCOMMIT,
  so the "autocommit" sessions (pages that read and at most append a row) become sessions
  that commit when their block ends without an error;
- Mijn uses no session-level state (no advisory locks, SET, LISTEN or temporary tables):
  queue claims and worker rounds lock rows with FOR UPDATE SKIP LOCKED, in a transaction.

Migrations (`mijn db upgrade`) take a transaction of their own and may run through PgBouncer
too, but the deployment guide runs them on the database directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mijn.db import make_autocommit_sessionmaker
from mijn.envvalues import ConfigurationError


def statement_name() -> str:
    """A prepared statement name no other connection uses."""
    return f"__mijn_{uuid4().hex}__"


class CommitOnExitSession(AsyncSession):
    """A session that commits when its `async with` block ends without an error (the
    stand-in for AUTOCOMMIT through PgBouncer: what the block wrote is kept)."""

    async def __aexit__(
        self, type_: type[BaseException] | None, value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if type_ is None and self.in_transaction():
            await self.commit()
        await super().__aexit__(type_, value, traceback)


@dataclass(frozen=True)
class PgBouncerSettings:
    """Whether MIJN_DATABASE_URL points at PgBouncer in transaction pooling."""

    enabled: bool = False

    def engine_options(self) -> dict[str, Any]:
        """Options for create_async_engine (none when not behind PgBouncer)."""
        if not self.enabled:
            return {}
        return {"connect_args": {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": statement_name,
        }}

    def autocommit_sessionmaker(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        """The factory of the sessions for pages that read (see the module's docstring)."""
        if not self.enabled:
            return make_autocommit_sessionmaker(engine)
        return async_sessionmaker(engine, class_=CommitOnExitSession, expire_on_commit=False)

    def autocommit_engine(self, engine: AsyncEngine) -> AsyncEngine:
        """The engine of `mijn.db.request_connection`: in AUTOCOMMIT, except behind PgBouncer
        (there the engine itself: a transaction per request)."""
        if self.enabled or engine.dialect.name != "postgresql":
            return engine
        return engine.execution_options(isolation_level="AUTOCOMMIT")


def load_pgbouncer(env: Mapping[str, str]) -> PgBouncerSettings:
    """MIJN_DATABASE_PGBOUNCER: 1 (or true) behind PgBouncer in transaction pooling."""
    raw = env.get("MIJN_DATABASE_PGBOUNCER", "").strip().lower()
    if raw not in ("", "0", "1", "true", "false"):
        raise ConfigurationError(
            f"MIJN_DATABASE_PGBOUNCER must be 1 (behind PgBouncer) or 0, not {raw!r}."
        )
    return PgBouncerSettings(enabled=raw in ("1", "true"))
