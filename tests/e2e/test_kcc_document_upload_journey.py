"""End to end in Chromium at 1920 px with JavaScript: an agent adds a document to the
question's dossier in the workspace (a refused file first: the error is linked to its field),
the reply being typed survives both round trips, and the new document goes with the reply.
The portal, the demo data and the checks (axe, console, server errors) are those of
test_journey.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    portal,
)
from test_kcc_journey import AGENT, WORKSPACE_URL, assert_clean, log_in_as_staff

PDF = b"%PDF-1.7\n" + b"0" * 20_000 + b"\n%%EOF\n"
TYPED = "Beste meneer Jansen, de brief die u voorlas staat nu bij uw dossier."
MORE = " Met vriendelijke groet, het KCC."


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser on a wide screen."""
    yield from _session(browser, demo, viewport={"width": 1920, "height": 1080})


def test_an_added_document_goes_with_the_reply_and_the_typed_reply_survives(
    agent: Session,
) -> None:
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(WORKSPACE_URL)
    page.wait_for_load_state("load")  # workspace.js has run
    reference = re.sub(r".*/kcc/vragen/(V-[0-9A-Z]{10}).*", r"\1", page.url)
    expect(page.get_by_role("heading", name=re.compile("^Documenten bij het dossier"))
           ).to_be_visible()
    reply = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    form = page.get_by_role("form", name="Document toevoegen")
    files = form.get_by_label("Bestanden", exact=True)

    reply.fill(TYPED)  # sent at once: before the draft is saved a moment after typing
    files.set_input_files([FilePayload(name="brief.pdf", mimeType="application/pdf",
                                       buffer=b"Gewoon tekst, geen PDF.")])
    form.get_by_role("button", name="Document toevoegen").click()
    summary = page.locator("#fouten")
    expect(summary).to_contain_text("Het bestand brief.pdf kunnen wij niet ontvangen")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#upload-bestanden")
    expect(reply).to_have_value(TYPED)
    s.axe("workspace, a refused document")

    reply.fill(TYPED + MORE)
    files.set_input_files([FilePayload(name="Brief van de beller.pdf",
                                       mimeType="application/pdf", buffer=PDF)])
    form.get_by_label("Soort document").select_option(label="Brief")
    form.get_by_role("button", name="Document toevoegen").click()
    expect(page).to_have_url(re.compile(rf"/kcc/vragen/{reference}\?toegevoegd=1"))
    expect(page.get_by_role("status").filter(
        has_text="Het document is toegevoegd aan het dossier.")).to_be_visible()
    expect(reply).to_have_value(TYPED + MORE)
    box = page.get_by_role("checkbox", name=re.compile("^Brief van de beller"))
    expect(box).to_be_visible()
    s.axe("workspace, a document added")

    box.check()
    page.get_by_role("button", name="Antwoord versturen").click()
    expect(page).to_have_url(re.compile(rf"/kcc/vragen/{reference}$"))
    expect(page.get_by_text("Meegestuurd").first).to_be_visible()
    expect(reply).to_have_value("")  # sent: the draft went with it
    assert_clean(s, f"/kcc/vragen/{reference}/documenten")
