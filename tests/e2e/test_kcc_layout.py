"""End to end in Chromium: the KCC's staff pages use the screen (issue 15, "one screen per
question"). At 1280 x 800 the agent sees the customer, the dossier's status and the thread's
first message without scrolling; at 1280 and 1920 px the queue, the workspace and the staff
dossier page have no horizontal scroll and axe finds nothing. Screenshots of each go to
/tmp/shots-layout (MIJN_E2E_SHOTS for another folder) for a person to look at.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import text as sa_text
from sqlalchemy.ext.asyncio import create_async_engine
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    DORMER,
    JAN,
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    portal,
)

AGENT = "Anouk Bakker"
LEAD = "Lotte de Boer"
QUESTION = "Moet ik nog tekeningen opsturen voor de dakkapel?"  # the demo's new question
LAPTOP = ViewportSize(width=1280, height=800)
WIDE = ViewportSize(width=1920, height=1080)
SHOTS = Path(os.environ.get("MIJN_E2E_SHOTS", Path(tempfile.gettempdir()) / "shots-layout"))


@pytest.fixture
def laptop(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """A browser the size of a common office laptop's screen."""
    yield from _session(browser, demo, viewport=LAPTOP)


def log_in(s: Session, name: str) -> None:
    """Through the staff login and the development provider to the queue."""
    page = s.page
    s.goto("/kcc")
    page.get_by_role("link", name="Inloggen als medewerker").click()
    page.get_by_role("button", name=f"Inloggen als {name}").click()
    expect(heading(page)).to_have_text("Wachtrij")


def assert_no_horizontal_scroll(page: Page, what: str) -> None:
    """The page is no wider than the window."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    window = page.evaluate("() => document.documentElement.clientWidth")
    assert width <= window, f"{what} is {width} px wide in a {window} px window"


def check(s: Session, what: str, size: ViewportSize) -> None:
    """At this window size: no horizontal scroll, nothing for axe, a screenshot."""
    page = s.page
    page.set_viewport_size(size)
    assert_no_horizontal_scroll(page, f"{what} at {size['width']} px")
    s.axe(f"{what} at {size['width']} px")
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
    page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)


def assert_on_first_screen(page: Page) -> None:
    """At 1280 x 800 and not scrolled: the customer, the dossier's status, the first message."""
    assert page.evaluate("() => window.scrollY") == 0
    customer = page.get_by_role("region", name=f"Klant: {JAN}")
    expect(customer.get_by_role("heading", name=f"Klant: {JAN}")).to_be_in_viewport(ratio=1)
    status = page.get_by_role("region", name=re.compile(r"^Over dossier: ")).locator(
        ".mijn-status")
    expect(status).to_have_text("In behandeling")
    expect(status).to_be_in_viewport(ratio=1)
    first = page.get_by_role("list", name="Gesprek en notities").get_by_role("listitem").first
    expect(first).to_contain_text(QUESTION)
    expect(first).to_be_in_viewport(ratio=1)


def test_one_screen_per_question_at_1280_and_1920(laptop: Session) -> None:
    s, page = laptop, laptop.page
    log_in(s, AGENT)
    check(s, "queue", LAPTOP)
    check(s, "queue", WIDE)

    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Volgende vraag").click()
    expect(heading(page)).to_have_text(re.compile(r"^Vraag V-"))
    assert_on_first_screen(page)
    # what is needed less is folded away, below what the agent works with
    report = page.locator("details#signaal")
    expect(report).not_to_have_attribute("open", "")
    expect(page.locator("details#historie")).not_to_have_attribute("open", "")
    knowledge = page.get_by_role("region", name="Antwoorden uit de kennisbank").bounding_box()
    summary = report.locator("summary").bounding_box()
    assert knowledge and summary and summary["y"] > knowledge["y"] + knowledge["height"] - 1
    check(s, "workspace", LAPTOP)
    check(s, "workspace", WIDE)
    # the knowledge base stands beside the thread at both widths
    for size in (LAPTOP, WIDE):
        page.set_viewport_size(size)
        thread = page.get_by_role("heading", name="Gesprek en notities").bounding_box()
        side = page.get_by_role("heading", name="Antwoorden uit de kennisbank").bounding_box()
        assert thread and side and side["x"] > thread["x"] + thread["width"], (thread, side)
        assert abs(side["y"] - thread["y"]) < 5, (thread, side)
        main = page.locator("main").bounding_box()
        assert main and main["width"] > size["width"] - 60, "the page uses the window's width"

    page.set_viewport_size(LAPTOP)
    page.get_by_role("region", name=re.compile(r"^Over dossier: ")).get_by_role(
        "link", name=DORMER).click()
    expect(page).to_have_url(re.compile(r"/kcc/dossiers/Z-2026-0001$"))
    expect(heading(page)).to_have_text(f"Dossier Z-2026-0001: {DORMER}")
    timeline = page.get_by_role("region", name="Tijdlijn, zoals de klant die ziet")
    expect(timeline.get_by_role("listitem")).to_have_count(2)
    expect(timeline).to_contain_text("statuscode in_behandeling")
    questions = page.get_by_role("region", name=re.compile(r"^Vragen over dit dossier"))
    expect(questions.get_by_role("link", name=re.compile(r"^V-"))).to_have_count(2)
    expect(page.locator("footer")).to_have_count(0)  # no citizens' footer on staff pages
    check(s, "dossier", LAPTOP)
    check(s, "dossier", WIDE)

    page.set_viewport_size(LAPTOP)
    page.get_by_role("link", name="Naar het klantbeeld").click()
    expect(heading(page)).to_have_text(f"Klant: {JAN}")
    card = page.get_by_role("region", name=f"Klant: {JAN}")
    expect(card).to_contain_text(re.compile(r"BSN\*{5}(eindigt op )?0019"))  # masked
    expect(card).not_to_contain_text("999990019")
    expect(card).to_contain_text("Sanne de Vries handelt namens deze klant")
    page.get_by_role("region", name=f"Klantbeeld: {JAN}").get_by_role(
        "link", name=DORMER).click()
    expect(page).to_have_url(re.compile(r"/kcc/dossiers/Z-2026-0001$"))
    page.go_back()
    check(s, "party", LAPTOP)
    check(s, "party", WIDE)
    s.watch.assert_clean()


def test_the_lead_s_pages_fit_1280_and_1920(laptop: Session) -> None:
    s, page = laptop, laptop.page
    log_in(s, LEAD)
    for link, title, name in (("Inzicht", re.compile(r"^Inzicht"), "insight"),
                              ("Berichten", re.compile(r"."), "deliveries"),
                              ("Kennisbank", re.compile(r"."), "knowledge base"),
                              ("Klant zoeken", re.compile(r"^Klant zoeken$"), "find"),
                              ("Teamoverzicht", re.compile(r"^Teamoverzicht$"), "lead overview"),
                              ("Tekstblokken", re.compile(r"."), "text modules")):
        page.set_viewport_size(LAPTOP)
        page.get_by_role("banner").get_by_role("link", name=link).click()
        expect(heading(page)).to_have_text(title)
        expect(page.locator("footer")).to_have_count(0)
        check(s, name, LAPTOP)
        check(s, name, WIDE)
    s.watch.assert_clean()


def test_the_editor_s_pages_fit_1280_and_1920(laptop: Session) -> None:
    s, page = laptop, laptop.page
    s.goto("/kcc/antwoorden")
    page.get_by_role("link", name="Inloggen als medewerker").click()
    page.get_by_role("button", name="Inloggen als Eva Smit").click()
    expect(heading(page)).to_have_text(re.compile(r"."))
    page.goto(s.portal.url("/kcc/antwoorden?weergave=alle"))
    expect(page.locator("footer")).to_have_count(0)
    check(s, "answers to edit", LAPTOP)
    check(s, "answers to edit", WIDE)
    page.set_viewport_size(LAPTOP)
    page.locator("td a[href^='/kcc/antwoorden/']").first.click()
    expect(page.locator("#inhoud form")).not_to_have_count(0)
    expect(page.get_by_role("heading", name="Hoe doet dit antwoord het?")).to_be_visible()
    check(s, "an answer to edit", LAPTOP)
    check(s, "an answer to edit", WIDE)
    page.set_viewport_size(LAPTOP)
    page.goto(s.portal.url("/kcc/antwoorden/zonder-antwoord"))
    expect(heading(page)).to_have_text("Vragen zonder antwoord")
    check(s, "questions without an answer", LAPTOP)
    page.set_viewport_size(LAPTOP)
    page.goto(s.portal.url(f"/kcc/vragen/{_answered_reference(s.portal)}/voorstel"))
    expect(heading(page)).to_have_text("Antwoord voorstellen voor de kennisbank")
    check(s, "an answer proposed from a question", LAPTOP)
    check(s, "an answer proposed from a question", WIDE)
    s.watch.assert_clean()


def _answered_reference(running: Portal) -> str:
    """The reference of the demo's answered question (read from the portal's database)."""

    async def read() -> str:
        engine = create_async_engine(running.database_url)
        try:
            async with engine.connect() as connection:
                found = await connection.scalar(sa_text(
                    "SELECT reference FROM questions WHERE submit_key = 'demo-1'"))
        finally:
            await engine.dispose()
        return str(found)

    with ThreadPoolExecutor(1) as pool:  # not on the loop of Playwright's sync API
        return pool.submit(asyncio.run, read()).result()
