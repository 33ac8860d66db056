"""End to end in Chromium without JavaScript: a question sent after the session expired is
not lost (issue 16). The server keeps it (an encrypted cookie, mijn/http/portal/kept.py) and,
after logging in again, the ask form has the text back, with a note that it was not sent yet.
With JavaScript the same is done in the tab: test_timeout_journey.py."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    JAN,
    Portal,
    Session,
    _run_in_fresh_loop,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
    session_without_js,
)

from mijn.db import make_engine, utcnow
from mijn.sessions.models import WebSession

TEXT = "Mijn lange vraag over de dakkapel, die ik niet opnieuw wil typen."


def _expire_sessions(site: Portal) -> None:
    """The server's sessions end as after 16 idle minutes (the idle limit is 15)."""

    async def move() -> None:
        engine = make_engine(site.database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(update(WebSession).values(
                    last_seen_at=utcnow() - timedelta(minutes=16)))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(move)


def test_a_question_sent_after_the_session_expired_is_back_after_logging_in(
    session_without_js: Session,  # noqa: F811
) -> None:
    s, page = session_without_js, session_without_js.page
    log_in_as_jan(s, axe=False)
    s.goto("/mijn/vragen/nieuw")
    page.get_by_role("combobox", name="Waar gaat uw vraag over?").select_option(index=1)
    page.get_by_role("textbox", name="Uw vraag").fill(TEXT)
    _expire_sessions(s.portal)
    page.get_by_role("button", name="Vraag versturen").click()
    expect(heading(page)).to_have_text("Inloggen")
    assert "dakkapel" not in page.url  # the text never goes into an address
    page.get_by_role("link", name="Inloggen met DigiD").click()
    page.get_by_role("button", name=f"Inloggen als {JAN}").click()
    expect(page).to_have_url(s.portal.url("/mijn/vragen/nieuw"))
    expect(page.get_by_text("Wij hebben uw tekst bewaard, maar nog niet verstuurd.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Uw vraag")).to_have_value(TEXT)
    page.reload()  # once only: the kept text is gone from the browser
    expect(page.get_by_role("textbox", name="Uw vraag")).to_have_value("")
    s.watch.assert_clean()
