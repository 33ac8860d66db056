"""Rate limits under parallel load on PostgreSQL: the counters hold whatever the number of
workers and processes, because each action is one atomic INSERT ... ON CONFLICT DO UPDATE
... RETURNING in the database.

- many increments at once, each from a connection (and engine) of its own: exactly the limit
  passes, and every attempt is counted;
- 25 parallel requests for a verification e-mail (the issue's check-then-insert sent 14):
  exactly 5 links, the other 20 answered 429.

SQLite is skipped: it serves one writer at a time, so there is no race to lose there.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import BASE_URL, Auth, Runner, form_fields
from mijn.db import make_engine, make_sessionmaker
from mijn.notifications.models import Notification
from mijn.ratelimits import service
from mijn.ratelimits.models import RateCounter
from mijn.ratelimits.rules import Rule, Window

pytestmark = pytest.mark.rate_limits
CONNECTIONS = 20
LIMIT = 5
NOW = 1_800_000_000.0


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The session's database, if it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs PostgreSQL: SQLite serves one writer at a time")
    return database_url


async def _hit_at_once(url: str, rule: Rule, who: str) -> list[service.Verdict]:
    """Every connection connects first, then all count one action at the same moment."""
    engines = [make_engine(url, pool_size=1, max_overflow=0) for _ in range(CONNECTIONS)]
    ready, go = asyncio.Barrier(CONNECTIONS), asyncio.Event()

    async def one(engine_index: int) -> service.Verdict:
        async with make_sessionmaker(engines[engine_index])() as session:
            await session.connection()  # connected (and in a transaction) before the start
            if (await ready.wait()) == 0:
                go.set()
            await go.wait()
            verdict = await service.hit(session, [(rule, who)], NOW)
            await session.commit()
            return verdict

    try:
        return list(await asyncio.gather(*(one(i) for i in range(CONNECTIONS))))
    finally:
        for engine in engines:
            await engine.dispose()


def test_parallel_increments_never_pass_more_than_the_limit(
    postgres_url: str, client: TestClient, run: Runner
) -> None:
    rule = Rule("QUESTIONS", (Window(LIMIT, 600), Window(LIMIT + 2, 86400)))
    verdicts = asyncio.run(_hit_at_once(postgres_url, rule, "a" * 64))
    assert Counter(v.allowed for v in verdicts) == {True: LIMIT, False: CONNECTIONS - LIMIT}
    # the 6th and 7th are over the 10 minutes' limit only; the rest over the day's too
    assert NOW % 86400 == 28800
    assert Counter(v.retry_after for v in verdicts if not v.allowed) == {
        600: 2, 86400 - 28800: CONNECTIONS - LIMIT - 2}

    async def counts(session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(select(RateCounter.rule, RateCounter.count))
        return {rule: count for rule, count in rows}

    assert run(counts) == {"questions:600": CONNECTIONS, "questions:86400": CONNECTIONS}


def test_parallel_requests_send_at_most_five_verification_links(
    postgres_url: str, client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    token = form_fields(client.get("/mijn/instellingen").text)["csrf_token"]
    app = client.app

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL,
                                     cookies=client.cookies) as http:
            return list(await asyncio.gather(*(
                http.post("/mijn/instellingen", data={
                    "csrf_token": token, "channel": "email", "email": f"adres{n}@example.org"})
                for n in range(25)
            )))

    assert client.portal is not None
    responses = client.portal.call(burst)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {303: 5, 429: 20}, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert re.fullmatch(r"\d+", refused.headers["retry-after"])

    async def links(session: AsyncSession) -> int:
        return int(await session.scalar(
            select(func.count()).where(Notification.kind == "verify")) or 0)

    assert run(links) == 5
