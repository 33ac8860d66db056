"""End to end in Chromium: a citizen's question through the contact centre (KCC) and back.

Jan asks about his dossier, the agent takes the question from the queue and hands it over
warmly to team Vergunningen, the specialist answers, and Jan reads the answer without ever
seeing what staff wrote to each other. Citizen, agent and specialist each have their own
browser context (the sessions are separate cookies anyway).

The portal, the demo data, the browser and the axe-core check are those of test_journey.py
(imported, not copied): every page visited here is checked for WCAG 2.1 A and AA, console
errors and server errors fail the test, and the database is emptied after every test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    DORMER,
    JAN,
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    log_in_as_jan,
    portal,
)

from mijn.questions.titles import short_title

JAN_BSN = "999990019"
AGENT = "Anouk Bakker"
SPECIALIST = "Sam Visser"
LEAD = "Lotte de Boer"
ORGANISATION = "Gemeente Voorbeeld"
QUESTION_URL = re.compile(r"/mijn/vragen/(V-[0-9A-Z]{10})(\?verstuurd=1)?$")
WORKSPACE_URL = re.compile(r"/kcc/vragen/(V-[0-9A-Z]{10})(\?opgepakt=1)?$")  # just taken


@dataclass(frozen=True)
class Texts:
    """What the people in this journey type, unique per test run."""

    question: str
    note: str
    who: str
    what: str
    tried: str
    answer: str

    @classmethod
    def fresh(cls) -> Texts:
        tag = uuid.uuid4().hex[:8]
        return cls(
            question=f"Mag ik de dakkapel ook aan de voorkant bouwen? (vraag {tag})",
            note=f"Intern: eerder gebeld over een aanbouw (notitie {tag})",
            who=f"Jan Jansen, liefst via Mijn (wie {tag})",
            what=f"Wil weten of een dakkapel aan de voorkant mag (wat {tag})",
            tried=f"Omgevingsplan bekeken, de regels zijn niet duidelijk (geprobeerd {tag})",
            answer=f"Aan de voorkant mag een dakkapel tot 1,5 meter breed (antwoord {tag})",
        )

    def staff_only(self) -> tuple[str, ...]:
        """Everything that only staff may read."""
        return (self.note, self.who, self.what, self.tried)


# --- browsers --------------------------------------------------------------------------------

@pytest.fixture
def citizen(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The KCC agent's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def specialist(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The permits specialist's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def citizen_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser with JavaScript switched off."""
    yield from _session(browser, demo, java_script_enabled=False)


# --- steps -----------------------------------------------------------------------------------

def log_in_as_staff(s: Session, name: str) -> None:
    """From /kcc through the staff login and the development provider to the queue."""
    page = s.page
    s.goto("/kcc")
    expect(page).to_have_url(s.portal.url("/kcc/inloggen?next=%2Fkcc"))
    expect(heading(page)).to_have_text("Inloggen voor medewerkers")
    s.axe("staff login")
    page.get_by_role("link", name="Inloggen als medewerker").click()
    expect(page).to_have_url(re.compile(r"/dev-idp/authorize\?"))
    expect(heading(page)).to_have_text("Ontwikkel-inlogdienst")
    for persona in (AGENT, SPECIALIST, LEAD):
        expect(page.get_by_role("button", name=f"Inloggen als {persona}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Inloggen als {JAN}")).to_have_count(0)
    s.axe("development provider, staff personas")
    page.get_by_role("button", name=f"Inloggen als {name}").click()
    expect(page).to_have_url(s.portal.url("/kcc"))
    expect(heading(page)).to_have_text("Wachtrij")
    page.wait_for_load_state("load")  # the scripts have run: see test_journey.scripts_ready


def thread_item(page: Page, title: str | re.Pattern[str]) -> Locator:
    """The messages of a thread whose heading matches."""
    return page.locator(".mijn-thread__item").filter(
        has=page.get_by_role("heading", name=title)
    )


def fact(page: Page, term: str) -> Locator:
    """The value next to a term in the facts list."""
    return page.locator(".mijn-facts > div").filter(
        has=page.get_by_role("term").filter(has_text=re.compile(rf"^{re.escape(term)}$"))
    ).get_by_role("definition")


def view_tab(page: Page, label: str) -> Locator:
    """One of the queue's views (Niet toegewezen, Mijn vragen, Doorgezet naar mijn team, ...)."""
    return page.get_by_role("navigation", name="Weergaven").get_by_role(
        "link", name=re.compile(rf"^{re.escape(label)} \(\d+\)$")
    )


def queue_row(page: Page, reference: str) -> Locator:
    """The queue's row of one question."""
    return page.locator("table.mijn-table tbody tr").filter(
        has=page.get_by_role("link", name=reference, exact=True)
    )


def question_card(page: Page, reference: str) -> Locator:
    """One question's card on Mijn vragen."""
    return page.locator(".mijn-card").filter(has_text=reference)


def focused(page: Page) -> str:
    """The focused element, for messages: tag, id and text."""
    description: str = page.evaluate(
        "() => { const e = document.activeElement;"
        " return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}"
        " \"${(e.textContent || '').trim().slice(0, 40)}\"` }"
    )
    return description


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching the selector has focus."""
    visited = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        visited.append(focused(page))
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab did not reach {selector}; focus went to:\n" + "\n".join(visited))


def assert_clean(s: Session, *deliberate_422: str) -> None:
    """Nothing went wrong in this browser but the 422 answers to forms sent wrong on purpose
    (Chromium logs every 4xx document as a console error)."""
    expected = tuple(
        f"status of 422 (Unprocessable Entity) ({s.portal.url(path)})" for path in deliberate_422
    )
    problems = [p for p in s.watch.problems if not p.endswith(expected)]
    assert not problems, "the browser reported:\n" + "\n".join(problems)


# --- the citizen -----------------------------------------------------------------------------

def ask_on_the_dossier_page(s: Session, texts: Texts) -> str:
    """Jan asks about his dormer from the dossier's page (an empty try first); the reference."""
    page, site = s.page, s.portal
    log_in_as_jan(s, axe=True)
    s.axe("dossiers overview")
    page.get_by_role("link", name=DORMER).click()
    expect(page).to_have_url(site.url("/mijn/dossiers/Z-2026-0001"))
    expect(heading(page)).to_have_text(DORMER)
    section = page.get_by_role("region", name="Een vraag over dit dossier?")
    expect(section.get_by_label("Waar gaat uw vraag over?")).to_have_value(
        re.compile(r"^\d+$")  # the topic "Mijn aanvraag of melding" is chosen already
    )
    expect(section.get_by_role("combobox", name="Waar gaat uw vraag over?").locator(
        "option:checked"
    )).to_have_text("Mijn aanvraag of melding")
    s.axe("dossier with the question form")

    # Sent empty: the form comes back with the error, the dossier still chosen.
    section.get_by_role("button", name="Vraag versturen").click()
    expect(page).to_have_url(site.url("/mijn/vragen"))
    expect(heading(page)).to_have_text("Stel een vraag")
    expect(page).to_have_title(re.compile(r"^Fout: Stel een vraag"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Er ging iets mis")
    body = page.get_by_role("textbox", name="Uw vraag")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description(re.compile("Schrijf uw tekst in het tekstvak"))
    expect(page.get_by_label("Over welk dossier gaat uw vraag? (niet verplicht)").locator(
        "option:checked"
    )).to_have_text(f"{DORMER} (Z-2026-0001)")
    s.axe("ask form with an error (sent empty)")
    summary.get_by_role("link", name="Schrijf uw tekst in het tekstvak.").click()
    expect(body).to_be_focused()

    # Now for real, from the dossier page again.
    page.go_back()
    page.go_back()
    expect(page).to_have_url(site.url("/mijn/dossiers/Z-2026-0001"))
    section.get_by_role("textbox", name="Uw vraag").fill(texts.question)
    send_question(page, section)
    expect(page).to_have_url(QUESTION_URL)
    match = QUESTION_URL.search(page.url)
    assert match and match.group(2), page.url
    reference = match.group(1)
    expect(heading(page)).to_have_text(short_title(texts.question))  # its first words
    expect(fact(page, "Onderwerp")).to_have_text("Mijn aanvraag of melding")
    expect(page.get_by_role("status")).to_contain_text("Uw vraag is verstuurd.")
    expect(fact(page, "Kenmerk")).to_have_text(reference)
    expect(fact(page, "Over dossier")).to_have_text(DORMER)
    expect(page.locator(".mijn-status").first).to_have_text("Ontvangen")
    expect(thread_item(page, "U schreef")).to_contain_text(texts.question)
    s.axe("question page, just sent")

    page.get_by_role("banner").get_by_role("link", name="Mijn vragen").click()
    expect(page).to_have_url(site.url("/mijn/vragen"))
    expect(heading(page)).to_have_text("Mijn vragen")
    card = question_card(page, reference)
    expect(card).to_contain_text("Ontvangen")
    expect(card).to_contain_text(DORMER)
    expect(card.get_by_text("Nieuw antwoord")).to_have_count(0)
    s.axe("Mijn vragen, question sent")
    return reference


def send_question(page: Page, form_area: Page | Locator) -> None:
    """Send the question. Answers that may help come first when they were not shown while
    typing (clicked before the debounced suggestions came, or without JavaScript): then
    Jan sends it anyway."""
    form_area.get_by_role("button", name="Vraag versturen").click()
    anyway = page.get_by_role("button", name="Vraag toch versturen")
    if not QUESTION_URL.search(page.url) and anyway.count():
        expect(page.get_by_role("heading", name="Misschien helpt dit antwoord u al")).to_be_visible()
        anyway.click()


def ask_elsewhere(s: Session, topic: str, text: str) -> str:
    """Jan asks from Mijn vragen about a topic of his choice; the reference."""
    page = s.page
    s.goto("/mijn/vragen/nieuw")
    page.get_by_label("Waar gaat uw vraag over?").select_option(label=topic)
    page.get_by_role("textbox", name="Uw vraag").fill(text)
    send_question(page, page)
    expect(page).to_have_url(QUESTION_URL)
    return QUESTION_URL.search(page.url).group(1)  # type: ignore[union-attr]


def read_the_answer(s: Session, reference: str, texts: Texts) -> None:
    """Jan sees there is news, reads the answer, and sees nothing staff-only."""
    page, site = s.page, s.portal
    s.goto("/mijn/dossiers")
    expect(page.get_by_role("status")).to_contain_text("nieuwe berichten")
    s.axe("dossiers overview with new answers")
    page.get_by_role("banner").get_by_role("link", name="Mijn vragen").click()
    expect(page).to_have_url(site.url("/mijn/vragen"))
    card = question_card(page, reference)
    expect(card.get_by_text("Nieuw antwoord", exact=True)).to_be_visible()
    expect(card).to_contain_text("Beantwoord")
    s.axe("Mijn vragen with a new answer")

    # titled by its first words: "Mag ik de dakkapel ook aan de…"
    card.get_by_role("link", name=short_title(texts.question)).click()
    expect(page).to_have_url(site.url(f"/mijn/vragen/{reference}"))
    expect(page.locator(".mijn-status").first).to_have_text("Beantwoord")
    items = page.locator(".mijn-thread__item")
    expect(items).to_have_count(3)  # the question, "handed over", the answer: in that order
    expect(items.nth(0)).to_contain_text(texts.question)
    expect(items.nth(1)).to_have_text(re.compile("Uw vraag is doorgezet naar een specialist"))
    expect(items.nth(2).get_by_role("heading")).to_have_text(f"Antwoord van {ORGANISATION}")
    expect(items.nth(2)).to_contain_text(texts.answer)
    content = page.content()
    for secret in (*texts.staff_only(), AGENT, SPECIALIST, "[who]", "[what]", "[tried]"):
        assert secret not in content, f"Jan can read {secret!r} on his question's page"
    expect(page.get_by_role("heading", name="Nog een vraag hierover?")).to_be_visible()
    s.axe("question page with the answer")

    page.get_by_role("link", name="Terug naar mijn vragen").click()
    expect(question_card(page, reference).get_by_text("Nieuw antwoord")).to_have_count(0)
    content = page.content()
    for secret in texts.staff_only():
        assert secret not in content, f"Jan can read {secret!r} on Mijn vragen"
    s.axe("Mijn vragen, answer read")


# --- the agent -------------------------------------------------------------------------------

def take_from_the_queue(s: Session, reference: str, texts: Texts) -> list[str]:
    """Volgende vraag until it is Jan's question; the references taken on the way."""
    page, site = s.page, s.portal
    expect(view_tab(page, "Niet toegewezen")).to_have_attribute("aria-current", "page")
    row = queue_row(page, reference)
    expect(row).to_contain_text("Mijn aanvraag of melding")
    expect(row).to_contain_text("Nieuw")
    s.axe("queue")
    # The queue is ordered by due time: earlier questions (the demo's) come first.
    ahead = page.locator("table.mijn-table tbody tr td:first-child a")
    order = ahead.all_inner_texts()
    assert reference in order, order
    others: list[str] = []
    for _ in range(order.index(reference) + 1):
        page.get_by_role("button", name="Volgende vraag").click()
        expect(page).to_have_url(WORKSPACE_URL)
        taken = WORKSPACE_URL.search(page.url).group(1)  # type: ignore[union-attr]
        expect(fact(page, "Behandelaar")).to_have_text(AGENT)
        expect(fact(page, "Status")).to_have_text("Opgepakt")
        if taken == reference:
            break
        others.append(taken)
        expect(page.get_by_text(texts.question)).to_have_count(0)
        s.axe("question workspace, another question taken first")
        page.get_by_role("link", name="Terug naar de wachtrij").click()
        expect(page).to_have_url(site.url("/kcc"))
        expect(queue_row(page, taken)).to_have_count(0)
        s.axe("queue, one question fewer")
    assert taken == reference, f"Volgende vraag gave {others + [taken]}, not {reference}"
    assert others == order[: order.index(reference)], (others, order)
    return others


def check_the_workspace(s: Session, reference: str, texts: Texts) -> None:
    """The question with its thread, and Jan's picture next to it."""
    page = s.page
    expect(heading(page)).to_have_text(f"Vraag {reference}")
    expect(fact(page, "Onderwerp")).to_have_text("Mijn aanvraag of melding")
    expect(fact(page, "Kanaal")).to_have_text("Website")
    expect(thread_item(page, "Klant")).to_contain_text(texts.question)
    picture = page.get_by_role("region", name=f"Klantbeeld: {JAN}")
    dossiers = picture.get_by_role("list", name=re.compile(r"^Dossiers \(\d+\)$"))
    expect(dossiers.get_by_role("listitem").filter(has_text="(Z-2026-0001)")).to_contain_text(
        DORMER
    )
    questions = picture.get_by_role("list", name=re.compile(r"^Vragen \(\d+\)$"))
    expect(questions.get_by_role("listitem").filter(has_text=reference)).to_contain_text(
        "(deze vraag)"
    )
    s.axe("question workspace, claimed")


def write_a_note(s: Session, texts: Texts) -> None:
    """An internal note, for staff only."""
    page = s.page
    page.get_by_role("textbox", name="Notitie (alleen voor medewerkers)").fill(texts.note)
    page.get_by_role("button", name="Notitie opslaan").click()
    expect(page).to_have_url(WORKSPACE_URL)
    expect(thread_item(page, f"Interne notitie · {AGENT}")).to_contain_text(texts.note)
    s.axe("question workspace with an internal note")


def look_the_customer_up(s: Session, reference: str) -> None:
    """From the workspace to Jan's party page, and the same page found by his BSN."""
    page, site = s.page, s.portal
    page.get_by_role("link", name="Contact vastleggen of terugbelverzoek maken").click()
    expect(page).to_have_url(re.compile(r"/kcc/klanten/\d+$"))
    party_url = page.url
    expect(heading(page)).to_have_text(f"Klant: {JAN}")
    for form in ("Contact vastleggen", "Vraag vastleggen namens de klant",
                 "Terugbelverzoek voor een specialist"):
        expect(page.get_by_role("heading", name=form, exact=True)).to_be_visible()
    expect(page.get_by_role("region", name=f"Klantbeeld: {JAN}")).to_contain_text(reference)
    s.axe("party page")

    # (The party page's own menu has no "Klant zoeken": see test_staff_menu_is_the_same_...)
    page.get_by_role("link", name="Terug naar de wachtrij").click()
    expect(heading(page)).to_have_text("Wachtrij")
    s.axe("queue, back from the party page")
    page.get_by_role("banner").get_by_role("link", name="Klant zoeken").click()
    expect(page).to_have_url(site.url("/kcc/klanten"))
    expect(heading(page)).to_have_text("Klant zoeken")
    s.axe("find a customer")
    number = page.get_by_role("textbox", name="Nummer", exact=True)
    number.fill("12345")
    page.get_by_role("button", name="Zoeken op nummer").click()
    expect(page.get_by_role("alert")).to_contain_text("Er ging iets mis")
    expect(number).to_have_attribute("aria-invalid", "true")
    s.axe("find a customer, a wrong number")
    number.fill(JAN_BSN)
    page.get_by_role("button", name="Zoeken op nummer").click()
    expect(page).to_have_url(party_url)
    expect(heading(page)).to_have_text(f"Klant: {JAN}")
    assert JAN_BSN not in page.url  # the number went in the body, never in a URL


def hand_over_with_the_keyboard(s: Session, reference: str, texts: Texts) -> None:
    """The warm handover to team Vergunningen with Tab, typing and Enter only."""
    page, site = s.page, s.portal
    s.goto(f"/kcc/vragen/{reference}")  # a fresh page: focus at the top
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Direct naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    # First straight to the button, choosing nothing: the form says what is missing.
    tab_to(page, "#overdracht-team")
    tab_to(page, "form[action$='/hand_over'] button[type=submit]", limit=6)
    expect(page.locator(":focus")).to_have_text("Doorzetten")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(f"Vraag {reference}")
    expect(page).to_have_title(re.compile(r"^Fout: "))
    expect(page.get_by_role("alert")).to_contain_text("Kies een team of een specialist.")
    s.axe("question workspace, handover without a team")

    tab_to(page, "#overdracht-team")
    team = page.get_by_role("combobox", name="Team", exact=True)
    expect(team).to_be_focused()
    page.keyboard.type("Vergunningen")  # a closed select picks the option typed
    expect(team.locator("option:checked")).to_have_text("Vergunningen")
    page.keyboard.press("Tab")
    expect(page.get_by_role("combobox", name="Of een specialist")).to_be_focused()
    for label, text in (("Wie vraagt het?", texts.who), ("Wat wil de klant?", texts.what),
                        ("Wat is al geprobeerd? (niet verplicht)", texts.tried)):
        page.keyboard.press("Tab")
        expect(page.get_by_role("textbox", name=label, exact=True)).to_be_focused()
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Doorzetten")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(site.url(f"/kcc/vragen/{reference}"))
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(fact(page, "Status")).to_have_text("Doorgezet")
    expect(fact(page, "Opgelost bij eerste contact")).to_have_text("nog niet beantwoord")
    note = thread_item(page, f"Overdracht (intern) · {AGENT}")
    for text in (texts.who, texts.what, texts.tried):
        expect(note).to_contain_text(text)
    s.axe("question workspace, handed over")


def release(s: Session, references: list[str]) -> None:
    """Give the questions taken on the way back to the queue."""
    page = s.page
    for reference in references:
        s.goto(f"/kcc/vragen/{reference}")
        page.get_by_role("button", name="Teruggeven aan de wachtrij").click()
        expect(fact(page, "Status")).to_have_text("Nieuw")
        expect(fact(page, "Behandelaar")).to_have_text("niemand")
        s.axe("question workspace, given back to the queue")


# --- the specialist --------------------------------------------------------------------------

def answer_as_specialist(s: Session, reference: str, texts: Texts) -> None:
    """Sam finds the question handed to his team, reads the handover and answers Jan."""
    page = s.page
    view = view_tab(page, "Doorgezet naar mijn team")
    expect(view).to_have_attribute("aria-current", "page")  # a specialist's first view
    expect(page.get_by_role("button", name="Volgende vraag")).to_have_count(0)
    s.axe("specialist queue, first view")
    page.get_by_role("navigation", name="Weergaven").get_by_role(
        "link", name=re.compile(r"^Mijn vragen")
    ).click()
    expect(view).not_to_have_attribute("aria-current", "page")
    s.axe("specialist queue, my questions")
    view.click()
    expect(page).to_have_url(re.compile(r"/kcc\?weergave=team$"))
    expect(view).to_have_attribute("aria-current", "page")
    row = queue_row(page, reference)
    expect(row).to_contain_text("Doorgezet · Vergunningen")
    s.axe("specialist queue, handed over to my team")

    row.get_by_role("link", name=reference).click()
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{reference}"))
    note = thread_item(page, f"Overdracht (intern) · {AGENT}")
    for text in (texts.who, texts.what, texts.tried):
        expect(note).to_contain_text(text)
    expect(thread_item(page, f"Interne notitie · {AGENT}")).to_contain_text(texts.note)
    expect(page.get_by_role("button", name="Volgende vraag")).to_have_count(0)
    expect(page.get_by_role("link", name="Contact vastleggen of terugbelverzoek maken")).to_have_count(0)
    s.axe("question workspace, specialist")

    page.get_by_role("button", name="Ik pak dit op").click()
    expect(fact(page, "Behandelaar")).to_have_text(SPECIALIST)
    expect(page.get_by_role("button", name="Ik pak dit op")).to_have_count(0)
    s.axe("question workspace, taken by the specialist")
    page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)").fill(texts.answer)
    page.get_by_role("button", name="Antwoord versturen").click()
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{reference}"))
    expect(fact(page, "Status")).to_have_text("Beantwoord")
    expect(fact(page, "Opgelost bij eerste contact")).to_have_text("nee, doorgezet")
    expect(thread_item(page, f"Antwoord aan klant · {SPECIALIST}")).to_contain_text(texts.answer)
    s.axe("question workspace, answered")


# --- tests -----------------------------------------------------------------------------------

def test_question_from_dossier_through_the_kcc_and_back(
    citizen: Session, agent: Session, specialist: Session
) -> None:
    texts = Texts.fresh()
    reference = ask_on_the_dossier_page(citizen, texts)

    log_in_as_staff(agent, AGENT)
    taken_on_the_way = take_from_the_queue(agent, reference, texts)
    check_the_workspace(agent, reference, texts)
    write_a_note(agent, texts)
    look_the_customer_up(agent, reference)
    hand_over_with_the_keyboard(agent, reference, texts)
    release(agent, taken_on_the_way)

    log_in_as_staff(specialist, SPECIALIST)
    answer_as_specialist(specialist, reference, texts)

    read_the_answer(citizen, reference, texts)

    assert_clean(citizen, "/mijn/vragen")
    assert_clean(agent, f"/kcc/vragen/{reference}/hand_over", "/kcc/klanten")
    assert_clean(specialist)
    checked = [*citizen.checked, *agent.checked, *specialist.checked]
    print("\naxe checked, without violations:\n  " + "\n  ".join(checked))


def test_asking_works_without_javascript(citizen_without_js: Session) -> None:
    s, page, site = citizen_without_js, citizen_without_js.page, citizen_without_js.portal
    text = f"Kan ik de afvalpas ophalen aan de balie? ({uuid.uuid4().hex[:8]})"
    log_in_as_jan(s, axe=False)
    page.get_by_role("banner").get_by_role("link", name="Mijn vragen").click()
    expect(page).to_have_url(site.url("/mijn/vragen"))
    page.get_by_role("link", name="Stel een vraag").click()
    expect(page).to_have_url(site.url("/mijn/vragen/nieuw"))
    expect(heading(page)).to_have_text("Stel een vraag")

    page.get_by_role("button", name="Vraag versturen").click()
    expect(page).to_have_url(site.url("/mijn/vragen"))
    expect(page.get_by_role("alert")).to_contain_text("Er ging iets mis")
    expect(page.get_by_role("textbox", name="Uw vraag")).to_have_attribute("aria-invalid", "true")

    page.get_by_role("textbox", name="Uw vraag").fill(text)
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.get_by_role("alert")).to_contain_text("Kies waar uw vraag over gaat.")
    expect(page.get_by_role("textbox", name="Uw vraag")).to_have_value(text)

    page.get_by_label("Waar gaat uw vraag over?").select_option(label="Iets anders")
    send_question(page, page)
    expect(page).to_have_url(QUESTION_URL)
    reference = QUESTION_URL.search(page.url).group(1)  # type: ignore[union-attr]
    expect(heading(page)).to_have_text(short_title(text))
    expect(fact(page, "Onderwerp")).to_have_text("Iets anders")
    expect(page.get_by_role("status")).to_contain_text("Uw vraag is verstuurd.")
    expect(thread_item(page, "U schreef")).to_contain_text(text)

    page.get_by_role("link", name="Terug naar mijn vragen").click()
    expect(question_card(page, reference)).to_contain_text("Ontvangen")
    assert_clean(s, "/mijn/vragen")


def test_ask_form_on_its_own_page(citizen: Session) -> None:
    s, page, site = citizen, citizen.page, citizen.portal
    log_in_as_jan(s, axe=False)
    page.get_by_role("banner").get_by_role("link", name="Mijn vragen").click()
    expect(heading(page)).to_have_text("Mijn vragen")
    s.axe("Mijn vragen with the demo's questions")
    page.get_by_role("link", name="Stel een vraag").click()
    expect(page).to_have_url(site.url("/mijn/vragen/nieuw"))
    expect(heading(page)).to_have_text("Stel een vraag")
    s.axe("ask form")
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.get_by_role("alert")).to_contain_text("Schrijf uw tekst in het tekstvak.")
    s.axe("ask form with an error (sent empty)")
    page.get_by_role("textbox", name="Uw vraag").fill("Wanneer wordt het gft-afval opgehaald?")
    page.get_by_role("button", name="Vraag versturen").click()
    topic = page.get_by_role("combobox", name="Waar gaat uw vraag over?")
    expect(page.get_by_role("alert")).to_contain_text("Kies waar uw vraag over gaat.")
    expect(topic).to_have_attribute("aria-invalid", "true")
    expect(topic).to_have_accessible_description("Kies waar uw vraag over gaat.")
    s.axe("ask form with an error (no topic)")
    page.get_by_role("alert").get_by_role("link").click()
    expect(topic).to_be_focused()
    assert_clean(s, "/mijn/vragen")


# --- details the journey passes by -----------------------------------------------------------

def test_page_titles_say_what_the_page_is(citizen: Session) -> None:
    """WCAG 2.4.2: the title names the page (and never carries the page's markup)."""
    s, page = citizen, citizen.page
    log_in_as_jan(s, axe=False)
    suffix = f" · Mijn {ORGANISATION}"
    expected = {
        "/mijn/dossiers": "Mijn dossiers",
        "/mijn/vragen": "Mijn vragen",
        "/mijn/vragen/nieuw": "Stel een vraag",
        "/mijn/dossiers/Z-2026-0001": DORMER,
    }
    titles = {}
    for path in expected:
        s.goto(path)
        titles[path] = page.title()
    assert titles == {path: title + suffix for path, title in expected.items()}


def test_staff_menu_is_the_same_on_every_kcc_page(agent: Session) -> None:
    """WCAG 3.2.3: the KCC's menu is the same wherever the agent is."""
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    first = page.locator("table.mijn-table tbody tr a").first.inner_text()
    menus = {}
    for path in ("/kcc", f"/kcc/vragen/{first}", "/kcc/klanten", "Jan's party page"):
        if path.startswith("/"):
            s.goto(path)
        else:
            page.get_by_role("textbox", name="Nummer", exact=True).fill(JAN_BSN)
            page.get_by_role("button", name="Zoeken op nummer").click()
            expect(heading(page)).to_have_text(f"Klant: {JAN}")
        expect(heading(page)).to_be_visible()
        nav = page.get_by_role("banner").get_by_role("navigation", name="Hoofdmenu")
        menus[path] = [
            f"{item.evaluate('e => e.tagName.toLowerCase()')}: {item.inner_text().strip()}"
            for item in nav.locator("a, button").all()
        ]
    assert all(menu == menus["/kcc"] for menu in menus.values()), menus
    assert menus["/kcc"][:2] == ["a: Wachtrij", "a: Klant zoeken"], menus


def test_next_question_follows_the_topic_filter(citizen: Session, agent: Session) -> None:
    """Filter the queue on a topic (htmx), then Volgende vraag takes one of that topic."""
    log_in_as_jan(citizen, axe=False)
    reference = ask_elsewhere(citizen, "Iets anders", "Mag ik een bankje voor mijn huis zetten?")
    s, page, site = agent, agent.page, agent.portal
    log_in_as_staff(s, AGENT)
    expect(page.locator("table.mijn-table tbody tr")).to_have_count(2)  # the demo's and Jan's
    page.get_by_role("combobox", name="Onderwerp").select_option(label="Iets anders")
    page.evaluate("() => { window.__sameDocument = true }")
    with page.expect_response(lambda r: "onderwerp=" in r.url) as answer:
        page.get_by_role("button", name="Filteren").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(r"/kcc\?weergave=queue&onderwerp=\d+"))
    expect(page.locator("table.mijn-table tbody tr")).to_have_count(1)
    expect(queue_row(page, reference)).to_be_visible()
    assert page.evaluate("() => window.__sameDocument === true"), "a full page load happened"
    s.axe("queue filtered on a topic")

    # The button has to carry the topic now, as it does after a full page load.
    expect(
        page.locator("form[action$='/kcc/volgende'] input[name=onderwerp]"),
        "after the htmx swap the Volgende vraag form still has no onderwerp field",
    ).to_have_count(1)
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(WORKSPACE_URL)
    expect(fact(page, "Onderwerp")).to_have_text("Iets anders")
    expect(page).to_have_url(site.url(f"/kcc/vragen/{reference}?opgepakt=1"))
    assert_clean(s)


def test_handover_errors_are_tied_to_their_fields(agent: Session) -> None:
    """As on the citizen's ask form: the field in error says so, and says why."""
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(WORKSPACE_URL)
    page.get_by_role("combobox", name="Team", exact=True).select_option(label="Vergunningen")
    page.get_by_role("button", name="Doorzetten").click()
    expect(page.get_by_role("alert")).to_contain_text("Schrijf op wie de vraag stelt.")
    s.axe("question workspace, handover without its note")
    who = page.get_by_role("textbox", name="Wie vraagt het?")
    expect(who).to_have_accessible_description(re.compile("Schrijf op wie de vraag stelt."))
    expect(who).to_have_attribute("aria-invalid", "true")
