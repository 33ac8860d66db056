"""End to end in Chromium, with and without JavaScript (axe on every page with it): Jan gives his
opinion of an answer on the question's page (one question, an optional comment), is not
satisfied, and reopens the question with a reason; it is back with the KCC ("Ontvangen")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _run_in_fresh_loop,
    _session,
    browser,
    demo,
    log_in_as_jan,
    portal,
)

from mijn.db import make_engine, utcnow
from mijn.questions.models import Question


def _answered_two_hours_ago(site: Portal) -> str:
    """Jan's answered demo question, answered long enough ago to be asked about."""
    found: list[str] = []

    async def move() -> None:
        engine = make_engine(site.database_url)
        try:
            async with engine.begin() as connection:
                at = utcnow() - timedelta(hours=2)
                await connection.execute(update(Question).where(
                    Question.submit_key == "demo-1").values(answered_at=at, updated_at=at))
                found.append(str(await connection.scalar(
                    select(Question.reference).where(Question.submit_key == "demo-1"))))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(move)
    return found[0]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_not_satisfied_then_reopened(
    browser: Browser, demo: Portal, javascript: bool,  # noqa: F811 - the fixtures
) -> None:
    reference = _answered_two_hours_ago(demo)
    for s in _session(browser, demo, java_script_enabled=javascript):
        _journey(s, reference, javascript)


def _journey(s: Session, reference: str, javascript: bool) -> None:
    page = s.page

    def axe(what: str) -> None:  # axe runs as a script: in the run with JavaScript
        if javascript:
            s.axe(what)

    log_in_as_jan(s, axe=False)
    s.goto("/mijn/vragen")
    expect(page.get_by_text("Uw mening gevraagd", exact=True)).to_be_visible()
    axe("Mijn vragen with an opinion asked")
    s.goto(f"/mijn/vragen/{reference}")
    form = page.get_by_role("group", name="Hoe tevreden bent u over ons antwoord?")
    expect(form).to_be_visible()
    axe("the question asked")
    page.get_by_role("button", name="Mening versturen").click()
    expect(page.get_by_text("Kies hoe tevreden u bent.").first).to_be_visible()
    axe("the question without a choice")
    # the refused form's 422 is what the browser logs as a "failed" resource: expected here
    s.watch.problems[:] = [p for p in s.watch.problems if "status of 422" not in p]
    page.get_by_role("radio", name="Ontevreden", exact=True).check()
    page.get_by_role("textbox", name="Wilt u iets toelichten? (niet verplicht)").fill(
        "Nog steeds geen datum")
    page.get_by_role("button", name="Mening versturen").click()
    expect(page.get_by_text("U vond ons antwoord: ontevreden.")).to_be_visible()
    axe("the answer given, the reopen offered")
    page.get_by_role("textbox", name="Wat was er niet goed aan ons antwoord?").fill(
        "Ik wil weten wanneer het besluit komt.")
    page.get_by_role("button", name="Vraag opnieuw openen").click()
    expect(page.get_by_text("Ik wil weten wanneer het besluit komt.")).to_be_visible()
    expect(page.locator(".mijn-card__status .mijn-status")).to_have_text("Ontvangen")
    expect(page.get_by_role("button", name="Vraag opnieuw openen")).to_have_count(0)
    axe("the question reopened")
    s.watch.assert_clean()
