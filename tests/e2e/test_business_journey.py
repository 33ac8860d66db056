"""End to end in Chromium: an employee of a company (restricted to a branch) follows the
company's dossiers and asks a question; a bewindvoerder switches between herself and the
parties she may act for (also without JavaScript); a login below a dossier's level of
assurance steps up and comes back. axe-core on every page and state.

The portal, demo data, browser and axe check are those of test_journey.py (imported).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    cards,
    demo,
    heading,
    portal,
)
from test_kcc_journey import send_question

BAKERY, BRANCH = "Bakkerij De Korenschoof", "000038509504"
TERRACE = "Terras voor de winkel in het centrum"  # Z-2026-0204, the branch's


@pytest.fixture
def s(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """A fresh browser with JavaScript."""
    yield from _session(browser, demo)


@pytest.fixture
def nojs(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """A fresh browser without JavaScript."""
    yield from _session(browser, demo, java_script_enabled=False)


def acting(page: Page) -> str:
    """The line under the header that says for whom the visitor acts."""
    return page.locator("#namens").inner_text()


def log_in(s: Session, button: str, persona: str, *, axe: bool = False) -> None:
    """From the login page through the development provider to the dossiers."""
    page = s.page
    s.goto("/inloggen")
    if axe:
        s.axe("login choice")
    page.get_by_role("link", name=button).click()
    expect(page).to_have_url(re.compile(r"/dev-idp/authorize\?"))
    if axe:
        s.axe(f"development provider ({button})")
    page.get_by_role("button", name=f"Inloggen als {persona}").click()
    expect(page).to_have_url(s.portal.url("/mijn/dossiers"))


def test_an_employee_of_a_branch_follows_its_dossiers_and_asks(s: Session) -> None:
    page = s.page
    log_in(s, "Inloggen met eHerkenning", "Ahmed Yilmaz", axe=True)
    assert acting(page) == (f"U handelt namens {BAKERY}, vestiging {BRANCH}. "
                            "Ingelogd als Ahmed Yilmaz.")
    expect(heading(page)).to_have_text(f"Dossiers van {BAKERY}")
    expect(cards(page)).to_have_count(2)  # of the company's four, his branch's two
    expect(page.get_by_role("link", name="Uitbreiding bakkerij")).to_have_count(0)
    s.axe("business overview")

    page.get_by_role("link", name=TERRACE).click()
    expect(heading(page)).to_have_text(TERRACE)
    s.axe("business dossier")
    page.get_by_label("Waar gaat uw vraag over?").select_option(index=1)
    page.get_by_label("Uw vraag", exact=True).fill("Mag het terras twee meter breder?")
    send_question(page, page)
    expect(page).to_have_url(re.compile(r"/mijn/vragen/V-[0-9A-Z]+\?verstuurd=1$"))
    expect(page.locator(".mijn-facts").get_by_text("Ahmed Yilmaz")).to_be_visible()
    expect(page.get_by_role("heading", name="Ahmed Yilmaz schreef")).to_be_visible()
    s.axe("business question")

    # Another branch's dossier of the same company: as unknown.
    response = page.goto(s.portal.url("/mijn/dossiers/Z-2026-0201"))
    assert response is not None and response.status == 404
    s.axe("another branch's dossier")
    s.watch.problems[:] = [p for p in s.watch.problems if "404" not in p]
    s.watch.assert_clean()


def test_a_bewindvoerder_switches_between_herself_and_those_she_acts_for(s: Session) -> None:
    page = s.page
    log_in(s, "Inloggen met DigiD", "Sanne de Vries")
    assert acting(page) == "Ingelogd als Sanne de Vries."
    s.axe("own overview with a switch")
    page.get_by_role("link", name="Wisselen: voor wie handelt u?").click()
    expect(heading(page)).to_have_text("Voor wie handelt u?")
    expect(page.get_by_text("Fatima")).to_have_count(0)  # that mandate expired
    s.axe("choice of parties")

    page.get_by_role("button", name="Handel namens Jan Jansen").click()
    expect(page).to_have_url(s.portal.url("/mijn/dossiers"))
    expect(heading(page)).to_have_text("Dossiers van Jan Jansen")
    assert acting(page).startswith("U handelt namens Jan Jansen (bewindvoerder)")
    expect(cards(page)).to_have_count(5)
    s.axe("acting for a person")

    page.get_by_role("link", name="Wisselen: voor wie handelt u?").click()
    page.get_by_role("button", name=f"Handel namens {BAKERY}").click()
    assert acting(page) == f"U handelt namens {BAKERY} (gemachtigde, alleen inzien)."
    expect(cards(page)).to_have_count(1)  # only its grants
    page.get_by_role("link", name="Subsidie zonnepanelen bedrijfspand").click()
    expect(page.get_by_text("U mag de dossiers van Bakkerij De Korenschoof alleen inzien."))\
        .to_be_visible()
    expect(page.get_by_role("button", name="Vraag versturen")).to_have_count(0)
    s.axe("read-only mandate, dossier")

    page.get_by_role("link", name="Wisselen: voor wie handelt u?").click()
    page.get_by_role("button", name="Handel voor uzelf").click()
    assert acting(page) == "Ingelogd als Sanne de Vries."
    expect(heading(page)).to_have_text("Mijn dossiers")
    s.watch.assert_clean()


def test_the_switch_works_without_javascript(nojs: Session) -> None:
    s, page = nojs, nojs.page
    log_in(s, "Inloggen met DigiD", "Sanne de Vries")
    page.get_by_role("link", name="Wisselen: voor wie handelt u?").click()
    page.get_by_role("button", name="Handel namens Jan Jansen").click()
    expect(heading(page)).to_have_text("Dossiers van Jan Jansen")
    assert acting(page).startswith("U handelt namens Jan Jansen (bewindvoerder)")
    page.get_by_role("link", name="Dakkapel aan de achterkant").click()
    expect(heading(page)).to_have_text("Dakkapel aan de achterkant")
    # (axe needs JavaScript: the same pages are checked in the test above)


def test_a_login_below_the_level_steps_up_and_comes_back(s: Session) -> None:
    page = s.page
    log_in(s, "Inloggen met DigiD", "Fatima el Amrani")
    locked = page.locator(".mijn-locked")
    expect(locked).to_have_count(1)
    expect(locked.get_by_text("Opnieuw inloggen nodig")).to_be_visible()
    s.axe("overview with a dossier that needs a higher level")
    page.get_by_role("link", name="Bijzondere bijstand voor een wasmachine").click()
    expect(page.get_by_role("heading", name="Log opnieuw in om dit dossier te openen"))\
        .to_be_visible()
    expect(page.get_by_text("Wat er tot nu toe is gebeurd")).to_have_count(0)
    s.axe("step-up page")
    page.get_by_role("link", name="Opnieuw inloggen met niveau hoog").click()
    expect(page).to_have_url(re.compile(r"/dev-idp/authorize\?.*acr_values="))
    expect(page.get_by_text("betrouwbaarheidsniveau hoog of hoger")).to_be_visible()
    s.axe("development provider, step-up")
    page.get_by_role("button", name="Inloggen als Fatima el Amrani").click()
    expect(page).to_have_url(s.portal.url("/mijn/dossiers/Z-2026-0501"))
    expect(page.get_by_role("heading", name="Wat er tot nu toe is gebeurd")).to_be_visible()
    s.axe("dossier after the step-up")
    s.watch.assert_clean()
