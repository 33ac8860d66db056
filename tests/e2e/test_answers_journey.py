"""End to end in Chromium: answers for everyone, on a dossier's page, while asking, for the
editors and beside a question in the KCC.

The portal, the demo data, the browser and the axe-core check are those of test_journey.py
(imported, not copied): every page and state visited here is checked for WCAG 2.1 A and AA,
console errors (CSP violations among them) and server errors fail the test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    DORMER,
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
    session,
    session_without_js,
)

EDITOR = "Eva Smit"
AGENT = "Anouk Bakker"
IN_PROGRESS = "Wat gebeurt er als mijn aanvraag in behandeling is?"
TYPE_LEVEL = "Hoe lang duurt de behandeling van mijn omgevingsvergunning?"


@pytest.fixture
def editor(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The editor's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser."""
    yield from _session(browser, demo)


def log_in_staff(s: Session, name: str, lands_on: str) -> None:
    """Through the staff login and the development provider."""
    page = s.page
    s.goto("/kcc")
    page.get_by_role("link", name="Inloggen als medewerker").click()
    expect(page).to_have_url(re.compile(r"/dev-idp/authorize\?"))
    page.get_by_role("button", name=f"Inloggen als {name}").click()
    expect(page).to_have_url(s.portal.url(lands_on))
    page.wait_for_load_state("load")  # htmx has run: see test_journey.scripts_ready


def summary(page: Page, title: str) -> object:
    """The <summary> of a suggested answer."""
    return page.locator("summary", has_text=title)


def test_anyone_searches_reads_and_says_whether_it_helped(session: Session) -> None:  # noqa: F811
    s, page = session, session.page
    s.goto("/antwoorden")
    expect(heading(page)).to_have_text("Antwoorden op uw vragen")
    s.axe("answers, nothing searched")
    box = page.get_by_label("Waar zoekt u een antwoord op?")
    with page.expect_response(lambda r: "/antwoorden?q=" in r.url) as answer:
        box.fill("vergunningen")
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#resultaten-kop")).to_have_text(re.compile(r"antwoorden gevonden$"))
    expect(page).to_have_url(re.compile(r"/antwoorden\?q=vergunningen$"))
    expect(box).to_be_focused()  # the swap leaves the typing where it was
    s.axe("answers, results")
    page.get_by_role("link", name="Een vergunning aanvragen").click()
    expect(heading(page)).to_have_text("Een vergunning aanvragen")
    s.axe("an answer")
    page.get_by_label("Nee").check()
    page.get_by_label("Wat kunnen wij beter doen? (niet verplicht)").fill("Welk formulier?")
    page.get_by_role("button", name="Reactie versturen").click()
    expect(page.get_by_role("heading", name="Bedankt voor uw reactie")).to_be_visible()
    s.axe("an answer, thanked")
    s.watch.assert_clean()


def test_dossier_page_answers_and_suggestions_while_asking(session: Session) -> None:  # noqa: F811
    s, page = session, session.page
    log_in_as_jan(s, axe=False)
    page.get_by_role("link", name=DORMER).click()
    page.wait_for_load_state("load")
    section = page.get_by_role("region", name="Antwoorden bij uw dossier")
    expect(section.locator("summary")).to_have_text([IN_PROGRESS, TYPE_LEVEL])
    with page.expect_response(lambda r: r.url.endswith("/antwoorden/geopend")) as opened:
        section.locator("summary", has_text=TYPE_LEVEL).click()
    assert opened.value.status == 204
    expect(section.get_by_text("behandeld door Vergunningen")).to_be_visible()
    s.axe("dossier page with an answer opened")

    tag = uuid.uuid4().hex[:6]
    with page.expect_response(lambda r: r.url.endswith("/antwoorden/suggesties")) as shown:
        page.get_by_label("Uw vraag", exact=True).fill(f"Hoe lang duurt de behandeling nog? ({tag})")
    assert shown.value.status == 200
    suggestions = page.locator("#suggesties")
    expect(suggestions.get_by_role("heading")).to_have_text("Misschien helpt dit antwoord u al")
    expect(suggestions.locator("summary").first).to_be_visible()
    s.axe("ask form with suggestions")
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page).to_have_url(re.compile(r"/mijn/vragen/V-[0-9A-Z]{10}\?verstuurd=1$"))
    # The question is titled by its first words, and its text is the first message.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"({tag})")
    expect(page.get_by_role("list", name="Het gesprek").get_by_text(f"({tag})")).to_be_visible()
    s.watch.assert_clean()


def test_without_javascript_suggestions_come_before_sending(
    session_without_js: Session,  # noqa: F811
) -> None:
    s, page = session_without_js, session_without_js.page
    log_in_as_jan(s, axe=False)
    s.goto("/mijn/vragen/nieuw")
    page.get_by_label("Waar gaat uw vraag over?").select_option(label="Straat, groen en afval")
    page.get_by_label("Uw vraag", exact=True).fill("Wanneer halen jullie mijn grofvuil op?")
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.locator("summary", has_text="Grofvuil laten ophalen")).to_be_visible()
    expect(page.get_by_label("Uw vraag", exact=True)).to_have_value("Wanneer halen jullie mijn grofvuil op?")
    page.get_by_role("button", name="Vraag toch versturen").click()
    expect(page).to_have_url(re.compile(r"/mijn/vragen/V-[0-9A-Z]{10}\?verstuurd=1$"))
    s.watch.assert_clean()


def test_editor_publishes_and_the_agent_uses_and_flags(editor: Session, agent: Session) -> None:
    e, page = editor, editor.page
    log_in_staff(e, EDITOR, "/kcc/antwoorden")
    expect(heading(page)).to_have_text("Antwoorden beheren")
    e.axe("editors' list")
    page.get_by_role("link", name="Nieuw antwoord schrijven").click()
    e.axe("new answer form")
    tag = uuid.uuid4().hex[:6]
    title = f"Dakkapel zonder vergunning {tag}"
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Antwoord voor de website (Markdown)").fill(
        "Een dakkapel aan de **achterkant** mag vaak zonder vergunning.")
    page.get_by_label("Interne werkinstructie voor het KCC (niet voor de klant)").fill(
        f"Check altijd het omgevingsplan ({tag})")
    page.get_by_label("Vergunningen").check()
    page.get_by_role("button", name="Opslaan en publiceren").click()
    expect(page.get_by_role("status")).to_contain_text("Het antwoord is gepubliceerd")
    e.axe("answer published")
    page.get_by_label("Antwoord voor de website (Markdown)").fill(
        "Een dakkapel aan de achterkant mag vaak zonder vergunning.\n\nAan de voorkant niet.")
    page.get_by_role("button", name="Opslaan en publiceren").click()
    page.get_by_role("link", name="vergelijk met versie 1").click()
    # Word by word: the bold marks went, the new sentence came.
    expect(page.locator("del")).to_contain_text(["Verwijderd: **achterkant**"])
    expect(page.locator("ins")).to_contain_text(["Toegevoegd: achterkant",
                                                 "Toegevoegd: \n\nAan de voorkant niet."])
    e.axe("versions compared")

    a, apage = agent, agent.page
    log_in_staff(a, AGENT, "/kcc")
    apage.get_by_role("link", name=re.compile(r"^V-")).first.click()
    apage.wait_for_load_state("load")
    panel = apage.get_by_role("region", name="Antwoorden uit de kennisbank")
    with apage.expect_response(lambda r: "kb=" in r.url) as found:
        panel.get_by_label("Zoek in de kennisbank").fill("dakkapel")
        panel.get_by_role("button", name="Zoeken").click()
    assert found.value.request.headers.get("hx-request") == "true"
    apage.locator("summary", has_text=title).click()
    expect(apage.get_by_text(f"Check altijd het omgevingsplan ({tag})")).to_be_visible()
    a.axe("workspace with the knowledge base")
    apage.locator("summary", has_text="Meld het aan de redactie").click()  # folded away
    apage.get_by_label("Toelichting voor de redactie").fill(f"Wat als het een monument is? {tag}")
    apage.get_by_role("button", name="Melden aan de redactie").click()
    expect(apage.get_by_text("Bedankt. De redactie heeft uw melding.")).to_be_visible()
    a.axe("workspace after a flag")

    e.goto("/kcc/antwoorden")
    expect(page.get_by_text(f"Wat als het een monument is? {tag}")).to_be_visible()
    e.watch.assert_clean()
    a.watch.assert_clean()
