"""End to end in Chromium at 390 px: Jan opens his dossier, sees its new document and
downloads it; the file the browser saves holds exactly the bytes kept; axe-core on the page.

The portal, demo data, browser and axe check are those of test_journey.py (imported).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    DORMER,
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

from mijn.db import make_engine, make_sessionmaker
from mijn.documents.service import NewDocument, attach, keep_upload
from mijn.documents.store import DirectoryStore
from mijn.dossiers.models import Dossier

PHONE = 390
TITLE = "Besluit op uw aanvraag"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


async def _chunks() -> AsyncIterator[bytes]:
    yield PDF


def _add_document(site: Portal) -> None:
    """A decision on Jan's dormer, kept in the portal's own document directory."""
    async def add() -> None:
        engine = make_engine(site.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                dossier = await session.scalar(select(Dossier).where(
                    Dossier.reference == "Z-2026-0001"))
                assert dossier is not None
                store = DirectoryStore(Path(site.env["MIJN_DATA_DIR"]) / "documents")
                kept = await keep_upload(store, _chunks(), 2**20)
                await attach(session, dossier.id, dossier.party_id,
                             NewDocument(TITLE, "besluit", "openbaar", True, "api", "e2e"),
                             kept=kept)
                await session.commit()
        finally:
            await engine.dispose()

    _run_in_fresh_loop(add)


@pytest.fixture
def citizen(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser on a phone, with a document on his dossier."""
    _add_document(demo)
    yield from _session(browser, demo, viewport={"width": PHONE, "height": 800})


def test_jan_downloads_the_decision_on_his_phone(citizen: Session, tmp_path: Path) -> None:
    s, page = citizen, citizen.page
    log_in_as_jan(s, axe=False)
    page.get_by_role("link", name=DORMER).first.click()
    expect(heading(page)).to_contain_text(DORMER)
    link = page.get_by_role("link", name=TITLE)
    expect(link).to_be_visible()
    s.axe("dossier with a document, 390 px")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{TITLE}.pdf"
    saved = tmp_path / "saved.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
    assert_clean(s)
