"""End to end in Chromium: every demo persona's main journey, in Dutch and in English, on a
phone (390 CSS px) and a laptop (1280 px), checked with axe on every page at both widths
(issue 16). Each journey runs again without JavaScript (the same pages and texts; axe and the
page's width need JavaScript, so those are read in the run with it).

One browser for all of them, a fresh context (cookies) per persona and language: log in
through the development provider, the dossiers, one dossier, the questions (a thread, the ask
form), the messages and the notification settings. Each page must fit the phone without
scrolling sideways. Sanne acts for Jan, so the pages must name him, not "u"; Jan also
searches the answers while typing (htmx, a live region says how many were found). The pages
only this journey shows are photographed into var/screenshots/ (as test_screenshots.py does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from test_journey import (  # noqa: F401  (browser, demo, portal: fixtures used from here)
    Portal,
    Session,
    _session,
    browser,
    demo,
    heading,
    portal,
)
from test_screenshots import SCREENSHOTS, save

PHONE: ViewportSize = {"width": 390, "height": 800}
WITHOUT_JS: set[int] = set()  # id() of the pages whose browser runs no JavaScript
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
BAKERY = "Bakkerij De Korenschoof"


@dataclass(frozen=True)
class Persona:
    """A demo persona and what their journey may do."""

    name: str
    login: str  # the login page's link
    party: str  # whose dossiers the journey shows ("" for their own)
    can_ask: bool = True


PERSONAS = (
    Persona("Jan Jansen", "Inloggen met DigiD", ""),
    Persona("Fatima el Amrani", "Inloggen met DigiD", ""),
    Persona("Sanne de Vries", "Inloggen met DigiD", "Jan Jansen"),  # bewindvoerder
    Persona("Karin Smit", "Inloggen met eHerkenning", BAKERY),
    Persona("Ahmed Yilmaz", "Inloggen met eHerkenning", BAKERY),
    Persona("Pieter Bos", "Inloggen met eHerkenning", "Installatiebedrijf Bos"),
    Persona("Lien Peeters", "Inloggen met eHerkenning", "Brouwerij Peeters"),
)


def _fits(s: Session, what: str, photo: str = "") -> None:
    """Checked with axe, and no sideways scrolling, on the phone and on a laptop; a photo
    (var/screenshots) at both widths of the pages this journey is the only one to show.
    Without JavaScript neither axe nor the width can be read: the journey itself is the check."""
    if id(s.page) in WITHOUT_JS:
        return
    lang = s.page.locator("html").get_attribute("lang")
    for size in (LAPTOP, PHONE):  # back to the phone at the end: the journey goes on there
        s.page.set_viewport_size(size)
        width = s.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= size["width"], f"{what} is {width} px wide at {size['width']} px"
        s.axe(f"{what} at {size['width']} px")
        if photo:
            save(s.page, f"{photo}-{lang}", size["width"])


def _log_in(s: Session, who: Persona, lang: str, t: Callable[[str], str]) -> None:
    page = s.page
    s.goto("/inloggen")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name=t(who.login)).click()
    page.get_by_role("button", name=t("Inloggen als %(name)s") % {"name": who.name}).click()
    expect(page).to_have_url(s.portal.url("/mijn/dossiers"))
    if who.name == "Sanne de Vries":  # she acts for Jan: the switch, then his dossiers
        s.goto("/mijn/namens")
        _fits(s, "the choice of parties")
        page.get_by_role("button", name=t("Handel namens %(name)s") % {"name": who.party}).click()
    title = (t("Dossiers van %(party)s") % {"party": who.party} if who.party
             else t("Mijn dossiers"))
    expect(heading(page)).to_have_text(title)
    _fits(s, "dossiers")


def _dossier_and_questions(s: Session, who: Persona, t: Callable[[str], str]) -> None:
    page = s.page
    page.locator("#dossiers .mijn-card a").first.click()
    expect(heading(page)).to_be_visible()
    _fits(s, "a dossier")
    s.goto("/mijn/vragen")
    title = t("Vragen van %(party)s") % {"party": who.party} if who.party else t("Mijn vragen")
    expect(heading(page)).to_have_text(title)
    _fits(s, "questions")
    first = page.locator(".mijn-card__title a").first
    if first.count():
        first.click()
        expect(heading(page)).to_be_visible()
        _fits(s, "a question's thread", "namens-vraag" if who.name == "Sanne de Vries" else "")
    if who.can_ask:
        s.goto("/mijn/vragen/nieuw")
        ask = (t("Stel een vraag namens %(party)s") % {"party": who.party} if who.party
               else t("Stel een vraag"))
        expect(heading(page)).to_have_text(ask)
        _fits(s, "the ask form", "namens-vraag-stellen" if who.name == "Sanne de Vries" else "")


def _messages_and_settings(s: Session, who: Persona, t: Callable[[str], str]) -> None:
    page = s.page
    s.goto("/mijn/berichten")
    expect(heading(page)).to_be_visible()
    _fits(s, "messages")
    if who.name == "Ahmed Yilmaz":
        return  # restricted to a branch: the company's settings are not his to change
    s.goto("/mijn/instellingen")
    if who.name == "Sanne de Vries":
        expect(heading(page)).to_have_text(t("Zo krijgt u zelf bericht"))
        note = t("Dit zijn uw eigen instellingen, niet die van %(party)s.") % {"party": who.party}
        expect(page.get_by_text(note)).to_be_visible()
    elif who.party:
        expect(heading(page)).to_have_text(t("Zo krijgt %(party)s bericht") % {"party": who.party})
    else:
        expect(heading(page)).to_have_text(t("Zo krijgt u bericht"))
    _fits(s, "notification settings", {"Sanne de Vries": "namens-instellingen",
                                        "Karin Smit": "bedrijf-instellingen"}.get(who.name, ""))


def _search_while_typing(s: Session) -> None:
    page = s.page
    s.goto("/antwoorden")
    field = page.get_by_role("searchbox")
    if id(page) in WITHOUT_JS:  # the form is sent: the same results as a whole page
        field.fill("paspo")
        field.press("Enter")
        expect(page).to_have_url(re.compile(r"/antwoorden\?q=paspo"))
    else:
        with page.expect_response(lambda r: "q=paspo" in r.url) as answer:
            field.press_sequentially("paspo", delay=20)
        assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#zoek-aantal")).to_have_text(re.compile(r"^\d+ \w+"))  # "2 answers found"
    expect(page.locator("#resultaten .mijn-card").first).to_be_visible()
    _fits(s, "answers found while typing", "antwoorden-zoeken")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_persona_s_main_journey_on_a_phone(
    browser: Browser, demo: Portal, lang: str, javascript: bool,  # noqa: F811
) -> None:
    t: Callable[[str], str] = demo.english if lang == "en" else (lambda text: text)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for who in PERSONAS:
        for s in _session(browser, demo, viewport=PHONE, java_script_enabled=javascript):
            if not javascript:
                WITHOUT_JS.add(id(s.page))
            _log_in(s, who, lang, t)
            expect(s.page.locator("html")).to_have_attribute("lang", lang)
            _dossier_and_questions(s, who, t)
            _messages_and_settings(s, who, t)
            if who.name == "Jan Jansen":
                _search_while_typing(s)
            s.watch.assert_clean()
            WITHOUT_JS.discard(id(s.page))
