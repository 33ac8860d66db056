"""End to end in Chromium: the real portal in its own process, on each database backend.

- The portal runs as `uvicorn mijn.app:create_app --factory` on a free port, with the demo
  data loaded by `mijn demo`; the rows are deleted again after every test.
- Every page (and every htmx swap) is checked with axe-core for WCAG 2.1 A and AA.
- Console errors, Content-Security-Policy violations and page errors fail the test, as do
  errors in the server's log.

The browser is Debian's Chromium (Playwright cannot download its own here); set
MIJN_E2E_CHROMIUM to use another one.

No conftest.py here on purpose: the other test modules do `from conftest import ...`, and a
second conftest.py without a package would take that module name from them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    WebError,
    expect,
    sync_playwright,
)
from sqlalchemy import delete

from conftest import HIGH_RATE_LIMITS
from mijn import PROJECT_ROOT
from mijn.db import Base, make_engine
from mijn.i18n import language
from mijn.models import REFERENCE_TABLES, import_all

CHROMIUM = os.environ.get("MIJN_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_SOURCE = (PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}}).then(result =>
  result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  })))"""
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
JAN = "Jan Jansen"
DORMER = "Dakkapel aan de achterkant"  # Z-2026-0001, Jan's open permit application


# --- the portal ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Portal:
    """The running portal: where it is, its environment and its log."""

    base_url: str
    env: dict[str, str]
    database_url: str
    log: Path
    english: Callable[[str], str]  # the English catalogue the server started with
    # Request lines a test caused on purpose (`"POST route" 503`): each excuses one 5xx line
    # in the next check, which then forgets them.
    deliberate: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """An absolute URL on the portal."""
        return self.base_url + path

    def log_offset(self) -> int:
        """How far the server log is written now."""
        return self.log.stat().st_size

    def log_since(self, since: int) -> str:
        """What the server logged since the given offset."""
        with self.log.open("rb") as fh:
            fh.seek(since)
            return fh.read().decode(errors="replace")

    def assert_no_server_errors(self, since: int) -> None:
        """No traceback and no 5xx answer in the server log since the given offset."""
        text = self.log_since(since)
        bad = [
            line for line in text.splitlines()
            # The portal's line per request (mijn/observe): `"GET route" 500 12.3 ms`.
            if "Traceback" in line or re.search(r'" 5\d\d \d', line)
        ]
        expected, self.deliberate[:] = list(self.deliberate), []
        for part in expected:
            found = next((line for line in bad if part in line), None)
            assert found is not None, f"{part!r} was expected in the server log"
            bad.remove(found)
        assert not bad, "the server logged errors:\n" + text[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the portal stopped (exit {process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the portal did not answer /health within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def portal(database_url: str, tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[Portal]:
    """The portal as a server process on the current backend's database (with the settings
    of the test module's PORTAL_ENV, if it has one)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIJN_")}
    env.update(
        HIGH_RATE_LIMITS,  # many logins and questions from one address, one party
        MIJN_DATABASE_URL=database_url,
        MIJN_BASE_URL=base_url,
        MIJN_DATA_DIR=str(data_dir),
        MIJN_ENV="development",
    )
    env.update(getattr(request.module, "PORTAL_ENV", {}))
    # Read the catalogue now, as the server does when it starts (uncached: it may be edited).
    english = language.__wrapped__("en").gettext
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "mijn.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, base_url, log)
        yield Portal(base_url, env, database_url, log, english)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run_in_fresh_loop(fn: Callable[[], Any]) -> None:
    # Playwright's sync API keeps its own event loop marked as running in this thread,
    # so asyncio.run() has to happen in another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(fn())).result()


def _wipe(database_url: str) -> None:
    """Delete all rows (as the `client` fixture does), for the next tests on this database."""

    async def wipe() -> None:
        import_all()
        engine = make_engine(database_url)
        try:
            async with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name not in REFERENCE_TABLES:
                        await connection.execute(delete(table))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(wipe)


@pytest.fixture
def demo(portal: Portal) -> Iterator[Portal]:
    """The portal with the demo data (`mijn demo`); the database is emptied afterwards."""
    mijn = VENV_BIN / "mijn"
    command = [str(mijn)] if mijn.exists() else [PYTHON, "-m", "mijn.cli"]
    offset = portal.log_offset()
    try:
        done = subprocess.run(
            [*command, "demo"], cwd=PROJECT_ROOT, env=portal.env,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 0, f"mijn demo failed:\n{done.stdout}\n{done.stderr}"
        yield portal
        portal.assert_no_server_errors(offset)
    finally:
        # Shown by pytest only when the test failed: what the server said meanwhile.
        print("--- the portal's log during this test (its last 4000 characters) ---")
        print(portal.log_since(offset)[-4000:])
        _wipe(portal.database_url)


# --- the browser -----------------------------------------------------------------------------

@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium (per test: Playwright's loop must not outlive the test)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watch:
    """What the browser complained about: console errors, CSP violations, page errors."""

    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if where.endswith("/favicon.ico"):
            return  # Chromium asks for it by itself; the portal has none
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text} ({where})")

    def web_error(self, error: WebError) -> None:
        self.problems.append(f"page error: {error.error}")

    def assert_clean(self) -> None:
        """Nothing went wrong in the browser."""
        assert not self.problems, "the browser reported:\n" + "\n".join(self.problems)


@dataclass
class Session:
    """One browser context with its page, the portal it visits and its watcher."""

    portal: Portal
    context: BrowserContext
    page: Page
    watch: Watch
    checked: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a portal page."""
        self.page.goto(self.portal.url(path))

    def axe(self, what: str) -> None:
        """Check the page as it is now against WCAG 2.1 A and AA."""
        page = self.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # evaluate(), not add_script_tag(): the portal's CSP allows no inline scripts
            page.evaluate(AXE_SOURCE)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
        self.checked.append(f"{what} ({page.url})")
        assert not violations, f"axe found problems on {what} ({page.url}):\n" + _describe(
            violations
        )


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(t if isinstance(t, str) else json.dumps(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:300]}")
            for summary in (node["summary"] or "").splitlines():
                lines.append(f"       {summary}")
    return "\n".join(lines)


def _session(browser: Browser, portal: Portal, **options: Any) -> Iterator[Session]:
    context = browser.new_context(locale="nl-NL", **options)
    context.set_default_timeout(10_000)
    watch = Watch()
    context.on("console", watch.console)
    context.on("weberror", watch.web_error)
    try:
        yield Session(portal, context, context.new_page(), watch)
    finally:
        context.close()


@pytest.fixture
def session(browser: Browser, demo: Portal) -> Iterator[Session]:
    """A fresh browser (cookies and all) with JavaScript."""
    yield from _session(browser, demo)


@pytest.fixture
def session_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:
    """A fresh browser with JavaScript switched off."""
    yield from _session(browser, demo, java_script_enabled=False)


# --- steps -----------------------------------------------------------------------------------

def heading(page: Page, level: int = 1) -> Locator:
    """The page's (first) heading of a level."""
    return page.get_by_role("heading", level=level).first


def log_in_as_jan(s: Session, *, axe: bool) -> None:
    """From the home page through the development provider to Mijn dossiers."""
    page = s.page
    s.goto("/")
    expect(heading(page)).to_have_text("Welkom bij Mijn Gemeente Voorbeeld")
    if axe:
        s.axe("home")
    page.get_by_role("main").get_by_role("link", name="Inloggen", exact=True).click()
    expect(page).to_have_url(s.portal.url("/inloggen"))
    expect(heading(page)).to_have_text("Inloggen")
    if axe:
        s.axe("login choice")
    page.get_by_role("link", name="Inloggen met DigiD").click()
    expect(page).to_have_url(re.compile(r"/dev-idp/authorize\?"))
    expect(heading(page)).to_have_text("Ontwikkel-inlogdienst")
    if axe:
        s.axe("development provider")
    page.get_by_role("button", name=f"Inloggen als {JAN}").click()
    expect(page).to_have_url(s.portal.url("/mijn/dossiers"))
    expect(heading(page)).to_have_text("Mijn dossiers")
    scripts_ready(page)


def scripts_ready(page: Page) -> None:
    """Wait until the page's deferred scripts (htmx) have run.

    A click that navigates returns once the new page commits; a key press before htmx has run
    is a plain link and loads a whole page (the CI run at ecb9af1 failed on exactly that).
    """
    page.wait_for_load_state("load")


def cards(page: Page) -> Locator:
    """The dossier cards of the listing."""
    return page.locator("#dossiers .mijn-card")


def tab(page: Page, name: str) -> Locator:
    """One of the Lopend / Afgerond tabs."""
    return page.get_by_role("navigation", name="Lopend of afgerond").get_by_role(
        "link", name=re.compile(rf"^{name} \(\d+\)$")
    )


def htmx_click(page: Page, target: Locator, url_part: str) -> None:
    """Click a link that htmx handles: a fragment request, no page load."""
    scripts_ready(page)
    page.evaluate("() => { window.__sameDocument = true }")
    with page.expect_response(lambda r: url_part in r.url) as answer:
        target.click()
    request = answer.value.request
    assert request.headers.get("hx-request") == "true", "htmx did not make this request"
    assert answer.value.status == 200


def assert_same_document(page: Page) -> None:
    """The last htmx click did not load a new page."""
    assert page.evaluate("() => window.__sameDocument === true"), "a full page load happened"


# --- tests -----------------------------------------------------------------------------------

def test_journey_log_in_browse_switch_language_log_out(session: Session) -> None:
    s, page, portal = session, session.page, session.portal
    log_in_as_jan(s, axe=True)
    expect(tab(page, "Lopend")).to_have_attribute("aria-current", "page")
    expect(heading(page, 2)).to_have_text("Lopende dossiers")
    expect(cards(page)).to_have_count(5)
    expect(page.get_by_role("link", name=DORMER)).to_be_visible()
    s.axe("overview, open tab")

    # The closed tab: htmx swaps the listing and pushes the URL.
    htmx_click(page, tab(page, "Afgerond"), "tab=closed")
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed"))
    expect(heading(page, 2)).to_have_text("Afgeronde dossiers")
    expect(tab(page, "Afgerond")).to_have_attribute("aria-current", "page")
    expect(tab(page, "Lopend")).not_to_have_attribute("aria-current", "page")
    expect(cards(page)).to_have_count(10)
    expect(page.get_by_text("Pagina 1 van 2")).to_be_visible()
    expect(page.get_by_role("link", name="Lantaarnpaal doet het niet")).to_be_visible()
    expect(page.get_by_role("link", name=DORMER)).to_have_count(0)
    expect(heading(page)).to_have_text("Mijn dossiers")  # the rest of the page stayed
    assert_same_document(page)
    s.axe("overview, closed tab")

    htmx_click(page, page.get_by_role("link", name="Volgende pagina"), "pagina=2")
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed&pagina=2"))
    expect(page.get_by_text("Pagina 2 van 2")).to_be_visible()
    expect(cards(page)).to_have_count(2)
    expect(page.get_by_role("link", name="Vorige pagina")).to_be_visible()
    expect(page.get_by_role("link", name="Volgende pagina")).to_have_count(0)
    assert_same_document(page)
    s.axe("overview, closed tab, page 2")

    htmx_click(page, tab(page, "Lopend"), "tab=open")
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=open"))
    expect(heading(page, 2)).to_have_text("Lopende dossiers")
    expect(cards(page)).to_have_count(5)
    assert_same_document(page)
    s.axe("overview, back on the open tab")

    # A dossier with its timeline (newest first).
    page.get_by_role("link", name=DORMER).click()
    expect(page).to_have_url(portal.url("/mijn/dossiers/Z-2026-0001"))
    expect(heading(page)).to_have_text(DORMER)
    expect(page.get_by_role("heading", name="Wat gebeurt er nu?")).to_be_visible()
    expect(page.get_by_text("De volgende stap is: Gepubliceerd. Die is nog niet gezet.")).to_be_visible()
    expect(page.locator(".mijn-steps__item[aria-current=step] .mijn-steps__title")).to_have_text(
        "In behandeling")
    timeline = page.locator(".mijn-timeline__item")
    expect(timeline.locator(".mijn-timeline__title")).to_have_text(["In behandeling", "Ontvangen"])
    expect(timeline.locator("time")).to_have_count(2)
    facts = page.locator(".mijn-facts dd")
    expect(facts.get_by_text("Vergunningen", exact=True)).to_be_visible()  # the department
    s.axe("dossier")

    # English: the same page, in English (texts as far as the catalogue has them).
    en = portal.english
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers/Z-2026-0001"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=en("Wat gebeurt er nu?"), exact=True)).to_be_visible()
    expect(page.locator("#nu-kop")).to_have_text(en("Wat gebeurt er nu?"))
    # The statuses come from the database, which holds both languages.
    expect(timeline.locator(".mijn-timeline__title")).to_have_text(["Being processed", "Received"])
    expect(page.get_by_role("button", name="Nederlands")).to_be_visible()
    s.axe("dossier in English")

    # Log out with the header button; the dossiers are closed again.
    page.get_by_role("banner").get_by_role("button", name=en("Uitloggen"), exact=True).click()
    expect(page).to_have_url(portal.url("/uitgelogd"))
    expect(heading(page)).to_have_text(en("U bent uitgelogd"))
    expect(page.get_by_role("banner").get_by_role("button", name=en("Uitloggen"))).to_have_count(0)
    s.axe("logged out")
    s.goto("/mijn/dossiers")
    expect(page).to_have_url(portal.url("/inloggen?next=%2Fmijn%2Fdossiers"))
    expect(heading(page)).to_have_text(en("Inloggen"))
    s.axe("login page after logging out")

    s.watch.assert_clean()
    print("\naxe checked, without violations:\n  " + "\n  ".join(s.checked))


def test_overview_works_without_javascript(session_without_js: Session) -> None:
    s, page, portal = session_without_js, session_without_js.page, session_without_js.portal
    log_in_as_jan(s, axe=False)
    expect(cards(page)).to_have_count(5)

    tab(page, "Afgerond").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed"))
    expect(heading(page, 2)).to_have_text("Afgeronde dossiers")
    expect(cards(page)).to_have_count(10)
    expect(page.get_by_text("Pagina 1 van 2")).to_be_visible()

    page.get_by_role("link", name="Volgende pagina").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed&pagina=2"))
    expect(page.get_by_text("Pagina 2 van 2")).to_be_visible()
    expect(cards(page)).to_have_count(2)

    page.get_by_role("link", name="Vorige pagina").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed&pagina=1"))
    expect(cards(page)).to_have_count(10)

    tab(page, "Lopend").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=open"))
    expect(heading(page, 2)).to_have_text("Lopende dossiers")

    page.get_by_role("link", name=DORMER).click()
    expect(page).to_have_url(portal.url("/mijn/dossiers/Z-2026-0001"))
    expect(heading(page)).to_have_text(DORMER)
    expect(page.locator(".mijn-timeline__item")).to_have_count(2)

    page.get_by_role("link", name="Terug naar mijn dossiers").click()
    expect(page).to_have_url(portal.url("/mijn/dossiers"))
    s.watch.assert_clean()


def _focused(page: Page) -> str:
    description: str = page.evaluate(
        "() => { const e = document.activeElement;"
        " return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} \"${e.textContent.trim()}\"` }"
    )
    return description


def test_keyboard_skip_link_and_opening_a_dossier(session: Session) -> None:
    s, page, portal = session, session.page, session.portal
    log_in_as_jan(s, axe=False)
    s.goto("/mijn/dossiers")  # a fresh page: focus at the top

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible once it has focus
    page.keyboard.press("Enter")
    expect(page).to_have_url(portal.url("/mijn/dossiers#inhoud"))
    expect(page.get_by_role("main")).to_be_focused()

    # From the main content, Tab goes on (past the link to Jan's unread news) through the
    # two tabs to the first dossier.
    visited = []
    for _ in range(10):
        page.keyboard.press("Tab")
        visited.append(_focused(page))
        if page.evaluate("() => document.activeElement.matches('.mijn-card__title a')"):
            break
    else:
        pytest.fail("Tab did not reach a dossier link; focus went to:\n" + "\n".join(visited))
    assert visited[-3:-1] == ['a#tab-open "Lopend (5)"', 'a#tab-closed "Afgerond (12)"'], visited
    assert len(visited) <= 4, visited
    title = page.evaluate("() => document.activeElement.textContent.trim()")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(portal.url(href))
    expect(heading(page)).to_have_text(title)
    s.watch.assert_clean()


def test_browser_back_after_htmx_paging_restores_the_whole_page(session: Session) -> None:
    s, page, portal = session, session.page, session.portal
    log_in_as_jan(s, axe=False)
    htmx_click(page, tab(page, "Afgerond"), "tab=closed")
    htmx_click(page, page.get_by_role("link", name="Volgende pagina"), "pagina=2")
    expect(page.get_by_text("Pagina 2 van 2")).to_be_visible()

    page.go_back()
    expect(page).to_have_url(portal.url("/mijn/dossiers?tab=closed"))
    expect(page.get_by_text("Pagina 1 van 2")).to_be_visible()
    expect(heading(page)).to_have_text("Mijn dossiers", timeout=3000)
    expect(page.get_by_role("banner")).to_be_visible(timeout=1000)
    expect(cards(page)).to_have_count(10)

    page.go_back()
    expect(page).to_have_url(portal.url("/mijn/dossiers"))
    expect(heading(page, 2)).to_have_text("Lopende dossiers")
    expect(heading(page)).to_have_text("Mijn dossiers", timeout=3000)
    expect(cards(page)).to_have_count(5)
    s.axe("overview after Back")


def test_focus_stays_on_the_tab_after_an_htmx_swap(session: Session) -> None:
    s, page = session, session.page
    log_in_as_jan(s, axe=False)
    tab(page, "Afgerond").focus()
    with page.expect_response(lambda r: "tab=closed" in r.url):
        page.keyboard.press("Enter")
    expect(page.get_by_text("Pagina 1 van 2")).to_be_visible()
    expect(page.locator("#tab-closed")).to_be_focused()
    page.get_by_role("link", name="Volgende pagina").focus()
    with page.expect_response(lambda r: "pagina=2" in r.url):
        page.keyboard.press("Enter")
    expect(page.get_by_text("Pagina 2 van 2")).to_be_visible()
    expect(page.locator("#pagina-vorige, #pagina-volgende").first).to_be_visible()
    s.watch.assert_clean()
