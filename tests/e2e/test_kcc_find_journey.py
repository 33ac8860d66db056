"""End to end in Chromium: an agent finds a caller by name (a short list with masked numbers
first, then by name and date of birth with the keyboard) and by address, every page axe-clean
at 1280 px, and no term ever in an address the browser visits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Request, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    JAN,
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    portal,
)
from test_kcc_journey import AGENT, log_in_as_staff

JAN_BSN = "999990019"


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser, 1280 px wide."""
    for session in _session(browser, demo):
        session.page.set_viewport_size({"width": 1280, "height": 800})
        yield session


def test_find_a_caller_by_name_and_by_address(agent: Session) -> None:
    page = agent.page
    visited: list[str] = []

    def record(request: Request) -> None:
        visited.append(request.url)

    page.on("request", record)
    log_in_as_staff(agent, AGENT)
    agent.goto("/kcc/klanten")
    expect(heading(page)).to_have_text("Klant zoeken")
    group = page.get_by_role("group", name="Op naam en geboortedatum")
    group.get_by_role("textbox", name="Naam", exact=True).fill("jansen")
    group.get_by_role("button", name="Zoeken op naam").click()
    expect(page.get_by_role("heading", name="1 klant gevonden")).to_be_visible()
    row = page.get_by_role("row", name=JAN)
    expect(row).to_contain_text("*****0019")
    expect(row).not_to_contain_text(JAN_BSN)
    expect(group.get_by_role("textbox", name="Naam", exact=True)).to_have_value("jansen")
    agent.axe("find a customer, a short list")

    born = group.get_by_role("textbox", name="Geboortedatum")
    born.fill("17-04-1968")
    born.press("Enter")
    expect(heading(page)).to_have_text(f"Klant: {JAN}")
    party_url = page.url

    agent.goto("/kcc/klanten")
    address = page.get_by_role("group", name="Op adres")
    address.get_by_role("textbox", name="Postcode").fill("3511ab")
    address.get_by_role("textbox", name="Huisnummer").fill("x")
    address.get_by_role("button", name="Zoeken op adres").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul een huisnummer in")
    expect(address.get_by_role("textbox", name="Postcode")).to_have_value("3511ab")
    agent.axe("find a customer, a wrong house number")
    address.get_by_role("textbox", name="Huisnummer").fill("12")
    address.get_by_role("textbox", name="Huisnummer").press("Enter")
    expect(page).to_have_url(party_url)
    for url in visited:
        assert "jansen" not in url.lower() and "1968" not in url and "3511" not in url, url
