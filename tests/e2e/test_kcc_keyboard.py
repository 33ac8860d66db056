"""End to end in Chromium, keyboard only: the agent's round in the KCC with the shortcuts of
mijn/static/js/kcc-keys.js (issue 15, item 5).

From the queue: take the next question, use the first suggested answer, send it and take the
next question, in at most 8 key presses (counted one by one: Alt+Shift+N is three), the reply
reaching the thread. Then a text module typed as ::groet, and the switch that turns the
shortcuts off (WCAG 2.1.4). The portal, the demo data, the browser and axe are those of
test_journey.py; the staff login is that of test_kcc_journey.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    portal,
)
from test_kcc_journey import AGENT, assert_clean, log_in_as_staff

from mijn.access.staff import Staff
from mijn.db import make_engine, make_sessionmaker, utcnow
from mijn.dev.personas import CITIZENS
from mijn.parties.models import Party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.models import Question, QuestionMessage, Topic
from mijn.staff.models import StaffMember
from mijn.staff.textmodules import ModuleInput, save_module
from mijn.workingtime import WorkingCalendar

FATIMA = CITIZENS[1]
FIRST_QUESTION = "Hoe lang duurt de behandeling van mijn omgevingsvergunning? (toetsenbord)"
LATER_QUESTION = "Wanneer hoor ik iets over mijn vergoeding? (toetsenbord)"
WORKSPACE = re.compile(r"/kcc/vragen/(V-[0-9A-Z]{10})\?opgepakt=1$")
JOURNEY = ("Alt+Shift+KeyN", "Alt+Digit1", "Control+Shift+Enter")


def keys_in(chord: str) -> int:
    """The keys pressed for a chord ("Alt+Shift+KeyN": three)."""
    return len(chord.split("+"))


def _scene(database_url: str) -> dict[str, str]:
    """Jan's question about his permit first in the queue (the knowledge base has answers for
    it), Fatima's after it, the demo's question last; a text module ::groet."""
    found: dict[str, str] = {}

    async def write() -> None:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                parties = dict((await session.execute(select(Party.identifier, Party.id))).all())
                topic = await session.scalar(select(Topic.id).where(Topic.code == "dossier"))
                assert topic is not None
                due = utcnow() + timedelta(hours=1)
                for key, who, text in (("first", CITIZENS[0], FIRST_QUESTION),
                                       ("later", FATIMA, LATER_QUESTION)):
                    made, _ = await ask(session, NewQuestion(parties[who.bsn], topic, text),
                                        WorkingCalendar())
                    made.sla_due_at, due = due, due + timedelta(hours=1)
                    found[key] = made.reference
                await session.execute(update(Question).where(
                    Question.submit_key == "demo-2").values(sla_due_at=due + timedelta(days=9)))
                lead = await session.scalar(select(StaffMember.id).where(
                    StaffMember.roles.contains("lead")))
                assert lead is not None
                await save_module(session, Staff(lead, ("lead",)), ModuleInput(
                    None, "groet", "Beste {naam},"))
                await session.commit()
        finally:
            await engine.dispose()

    _run_in_fresh_loop(write)
    return found


def _replies(database_url: str, reference: str) -> list[str]:
    found: list[str] = []

    async def read() -> None:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                found.extend(await session.scalars(select(QuestionMessage.body).join(
                    Question, Question.id == QuestionMessage.question_id).where(
                    Question.reference == reference, QuestionMessage.kind == "reply")))
        finally:
            await engine.dispose()

    _run_in_fresh_loop(read)
    return found


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The agent's browser."""
    yield from _session(browser, demo)


def test_take_use_an_answer_send_and_next_in_eight_key_presses(
    agent: Session, demo: Portal  # noqa: F811
) -> None:
    scene = _scene(demo.database_url)
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    s.axe("queue with the shortcuts' help")
    pressed = 0

    def press(chord: str) -> None:
        nonlocal pressed
        pressed += keys_in(chord)
        page.keyboard.press(chord)

    press(JOURNEY[0])  # Volgende vraag: the reply box has the focus
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{scene['first']}?opgepakt=1"))
    page.wait_for_load_state("load")  # kcc-keys.js has run: see test_journey.scripts_ready
    box = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    expect(box).to_be_focused()
    suggestion = page.locator("#kennisbank .mijn-suggestions > li").first
    expect(suggestion).to_be_attached()
    title = suggestion.locator("summary").inner_text()

    press(JOURNEY[1])  # the first suggested answer, in the reply box
    expect(page.get_by_role("status").filter(has_text="staat in het tekstvak")).to_be_visible()
    expect(box).to_be_focused()
    expect(box).not_to_have_value("")
    sent = box.input_value()
    s.axe(f"workspace with the answer {title!r} in the reply box")

    press(JOURNEY[2])  # Versturen en volgende
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{scene['later']}?opgepakt=1"))
    expect(box).to_be_focused()
    assert pressed <= 8, f"{pressed} key presses"
    assert _replies(demo.database_url, scene["first"]) == [sent.replace("\r\n", "\n")]
    s.goto(f"/kcc/vragen/{scene['first']}")
    expect(page.locator("body")).to_contain_text(sent.splitlines()[0])
    assert_clean(s)


def test_a_text_module_typed_and_the_switch_that_turns_the_shortcuts_off(
    agent: Session, demo: Portal  # noqa: F811
) -> None:
    scene = _scene(demo.database_url)
    s, page = agent, agent.page
    log_in_as_staff(s, AGENT)
    page.keyboard.press("Alt+Shift+KeyN")
    expect(page).to_have_url(WORKSPACE)
    box = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    expect(box).to_be_focused()
    # The reply box takes the focus while the page is parsed; the text modules listen once
    # its scripts ran (on a loaded machine, typing came first: "::groet " stayed as typed).
    page.wait_for_load_state()
    page.keyboard.type("::groet ")
    expect(box).to_have_value("Beste Jan Jansen, ")
    page.keyboard.type("u hoeft niets op te sturen. ::onbekend ")
    expect(box).to_have_value("Beste Jan Jansen, u hoeft niets op te sturen. ::onbekend ")
    modules = page.locator("#tekstblokken")
    expect(modules.locator("[data-module-name=groet]")).to_contain_text("Beste Jan Jansen,")
    modules.locator("summary").click()
    s.axe("workspace with the text modules open")

    help_box = page.locator("#sneltoetsen")
    help_box.locator("summary").click()
    switch = page.get_by_role("checkbox", name="Sneltoetsen aan (geldt voor deze browser)")
    expect(switch).to_be_checked()
    s.axe("workspace with the shortcuts' help open")
    switch.uncheck()
    box.focus()
    page.keyboard.press("Alt+Shift+KeyW")
    page.keyboard.type(" ::groet ")
    expect(box).to_have_value(re.compile(r"::onbekend  ::groet $"))  # off: nothing happens
    assert "/kcc/vragen/" in page.url
    page.reload()  # the choice is kept in this browser
    expect(page.get_by_role("checkbox", name="Sneltoetsen aan (geldt voor deze browser)",
                            include_hidden=True)).not_to_be_checked()
    page.locator("#sneltoetsen summary").click()
    page.get_by_role("checkbox", name="Sneltoetsen aan (geldt voor deze browser)").check()
    page.keyboard.press("Alt+Shift+KeyW")
    expect(page).to_have_url(s.portal.url("/kcc"))
    assert scene["later"] in page.content()  # still waiting in the queue
    assert_clean(s)


@pytest.fixture
def agent_without_js(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The agent's browser with JavaScript switched off."""
    yield from _session(browser, demo, java_script_enabled=False)


@pytest.fixture
def lead(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The team lead's browser."""
    yield from _session(browser, demo)


def test_the_same_round_without_javascript(
    agent_without_js: Session, demo: Portal  # noqa: F811
) -> None:
    """Plain links and buttons: Volgende vraag, the answer's link, Versturen en volgende."""
    scene = _scene(demo.database_url)
    s, page = agent_without_js, agent_without_js.page
    s.goto("/kcc")  # (log_in_as_staff checks with axe, which needs JavaScript)
    page.get_by_role("link", name="Inloggen als medewerker").click()
    page.get_by_role("button", name=f"Inloggen als {AGENT}").click()
    expect(page).to_have_url(s.portal.url("/kcc"))
    page.get_by_role("button", name="Volgende vraag").click()
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{scene['first']}?opgepakt=1"))
    box = page.get_by_role("textbox", name="Bericht aan de klant (de klant ziet dit)")
    expect(box).to_be_focused()  # autofocus: no script needed
    expect(page.get_by_role("checkbox", name="Sneltoetsen aan (geldt voor deze browser)")
           ).to_be_hidden()  # the switch is for the shortcuts, which need JavaScript
    modules = page.locator("#tekstblokken")
    modules.locator("summary").click()
    expect(modules).to_contain_text("::groet")
    expect(modules).to_contain_text("Beste Jan Jansen,")  # to copy
    page.locator("#kennisbank .mijn-suggestions > li summary").first.click()
    page.get_by_role("button", name=re.compile("^Gebruik dit antwoord in uw bericht")).first.click()
    expect(box).not_to_have_value("")
    sent = box.input_value()
    page.get_by_role("button", name="Versturen en volgende").click()
    expect(page).to_have_url(s.portal.url(f"/kcc/vragen/{scene['later']}?opgepakt=1"))
    assert _replies(demo.database_url, scene["first"]) == [sent.replace("\r\n", "\n")]
    assert_clean(s)


def test_a_lead_keeps_the_text_modules(lead: Session, demo: Portal) -> None:  # noqa: F811
    s, page = lead, lead.page
    log_in_as_staff(s, "Lotte de Boer")
    page.get_by_role("banner").get_by_role("link", name="Tekstblokken").click()
    expect(page).to_have_url(s.portal.url("/kcc/tekstblokken"))
    s.axe("text modules, none yet")
    page.get_by_role("textbox", name="Naam").fill("Mijn groet")
    page.get_by_role("textbox", name="Tekst").fill("Beste {naam},")
    page.get_by_role("button", name="Toevoegen").click()
    name = page.get_by_role("textbox", name="Naam")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("alleen kleine letters")
    s.axe("text modules, a wrong name")
    name.fill("groet")
    page.get_by_role("combobox", name="Voor welk team?").select_option(label="Vergunningen")
    page.get_by_role("button", name="Toevoegen").click()
    expect(page).to_have_url(s.portal.url("/kcc/tekstblokken?toegevoegd=1"))
    row = page.locator("table.mijn-table tbody tr").filter(has_text="::groet")
    expect(row).to_contain_text("Vergunningen")
    s.axe("text modules, one added")
    row.get_by_role("link").click()
    expect(page).to_have_title(re.compile("^Tekstblok bewerken: ::groet"))
    s.axe("a text module's page")
    page.get_by_role("button", name=re.compile("^Verwijderen")).click()
    expect(page).to_have_url(s.portal.url("/kcc/tekstblokken?verwijderd=1"))
    expect(page.get_by_text("Er zijn nog geen tekstblokken.")).to_be_visible()
    assert_clean(s, "/kcc/tekstblokken")
