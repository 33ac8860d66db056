"""End to end in Chromium: the idle timeout warning (issue 16). The browser's clock is faked
(page.clock), so the 15 minutes of the portal's idle limit pass in an instant on the page,
while the server's session is real: "Ingelogd blijven" must reach it.

Two minutes before the end a modal dialog opens with the focus on "Ingelogd blijven"; that
button (and Escape) keeps the session, and the warning comes back only a full idle period
later. When the time runs out, the text typed on the page is back after logging in again.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    JAN,
    Session,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
    session,
)

KEEP = "/sessie/verlengen"


def _log_in(s: Session) -> None:
    """Log in with the browser's clock faked; back once the page's scripts have run (the
    timer starts from the time they run, so a jump before would be lost)."""
    s.page.clock.install()
    log_in_as_jan(s, axe=False)
    s.page.wait_for_load_state("load")


def test_the_warning_comes_two_minutes_before_and_keeps_the_session(
    session: Session,  # noqa: F811
) -> None:
    page = session.page
    _log_in(session)
    dialog = page.get_by_role("dialog", name="U wordt bijna uitgelogd")
    keep = dialog.get_by_role("button", name="Ingelogd blijven")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("12:30")
    expect(dialog).to_be_hidden()  # not yet: 2.5 minutes left
    page.clock.fast_forward("01:00")
    expect(dialog).to_be_visible()
    expect(keep).to_be_focused()
    expect(dialog.get_by_role("button", name="Uitloggen")).to_be_visible()
    session.axe("the timeout warning")
    with page.expect_response(lambda r: r.url.endswith(KEEP)) as answer:
        keep.click()
    assert answer.value.status == 204
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("12:30")  # a full idle period from the click on
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:00")
    expect(dialog).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith(KEEP)) as answer:
        page.keyboard.press("Escape")  # Escape: the visitor is there, so it keeps too
    assert answer.value.status == 204
    expect(dialog).to_be_hidden()
    page.reload()
    expect(heading(page)).to_have_text("Mijn dossiers")  # still logged in on the server
    session.watch.assert_clean()


def test_the_warnings_logout_button_logs_out(session: Session) -> None:  # noqa: F811
    page = session.page
    _log_in(session)
    page.clock.fast_forward("13:30")
    dialog = page.get_by_role("dialog", name="U wordt bijna uitgelogd")
    dialog.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/uitgelogd"))
    session.goto("/mijn/dossiers")
    expect(page).to_have_url(re.compile(r"/inloggen\?"))


def test_typed_text_is_back_after_the_session_ran_out(session: Session) -> None:  # noqa: F811
    page = session.page
    _log_in(session)
    session.goto("/mijn/vragen/nieuw")
    text = "Mijn lange vraag over de subsidie, die ik niet opnieuw wil typen."
    page.get_by_role("textbox", name="Uw vraag").fill(text)
    page.clock.fast_forward("15:05")
    dialog = page.get_by_role("dialog", name="U bent uitgelogd")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Had u tekst getypt? Die staat dan weer klaar.")
    expect(dialog.get_by_role("heading", name="U bent uitgelogd")).to_be_focused()
    expect(dialog.get_by_role("button", name="Ingelogd blijven")).to_be_hidden()
    session.axe("the warning after the session ended")
    # The server's session ends as it would have by now (the browser's clock is faked).
    session.context.clear_cookies(name="mijn_session")
    dialog.get_by_role("link", name="Opnieuw inloggen").click()
    expect(heading(page)).to_have_text("Inloggen")
    page.get_by_role("link", name="Inloggen met DigiD").click()
    page.get_by_role("button", name=f"Inloggen als {JAN}").click()
    expect(page).to_have_url(session.portal.url("/mijn/vragen/nieuw"))
    expect(page.get_by_role("textbox", name="Uw vraag")).to_have_value(text)
    kept = page.evaluate("() => window.sessionStorage.getItem('mijn-tekst:/mijn/vragen/nieuw')")
    assert kept is None  # taken, not kept for a next time
    session.axe("the ask form with the text put back")
    session.watch.assert_clean()


def test_typing_counts_as_activity(session: Session) -> None:  # noqa: F811
    page = session.page
    _log_in(session)
    session.goto("/mijn/vragen/nieuw")
    page.clock.fast_forward("05:00")
    with (page.expect_response(lambda r: r.url.endswith(KEEP)) as answer,
          page.expect_response(lambda r: r.url.endswith("/antwoorden/suggesties"))):
        page.get_by_role("textbox", name="Uw vraag").press_sequentially("Hallo")
    assert answer.value.status == 204  # the suggestions' htmx request is activity too
    page.clock.fast_forward("12:30")  # 17.5 minutes after the page came, 12.5 after typing
    dialog = page.get_by_role("dialog", name="U wordt bijna uitgelogd")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:00")
    expect(dialog).to_be_visible()
    session.watch.assert_clean()


def test_the_warning_in_english(session: Session) -> None:  # noqa: F811
    page = session.page
    _log_in(session)
    page.get_by_role("button", name="English").click()
    expect(heading(page)).to_have_text("My cases")
    page.wait_for_load_state("load")
    page.clock.fast_forward("13:30")
    dialog = page.get_by_role("dialog", name="You will soon be logged out")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay logged in")).to_be_focused()
    expect(dialog).to_contain_text("In 2 minutes you will be logged out.")
    session.axe("the timeout warning in English")
    session.watch.assert_clean()
