"""Levels of assurance: a dossier type may need a minimum level (basis, midden,
substantieel, hoog, from the acr claim). A session below it sees that the dossier exists,
logs in again with acr_values (a step-up) and comes back to it, still acting for whom it
acted for."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.access.loa import acr_values_for, loa_of
from mijn.audit.models import AuditEvent
from mijn.dossiers.models import DossierType
from mijn.mandates.models import Mandate
from mijn.settings import ConfigurationError, load_settings

LOCKED = "Z-2026-0501"  # Fatima's special assistance: needs "hoog"; her login gives substantieel
TIMELINE = "Een consulent bekijkt uw inkomen"
LOA3, LOA4 = "urn:etoegang:core:assurance-class:loa3", "urn:etoegang:core:assurance-class:loa4"


def _views(run: Runner) -> int:
    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(
            select(func.count()).where(AuditEvent.action == "dossier.view")) or 0)

    result: int = run(count)
    return result


def step_up(client: TestClient, page: str, persona: str) -> tuple[str, dict[str, list[str]]]:
    """Follow the page's step-up link through the development provider; returns where the
    portal sends the browser afterwards and what was asked of the provider."""
    link = page.split('href="/auth/', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    start = client.get(f"/auth/{link}")
    assert start.status_code == 303
    asked = parse_qs(urlsplit(start.headers["location"]).query)
    provider = client.get(start.headers["location"])
    assert "betrouwbaarheidsniveau hoog of hoger" in provider.text
    fields = form_fields(provider.text)
    back = client.post("/dev-idp/authorize", data={**fields, "persona": persona})
    done = client.get(back.headers["location"])
    assert done.status_code == 303
    return str(done.headers["location"]), asked


def test_below_the_level_the_dossier_exists_but_stays_closed(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-fatima")
    overview = client.get("/mijn/dossiers").text
    assert "Bijzondere bijstand voor een wasmachine" in overview
    assert "Opnieuw inloggen nodig" in overview and "betrouwbaarheidsniveau hoog" in overview
    page = client.get(f"/mijn/dossiers/{LOCKED}")
    assert page.status_code == 200
    assert "Log opnieuw in om dit dossier te openen" in page.text
    assert TIMELINE not in page.text and "In behandeling" not in page.text
    assert _views(run) == 0  # nothing of it was shown
    # Her other dossiers open as before.
    assert "Wat er tot nu toe is gebeurd" in client.get("/mijn/dossiers/Z-2026-0101").text


def test_step_up_asks_for_the_level_and_comes_back_to_the_dossier(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-fatima")
    page = client.get(f"/mijn/dossiers/{LOCKED}").text
    back, asked = step_up(client, page, "demo-fatima")
    acr_values = asked["acr_values"][0].split()
    assert LOA4 in acr_values and LOA3 not in acr_values  # only values that give "hoog"
    assert back == f"/mijn/dossiers/{LOCKED}"
    opened = client.get(back)
    assert opened.status_code == 200 and TIMELINE in opened.text
    assert _views(run) == 1


def test_step_up_keeps_acting_for_the_represented_party(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def prepare(session: AsyncSession) -> int:
        await session.execute(update(DossierType).where(DossierType.code == "omgevingsvergunning")
                              .values(min_loa="hoog"))
        mid = await session.scalar(select(Mandate.id).where(Mandate.external_id == "demo-bewind"))
        assert mid is not None
        return int(mid)

    mid = run(prepare)
    auth.login("demo-sanne")
    client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": str(mid)})
    page = client.get("/mijn/dossiers/Z-2026-0001").text
    assert "Log opnieuw in om dit dossier te openen" in page
    back, _asked = step_up(client, page, "demo-sanne")
    opened = client.get(back)
    assert "U handelt namens Jan Jansen" in opened.text
    assert "Een vakspecialist beoordeelt uw aanvraag" in opened.text


def test_step_up_as_someone_else_does_not_keep_the_mandate(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def mandate(session: AsyncSession) -> int:
        await session.execute(update(DossierType).where(DossierType.code == "omgevingsvergunning")
                              .values(min_loa="hoog"))
        return int(await session.scalar(
            select(Mandate.id).where(Mandate.external_id == "demo-bewind")) or 0)

    mid = run(mandate)
    auth.login("demo-sanne")
    client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": str(mid)})
    page = client.get("/mijn/dossiers/Z-2026-0001").text
    back, _asked = step_up(client, page, "demo-fatima")  # another person at the provider
    assert client.get(back).status_code == 404  # Fatima holds no mandate for Jan


def test_an_acr_mapping_of_ones_own_replaces_the_defaults() -> None:
    settings = load_settings({"MIJN_LOA_ACR": "urn:x:weak=basis"})
    assert loa_of(settings.acr_levels, LOA4) == ""  # a mapping of one's own replaces the defaults
    assert loa_of(settings.acr_levels, "urn:x:weak") == "basis" and loa_of(settings.acr_levels, "hoog") == "hoog"


def test_acr_values_for_a_level_are_the_ones_that_reach_it() -> None:
    settings = load_settings({})
    assert loa_of(settings.acr_levels, LOA3) == "substantieel"
    assert loa_of(settings.acr_levels, "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract") \
        == "midden"
    hoog = acr_values_for(settings.acr_levels, "hoog")
    assert LOA4 in hoog and LOA3 not in hoog
    midden = acr_values_for(settings.acr_levels, "midden")
    assert set(hoog) < set(midden)
    assert loa_of(settings.acr_levels, midden[0]) == "midden"  # the lowest that reaches it comes first


@pytest.mark.parametrize("raw", ["x", "urn:a=laag", "=hoog", "urn:a=basis,urn:b"])
def test_a_wrong_acr_mapping_is_refused(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="MIJN_LOA_ACR"):
        load_settings({"MIJN_LOA_ACR": raw})


def test_a_back_office_sets_the_level_of_a_dossier_type(client: TestClient, run: Runner) -> None:
    from mijn.intake.service import create_api_client

    async def token(session: AsyncSession) -> str:
        return (await create_api_client(session, "catalogus", "gemeente", ["catalogue"]))[1]

    headers = {"Authorization": f"Bearer {run(token)}"}
    body = {"kind": "case", "name_nl": "Schuldhulp", "min_loa": "substantieel", "statuses": [
        {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Ontvangen."}]}
    assert client.put("/api/v1/dossier-types/schuldhulp", json=body,
                      headers=headers).status_code == 204

    async def level(session: AsyncSession) -> str | None:
        return await session.scalar(
            select(DossierType.min_loa).where(DossierType.code == "schuldhulp"))

    assert run(level) == "substantieel"
    wrong = client.put("/api/v1/dossier-types/schuldhulp", json={**body, "min_loa": "laag"},
                       headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "min_loa"
