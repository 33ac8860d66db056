"""The overview and the detail page use a fixed number of SQL statements, however much data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.dev.personas import CITIZENS
from mijn.dossiers.changes import create_dossier, record_status, status_type
from mijn.dossiers.models import DossierType
from mijn.parties.service import get_or_create_party


@contextmanager
def counting(app: Starlette) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _add_dossiers(session: AsyncSession, bsn: str, dossiers: int, events: int, prefix: str) -> None:
    party = await get_or_create_party(session, "bsn", bsn)
    dossier_type = await session.scalar(select(DossierType).where(DossierType.code == "subsidie"))
    assert dossier_type is not None
    codes = ["ontvangen", "beoordeling"]
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    for n in range(dossiers):
        dossier = await create_dossier(
            session, reference=f"{prefix}-{n:04d}", party_id=party.id, dossier_type=dossier_type,
            title=f"Aanvraag {n}", channel="web", department="Subsidies", opened_on=date(2026, 1, 1),
        )
        for e in range(events):
            status = await status_type(session, dossier_type.id, codes[e % 2])
            await record_status(session, dossier, status, start + timedelta(hours=e + n))


def _statements(app: Starlette, client: TestClient, path: str) -> int:
    with counting(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_overview_and_detail_queries_do_not_grow(
    client: TestClient, auth: Auth, demo: None, run: Runner, app: Starlette
) -> None:
    small, large = CITIZENS[2].bsn, CITIZENS[1].bsn  # Sanne, Fatima
    run(_add_dossiers, small, 2, 1, "SMALL")
    run(_add_dossiers, large, 35, 40, "LARGE")

    auth.login("demo-sanne")
    overview_small = _statements(app, client, "/mijn/dossiers")
    detail_small = _statements(app, client, "/mijn/dossiers/SMALL-0000")
    auth.logout()
    auth.login("demo-fatima")
    overview_large = _statements(app, client, "/mijn/dossiers")
    detail_large = _statements(app, client, "/mijn/dossiers/LARGE-0000")
    page_large = _statements(app, client, "/mijn/dossiers?pagina=3")

    assert overview_small == overview_large == page_large
    assert detail_small == detail_large
    # The session (one indexed look-up by the cookie's hashed id), who acts for whom: the
    # person and today's mandates in one query (Sanne holds mandates, Fatima none: the same
    # count), then counts and one page of rows.
    assert overview_small <= 5
    # The session, who acts for whom, the dossier, timeline, next status, audit insert, its
    # questions, the topics of the ask form, the unread messages of the header and the
    # answers for its type and status
    assert detail_small <= 10
