"""End to end in Chromium: two staff members answer the same question at the same moment.

The agent and the team lead (who also works the queue) each have their own browser context and
open the same new question; both type an answer and send it. Exactly one answer reaches the
citizen; the other is refused (409) with what happened, and keeps the text that was typed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    portal,
)
from test_kcc_journey import AGENT, LEAD, log_in_as_staff


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The agent's browser."""
    yield from _session(browser, demo, viewport={"width": 1280, "height": 800})


@pytest.fixture
def lead(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead's browser."""
    yield from _session(browser, demo, viewport={"width": 1280, "height": 800})


def test_two_staff_answer_one_question_and_the_citizen_gets_one_answer(
    agent: Session, lead: Session
) -> None:
    log_in_as_staff(agent, AGENT)
    log_in_as_staff(lead, LEAD)
    first = agent.page.locator("a[href^='/kcc/vragen/V-']").first
    path = first.get_attribute("href")
    assert path is not None
    for s in (agent, lead):
        s.goto(path)
        expect(s.page.locator("#veld-antwoord")).to_be_visible()
    agent_text, lead_text = "Antwoord van de medewerker.", "Antwoord van de teamleider."
    agent.page.locator("#veld-antwoord").fill(agent_text)
    lead.page.locator("#veld-antwoord").fill(lead_text)

    agent.page.get_by_role("button", name="Antwoord versturen", exact=True).click()
    expect(agent.page.locator(".mijn-thread__item--reply")).to_have_count(1)
    lead.page.get_by_role("button", name="Antwoord versturen", exact=True).click()

    # The lead's page says what happened and keeps the text, in a form or in the notice.
    expect(lead.page.locator("#veranderd")).to_contain_text("heeft deze vraag net beantwoord")
    typed = lead.page.locator("textarea").evaluate_all("(boxes) => boxes.map((b) => b.value)")
    assert lead_text in typed, typed
    lead.axe("the workspace after a refused answer")
    # Chromium logs the refused post's status; that refusal is what this test expects.
    lead.watch.problems = [p for p in lead.watch.problems if "409" not in p]

    # Exactly one answer, the agent's, is in the thread the citizen reads.
    agent.page.reload()
    replies = agent.page.locator(".mijn-thread__item--reply")
    expect(replies).to_have_count(1)
    expect(replies.first).to_contain_text(agent_text)
    expect(agent.page.get_by_text(lead_text)).to_have_count(0)
