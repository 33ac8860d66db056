"""End to end in Chromium on a 390 px phone: Jan does an upload task. Sent without a file,
the error summary takes the focus; a file of the wrong kind comes back as an error; two
files complete the task and are listed with their sizes, and one downloads. With JavaScript
(the files sent by upload-progress.js, as with a question) and without it (whole-page
multipart posts). axe-core on every state with JavaScript: without it Playwright's
page.evaluate() never returns, so the axe check (not the upload) hung until the timeout.

The portal, demo data, browser and axe check are those of test_journey.py (imported).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, FilePayload, expect
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
from mijn.dossiers.models import Dossier
from mijn.parties.models import Party
from mijn.tasks.models import Task

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.7\n" + b"0" * 120_000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


def _add_upload_task(database_url: str, title: str) -> None:
    async def add() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                jan = await connection.scalar(
                    select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
                dossier = await connection.scalar(select(Dossier.id).where(
                    Dossier.party_id == jan).order_by(Dossier.id).limit(1))
                await connection.execute(insert(Task).values(
                    source="gemeente", external_id=f"e2e-{uuid.uuid4().hex[:8]}",
                    party_id=jan, dossier_id=dossier, kind="upload", title=title,
                    explanation="Wij hebben uw loonstroken van de laatste drie maanden nodig.",
                    status="open", version=1, push_attempts=0, push_error="",
                    deadline=date.today() + timedelta(days=5), created_at=utcnow(),
                    updated_at=utcnow()))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(add)


@pytest.fixture
def phone(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's phone, with JavaScript."""
    yield from _session(browser, demo, viewport=PHONE)


@pytest.fixture
def phone_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's phone, with JavaScript switched off."""
    yield from _session(browser, demo, viewport=PHONE, java_script_enabled=False)


def _axe(s: Session, what: str, js: bool) -> None:
    """axe-core, with JavaScript only: page.evaluate() never returns in a context without it
    (the same markup is checked by the run with JavaScript)."""
    if js:
        s.axe(what)


def _do_the_upload_task(s: Session, *, js: bool) -> None:
    page = s.page
    title = f"Stuur uw loonstroken {uuid.uuid4().hex[:6]}"
    _add_upload_task(s.portal.database_url, title)
    log_in_as_jan(s, axe=False)
    page.get_by_role("link", name=title).first.click()
    expect(heading(page)).to_have_text(title)
    path = page.url.removeprefix(s.portal.base_url)
    files = page.get_by_label("Bestanden", exact=True)
    expect(files).to_have_attribute("accept", "application/pdf,image/jpeg,image/png,"
                                              "image/heic,image/heif")
    expect(page.get_by_text("PDF, JPEG, PNG, HEIC")).to_be_visible()
    _axe(s, "an upload task", js)

    page.get_by_role("button", name="Bestanden versturen").click()
    summary = page.locator("#fouten")
    expect(summary).to_contain_text("Kies minstens één bestand.")
    if js:
        expect(summary).to_be_focused()  # focus-errors.js
    _axe(s, "an upload task sent without a file", js)

    page.get_by_label("Bestanden", exact=True).set_input_files(
        [FilePayload(name="brief.pdf", mimeType="application/pdf", buffer=b"Gewoon tekst")])
    page.get_by_role("button", name="Bestanden versturen").click()
    expect(page.locator("#fouten")).to_contain_text(
        "Het bestand brief.pdf kunnen wij niet ontvangen")
    expect(page.get_by_label("Bestanden", exact=True)).to_have_attribute("aria-invalid", "true")
    _axe(s, "an upload task with a refused file", js)

    page.get_by_label("Bestanden", exact=True).set_input_files([
        FilePayload(name="loonstrook maart.pdf", mimeType="application/pdf", buffer=PDF),
        FilePayload(name="foto.png", mimeType="image/png", buffer=PNG)])
    page.get_by_role("button", name="Bestanden versturen").click()
    expect(page.get_by_role("status")).to_contain_text("U hoeft niets meer te doen")
    expect(page).to_have_url(s.portal.url(path))  # with JavaScript: sent by upload-progress.js
    sent = page.get_by_role("list", name="Bijlagen")
    expect(sent.get_by_role("link")).to_have_text(["loonstrook maart.pdf", "foto.png"])
    expect(sent).to_contain_text("120,0 kB")
    expect(page.get_by_role("button", name="Bestanden versturen")).to_have_count(0)
    if js:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"
    _axe(s, "an upload task done", js)
    with page.expect_download() as download:
        sent.get_by_role("link", name="loonstrook maart.pdf").click()
    assert download.value.suggested_filename == "loonstrook maart.pdf"
    assert_clean(s, path)  # the 422s of the forms sent wrong on purpose


def test_jan_does_an_upload_task_on_his_phone(phone: Session) -> None:
    _do_the_upload_task(phone, js=True)


@pytest.mark.timeout(120)
def test_jan_does_an_upload_task_on_his_phone_without_javascript(
    phone_without_js: Session,
) -> None:
    _do_the_upload_task(phone_without_js, js=False)
