"""An ingested status event costs a fixed, small number of SQL statements, however much the
dossier holds: the intake's hot path (issue 17). On PostgreSQL: the token with the
failed-token check in one statement, and the event itself (found, checked, stored, made
current, news in the outbox) in one; on SQLite, the development database, the event takes a
few Core statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_query_counts import counting

from conftest import Runner
from mijn.dossiers.models import Dossier, StatusEvent
from mijn.intake.service import create_api_client
from mijn.notifications.models import Notification

TYPE = {
    "kind": "report", "name_nl": "Melding", "statuses": [
        {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw melding."},
        {"code": "ingepland", "label_nl": "Ingepland", "text_nl": "Een ploeg komt."},
        {"code": "opgelost", "label_nl": "Opgelost", "text_nl": "Opgelost.", "is_final": True},
    ],
}
# Per backend: the most statements one status event may take (a repeat takes no more).
MOST = {"postgresql": 2, "sqlite": 5}


def _post(client: TestClient, headers: dict[str, str], dossier: str, event: str, code: str,
          day: int) -> Any:
    return client.post(f"/api/v1/dossiers/gemeente/{dossier}/statuses", headers=headers, json={
        "event_id": event, "status": code, "occurred_at": f"2026-03-{day:02d}T10:00:00+01:00",
    })


def _statements(app: Starlette, client: TestClient, headers: dict[str, str], *args: Any
                ) -> tuple[int, int]:
    with counting(app) as statements:
        response = _post(client, headers, *args)
    return response.status_code, len(statements)


def _rows(run: Runner) -> tuple[int, int, str | None]:
    async def count(session: AsyncSession) -> tuple[int, int, str | None]:
        events = await session.scalar(select(func.count()).select_from(StatusEvent))
        news = await session.scalar(select(func.count()).select_from(Notification))
        closed = await session.scalar(select(Dossier.closed_on).where(Dossier.external_id == "big"))
        return int(events or 0), int(news or 0), closed.isoformat() if closed else None

    result: tuple[int, int, str | None] = run(count)
    return result


def test_an_ingested_event_takes_few_statements_whatever_the_dossier_holds(
    client: TestClient, app: Starlette, run: Runner
) -> None:
    async def make(session: AsyncSession) -> str:
        return (await create_api_client(session, "g", "gemeente", ["dossiers", "catalogue"]))[1]

    headers = {"Authorization": f"Bearer {run(make)}"}
    assert client.put("/api/v1/dossier-types/melding", headers=headers, json=TYPE).status_code == 204
    for external_id in ("small", "big"):
        assert client.put(f"/api/v1/dossiers/gemeente/{external_id}", headers=headers, json={
            "party": {"type": "bsn", "id": "999990019"}, "dossier_type": "melding",
            "title": "Losse tegel", "channel": "web", "opened_on": "2026-03-01",
        }).status_code == 201
    for n in range(30):
        assert _post(client, headers, "big", f"old-{n}", "ontvangen", 1 + n % 20).status_code == 201

    backend = app.state.engine.dialect.name
    small = _statements(app, client, headers, "small", "e1", "ontvangen", 2)
    big = _statements(app, client, headers, "big", "e2", "opgelost", 25)
    late = _statements(app, client, headers, "big", "e3", "ingepland", 3)  # older: not current
    repeat = _statements(app, client, headers, "big", "e2", "opgelost", 25)
    assert [small[0], big[0], late[0], repeat[0]] == [201, 201, 201, 200]
    assert small[1] == big[1] <= MOST[backend], (small, big)
    assert late[1] <= MOST[backend] and repeat[1] <= MOST[backend], (late, repeat)
    # 30 + 3 events; news for each that became current: the first 20 of the 30 (then older
    # ones), e1 and e2, not the late one nor the repeat; e2 closed the big one.
    events, news, closed = _rows(run)
    assert events == 33 and closed == "2026-03-25"
    assert news == 20 + 2
