"""Mijn gegevens (issue 16, item 5): what Mijn knows of the party acted for, its mandates both
ways (ended ones as ended), who looked at its data (staff by role and organisation, never by
name; within the visitor's scope and level of assurance, newest first, a page at a time), and
the language, remembered with the party and applied at the next login."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.audit.service import record_access
from mijn.audit.views import ViewScope, data_views
from mijn.db import utcnow
from mijn.dev.personas import CITIZENS
from mijn.dossiers.models import Dossier
from mijn.http.common import LANG_COOKIE
from mijn.mandates.overview import mandates_both_ways
from mijn.parties.language import language_at_login
from mijn.parties.models import Party

JAN_BSN, FATIMA_BSN, SANNE_BSN = CITIZENS[0].bsn, CITIZENS[1].bsn, CITIZENS[2].bsn
JAN_DOSSIER, JAN_TITLE = "Z-2026-0001", "Dakkapel aan de achterkant"
HIGH_DOSSIER, HIGH_TITLE = "Z-2026-0501", "Bijzondere bijstand voor een wasmachine"
BAKERY_GRANT, BAKERY_PERMIT = "Z-2026-0202", "Z-2026-0201"
AGENT_LINE = "Een medewerker van het klantcontactcentrum van Gemeente Voorbeeld"


async def _party_id(session: AsyncSession, identifier: str) -> int:
    found = await session.scalar(select(Party.id).where(Party.identifier == identifier))
    assert found is not None
    return found


async def _dossier(session: AsyncSession, reference: str) -> tuple[int, int]:
    row = (await session.execute(select(Dossier.id, Dossier.party_id)
                                 .where(Dossier.reference == reference))).one()
    return row[0], row[1]


async def _staff_view(session: AsyncSession, action: str, reference: str, role: str = "agent",
                      minutes_ago: int = 0) -> None:
    dossier_id, party_id = await _dossier(session, reference)
    await record_access(session, actor_type="staff", actor_id="1", actor_role=role,
                        action=action, party_id=party_id,
                        dossier_id=dossier_id if action != "kcc.party.view" else None)
    if minutes_ago:  # move the row just written back in time
        row = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert row is not None
        row.at = utcnow() - timedelta(minutes=minutes_ago)


# --- the services --------------------------------------------------------------------------


def test_views_are_staff_views_of_this_party_newest_first(run: Runner, demo: None) -> None:
    run(_staff_view, "kcc.party.view", JAN_DOSSIER, "agent", 30)
    run(_staff_view, "kcc.dossier.view", JAN_DOSSIER, "specialist", 10)
    run(_staff_view, "kcc.retry.email", JAN_DOSSIER)  # handling, not a view
    run(_staff_view, "kcc.dossier.view", HIGH_DOSSIER)  # another party's

    async def citizen_view(session: AsyncSession) -> None:  # the party's own look
        dossier_id, party_id = await _dossier(session, JAN_DOSSIER)
        await record_access(session, actor_type="party", actor_id=str(party_id),
                            action="dossier.view", party_id=party_id, dossier_id=dossier_id)

    run(citizen_view)
    jan = run(_party_id, JAN_BSN)
    page = run(data_views, jan, None, 1, 20)
    assert [(v.action, v.role) for v in page.views] == [
        ("kcc.dossier.view", "specialist"), ("kcc.party.view", "agent")]
    assert (page.total, page.pages, page.hidden) == (2, 1, 0)


def test_views_come_a_page_at_a_time(run: Runner, demo: None) -> None:
    for minutes in range(5, 0, -1):
        run(_staff_view, "kcc.dossier.view", JAN_DOSSIER, "agent", minutes)
    jan = run(_party_id, JAN_BSN)
    first, last = run(data_views, jan, None, 1, 2), run(data_views, jan, None, 99, 2)
    assert (first.pages, last.page, len(last.views)) == (3, 3, 1)
    assert first.views[0].at > first.views[1].at > last.views[0].at


def test_a_restricted_scope_sees_only_views_of_its_dossiers(run: Runner, demo: None) -> None:
    run(_staff_view, "kcc.party.view", BAKERY_GRANT)  # the company as a whole
    run(_staff_view, "kcc.dossier.view", BAKERY_GRANT)
    run(_staff_view, "kcc.dossier.view", BAKERY_PERMIT)

    async def views(session: AsyncSession) -> list[int | None]:
        grant, bakery = await _dossier(session, BAKERY_GRANT)
        scope = ViewScope(select(Dossier.id).where(Dossier.id == grant),
                          select(Dossier.id).where(Dossier.id == -1))
        page = await data_views(session, bakery, scope, 1, 20)
        return [v.dossier_id for v in page.views] + [grant]

    found = run(views)
    assert found[:-1] == [found[-1]]


def test_views_above_the_level_are_counted_not_shown(run: Runner, demo: None) -> None:
    run(_staff_view, "kcc.party.view", HIGH_DOSSIER)
    run(_staff_view, "kcc.dossier.view", HIGH_DOSSIER)

    async def views(session: AsyncSession) -> tuple[list[str], int]:
        high, fatima = await _dossier(session, HIGH_DOSSIER)
        locked = select(Dossier.id).where(Dossier.id == high)
        page = await data_views(session, fatima, ViewScope(locked_dossiers=locked), 1, 20)
        return [v.action for v in page.views], page.hidden

    assert run(views) == (["kcc.party.view"], 1)  # the party as a whole stays in view


def test_mandates_both_ways_with_ended_ones_last(run: Runner, demo: None) -> None:
    sanne, jan = run(_party_id, SANNE_BSN), run(_party_id, JAN_BSN)
    rows = run(mandates_both_ways, sanne)
    assert [(r.other_name, r.for_me, r.state) for r in rows][-1] == (
        "Fatima el Amrani", False, "ended")
    assert {r.state for r in rows[:-1]} == {"active"}
    assert [(r.other_name, r.for_me, r.role) for r in run(mandates_both_ways, jan)] == [
        ("Sanne de Vries", True, "bewindvoerder")]
    tomorrow = run(mandates_both_ways, sanne, date.today() + timedelta(days=400))
    assert {r.state for r in tomorrow} == {"ended"}


def test_language_at_login_keeps_a_choice(run: Runner, demo: None) -> None:
    jan = run(_party_id, JAN_BSN)
    assert run(language_at_login, jan, None) == "nl"
    assert run(language_at_login, jan, "en") == "en"  # chosen before logging in: kept
    assert run(language_at_login, jan, "nl") == "en"  # a stored choice wins
    assert run(language_at_login, jan, "xx") == "en"


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_what_mijn_knows_with_the_bsn_masked(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    run(_staff_view, "kcc.dossier.view", JAN_DOSSIER)
    auth.login("demo-jan")
    page = client.get("/mijn/gegevens")
    assert page.status_code == 200
    assert "Jan Jansen" in page.text and "*****0019" in page.text and JAN_BSN not in page.text
    assert 'href="/mijn/instellingen"' in page.text  # change the contact details there
    assert "Sanne de Vries" in page.text and "bewindvoerder" in page.text  # acts for Jan
    assert AGENT_LINE in page.text and JAN_TITLE in page.text
    assert "Anouk Bakker" not in page.text  # no staff names
    assert 'href="/mijn/gegevens"' in client.get("/mijn/dossiers").text  # in the menu


def test_a_staff_view_in_the_kcc_shows_on_the_page(
    client: TestClient, auth: Auth, demo: None
) -> None:
    auth.login_staff("demo-agent")
    assert client.get(f"/kcc/dossiers/{JAN_DOSSIER}").status_code == 200
    auth.login("demo-jan")
    page = client.get("/mijn/gegevens").text
    assert AGENT_LINE in page and f"bekeek het dossier “<span lang=\"nl\">{JAN_TITLE}" in page


def test_an_editor_reading_a_question_as_a_masked_example_shows_on_the_page(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    run(_staff_view, "kcc.question.example", JAN_DOSSIER, "editor")
    auth.login("demo-jan")
    page = " ".join(client.get("/mijn/gegevens").text.split())
    assert ("las een vraag zonder persoonsgegevens, als voorbeeld om de antwoorden op de "
            "website te verbeteren.") in page


def test_acting_for_someone_shows_their_data_and_says_so(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    choose = client.get("/mijn/gegevens").text
    assert "*****0032" in choose and "Verlopen" in choose and "Handel namens Jan Jansen" in choose
    ids = [m for m in run(mandates_both_ways, run(_party_id, SANNE_BSN))
           if m.other_name == "Jan Jansen"]
    switched = client.post("/mijn/namens", data={"csrf_token": auth.csrf(),
                                                 "keuze": str(ids[0].id)})
    assert switched.status_code == 303
    page = client.get("/mijn/gegevens").text
    assert "Gegevens van Jan Jansen" in page and "*****0019" in page
    assert "niet uw eigen gegevens" in page and "*****0032" not in page
    assert 'href="/mijn/instellingen"' not in page and 'id="taal-nl"' not in page
    audit = run(_last_audit)
    assert (audit.action, audit.actor_id, audit.mandate_id) == (
        "profile.view", str(run(_party_id, SANNE_BSN)), ids[0].id)
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 200
    page = " ".join(client.get("/mijn/gegevens").text.split())  # a representative's view
    assert "Sanne de Vries (bewindvoerder) bekeek het dossier" in page and JAN_TITLE in page


async def _last_audit(session: AsyncSession) -> AuditEvent:
    found = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert found is not None
    return found


def test_a_narrow_mandate_shows_only_the_name(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    run(_staff_view, "kcc.dossier.view", BAKERY_PERMIT)  # out of the mandate's scope
    auth.login("demo-sanne")
    bakery = [m for m in run(mandates_both_ways, run(_party_id, SANNE_BSN))
              if m.other_name.startswith("Bakkerij")][0]
    client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": str(bakery.id)})
    page = client.get("/mijn/gegevens").text
    assert "Gegevens van Bakkerij De Korenschoof" in page and "69599084" not in page
    assert "Uitbreiding bakkerij" not in page and "Nog niemand" in page


def test_views_above_the_level_ask_to_log_in_higher(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    run(_staff_view, "kcc.dossier.view", HIGH_DOSSIER)
    auth.login("demo-fatima")
    page = client.get("/mijn/gegevens").text
    assert HIGH_TITLE not in page and "Log opnieuw in met betrouwbaarheidsniveau hoog" in page
    auth.login("demo-fatima", level="hoog")
    assert HIGH_TITLE in client.get("/mijn/gegevens").text


def test_the_views_page_through_with_htmx_as_a_fragment(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    for minutes in range(25, 0, -1):
        run(_staff_view, "kcc.dossier.view", JAN_DOSSIER, "agent", minutes)
    auth.login("demo-jan")
    assert 'href="/mijn/gegevens?pagina=2#inzage"' in client.get("/mijn/gegevens").text
    part = client.get("/mijn/gegevens?pagina=2", headers={"HX-Request": "true"})
    assert part.text.lstrip().startswith('<section aria-labelledby="inzage-kop"')
    assert "Pagina 2 van 2" in part.text and part.text.count("<li class=\"mijn-card\">") == 5


def test_a_business_login_sees_its_company(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-karin", audience="business")
    page = client.get("/mijn/gegevens").text
    assert "Gegevens van Bakkerij De Korenschoof" in page and "69599084" in page
    auth.login("demo-ahmed", audience="business")
    branch = client.get("/mijn/gegevens").text
    assert "69599084" not in branch and 'href="/mijn/instellingen"' not in branch


def test_the_chosen_language_comes_back_at_the_next_login(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-jan")
    client.post("/taal", data={"csrf_token": auth.csrf(), "lang": "en", "next": "/mijn/gegevens"})
    auth.logout()
    client.cookies.delete(LANG_COOKIE)  # another browser, or the cookie was cleared
    auth.login("demo-jan")
    assert client.cookies.get(LANG_COOKIE) == "en"
    page = client.get("/mijn/gegevens")
    assert "My details" in page.text and page.headers["content-language"] == "en"
