"""End to end in Chromium: the team lead's live view (Teamoverzicht), with and without
JavaScript, at 1280 and 1920 px.

The lead takes the next question, sees on the Teamoverzicht that she holds it, gives it to
Anouk; then, in a browser without JavaScript, gives it back to the queue. The portal, the
demo data, the browser and the axe-core check are those of test_journey.py (imported):
console errors (CSP violations among them) and server errors fail the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from test_insight_journey import log_in_staff
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    portal,
)

LEAD = "Lotte de Boer"
WIDE = ViewportSize(width=1280, height=800)
FULL_HD = ViewportSize(width=1920, height=1080)


@pytest.fixture
def lead(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead's browser, 1280 px wide."""
    yield from _session(browser, demo, viewport=WIDE)


@pytest.fixture
def lead_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead again, JavaScript switched off."""
    yield from _session(browser, demo, viewport=WIDE, java_script_enabled=False)


def assert_no_horizontal_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"the Teamoverzicht is {scroll} px wide at {width} px"


def test_the_lead_sees_who_holds_what_reassigns_and_releases(
    lead: Session, lead_without_js: Session,
) -> None:
    s, page = lead, lead.page
    log_in_staff(s, LEAD, "/kcc")
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(re.compile(r"/kcc/vragen/V-"))
    reference = page.url.rsplit("/", 1)[1].split("?", 1)[0]  # ?opgepakt=1: just taken
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Teamoverzicht").click()
    expect(heading(page)).to_have_text("Teamoverzicht")
    expect(page.get_by_role("table", name=f"{LEAD}: 1 vraag")).to_be_visible()
    s.axe("Teamoverzicht at 1280 px")
    assert_no_horizontal_scroll(page, WIDE["width"])
    page.set_viewport_size(FULL_HD)
    assert_no_horizontal_scroll(page, FULL_HD["width"])
    s.axe("Teamoverzicht at 1920 px")

    page.get_by_label(f"Kies {reference}").check()
    page.get_by_label("Collega").select_option(label="Anouk Bakker")
    page.get_by_role("button", name="Toewijzen aan deze collega").click()
    expect(page.get_by_role("status")).to_contain_text("1 vraag is gewijzigd.")
    expect(page.get_by_role("table", name="Anouk Bakker: 1 vraag")).to_be_visible()
    s.axe("Teamoverzicht after a reassign")
    s.watch.assert_clean()

    n, other = lead_without_js, lead_without_js.page
    log_in_staff(n, LEAD, "/kcc")
    n.goto("/kcc/leiding")
    other.get_by_label(f"Kies {reference}").check()
    other.get_by_role("button", name="Teruggeven aan de wachtrij").click()
    expect(other.get_by_role("status")).to_contain_text("1 vraag is gewijzigd.")
    expect(other.get_by_text("Niemand heeft nu een vraag in behandeling.")).to_be_visible()
    n.watch.assert_clean()


def test_the_lead_reads_the_retention_periods_wide_and_at_320_px(lead: Session) -> None:
    """Bewaartermijnen (README.md, "Operations: retention"): from the menu, every kind with
    its period; at 320 px without sideways scroll; axe at both widths."""
    s, page = lead, lead.page
    log_in_staff(s, LEAD, "/kcc")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Bewaartermijnen").click()
    expect(heading(page)).to_have_text("Bewaartermijnen")
    expect(page.get_by_role("region", name="Logboek van inzage")).to_contain_text(
        "730 dagen, dan anoniem maken")
    expect(page.get_by_role("region", name="Afgesloten zaken en meldingen")).to_contain_text(
        "Bewaren")
    s.axe("the Bewaartermijnen page at 1280 px")
    page.set_viewport_size(ViewportSize(width=320, height=640))
    expect(page.get_by_role("region", name="Contacten")).to_be_visible()
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= 320, f"the Bewaartermijnen page is {scroll} px wide at 320 px"
    s.axe("the Bewaartermijnen page at 320 px")
    s.watch.assert_clean()
