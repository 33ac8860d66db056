"""End to end in Chromium: a chosen radio button or checkbox looks different from one that is
not chosen (issue 16: the NL Design System hides the browser's own circle and drew no dot).

Compared by rendered pixels of the input itself before and after it is chosen, with the focus
moved away so that the focus ring is not what differs.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
from test_answers_journey import AGENT, log_in_staff
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Session,
    browser,
    demo,
    portal,
    session,
)


def _pixels(page: Page, control: Locator) -> bytes:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    return control.screenshot(animations="disabled", caret="hide")


def _assert_chosen_state_shows(page: Page, control: Locator) -> None:
    """Chosen by its label, as a visitor would; the same input's pixels before and after."""
    assert not control.is_checked()
    before = _pixels(page, control)
    assert _pixels(page, control) == before, "the input's rendering is not stable"
    page.locator(f"label[for='{control.get_attribute('id')}']").click()
    assert control.is_checked()
    assert _pixels(page, control) != before, (
        f"a chosen {control.get_attribute('type')} looks like an unchosen one"
    )


def test_a_chosen_radio_button_shows_its_dot(session: Session) -> None:  # noqa: F811
    page = session.page
    session.goto("/antwoorden")
    page.locator("main a[href^='/antwoorden/']").first.click()
    _assert_chosen_state_shows(page, page.locator("#veld-helpful-ja"))
    session.axe("an answer with 'ja' chosen")
    session.watch.assert_clean()


def test_feedback_without_a_choice_gets_a_summary_that_takes_the_focus(
    session: Session,  # noqa: F811
) -> None:
    """Sent by htmx without ja or nee: the fragment's error summary is read first."""
    page = session.page
    session.goto("/antwoorden")
    page.locator("main a[href^='/antwoorden/']").first.click()
    page.wait_for_load_state("load")  # htmx is loaded (deferred), so the form goes by htmx
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.locator("#feedback button[type=submit]").click()
    summary = page.locator("#fouten")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Kies ja of nee.")
    session.axe("an answer's feedback with its error")
    assert all("status of 422" in problem for problem in session.watch.problems)


def test_a_chosen_checkbox_shows_its_tick(session: Session) -> None:  # noqa: F811
    page = session.page
    log_in_staff(session, AGENT, "/kcc")
    _assert_chosen_state_shows(page, page.locator("#filter-te-laat"))
    session.watch.assert_clean()
