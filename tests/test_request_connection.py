"""`mijn.db.request_connection`, the API's hot path without an ORM session: on PostgreSQL
each statement commits on its own; behind PgBouncer (and on SQLite) the block is one
transaction, kept when it ends without an error, as the "autocommit" sessions do."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import text
from starlette.requests import Request

from mijn.db import make_engine, request_connection
from mijn.pgbouncer import PgBouncerSettings


async def _kept(url: str, pgbouncer: bool) -> tuple[list[str], Any]:
    engine = make_engine(url)
    table = f"kept_{uuid.uuid4().hex[:8]}"
    chosen = PgBouncerSettings(enabled=pgbouncer).autocommit_engine(engine)
    request = cast(Request, SimpleNamespace(app=SimpleNamespace(
        state=SimpleNamespace(autocommit_engine=chosen))))
    try:
        async with request_connection(request) as connection:
            await connection.execute(text(f"CREATE TABLE {table} (what TEXT)"))
            await connection.execute(text(f"INSERT INTO {table} VALUES ('written')"))
        with contextlib.suppress(RuntimeError):
            async with request_connection(request) as connection:
                await connection.execute(text(f"INSERT INTO {table} VALUES ('failed')"))
                raise RuntimeError("the request failed")
        async with request_connection(request) as connection:
            kept = list(await connection.scalars(text(f"SELECT what FROM {table} ORDER BY 1")))
            level = chosen.get_execution_options().get("isolation_level")
            await connection.execute(text(f"DROP TABLE {table}"))
        return kept, level
    finally:
        await engine.dispose()


def test_a_request_connection_keeps_what_it_wrote(database_url: str) -> None:
    kept, level = asyncio.run(_kept(database_url, pgbouncer=False))
    if database_url.startswith("postgresql"):
        assert (kept, level) == (["failed", "written"], "AUTOCOMMIT")  # each statement its own
    else:
        assert (kept, level) == (["written"], None)


def test_behind_pgbouncer_a_request_connection_is_one_transaction(database_url: str) -> None:
    assert asyncio.run(_kept(database_url, pgbouncer=True)) == (["written"], None)
