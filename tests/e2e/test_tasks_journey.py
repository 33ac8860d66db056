"""End to end in Chromium: Jan's "Te doen" on Mijn dossiers, a form task filled in wrongly
(the error summary takes the focus, what was typed stays) and then rightly, and a link task
ticked off; axe-core on every page and state.

The portal, demo data, browser and axe check are those of test_journey.py (imported).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import insert, select
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _run_in_fresh_loop,
    _session,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
)
from test_kcc_journey import assert_clean

from mijn.db import make_engine, utcnow
from mijn.dev.personas import CITIZENS
from mijn.parties.models import Party
from mijn.tasks.models import Task

FIELDS = [
    {"name": "iban", "type": "text", "label_nl": "Uw rekeningnummer", "max_length": 34},
    {"name": "verhuisd", "type": "date", "label_nl": "Verhuisdatum"},
    {"name": "bedrag", "type": "amount", "label_nl": "Bedrag", "max": 5000},
]


def _add_tasks(database_url: str) -> None:
    async def add() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                jan = await connection.scalar(
                    select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
                common = {"source": "gemeente", "party_id": jan, "explanation": "",
                          "status": "open", "version": 1, "push_attempts": 0,
                          "push_error": "", "created_at": utcnow(), "updated_at": utcnow()}
                await connection.execute(insert(Task).values(
                    external_id="e2e-form", kind="form", title="Geef uw rekeningnummer door",
                    deadline=date.today() + timedelta(days=5), fields=json.dumps(FIELDS),
                    **common))
                await connection.execute(insert(Task).values(
                    external_id="e2e-link", kind="link", title="Betaal de leges",
                    deadline=date.today() - timedelta(days=1),
                    url="https://betalen.example.nl/leges", **common))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(add)


@pytest.fixture
def citizen(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser, with two tasks waiting."""
    _add_tasks(demo.database_url)
    yield from _session(browser, demo)


def test_jan_does_his_tasks(citizen: Session) -> None:
    s, page = citizen, citizen.page
    log_in_as_jan(s, axe=False)
    todo = page.get_by_role("region", name="Te doen (2)")
    expect(todo.get_by_role("link")).to_have_text(["Betaal de leges",
                                                    "Geef uw rekeningnummer door"])
    expect(todo.get_by_text("Te laat")).to_have_count(1)
    expect(page.get_by_role("link", name="Mijn dossiers 2 te doen")).to_be_visible()
    s.axe("dossiers with tasks")

    todo.get_by_role("link", name="Geef uw rekeningnummer door").click()
    expect(heading(page)).to_have_text("Geef uw rekeningnummer door")
    form_path = page.url.removeprefix(s.portal.base_url)
    page.get_by_label("Uw rekeningnummer").fill("NL91ABNA0417164300")
    page.get_by_label("Verhuisdatum").fill("31-02-2026")
    page.get_by_role("button", name="Antwoorden versturen").click()
    summary = page.locator("#fouten")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Verhuisdatum: Vul een geldige datum in")
    expect(summary).to_contain_text("Bedrag: Vul dit veld in.")
    expect(page.get_by_label("Uw rekeningnummer")).to_have_value("NL91ABNA0417164300")
    expect(page.get_by_label("Verhuisdatum")).to_have_attribute("aria-invalid", "true")
    s.axe("a form task with errors")
    page.get_by_label("Verhuisdatum").fill("1-3-2026")
    page.get_by_label("Bedrag", exact=False).fill("12,50")
    page.get_by_role("button", name="Antwoorden versturen").click()
    expect(page.get_by_role("status")).to_contain_text("U hoeft niets meer te doen")
    expect(page.get_by_text("12.50")).to_be_visible()
    s.axe("a form task done")

    page.get_by_role("link", name="Terug naar mijn dossiers").click()
    page.get_by_role("region", name="Te doen (1)").get_by_role("link").click()
    expect(page.get_by_role("link", name="Ga naar de website om dit te regelen")
           ).to_have_attribute("href", "https://betalen.example.nl/leges")
    s.axe("a link task")
    page.get_by_role("button", name="Ik heb dit gedaan").click()
    expect(page.get_by_role("status")).to_contain_text("U hoeft niets meer te doen")
    page.get_by_role("link", name="Terug naar mijn dossiers").click()
    expect(page.get_by_role("region", name="Te doen")).to_have_count(0)
    assert_clean(s, form_path)  # the 422 of the form sent wrong on purpose
