"""End to end in Chromium: the team lead's Bewaartermijnen page, reached from the menu at
1280 px and read at 320 px (no sideways scroll), checked with axe-core at both widths."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
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

from mijn import PROJECT_ROOT

LEAD = "Lotte de Boer"


@pytest.fixture(params=[1280, 320], ids=["1280px", "320px"])
def lead(request: pytest.FixtureRequest, browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead's browser, wide or phone-sized."""
    yield from _session(browser, demo, viewport=ViewportSize(width=request.param, height=800))


def test_the_lead_reads_the_retention_periods(lead: Session) -> None:
    s, page = lead, lead.page
    width = page.viewport_size["width"] if page.viewport_size else 0
    log_in_staff(s, LEAD, "/kcc")
    if width >= 1280:
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Bewaartermijnen").click()
    else:
        s.goto("/kcc/bewaartermijnen")
    expect(heading(page)).to_have_text("Bewaartermijnen")
    expect(page.get_by_role("region", name="Logboek van inzage")).to_contain_text(
        "730 dagen, dan anoniem maken")
    expect(page.get_by_role("region", name="Afgesloten zaken en meldingen")).to_contain_text(
        "Bewaren")
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide at {width} px"
    shots = PROJECT_ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"kcc-retention-{width}.png"), full_page=True)
    s.axe(f"the Bewaartermijnen page at {width} px")
    s.watch.assert_clean()
