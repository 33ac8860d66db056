"""The intake API: tokens, idempotent upserts, statuses in any order, forwarding, problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.dossiers.models import Dossier, StatusEvent
from mijn.intake.service import create_api_client, revoke_api_client

TYPE = {
    "kind": "report", "name_nl": "Melding openbare ruimte", "name_en": "Public space report",
    "statuses": [
        {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw melding."},
        {"code": "ingepland", "label_nl": "Ingepland", "text_nl": "Een ploeg komt."},
        {"code": "opgelost", "label_nl": "Opgelost", "text_nl": "Het is opgelost.", "is_final": True},
    ],
}
DOSSIER = {
    "party": {"type": "bsn", "id": "999990019"}, "dossier_type": "melding",
    "title": "Losse stoeptegel", "channel": "phone", "department": "Wegen",
    "opened_on": "2026-03-01", "expected_end": "2026-03-15", "reference": "M-API-1",
}


def status(event_id: str, code: str, day: int) -> dict[str, str]:
    return {"event_id": event_id, "status": code, "occurred_at": f"2026-03-{day:02d}T10:00:00+01:00",
            "explanation": f"Toelichting {event_id}"}


@pytest.fixture
def tokens(run: Runner) -> dict[str, str]:
    async def make(session: AsyncSession) -> dict[str, str]:
        result = {}
        for name, source, scopes in [
            ("gemeente", "gemeente", ["dossiers", "catalogue"]),
            ("provincie", "provincie", ["dossiers"]),
            ("revoked", "gemeente", ["dossiers"]),
        ]:
            _client, result[name] = await create_api_client(session, name, source, scopes)
        await revoke_api_client(session, "revoked")
        return result

    result: dict[str, str] = run(make)
    return result


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    def call(method: str, path: str, who: str = "gemeente", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        headers.update(kwargs.pop("headers", {}))
        return client.request(method, path, headers=headers, **kwargs)

    assert call("PUT", "/api/v1/dossier-types/melding", json=TYPE).status_code == 204
    return call


def _count(run: Runner, model: type) -> int:
    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    result: int = run(count)
    return result


def test_upsert_is_idempotent(api: Callable[..., Any], run: Runner) -> None:
    first = api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    again = api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["reference"] == "M-API-1" and first.json()["kind"] == "report"
    changed = api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER | {"title": "Tegel los"})
    assert changed.status_code == 200 and changed.json()["title"] == "Tegel los"
    assert _count(run, Dossier) == 1


def test_duplicate_and_out_of_order_events(api: Callable[..., Any], run: Runner) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    url = "/api/v1/dossiers/gemeente/42/statuses"
    assert api("POST", url, json=status("e3", "opgelost", 9)).status_code == 201
    assert api("POST", url, json=status("e1", "ontvangen", 1)).status_code == 201
    assert api("POST", url, json=status("e2", "ingepland", 4)).status_code == 201
    repeat = api("POST", url, json=status("e1", "ontvangen", 1))
    assert repeat.status_code == 200 and repeat.json()["current_status"] == "opgelost"
    dossier = api("GET", "/api/v1/dossiers/gemeente/42").json()
    assert dossier["current_status"] == "opgelost" and dossier["closed_on"] == "2026-03-09"
    assert _count(run, StatusEvent) == 3


def test_citizen_sees_the_report_with_its_channel(
    api: Callable[..., Any], client: TestClient, auth: Auth
) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    api("POST", "/api/v1/dossiers/gemeente/42/statuses", json=status("e1", "ingepland", 2))
    auth.login("demo-jan")
    overview = client.get("/mijn/dossiers").text
    assert "Losse stoeptegel" in overview and "Telefoon" in overview and "Ingepland" in overview
    detail = client.get("/mijn/dossiers/M-API-1").text
    assert "Toelichting e1" in detail and "Wegen" in detail


def test_forwarding_to_a_partner(api: Callable[..., Any], client: TestClient, auth: Auth) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    forward = {"partner_source": "provincie", "partner_external_id": "P-7",
               "partner_name": "Provincie Voorbeeld", "occurred_at": "2026-03-02T09:00:00+01:00"}
    first = api("POST", "/api/v1/dossiers/gemeente/42/forwardings", json=forward)
    again = api("POST", "/api/v1/dossiers/gemeente/42/forwardings", json=forward)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["forwarded_to"] == ["Provincie Voorbeeld"]
    pushed = api("POST", "/api/v1/dossiers/provincie/P-7/statuses", who="provincie",
                 json=status("p1", "ingepland", 5))
    assert pushed.status_code == 201 and pushed.json()["current_status"] == "ingepland"
    auth.login("demo-jan")
    detail = client.get("/mijn/dossiers/M-API-1").text
    assert "Doorgestuurd naar Provincie Voorbeeld" in detail
    assert "Behandeld door" in detail and "Provincie Voorbeeld" in detail
    assert "Toelichting p1" in detail


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        (None, "/api/v1/dossiers/gemeente/9", 401),
        ("revoked", "/api/v1/dossiers/gemeente/9", 401),
        ("provincie", "/api/v1/dossiers/gemeente/9", 403),
        ("gemeente", "/api/v1/dossiers/provincie/9", 403),
    ],
)
def test_tokens_refused_write_nothing(
    api: Callable[..., Any], client: TestClient, run: Runner, who: str | None, path: str, expected: int
) -> None:
    response = api("PUT", path, who=who, json=DOSSIER)
    assert response.status_code == expected
    assert response.headers["content-type"] == "application/problem+json"
    assert api("POST", path + "/statuses", who=who, json=status("x", "ontvangen", 1)).status_code in (expected, 404)
    wrong = client.put(path, headers={"Authorization": "Bearer mijn_wrong"}, json=DOSSIER)
    assert wrong.status_code == 401
    assert _count(run, Dossier) == 0


def test_provincie_token_cannot_register_types(api: Callable[..., Any]) -> None:
    assert api("PUT", "/api/v1/dossier-types/x", who="provincie", json=TYPE).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in DOSSIER.items() if k != "title"}, "title"),
        (DOSSIER | {"channel": "fax"}, "channel"),
        (DOSSIER | {"opened_on": "1 maart"}, "opened_on"),
        (DOSSIER | {"party": {"type": "bsn", "id": "123456789"}}, "party.id"),
        (DOSSIER | {"dossier_type": "onbekend"}, "dossier_type"),
        (DOSSIER | {"extra": 1}, "extra"),
    ],
)
def test_bad_payload_names_the_field(api: Callable[..., Any], run: Runner, body: dict[str, Any], field: str) -> None:
    response = api("PUT", "/api/v1/dossiers/gemeente/42", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422 and field in [e["field"] for e in problem["errors"]]
    assert _count(run, Dossier) == 0


def test_not_json_and_not_an_object(api: Callable[..., Any]) -> None:
    json_type = {"Content-Type": "application/json"}
    assert api("PUT", "/api/v1/dossiers/gemeente/1", content=b"{nope", headers=json_type).status_code == 400
    as_text = api("PUT", "/api/v1/dossiers/gemeente/1", content=b"{}", headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415 and as_text.json()["title"] == "Unsupported Media Type"
    assert api("PUT", "/api/v1/dossiers/gemeente/1", json=[1, 2]).status_code == 422


def test_status_needs_a_time_zone_and_a_known_status(api: Callable[..., Any]) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    url = "/api/v1/dossiers/gemeente/42/statuses"
    naive = api("POST", url, json=status("e1", "ontvangen", 1) | {"occurred_at": "2026-03-01T10:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "occurred_at"
    unknown = api("POST", url, json=status("e1", "verzonnen", 1))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "status"
    missing = api("POST", "/api/v1/dossiers/gemeente/404/statuses", json=status("e1", "ontvangen", 1))
    assert missing.status_code == 404


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    api_paths = {r.path for r in client.app.routes if getattr(r, "path", "").startswith("/api/v1/")}  # type: ignore[attr-defined]
    api_paths.discard("/api/v1/openapi.json")
    assert api_paths <= set(document["paths"])


def test_the_zgw_source_is_reserved(run: Runner) -> None:
    from mijn.intake.service import IntakeError

    async def make(session: AsyncSession) -> None:
        await create_api_client(session, "sneaky", "zgw", ["dossiers"])

    with pytest.raises(IntakeError, match="reserved"):
        run(make)
