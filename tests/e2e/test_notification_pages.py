"""End to end in Chromium: the inbox with its unread count, the notification preferences,
and the staff's view of deliveries; axe-core on every page and state.

The portal, demo data, browser and axe check are those of test_journey.py; the staff
login is that of test_kcc_journey.py (both imported, not copied).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import insert, text
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _run_in_fresh_loop,
    _session,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
)
from test_kcc_journey import AGENT, assert_clean, log_in_as_staff

from mijn.db import make_engine, utcnow
from mijn.intake.models import ZgwNotification


@pytest.fixture
def citizen(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The agent's browser."""
    yield from _session(browser, demo)


def test_inbox_count_and_preferences(citizen: Session) -> None:
    s, page = citizen, citizen.page
    log_in_as_jan(s, axe=False)
    # The demo answered one of Jan's questions and handed another over: two new messages.
    badge = page.locator(".mijn-nav .mijn-badge")
    expect(badge).to_have_text("2 nieuw")
    expect(page.get_by_role("status")).to_contain_text("U heeft 2 nieuwe berichten.")
    s.axe("dossiers with unread messages")

    page.get_by_role("link", name="Berichten 2 nieuw").click()
    expect(heading(page)).to_have_text("Berichten")
    cards = page.locator(".mijn-card")
    expect(cards).to_have_count(2)
    expect(cards.get_by_text("Nieuw", exact=True)).to_have_count(2)
    expect(cards.first).to_contain_text("Uw vraag is doorgezet naar een specialist")
    s.axe("inbox")
    page.reload()
    expect(badge).to_have_count(0)  # seen: no count in the header any more
    expect(cards.get_by_text("Nieuw", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Zo krijgt u bericht").click()
    expect(heading(page)).to_have_text("Zo krijgt u bericht")
    s.axe("preferences")
    field = page.get_by_label("E-mailadres")
    field.fill("geen-adres")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Er ging iets mis")
    expect(field).to_have_value("geen-adres")  # what was typed stays
    expect(field).to_have_attribute("aria-invalid", "true")
    s.axe("preferences with an error")
    field.fill("jan@example.org")
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(s.portal.url("/mijn/instellingen?melding=verstuurd"))
    expect(page.get_by_role("status")).to_contain_text("Klik op de link in die e-mail")
    expect(page.get_by_text("Nog niet bevestigd: jan@example.org")).to_be_visible()
    s.axe("preferences, link sent")

    s.goto("/mijn/instellingen/bevestigen/niet-echt")
    expect(page.get_by_role("alert")).to_contain_text("Deze link werkt niet.")
    s.axe("a link that does not work")
    assert_clean(s, "/mijn/instellingen")


def test_staff_see_the_deliveries(agent: Session) -> None:
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    page.get_by_role("navigation").get_by_role("link", name="Berichten").click()
    expect(heading(page)).to_have_text("Berichten aan klanten")
    # The demo's two notifications for Jan wait for `mijn worker` (no worker runs here).
    expect(page.locator(".mijn-facts div", has_text="Nog te versturen")).to_contain_text("2")
    s.axe("deliveries")
    assert_clean(s)


def _make_dead(database_url: str) -> None:
    """One of the demo's e-mails and a ZGW notification in the dead-letter state."""

    async def update() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(
                    "UPDATE notifications SET email_state = 'dead', attempts = 1, "
                    "last_error = 'TypeError: boom' WHERE id = (SELECT min(id) FROM notifications)"
                ))
                await connection.execute(insert(ZgwNotification).values(
                    payload="{}", state="dead", attempts=12, last_error="zaak: the Zaken API "
                    "answered 404", received_at=utcnow(), next_attempt_at=utcnow()))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(update)


def test_staff_put_a_dead_item_back_in_the_queue(agent: Session, demo: Portal) -> None:  # noqa: F811
    _make_dead(demo.database_url)
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    page.goto(demo.url("/kcc/meldingen"))
    expect(page.locator(".mijn-facts div", has_text="Mislukt")).to_contain_text("1")
    expect(page.get_by_role("cell", name="TypeError: boom")).to_be_visible()
    expect(page.get_by_role("cell", name="zaak: the Zaken API answered 404")).to_be_visible()
    s.axe("deliveries with dead items")
    page.get_by_role("button", name="ZGW-melding").click()
    expect(page.get_by_role("status")).to_contain_text("De ZGW-melding staat weer in de wachtrij.")
    expect(page.get_by_text("Geen mislukte ZGW-meldingen.")).to_be_visible()
    page.get_by_role("button", name="E-mail van").click()
    expect(page.get_by_role("status")).to_contain_text("De e-mail staat weer in de wachtrij.")
    expect(page.get_by_text("Geen mislukte e-mails.")).to_be_visible()
    s.axe("deliveries after a retry")
    assert_clean(s)
