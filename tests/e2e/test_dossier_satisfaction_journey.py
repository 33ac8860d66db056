"""End to end in Chromium, with and without JavaScript (axe on every page with it): Jan gives
his opinion of how a closed dossier was handled, on the dossier's page (first without a
choice: the error, then with one), and the page then shows the answer kept."""

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
from mijn.dev.personas import CITIZENS
from mijn.dossiers.models import Dossier
from mijn.parties.models import Party

PORTAL_ENV = {"MIJN_SATISFACTION_DOSSIER": "five"}  # read by the portal fixture


def _closed_two_hours_ago(site: Portal) -> str:
    """One of Jan's demo dossiers, closed long enough ago to be asked about."""
    found: list[str] = []

    async def close() -> None:
        engine = make_engine(site.database_url)
        try:
            async with engine.begin() as connection:
                jan = await connection.scalar(
                    select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
                reference = str(await connection.scalar(
                    select(Dossier.reference).where(Dossier.party_id == jan)
                    .order_by(Dossier.id).limit(1)))
                at = utcnow() - timedelta(hours=2)
                await connection.execute(update(Dossier).where(Dossier.reference == reference)
                                         .values(closed_on=at.date(), status_changed_at=at))
                found.append(reference)
        finally:
            await engine.dispose()

    _run_in_fresh_loop(close)
    return found[0]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_opinion_of_a_closed_dossier(
    browser: Browser, demo: Portal, javascript: bool,  # noqa: F811 - the fixtures
) -> None:
    reference = _closed_two_hours_ago(demo)
    for s in _session(browser, demo, java_script_enabled=javascript):
        _journey(s, reference, javascript)


def _journey(s: Session, reference: str, javascript: bool) -> None:
    page = s.page
    log_in_as_jan(s, axe=False)
    s.goto(f"/mijn/dossiers/{reference}")
    expect(page.get_by_role("group", name="Hoe tevreden bent u over de afhandeling?")
           ).to_be_visible()
    if javascript:
        s.axe("the closed dossier asked about")
    page.get_by_role("button", name="Mening versturen").click()
    expect(page.get_by_text("Kies hoe tevreden u bent.").first).to_be_visible()
    if javascript:
        s.axe("the closed dossier without a choice")
    s.watch.problems[:] = [p for p in s.watch.problems if "status of 422" not in p]
    page.get_by_role("radio", name="Tevreden", exact=True).check()
    page.get_by_role("button", name="Mening versturen").click()
    expect(page.get_by_text("U vond de afhandeling: tevreden.")).to_be_visible()
    if javascript:
        s.axe("the closed dossier's answer kept")
    s.watch.assert_clean()
