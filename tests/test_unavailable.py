"""A database out of reach for a moment (refused, too many clients) answers 503 with
Retry-After and the security headers, as a page or an API problem; a wrong query stays 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from conftest import POSTGRES_URL
from mijn.app import create_app
from mijn.db import make_engine
from mijn.http.errors import database_unavailable
from mijn.settings import load_settings

ASYNC_URL = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://")


def _portal(database_url: str, data_dir: str) -> TestClient:
    settings = load_settings({"MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": data_dir})
    return TestClient(create_app(settings), base_url="http://testserver",
                      raise_server_exceptions=False, follow_redirects=False)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def limited_role() -> Iterator[str]:
    """A PostgreSQL role that may hold no connection at all: every login is 'too many'."""
    role = f"mijn_full_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
    yield role
    asyncio.run(_admin(f'DROP ROLE IF EXISTS "{role}"'))


def _assert_unavailable_page(browser: TestClient) -> None:
    response = browser.get("/antwoorden?q=paspoort")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "Even niet bereikbaar" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    api = browser.get("/api/v1/dossiers/bron/1", headers={"Authorization": "Bearer mijn_" + "x" * 43})
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 503 and api.headers["retry-after"] == "30"


def test_a_database_that_refuses_connections_answers_503(tmp_path: Path) -> None:
    with _portal("postgresql+asyncpg://postgres@127.0.0.1:1/mijn", str(tmp_path)) as browser:
        _assert_unavailable_page(browser)


def test_too_many_clients_answers_503(limited_role: str, tmp_path: Path) -> None:
    url = ASYNC_URL.replace("postgres@", f"{limited_role}@", 1) + "/postgres"
    with _portal(url, str(tmp_path)) as browser:
        _assert_unavailable_page(browser)


def test_a_wrong_query_is_no_outage() -> None:
    async def wrong() -> DBAPIError:
        engine = make_engine(f"{ASYNC_URL}/postgres")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELEKT 1"))
        except DBAPIError as exc:
            return exc
        finally:
            await engine.dispose()
        raise AssertionError("the wrong query ran")

    assert not database_unavailable(asyncio.run(wrong()))
    assert database_unavailable(ConnectionRefusedError())
