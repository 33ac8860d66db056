"""Alembic environment: runs migrations on Mijn's async engine."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from mijn.db import Base, make_engine
from mijn.models import import_all
from mijn.settings import load_settings

import_all()
target_metadata = Base.metadata


def _url() -> str:
    configured = context.config.attributes.get("database_url")
    return configured or load_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
