"""End to end in Chromium at 320 px (WCAG 1.4.10 Reflow): the pages where an alert carries
the way forward fit the screen, the alert's button included (issue 16: the step-up page was
496 px wide and its button off-screen, error summaries fell apart into narrow columns).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from test_business_journey import log_in
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    portal,
)

NARROW = {"width": 320, "height": 640}


@pytest.fixture
def narrow(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """A phone-sized browser, 320 CSS px wide."""
    yield from _session(browser, demo, viewport=NARROW)


def assert_fits(page: Page, what: str, *inside: Locator) -> None:
    """No horizontal scroll, and each given element wholly within the screen's width."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{what} is {width} px wide at {NARROW['width']} px"
    for element in inside:
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], (
            f"on {what}, {element} runs off the screen: {box}"
        )


def _one_column(alert: Locator) -> None:
    """The alert's text is one block: its paragraphs stack, they are not side by side."""
    tops = [box["y"] for box in (p.bounding_box() for p in alert.locator("p").all()) if box]
    assert len(tops) == len(set(tops)), "the alert's paragraphs stand side by side"


def test_the_step_up_page_fits_a_phone(narrow: Session) -> None:
    page = narrow.page
    log_in(narrow, "Inloggen met DigiD", "Fatima el Amrani")
    assert_fits(page, "the overview")
    page.get_by_role("link", name="Bijzondere bijstand voor een wasmachine").click()
    button = page.get_by_role("link", name="Opnieuw inloggen met niveau hoog")
    expect(button).to_be_visible()
    assert_fits(page, "the step-up page", button)
    _one_column(page.locator(".utrecht-alert"))
    narrow.axe("step-up page at 320 px")
    narrow.watch.assert_clean()


def test_an_error_summary_fits_a_phone(narrow: Session) -> None:
    page = narrow.page
    log_in(narrow, "Inloggen met DigiD", "Jan Jansen")
    assert_fits(page, "Jan's overview (long labels and values in the cards)")
    narrow.goto("/mijn/vragen/nieuw")
    page.locator("form.mijn-form button[type=submit]").last.click()
    summary = page.locator("#fouten")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # read first by a screen reader
    expect(summary.locator("li a")).to_have_text(  # every error, in the form's order
        ["Kies waar uw vraag over gaat.", "Schrijf uw tekst in het tekstvak."])
    assert_fits(page, "the ask form with its error summary", summary)
    _one_column(summary)
    narrow.axe("ask form with an error at 320 px")
    # the form's answer is a 422 page, which the browser reports; nothing else may be
    assert all("status of 422" in problem for problem in narrow.watch.problems)
