"""End to end in Chromium: the citizen's dossier page printed (issue 16, item 8).

On paper: the title, the facts, "Wat gebeurt er nu?", all steps and the timeline. Not on
paper: the header with its navigation, the footer, the ask form, the answers and buttons; a
link prints as plain text. Checked with the print media emulated, as the browser lays the page
out for printing; the result is saved as var/screenshots/dossier-print-800.png.
"""

from __future__ import annotations

from playwright.sync_api import expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    DORMER,
    Session,
    browser,
    demo,
    log_in_as_jan,
    portal,
    session,
)
from test_screenshots import SCREENSHOTS, save


def test_the_printed_dossier_has_its_story_and_no_controls(session: Session) -> None:  # noqa: F811
    s, page = session, session.page
    log_in_as_jan(s, axe=False)
    s.goto("/mijn/dossiers/Z-2026-0001")
    ask_form = page.locator("section[aria-labelledby='vragen-kop'] form")
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    expect(ask_form).to_be_visible()  # on screen: there, so hiding it below means something
    expect(nav).to_be_visible()
    answers = page.locator("section[aria-labelledby='antwoorden-kop']")
    expect(answers).to_be_visible()

    page.set_viewport_size({"width": 800, "height": 1100})  # about an A4 page's width
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_have_text(DORMER)
    expect(page.locator(".mijn-facts")).to_be_visible()
    expect(page.get_by_role("heading", name="Wat gebeurt er nu?")).to_be_visible()
    steps = page.locator(".mijn-steps")
    expect(steps).to_be_visible()
    assert steps.locator(".mijn-steps__item").count() >= 2
    expect(page.locator(".mijn-timeline")).to_be_visible()
    expect(page.locator(".mijn-timeline__item").first).to_be_visible()

    expect(nav).to_be_hidden()
    expect(page.locator(".mijn-header")).to_be_hidden()
    expect(page.locator(".mijn-footer")).to_be_hidden()
    expect(ask_form).to_be_hidden()
    expect(page.locator("section[aria-labelledby='vragen-kop']")).to_be_hidden()
    expect(answers).to_be_hidden()
    expect(page.get_by_role("link", name="Terug naar mijn dossiers")).to_be_hidden()
    for button in page.locator("main button, main .utrecht-button-link").all():
        expect(button).to_be_hidden()
    # links that remain (none may be underlined or coloured): printed as their text
    decorations = page.evaluate(
        """() => [...document.querySelectorAll('main a')]
             .filter(a => a.offsetParent !== null)
             .map(a => getComputedStyle(a).textDecorationLine)"""
    )
    assert all(line == "none" for line in decorations), decorations
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    save(page, "dossier-print", 800)  # for a reviewer: the page as printed

    page.emulate_media(media="screen")
    expect(ask_form).to_be_visible()
    s.watch.assert_clean()
