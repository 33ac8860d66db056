"""End to end in Chromium at 390 px: Jan opens "Mijn gegevens" from the menu, reads who looked
at his data (the contact centre's views, a page at a time), chooses English there, and after
logging in again in another browser (without JavaScript) Mijn speaks English at once. axe-core on each state, no
sideways scroll at 320 px, and screenshots at 390 and 1280 px in Dutch and English
(var/screenshots/mijn-gegevens-<lang>-<width>.png).

The portal, demo data, browser and axe check are those of test_journey.py (imported).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    JAN,
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
from test_screenshots import NARROWEST, save

from mijn.audit.models import AuditEvent
from mijn.db import make_engine, make_sessionmaker, utcnow
from mijn.dossiers.models import Dossier

PHONE, DESKTOP = 390, 1280
VIEWS = 23  # more than one page of 20
AGENT = "Een medewerker van het klantcontactcentrum van Gemeente Voorbeeld"


def add_staff_views(database_url: str, reference: str, count: int) -> None:
    """Staff views of a dossier's party, one a minute back from now (as the KCC writes them)."""

    async def add() -> None:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                dossier = await session.scalar(select(Dossier).where(Dossier.reference == reference))
                assert dossier is not None
                for n in range(count):
                    session.add(AuditEvent(
                        at=utcnow() - timedelta(minutes=n + 1), actor_type="staff",
                        actor_id="1", actor_role=("agent", "specialist", "lead")[n % 3],
                        action="kcc.dossier.view" if n % 2 else "kcc.party.view",
                        party_id=dossier.party_id, dossier_id=dossier.id if n % 2 else None))
                await session.commit()
        finally:
            await engine.dispose()

    _run_in_fresh_loop(add)


def no_sideways_scroll(page: Page) -> None:
    """At 320 px the page fits (WCAG 1.4.10), then back to the phone's width."""
    page.set_viewport_size({"width": NARROWEST, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROWEST
    page.set_viewport_size({"width": PHONE, "height": 800})


def photograph(page: Page, lang: str) -> None:
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 800})
        assert save(page, f"mijn-gegevens-{lang}", width).stat().st_size > 0


@pytest.fixture
def phone(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """A fresh browser at a phone's width, with JavaScript."""
    yield from _session(browser, demo, viewport={"width": PHONE, "height": 800})


def test_my_details_views_and_a_language_that_is_remembered(
    browser: Browser, phone: Session  # noqa: F811
) -> None:
    add_staff_views(phone.portal.database_url, "Z-2026-0001", VIEWS)
    page = phone.page
    log_in_as_jan(phone, axe=False)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn gegevens").click()
    expect(heading(page)).to_have_text("Mijn gegevens")
    expect(page.get_by_text("*****0019")).to_be_visible()
    views = page.locator("#inzage li.mijn-card")
    expect(views).to_have_count(20)
    expect(views.first).to_contain_text(f"{AGENT} bekeek het overzicht van alle gegevens.")
    expect(views.nth(1)).to_contain_text("Een vakspecialist van Gemeente Voorbeeld")
    phone.axe("my details")
    no_sideways_scroll(page)
    photograph(page, "nl")

    page.get_by_role("link", name="Volgende pagina").click()  # htmx swaps only the views
    expect(page.get_by_text(f"Pagina 2 van {-(-VIEWS // 20)}")).to_be_visible()
    expect(views).to_have_count(VIEWS - 20)
    expect(page).to_have_url(re.compile(r"/mijn/gegevens\?pagina=2$"))
    expect(heading(page)).to_have_text("Mijn gegevens")
    phone.axe("my details, views page 2")

    page.get_by_label("English").check()
    page.get_by_role("button", name="Taal opslaan").click()
    expect(heading(page)).to_have_text("My details")
    expect(page.get_by_label("English")).to_be_checked()
    phone.axe("my details in English")
    no_sideways_scroll(page)
    photograph(page, "en")
    phone.watch.assert_clean()

    # Another browser, without JavaScript: no language cookie, so Dutch until Jan logs in.
    for again in _session(browser, phone.portal, viewport={"width": PHONE, "height": 800},
                          java_script_enabled=False):
        again.goto("/inloggen")
        expect(heading(again.page)).to_have_text("Inloggen")
        again.page.get_by_role("link", name="Inloggen met DigiD").click()
        again.page.get_by_role("button", name=f"Inloggen als {JAN}").click()
        expect(again.page).to_have_url(again.portal.url("/mijn/dossiers"))
        expect(heading(again.page)).to_have_text("My cases")  # remembered with Jan
        expect(again.page.locator("html")).to_have_attribute("lang", "en")
        again.page.get_by_role("link", name="My details").click()
        again.page.get_by_role("link", name="Next page").click()  # a plain link without htmx
        expect(again.page).to_have_url(re.compile(r"/mijn/gegevens\?pagina=2#inzage$"))
        expect(again.page.locator("#inzage li.mijn-card")).to_have_count(VIEWS - 20)
        # (axe needs JavaScript: the same page was checked with it above)
        again.watch.assert_clean()
