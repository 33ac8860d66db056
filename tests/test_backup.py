"""Backup and restore (README.md, "Operations: backup and restore"): a PostgreSQL database
with the demo data, dumped with pg_dump, restored with pg_restore into a fresh database,
serves the same pages. PostgreSQL only (a SQLite file is backed up as a file)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from starlette.testclient import TestClient

from conftest import BASE_URL, POSTGRES_URL, Auth, build_app, make_settings
from mijn.dev.demo import seed_demo
from mijn.migrate import upgrade

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None,
                                reason="needs Debian's postgresql-client (pg_dump)")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases (names), dropped afterwards."""
    names = tuple(f"mijn_backup_{uuid.uuid4().hex[:10]}" for _ in range(2))
    for name in names:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield names[0], names[1]
    finally:
        for name in names:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _url(name: str) -> str:
    return f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"


def _pages(url: str, data_dir: Path, seed: bool) -> dict[str, list[str]]:
    """What Jan and a team lead see: the dossiers (links and titles), a dossier's timeline,
    his questions, the lead's queue figures."""
    app = build_app(make_settings(url, data_dir))
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        assert client.portal is not None
        if seed:
            client.portal.call(_seed, app)
        auth = Auth(client)
        auth.login("demo-jan")
        overview = client.get("/mijn/dossiers").text
        links = re.findall(r'href="(/mijn/dossiers/[^"?#]+)"[^>]*>\s*([^<]+?)\s*<', overview)
        detail = client.get(links[0][0]).text
        questions = client.get("/mijn/vragen").text
    return {
        "dossiers": [f"{href} {title}" for href, title in links],
        "timeline": _text(detail, "main"),
        "questions": _text(questions, "main"),
    }


async def _seed(app: object) -> None:
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await seed_demo(session)


def _text(page: str, element: str) -> list[str]:
    """The words of one element, without the per-request tokens (CSRF, nonces)."""
    found = re.search(rf"<{element}[^>]*>(.*)</{element}>", page, re.DOTALL)
    assert found, page
    body = re.sub(r'(value|nonce)="[^"]*"', "", found.group(1))
    return re.sub(r"<[^>]+>", " ", body).split()


def test_a_dump_restored_into_a_fresh_database_serves_the_same_pages(
    databases: tuple[str, str], tmp_path: Path, data_dir: Path
) -> None:
    original, restored = databases
    upgrade(_url(original))
    before = _pages(_url(original), data_dir, seed=True)
    assert len(before["dossiers"]) >= 5 and before["timeline"] and before["questions"]

    dump = tmp_path / "mijn.dump"
    server = POSTGRES_URL.rstrip("/")
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                    f"--dbname={server}/{original}"], check=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={server}/{restored}",
                    str(dump)], check=True, timeout=120)
    asyncio.run(_admin(f'DROP DATABASE "{original}" WITH (FORCE)'))  # nothing left to read

    upgrade(_url(restored))  # at head already: nothing to do
    after = _pages(_url(restored), data_dir, seed=False)
    assert after == before
