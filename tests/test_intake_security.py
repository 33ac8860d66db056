"""The intake's security rules (issue 14, items 3 and 4, and a low one) and `mijn zgw retry` as a
process.

- A forwarding names only a registered partner, never replaces the partner's own dossier,
  and a conflicting link is a 409: one client cannot capture another source's dossiers.
- A dossier type belongs to the source that made it (or to the configuration); a field left
  out of a PUT keeps its value, and the ZGW intake never lowers a level of assurance.
- A reference in use is refused alike whether the caller's own dossier or another source's
  has it: the answer does not tell that another source has it.
- `mijn zgw retry`, started as its own process, stores what it reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_zgw import FakeZgw, _dossiers, _notifications, db, notification, send, zgw_env

from conftest import BASE_URL, Runner
from mijn.dossiers.models import Dossier, DossierType, StatusEvent
from mijn.intake.service import create_api_client, revoke_api_client
from mijn.notifications.models import Notification

ROOT = Path(__file__).resolve().parent.parent
TYPE: dict[str, Any] = {
    "kind": "report", "name_nl": "Melding", "name_en": "Report", "min_loa": "hoog",
    "statuses": [
        {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw melding."},
        {"code": "opgelost", "label_nl": "Opgelost", "text_nl": "Opgelost.", "is_final": True},
    ],
}
DOSSIER = {
    "party": {"type": "bsn", "id": "999990019"}, "dossier_type": "melding",
    "title": "Losse stoeptegel", "channel": "phone", "department": "Wegen",
    "opened_on": "2026-03-01", "reference": "M-SEC-1",
}
OTHER = DOSSIER | {"party": {"type": "bsn", "id": "999990032"}, "title": "Van de provincie",
                   "department": "Provincie", "reference": "P-SEC-1"}
MOMENT = "2026-03-02T09:00:00+01:00"


def forwarding(partner_source: str, partner_id: str = "X") -> dict[str, str]:
    return {"partner_source": partner_source, "partner_external_id": partner_id,
            "partner_name": "Partner", "occurred_at": MOMENT}


@pytest.fixture
def api(client: TestClient, run: Runner) -> Callable[..., Any]:
    async def make(session: AsyncSession) -> dict[str, str]:
        tokens = {}
        for name, source in [("gemeente", "gemeente"), ("provincie", "provincie"),
                             ("oud", "oud")]:
            _client, tokens[name] = await create_api_client(
                session, name, source, ["dossiers", "catalogue"])
        await revoke_api_client(session, "oud")
        return tokens

    tokens: dict[str, str] = run(make)

    def call(method: str, path: str, who: str = "gemeente", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return client.request(method, path, headers=headers, **kwargs)

    assert call("PUT", "/api/v1/dossier-types/melding", json=TYPE).status_code == 204
    return call


def _problem(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json().get("errors", [])]


async def _dossier(session: AsyncSession, source: str, external_id: str) -> Dossier | None:
    found: Dossier | None = await session.scalar(
        select(Dossier).where(Dossier.source == source, Dossier.external_id == external_id))
    return found


async def _events(session: AsyncSession, dossier_id: int) -> list[StatusEvent]:
    return list(await session.scalars(
        select(StatusEvent).where(StatusEvent.dossier_id == dossier_id)))


async def _type(session: AsyncSession, code: str) -> DossierType | None:
    found: DossierType | None = await session.scalar(
        select(DossierType).where(DossierType.code == code))
    return found


# -- item 3: forwarding cannot capture another source's dossiers ------------------------------


def test_the_partners_put_makes_its_own_dossier_not_the_forwarded_one(
    api: Callable[..., Any], run: Runner
) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    assert api("POST", "/api/v1/dossiers/gemeente/42/forwardings",
               json=forwarding("provincie")).status_code == 201
    put = api("PUT", "/api/v1/dossiers/provincie/X", who="provincie", json=OTHER)
    assert put.status_code == 201, put.text
    assert (put.json()["source"], put.json()["title"]) == ("provincie", "Van de provincie")
    pushed = api("POST", "/api/v1/dossiers/provincie/X/statuses", who="provincie",
                 json={"event_id": "p1", "status": "ontvangen", "occurred_at": MOMENT})
    assert pushed.status_code == 201
    own = run(_dossier, "gemeente", "42")
    theirs = run(_dossier, "provincie", "X")
    assert own is not None and theirs is not None and own.id != theirs.id
    assert (own.title, own.department, own.current_status_id) == (
        "Losse stoeptegel", "Partner", None)
    assert [e.kind for e in run(_events, own.id)] == ["forwarded"]
    assert theirs.current_status_id is not None


@pytest.mark.parametrize("partner", ["zgw", "claim", "demo", "onbekend", "oud", "gemeente"])
def test_a_forwarding_names_only_a_registered_other_source(
    api: Callable[..., Any], run: Runner, partner: str
) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    refused = api("POST", "/api/v1/dossiers/gemeente/42/forwardings", json=forwarding(partner))
    _problem(refused, 422, "partner_source")
    own = run(_dossier, "gemeente", "42")
    assert own is not None and run(_events, own.id) == []


def test_a_forwarding_to_the_partners_own_dossier_is_a_conflict(
    api: Callable[..., Any], run: Runner
) -> None:
    assert api("PUT", "/api/v1/dossiers/provincie/X", who="provincie", json=OTHER).status_code == 201
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    refused = api("POST", "/api/v1/dossiers/gemeente/42/forwardings", json=forwarding("provincie"))
    _problem(refused, 409, "partner_external_id")
    own = run(_dossier, "gemeente", "42")
    assert own is not None and run(_events, own.id) == []


def test_a_partner_id_linked_to_another_dossier_is_a_conflict(api: Callable[..., Any]) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    api("PUT", "/api/v1/dossiers/gemeente/43", json=DOSSIER | {"reference": "M-SEC-2"})
    api("POST", "/api/v1/dossiers/gemeente/42/forwardings", json=forwarding("provincie"))
    again = api("POST", "/api/v1/dossiers/gemeente/43/forwardings", json=forwarding("provincie"))
    _problem(again, 409, "partner_external_id")


# -- item 4: dossier types belong to their source; a left-out field keeps its value -----------


def test_another_source_cannot_change_a_type(api: Callable[..., Any], run: Runner) -> None:
    lowered = TYPE | {"min_loa": "basis", "name_nl": "Gekaapt"}
    refused = api("PUT", "/api/v1/dossier-types/melding", who="provincie", json=lowered)
    _problem(refused, 403, "code")
    assert "gemeente" in refused.json()["detail"]
    found = run(_type, "melding")
    assert found is not None and (found.min_loa, found.name_nl, found.owner) == (
        "hoog", "Melding", "gemeente")
    assert api("PUT", "/api/v1/dossier-types/melding", json=lowered).status_code == 204


def test_a_configured_or_zgw_type_is_not_the_clients(api: Callable[..., Any], run: Runner) -> None:
    async def configure(session: AsyncSession) -> None:
        session.add(DossierType(code="bijstand", kind="case", name_nl="Bijstand",
                                min_loa="hoog"))

    run(configure)
    _problem(api("PUT", "/api/v1/dossier-types/bijstand", json=TYPE), 403, "code")
    _problem(api("PUT", "/api/v1/dossier-types/zgw-BIJSTAND", json=TYPE), 403, "code")
    assert run(_type, "zgw-BIJSTAND") is None


def test_a_field_left_out_keeps_its_value(api: Callable[..., Any], run: Runner) -> None:
    partial = {k: v for k, v in TYPE.items() if k not in ("min_loa", "name_en")}
    assert api("PUT", "/api/v1/dossier-types/melding", json=partial).status_code == 204
    found = run(_type, "melding")
    assert found is not None and (found.min_loa, found.name_en) == ("hoog", "Report")
    assert api("PUT", "/api/v1/dossier-types/melding",
               json=partial | {"min_loa": None}).status_code == 204
    found = run(_type, "melding")
    assert found is not None and found.min_loa is None


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeZgw]:
    server = FakeZgw()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(client_with: Callable[..., TestClient], fake: FakeZgw) -> TestClient:
    fake.reset()
    return client_with(**zgw_env(fake))


async def _raise_level(session: AsyncSession) -> None:
    await session.execute(update(DossierType).values(min_loa="hoog"))


def test_the_zgw_intake_never_lowers_a_level(portal: TestClient, fake: FakeZgw) -> None:
    zaaktype = fake.zaaktype()
    send(portal, notification(fake.zaak(zaaktype), "zaak"))
    db(portal, _raise_level)
    send(portal, notification(fake.zaak(zaaktype, identificatie="ZAAK-2"), "zaak"))
    assert [n.state for n in db(portal, _notifications)] == ["done", "done"]
    found = db(portal, _type, "zgw-OMGEVINGSVERGUNNING")
    assert found is not None and (found.min_loa, found.owner) == ("hoog", "zgw")


# -- `mijn zgw retry` as a process of its own -------------------------------------------------


def _process_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
            "MIJN_BASE_URL": BASE_URL, "MIJN_ENV": "development", "PYTHONPATH": str(ROOT),
            **extra}


def test_zgw_retry_in_its_own_process_stores_the_dossier(
    portal: TestClient, fake: FakeZgw, database_url: str, data_dir: Path
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 2, 3)
    fake.answer = 503
    send(portal, notification(zaak, "zaak"))
    assert [n.state for n in db(portal, _notifications)] == ["pending"]
    fake.answer = None
    env = _process_env(database_url, data_dir, **zgw_env(fake))
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "mijn.cli", "zgw", "retry", "--now"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 done, 0 ignored, 0 dead, 0 to retry later" in done.stderr, done.stderr
    [row] = db(portal, _notifications)
    assert (row.state, row.last_error) == ("done", "")
    [dossier] = db(portal, _dossiers)
    assert dossier.source == "zgw" and dossier.current_status_id is not None


async def _outbox(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Notification.email_state)))


def test_the_worker_in_its_own_process_handles_the_outbox(
    api: Callable[..., Any], run: Runner, database_url: str, data_dir: Path
) -> None:
    api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER)
    api("POST", "/api/v1/dossiers/gemeente/42/statuses",
        json={"event_id": "e1", "status": "ontvangen", "occurred_at": MOMENT})
    assert run(_outbox) == ["pending"]  # Jan has no e-mail address: portal only
    env = _process_env(database_url, data_dir, MIJN_SMTP_URL="smtp://127.0.0.1:9")
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "mijn.cli", "worker", "--once"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 portal only" in done.stderr, done.stderr
    assert run(_outbox) == ["skipped"]


def test_a_reference_in_use_is_refused_alike_for_own_and_other_sources(
    api: Callable[..., Any],
) -> None:
    assert api("PUT", "/api/v1/dossiers/gemeente/42", json=DOSSIER).status_code == 201
    assert api("PUT", "/api/v1/dossiers/provincie/1", json=OTHER, who="provincie").status_code == 201
    own = api("PUT", "/api/v1/dossiers/gemeente/43", json=DOSSIER | {"reference": "M-SEC-1"})
    other = api("PUT", "/api/v1/dossiers/gemeente/44", json=DOSSIER | {"reference": "P-SEC-1"})
    _problem(own, 409, "reference")
    _problem(other, 409, "reference")
    assert own.json() == other.json()  # the same answer: nothing says whose it is
    text = other.text.lower()
    assert "p-sec-1" not in text and "provincie" not in text and "another" not in text
    # Leaving the reference out gives a generated one, as the answer says.
    again = api("PUT", "/api/v1/dossiers/gemeente/44", json={
        k: v for k, v in DOSSIER.items() if k != "reference"})
    assert again.status_code == 201 and again.json()["reference"] not in ("M-SEC-1", "P-SEC-1")
