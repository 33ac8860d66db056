"""End to end in Chromium: a citizen sends a question with two files with JavaScript (sent by
upload-progress.js with a <progress> from 0 to 100%, then the question's own page opens, its
address in the address bar); a file of the wrong kind comes back as an error with the text
kept, the address still the form's. Without JavaScript the same
journey as whole-page posts. The portal, the demo data and the checks (axe, console, server
errors) are those of test_journey.py."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import FilePayload, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Session,
    browser,
    demo,
    log_in_as_jan,
    portal,
    session,
    session_without_js,
)

PDF = b"%PDF-1.7\n" + b"0" * 200_000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


def _ask(s: Session, text: str, files: list[tuple[str, bytes, str]]) -> None:
    page = s.page
    s.goto("/mijn/vragen/nieuw")
    page.get_by_label("Waar gaat uw vraag over?").select_option(label="Straat, groen en afval")
    page.get_by_label("Uw vraag", exact=True).fill(text)
    page.get_by_label("Bestanden meesturen (niet verplicht)").set_input_files(
        [FilePayload(name=name, mimeType=mime, buffer=content) for name, content, mime in files])


# What the progress bar showed while the form was sent, kept in sessionStorage across the
# page the browser opens afterwards: "v" shown / "h" hidden, with the bar's value.
_WATCH_PROGRESS = """() => {
  const box = document.querySelector(".mijn-upload-progress");
  const note = () => sessionStorage.setItem("progress", (sessionStorage.getItem("progress")
    || "") + (box.hidden ? "h" : "v") + box.querySelector("progress").value + ";");
  new MutationObserver(note).observe(box, {attributes: true, subtree: true, childList: true});
}"""


def _sent_with_files(s: Session, tag: str) -> None:
    page = s.page
    page.evaluate(_WATCH_PROGRESS)
    with page.expect_request(lambda r: r.method == "POST") as sent:
        page.get_by_role("button", name="Vraag versturen").click()  # with files: no suggestions
    assert sent.value.headers.get("hx-request") == "true"  # sent by upload-progress.js
    expect(page).to_have_url(re.compile(r"/mijn/vragen/V-[0-9A-Z]{10}\?verstuurd=1$"))
    shown = page.evaluate("sessionStorage.getItem('progress')") or ""
    assert shown.startswith("v0;") and "v100;" in shown, shown  # shown, from 0 to 100%
    thread = page.get_by_role("list", name="Het gesprek")
    expect(thread.get_by_text(f"({tag})")).to_be_visible()
    files = page.get_by_role("list", name="Bijlagen")
    expect(files.get_by_role("link")).to_have_text(["tekening.pdf", "foto.png"])
    s.axe("a question with its files")


def test_with_javascript_a_refused_file_keeps_the_text(session: Session) -> None:  # noqa: F811
    s, page = session, session.page
    log_in_as_jan(s, axe=False)
    tag = uuid.uuid4().hex[:6]
    _ask(s, f"Hierbij de tekening en een foto van de schade ({tag})",
         [("brief.pdf", b"Gewoon tekst", "application/pdf")])
    page.get_by_role("button", name="Vraag versturen").click()
    summary = page.locator("#fouten")
    expect(summary).to_contain_text("Het bestand brief.pdf kunnen wij niet ontvangen")
    expect(summary).to_be_focused()
    expect(page).to_have_url(re.compile(r"/mijn/vragen/nieuw$"))
    expect(page.get_by_label("Uw vraag", exact=True)).to_have_value(
        f"Hierbij de tekening en een foto van de schade ({tag})")
    s.axe("a refused file")
    # The refusal is a 422, which Chromium logs as a failed resource: expected here.
    s.watch.problems[:] = [p for p in s.watch.problems if "status of 422" not in p]
    page.get_by_label("Bestanden meesturen (niet verplicht)").set_input_files([
        FilePayload(name="tekening.pdf", mimeType="application/pdf", buffer=PDF),
        FilePayload(name="foto.png", mimeType="image/png", buffer=PNG)])
    _sent_with_files(s, tag)
    s.watch.assert_clean()


@pytest.mark.timeout(180)
def test_without_javascript_the_form_is_sent_as_a_whole_page(
    session_without_js: Session,  # noqa: F811
) -> None:
    s, page = session_without_js, session_without_js.page
    log_in_as_jan(s, axe=False)
    tag = uuid.uuid4().hex[:6]
    _ask(s, f"Zonder JavaScript: de tekening en een foto ({tag})",
         [("brief.pdf", b"Gewoon tekst", "application/pdf")])
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.locator("#fouten")).to_contain_text(
        "Het bestand brief.pdf kunnen wij niet ontvangen")
    expect(page.get_by_label("Uw vraag", exact=True)).to_have_value(
        f"Zonder JavaScript: de tekening en een foto ({tag})")
    s.watch.problems[:] = [p for p in s.watch.problems if "status of 422" not in p]
    page.get_by_label("Bestanden meesturen (niet verplicht)").set_input_files([
        FilePayload(name="tekening.pdf", mimeType="application/pdf", buffer=PDF),
        FilePayload(name="foto.png", mimeType="image/png", buffer=PNG)])
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page).to_have_url(re.compile(r"/mijn/vragen/V-[0-9A-Z]{10}\?verstuurd=1$"))
    expect(page.get_by_role("list", name="Het gesprek").get_by_text(f"({tag})")).to_be_visible()
    files = page.get_by_role("list", name="Bijlagen")
    expect(files.get_by_role("link")).to_have_text(["tekening.pdf", "foto.png"])
    s.watch.assert_clean()
