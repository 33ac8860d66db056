"""End to end in Chromium: no lost work in the KCC workspace.

The agent types a reply and a note, puts the cursor in the middle of the reply and uses an
answer from the knowledge base: its text goes in at the cursor, everything typed stays, and
after a reload the draft is back. Without JavaScript the same button posts what was typed and
the page comes back with the answer appended.

The portal, the demo data, the browser and the axe-core check are those of test_journey.py.
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
    demo,
    portal,
)
from test_kcc_journey import AGENT, WORKSPACE_URL, assert_clean, log_in_as_staff

BEFORE, AFTER = "Beste meneer Jansen, ", "Met vriendelijke groet, het KCC."
NOTE = "Intern: klant belde eerder over dezelfde aanvraag."
INSERT = "Gebruik dit antwoord in uw bericht"


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def agent_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser with JavaScript switched off."""
    yield from _session(browser, demo, java_script_enabled=False)


def take_a_question_and_find_an_answer(s: Session, java_script: bool = True) -> Page:
    """Log in, take the next question and search the knowledge base; the first answer open."""
    page = s.page
    if java_script:
        log_in_as_staff(s, AGENT)  # checks each page with axe-core, which needs JavaScript
    else:
        s.goto("/kcc")
        page.get_by_role("link", name="Inloggen als medewerker").click()
        page.get_by_role("button", name=f"Inloggen als {AGENT}").click()
        expect(page).to_have_url(s.portal.url("/kcc"))
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(WORKSPACE_URL)
    page.wait_for_load_state("load")  # workspace.js has run: see test_journey.scripts_ready
    page.get_by_role("searchbox", name="Zoek in de kennisbank").fill("omgevingsvergunning")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    first = page.locator("#kennisbank details").first
    first.locator("summary").click()
    expect(first.get_by_role("button", name=INSERT)).to_be_visible()
    return page


def test_an_answer_goes_in_at_the_cursor_and_the_draft_survives_a_reload(
    agent: Session,
) -> None:
    s = agent
    page = take_a_question_and_find_an_answer(s)
    reply = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    note = page.get_by_role("textbox", name="Notitie (alleen voor medewerkers)")
    note.fill(NOTE)
    reply.click()
    page.keyboard.type(BEFORE + AFTER)
    for _ in AFTER:  # the cursor between the two halves, as an agent would put it
        page.keyboard.press("ArrowLeft")
    button = page.locator("#kennisbank details").first.get_by_role("button", name=INSERT)
    text = button.get_attribute("data-answer-text") or ""
    answer_id = button.get_attribute("data-answer-id")
    assert len(text) > 20
    saved = f"answer_id={answer_id}&"  # the draft saved after the insert, not one before it
    with page.expect_response(lambda r: r.url.endswith("/concept") and r.status == 204
                              and saved in (r.request.post_data or "") + "&"):
        button.click()
    expect(reply).to_have_value(BEFORE + text + AFTER)
    expect(note).to_have_value(NOTE)
    expect(reply).to_be_focused()
    assert page.evaluate("() => document.getElementById('veld-antwoord').selectionStart") == (
        len(BEFORE + text))
    expect(page.locator("#antwoord-id")).to_have_value(answer_id or "x")
    expect(page.get_by_role("status").filter(has_text="staat in het tekstvak")).to_be_visible()
    expect(page).to_have_url(WORKSPACE_URL)  # no page load: nothing could be lost
    s.axe("question workspace, an answer inserted")
    page.reload()
    expect(reply).to_have_value(BEFORE + text + AFTER)
    expect(note).to_have_value(NOTE)
    expect(page.locator("#antwoord-id")).to_have_value(answer_id or "x")
    assert_clean(s)


def test_without_javascript_the_answer_is_appended_and_nothing_typed_is_lost(
    agent_without_js: Session,
) -> None:
    s = agent_without_js
    page = take_a_question_and_find_an_answer(s, java_script=False)
    reply = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    note = page.get_by_role("textbox", name="Notitie (alleen voor medewerkers)")
    reply.fill(BEFORE.strip())
    note.fill(NOTE)
    button = page.locator("#kennisbank details").first.get_by_role("button", name=INSERT)
    text = button.get_attribute("data-answer-text") or ""
    button.click()
    expect(page).to_have_url(re.compile(r"/kcc/vragen/V-[0-9A-Z]{10}/invoegen$"))
    expect(reply).to_have_value(BEFORE.strip() + "\n\n" + text)
    expect(note).to_have_value(NOTE)
    expect(page.get_by_role("status").filter(has_text="staat in het tekstvak")).to_be_visible()
    assert_clean(s)
