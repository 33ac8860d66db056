"""End to end in Chromium: the citizen's main pages on a phone and on a desktop (issue 16).

Logged in once as Jan, each page is photographed whole at 390 and 1280 CSS px wide, into
var/screenshots/ (git ignores var/; CI keeps it), so that a reviewer can look at every screen
without running the portal. Each page must also fit a 320 px wide screen without scrolling
sideways (WCAG 1.4.10 Reflow).

One browser context per width; the two after the first reuse the login (its cookies).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    log_in_as_jan,
    portal,
)

from mijn import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
WIDTHS = (390, 1280)
NARROWEST = 320
PAGES = {  # file name: path (None: found on the page before it)
    "home": "/",
    "mijn-dossiers": "/mijn/dossiers",
    "dossier": "/mijn/dossiers/Z-2026-0001",
    "mijn-vragen": "/mijn/vragen",
    "vraag": None,
    "berichten": "/mijn/berichten",
    "antwoorden": "/antwoorden",
    "over-contact": "/over/contact",
}


@pytest.fixture
def jan(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan logged in, in the first width's browser context."""
    viewport = {"width": WIDTHS[0], "height": 800}
    for session in _session(browser, demo, viewport=viewport):
        log_in_as_jan(session, axe=False)
        yield session


def _paths(page: Page, site: Portal) -> dict[str, str]:
    """The pages' paths, a question of Jan's among them (its reference differs per run)."""
    page.goto(site.url("/mijn/vragen"))
    question = page.locator(".mijn-card__title a").first
    expect(question).to_be_visible()
    href = question.get_attribute("href")
    assert href is not None
    return {name: path if path is not None else href for name, path in PAGES.items()}


def _open(page: Page, site: Portal, path: str) -> None:
    response = page.goto(site.url(path))
    assert response is not None and response.status == 200, f"{path}: {response}"
    expect(page).to_have_url(site.url(path))  # not sent to the login: still Jan
    expect(page.get_by_role("heading", level=1).first).to_be_visible()


def save(page: Page, name: str, width: int) -> Path:
    """A full-page PNG, written under another name first: the SQLite and PostgreSQL halves of
    the test run may write the same file at the same time."""
    target = SCREENSHOTS / f"{name}-{width}.png"
    partial = SCREENSHOTS / f".{name}-{width}.{os.getpid()}.png"
    page.screenshot(path=str(partial), full_page=True, animations="disabled", caret="hide")
    os.replace(partial, target)
    return target


def _context(chromium: Browser, jan: Session, width: int) -> BrowserContext:
    """Another width, with Jan's login."""
    context = chromium.new_context(
        locale="nl-NL", viewport={"width": width, "height": 800},
        storage_state=jan.context.storage_state(),
    )
    context.set_default_timeout(10_000)
    context.on("console", jan.watch.console)
    context.on("weberror", jan.watch.web_error)
    return context


# The left edge of the content of the header, the main column and the footer.
LEFTS = """() => ['.mijn-header__inner', '.mijn-main', '.mijn-footer__inner'].map(selector => {
    const box = document.querySelector(selector);
    const style = getComputedStyle(box);
    return Math.round(box.getBoundingClientRect().left + parseFloat(style.paddingLeft));
})"""


def test_screenshots_of_the_main_pages_and_no_sideways_scroll(
    browser: Browser, jan: Session,  # noqa: F811
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = _paths(jan.page, jan.portal)
    too_wide: list[str] = []
    misaligned: list[str] = []
    for width in (*WIDTHS, NARROWEST):
        context = jan.context if width == WIDTHS[0] else _context(browser, jan, width)
        page = jan.page if width == WIDTHS[0] else context.new_page()
        try:
            for name, path in paths.items():
                _open(page, jan.portal, path)
                if width == NARROWEST:
                    scroll = page.evaluate("() => document.documentElement.scrollWidth")
                    if scroll > NARROWEST:
                        too_wide.append(f"{path} is {scroll} px wide")
                else:
                    assert save(page, name, width).stat().st_size > 0
                    # header, main and footer: one column, their texts start at the same x
                    lefts = page.evaluate(LEFTS)
                    if len(set(lefts)) != 1:
                        misaligned.append(f"{path} at {width} px: {lefts}")
        finally:
            if context is not jan.context:
                context.close()
    assert not too_wide, f"at {NARROWEST} px: " + "; ".join(too_wide)
    assert not misaligned, "header, main and footer start at different x: " + "; ".join(
        misaligned)
    expected = {f"{name}-{width}.png" for name in PAGES for width in WIDTHS}
    assert expected <= {path.name for path in SCREENSHOTS.iterdir()}
    jan.watch.assert_clean()
