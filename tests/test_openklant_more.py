"""Export to Open Klant, continued (tests/openklant_server.py as in test_openklant.py): the
party's phone number as a digitaal adres that follows a change; a mandate that ends by its
date ends its vertegenwoordiging; a mandate asserted at login goes once. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import test_openklant
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from test_openklant import JAN, SANNE, World, asking, assert_valid

from mijn.intake.service import create_api_client
from mijn.mandates.models import Mandate
from mijn.mandates.service import CLAIM_SOURCE, MandateInput, put_mandate
from mijn.openklant.ended import DailySweep, note_claimed, note_ended
from mijn.openklant.models import OpenKlantExport, OpenKlantLink
from mijn.openklant.queue import _EARLIER_PENDING
from mijn.parties.models import Party

server = test_openklant.server  # the fixtures of test_openklant.py: its server, its world
world = test_openklant.world


def _phone(world: World, number: str | None) -> None:
    async def call(session: AsyncSession) -> None:
        party = await session.get(Party, world.jan)
        assert party is not None
        party.phone = number
    world.run(call)


def _phones(world: World) -> list[dict[str, Any]]:
    return [a for a in world.objects("digitaleadressen")
            if a["soortDigitaalAdres"] == "telefoonnummer"]


def test_the_phone_number_goes_with_the_partij_and_follows_a_change(world: World) -> None:
    """The number as a telefoonnummer of the partij (as dialled, no verificatieDatum: Mijn
    does not verify phone numbers), once for any number of exports; a new number changes
    that digitaal adres (PATCH), also back to the first; one the standard refuses is not
    sent."""
    _phone(world, "06 1234-5678")
    asking(world)
    asking(world, "Nog een vraag.")
    assert world.deliver() == Counter(done=2)
    [partij] = world.objects("partijen")
    [phone] = _phones(world)
    assert phone == {**phone, "adres": "0612345678", "verstrektDoorPartij": {
        "uuid": partij["uuid"]}, "isStandaardAdres": False}
    assert "verificatieDatum" not in phone
    for number, dialled in (("+31 6 8765 4321", "+31687654321"), ("06 1234-5678", "0612345678")):
        _phone(world, number)
        asking(world, f"Een vraag na {number}.")
        assert world.deliver() == Counter(done=1)
        assert [(p["uuid"], p["adres"]) for p in _phones(world)] == [(phone["uuid"], dialled)]
    patches = [r for r in world.server.store.requests if r[0] == "PATCH"]
    assert [body for _m, _r, body in patches] == [{"adres": "+31687654321"},
                                                 {"adres": "0612345678"}]
    _phone(world, "bel mij")
    asking(world, "Zonder nummer.")
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("digitaleadressen")) == 1
    assert assert_valid(world) == 9  # a partij, 5 klantcontacten, an adres, 2 changes


def _token(world: World) -> dict[str, str]:
    async def token(session: AsyncSession) -> str:
        _client, found = await create_api_client(session, "register", "bewind", ["mandates"])
        return found
    return {"Authorization": f"Bearer {world.run(token)}"}


def _register(world: World, headers: dict[str, str], until: str | None) -> None:
    mandate = {"representative": {"type": "bsn", "id": SANNE}, "represented": {"type": "bsn",
               "id": JAN}, "role": "bewindvoerder", "dossier_types": [], "can_ask": True,
               "valid_from": "2026-01-01", "valid_until": until}
    response = world.client.put("/api/v1/mandates/bewind/b-9", json=mandate, headers=headers)
    assert response.status_code in (200, 201), response.text


async def _ended_yesterday(session: AsyncSession) -> None:
    mandate = await session.scalar(select(Mandate).where(Mandate.external_id == "b-9"))
    assert mandate is not None
    mandate.valid_until = date.today() - timedelta(days=1)  # as if its last day passed


async def _links(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OpenKlantLink.role).where(
        OpenKlantLink.subject.like("mandate:%"))))


def test_a_mandate_that_ends_by_its_date_ends_the_vertegenwoordiging(world: World) -> None:
    """Nothing happens in Mijn when a mandate's last day passes: the worker's daily sweep
    notes its export (once), which deletes the vertegenwoordiging (the standard keeps no
    end date) and forgets it; registered again, it is made again."""
    headers = _token(world)
    _register(world, headers, None)
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("vertegenwoordigingen")) == 1
    sweep, settings = DailySweep(), world.settings.openklant
    sessionmaker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    assert world.client.portal is not None
    assert world.client.portal.call(sweep, sessionmaker, settings) == 0  # it holds
    world.run(_ended_yesterday)
    assert world.client.portal.call(sweep, sessionmaker, settings) == 0  # swept today
    tomorrow = date.today() + timedelta(days=1)
    assert world.client.portal.call(sweep, sessionmaker, settings, tomorrow) == 1
    assert world.run(note_ended, settings, date.today()) == 0  # its export waits
    assert world.deliver() == Counter(done=1)
    assert world.objects("vertegenwoordigingen") == []
    assert world.run(_links) == []
    assert world.run(note_ended, settings, date.today()) == 0
    _register(world, headers, None)  # it holds again
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("vertegenwoordigingen")) == 1


async def _claimed(session: AsyncSession) -> int:
    today = date.today()
    mandate, _ = await put_mandate(session, MandateInput(
        CLAIM_SOURCE, f"x>bsn:{JAN}", ("bsn", SANNE), ("bsn", JAN), "authorised", (), True,
        today, today), ())
    return mandate.id


async def _exports(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OpenKlantExport.state).where(
        OpenKlantExport.kind == "mandate")))


def test_a_mandate_asserted_at_login_is_exported_once(world: World) -> None:
    """Each login asserts the mandate again: noted while it is neither waiting nor in Open
    Klant; after its day it is removed like any other (the login test in
    test_login_oidc_provider.py goes through the real flow)."""
    mandate_id = world.run(_claimed)
    settings = world.settings.openklant
    assert world.run(note_claimed, settings, mandate_id) is True
    assert world.run(note_claimed, settings, mandate_id) is False  # it waits
    assert world.deliver() == Counter(done=1)
    assert world.run(note_claimed, settings, mandate_id) is False  # it is there
    assert world.run(_exports) == ["done"]
    assert len(world.objects("vertegenwoordigingen")) == 1


async def _claim_plan(session: AsyncSession) -> str:
    """The plan of the worker's claim with 20,000 done exports before one pending."""
    now = datetime.now(UTC)
    done = {"kind": "question", "reference": "x", "state": "done", "attempts": 1,
            "next_attempt_at": now, "last_error": "", "created_at": now}
    await session.execute(insert(OpenKlantExport), [done] * 20_000)
    await session.execute(insert(OpenKlantExport), [{**done, "state": "pending"}])
    await session.execute(text("ANALYZE openklant_exports"))
    claim = (select(OpenKlantExport.id).where(OpenKlantExport.state == "pending",
                                              OpenKlantExport.next_attempt_at <= now)
             .where(~_EARLIER_PENDING).order_by(OpenKlantExport.id).limit(1)
             .with_for_update(skip_locked=True))
    compiled = claim.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = await session.execute(text(f"EXPLAIN {compiled}"))
    return "\n".join(row[0] for row in rows)


def test_a_claim_does_not_walk_the_done_exports(world: World, database_url: str) -> None:
    """Done exports stay in the outbox: the claim finds the oldest pending one through the
    index of pending ones (0015e), not by walking the primary key past every done row."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's; SQLite has one worker")
    plan = world.run(_claim_plan)
    assert "ix_openklant_exports_pending" in plan, plan
