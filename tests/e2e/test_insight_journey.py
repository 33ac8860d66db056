"""End to end in Chromium: the team lead's monthly report, with and without JavaScript.

The portal, the demo data, the browser and the axe-core check are those of test_journey.py
(imported, not copied): every page and state visited here is checked for WCAG 2.1 A and AA;
console errors (CSP violations among them) and server errors fail the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
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
EDITOR = "Eva Smit"


@pytest.fixture
def lead(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def editor_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The editor's browser, JavaScript switched off."""
    yield from _session(browser, demo, java_script_enabled=False)


def log_in_staff(s: Session, name: str, lands_on: str) -> None:
    """Through the staff login and the development provider."""
    page = s.page
    s.goto("/kcc")
    page.get_by_role("link", name="Inloggen als medewerker").click()
    page.get_by_role("button", name=f"Inloggen als {name}").click()
    expect(page).to_have_url(s.portal.url(lands_on))
    page.wait_for_load_state("load")  # htmx has run: see test_journey.scripts_ready


def test_lead_reads_filters_downloads_and_prints_the_report(lead: Session) -> None:
    s, page = lead, lead.page
    log_in_staff(s, LEAD, "/kcc")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inzicht").click()
    expect(heading(page)).to_have_text("Inzicht: wat leeft er bij inwoners")
    page.wait_for_load_state("load")
    expect(page.get_by_role("img", name="Vragen, meldingen, zaken en terugbelverzoeken per maand")).to_be_visible()
    expect(page.get_by_role("table", name="Per maand")).to_be_visible()
    s.axe("insight report")
    # Twelve months of trend, through htmx: the report is swapped, the address follows.
    with page.expect_response(lambda r: "maanden=12" in r.url) as swapped:
        page.get_by_label("Verloop over").select_option("12")
        page.get_by_role("button", name="Toon").click()
    assert swapped.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(r"/kcc/inzicht\?.*maanden=12"))
    expect(page.get_by_role("table", name="Per maand").locator("tbody tr")).to_have_count(12)
    s.axe("insight report, 12 months")
    link = page.locator('section[aria-labelledby="kop-trend"]').get_by_role(
        "link", name=re.compile(r"^Download als CSV"))
    csv = page.request.get(s.portal.url(link.get_attribute("href") or ""))
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(csv.text().strip().splitlines()) == 13  # the header and twelve months
    page.get_by_role("link", name="Afdrukversie").click()
    expect(page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Inzicht")).to_have_count(0)
    expect(page.get_by_role("table", name="Per maand").locator("tbody tr")).to_have_count(12)
    s.axe("insight print view")
    s.watch.assert_clean()


def test_report_works_without_javascript_and_by_keyboard(editor_without_js: Session) -> None:
    s, page = editor_without_js, editor_without_js.page
    log_in_staff(s, EDITOR, "/kcc/antwoorden")
    s.goto("/kcc/inzicht")
    page.get_by_label("Verloop over").focus()
    page.keyboard.press("ArrowDown")  # 6 -> 12 months
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the department, to the button
    expect(page.get_by_role("button", name="Toon")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/kcc/inzicht\?.*maanden=12"))
    expect(page.get_by_role("table", name="Per maand").locator("tbody tr")).to_have_count(12)
    # No axe here: axe-core itself needs JavaScript (the same page was checked above).
    s.watch.assert_clean()
