"""Running the Alembic migrations from code (`mijn db upgrade`, `mijn serve`, tests)."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from mijn import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for the given database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database up to the given revision (from synchronous code)."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Bring the database up to date from inside a running event loop."""
    await asyncio.to_thread(upgrade, database_url, revision)
