"""End to end in Chromium: a question and its answer in Open Klant.

The portal runs as in test_journey.py, but with MIJN_OPENKLANT_URL set to a Klantinteracties
test server (tests/openklant_server.py, in this process). Jan asks a question in his browser;
`mijn worker --once` runs (its e-mails to an aiosmtpd server); the question is a klantcontact in Open Klant with Jan's partij as
its betrokkene. The agent answers in the KCC workspace; the worker runs again; the answer is
a klantcontact about the question's, with an actorklantcontact for the agent and Jan's
partij as its betrokkene (without it, a listing per party misses the answer).

The other way: a specialist answers Jan's exported question in KISS (a klantcontact whose
onderwerpobject `wasKlantcontact` is Mijn's, registered on the test server through its API),
and the Notificaties API tells Mijn (POST /api/v1/openklant/notificaties with the configured
token). While Open Klant is down Mijn answers 503 and keeps nothing; sent again once it is
back, the reply is in Jan's thread (on a 390 px wide phone) with a line in his inbox, and in
the agent's workspace. axe-core on each of those pages.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from openklant_server import TOKEN, Server, Trouble, running
from playwright.sync_api import Browser, expect
from test_journey import (  # noqa: F401  (browser, demo: fixtures used from here)
    PYTHON,
    Portal,
    Session,
    _free_port,
    _session,
    _wait_until_healthy,
    browser,
    demo,
    heading,
    log_in_as_jan,
)
from test_kcc_journey import AGENT, JAN_BSN, ask_elsewhere, log_in_as_staff

from conftest import HIGH_RATE_LIMITS
from mijn import PROJECT_ROOT
from mijn.i18n import language

NOTIFY_TOKEN = "openklant-notificaties-e2e-0123456789abcdef"  # noqa: S105 - a test's
NOTIFY_PATH = "/api/v1/openklant/notificaties"


@pytest.fixture(scope="module")
def openklant() -> Iterator[tuple[Server, str]]:
    """The Klantinteracties test server and its API's URL."""
    with running() as found:
        yield found


@pytest.fixture(scope="module")
def smtp() -> Iterator[str]:
    """A real SMTP server (aiosmtpd) for the worker's e-mails (it accepts and drops them)."""
    controller = Controller(object(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture(scope="module")
def portal(database_url: str, tmp_path_factory: pytest.TempPathFactory,
           openklant: tuple[Server, str], smtp: str) -> Iterator[Portal]:
    """The portal as a server process (as test_journey's), exporting to the test server."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("e2e-openklant")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIJN_")}
    env.update(HIGH_RATE_LIMITS, MIJN_DATABASE_URL=database_url, MIJN_BASE_URL=base_url,
               MIJN_DATA_DIR=str(data_dir), MIJN_ENV="development",
               MIJN_OPENKLANT_URL=openklant[1], MIJN_OPENKLANT_TOKEN=TOKEN, MIJN_SMTP_URL=smtp,
               MIJN_OPENKLANT_NOTIFICATIONS_TOKEN=NOTIFY_TOKEN)
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "mijn.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, base_url, log)
        yield Portal(base_url, env, database_url, log, language.__wrapped__("en").gettext)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def citizen(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser."""
    yield from _session(browser, demo)


@pytest.fixture
def phone(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """Jan's browser on a phone (390 px wide)."""
    yield from _session(browser, demo, viewport={"width": 390, "height": 844})


@pytest.fixture
def agent(browser: Browser, demo: Portal) -> Iterator[Session]:  # noqa: F811
    """The agent's browser."""
    yield from _session(browser, demo, viewport={"width": 1280, "height": 800})


def run_the_worker(portal: Portal) -> str:
    """`mijn worker --once`, as an operator runs it; what it logged."""
    done = subprocess.run([PYTHON, "-m", "mijn.cli", "worker", "--once"], cwd=PROJECT_ROOT,
                          env=portal.env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, f"mijn worker failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def key(obj: dict[str, Any], name: str) -> Any:
    """A field's value; of a reference ({uuid, url}), its uuid."""
    value = obj.get(name)
    return value.get("uuid") if isinstance(value, dict) else value


def stored(server: Server, resource: str, **match: Any) -> list[dict[str, Any]]:
    """What the test server holds of a resource, with these fields (references by uuid)."""
    return [obj for obj in server.store.objects[resource].values()
            if all(key(obj, name) == value for name, value in match.items())]


def jans_partij(server: Server) -> str:
    """The uuid of the partij with Jan's BSN (one)."""
    [ident] = [i for i in server.store.objects["partij-identificatoren"].values()
               if i["partijIdentificator"]["objectId"] == JAN_BSN]
    uuid_: str = key(ident, "identificeerdePartij")
    assert len(stored(server, "partijen", uuid=uuid_)) == 1
    return uuid_


def test_a_question_and_its_answer_land_in_open_klant(
    citizen: Session, agent: Session, openklant: tuple[Server, str]
) -> None:
    server, tag = openklant[0], uuid.uuid4().hex[:8]
    server.store.reset()  # shared by both databases' runs: ids (and so references) recur
    question = f"Wanneer wordt mijn afval weer opgehaald? (vraag {tag})"
    answer = f"Uw afval wordt donderdag opgehaald. (antwoord {tag})"
    log_in_as_jan(citizen, axe=False)
    reference = ask_elsewhere(citizen, "Mijn aanvraag of melding", question)
    run_the_worker(citizen.portal)

    [asked] = stored(server, "klantcontacten", referentienummer=reference.removeprefix("V-"))
    assert question in asked["inhoud"] and asked["kanaal"]
    partij = jans_partij(server)
    [involved] = stored(server, "betrokkenen", hadKlantcontact=asked["uuid"])
    assert key(involved, "wasPartij") == partij
    assert (involved["rol"], involved["initiator"]) == ("klant", True)

    log_in_as_staff(agent, AGENT)
    agent.goto(f"/kcc/vragen/{reference}")
    agent.page.locator("#veld-antwoord").fill(answer)
    agent.page.get_by_role("button", name="Antwoord versturen", exact=True).click()
    expect(agent.page.locator(".mijn-thread__item--reply")).to_contain_text(answer)
    run_the_worker(agent.portal)

    [replied] = [c for c in server.store.objects["klantcontacten"].values()
                 if c.get("reactie") == answer]
    [about] = stored(server, "onderwerpobjecten", klantcontact=replied["uuid"])
    assert key(about, "wasKlantcontact") == asked["uuid"]
    [handled] = stored(server, "actorklantcontacten", klantcontact=replied["uuid"])
    [actor] = stored(server, "actoren", uuid=key(handled, "actor"))
    assert (actor["naam"], actor["soortActor"]) == (AGENT, "medewerker")
    [involved] = stored(server, "betrokkenen", hadKlantcontact=replied["uuid"])
    assert key(involved, "wasPartij") == partij
    assert jans_partij(server) == partij  # found again, not made twice
    for s in (citizen, agent):
        assert not s.watch.problems, s.watch.problems


def kiss_replies(openklant: tuple[Server, str], asked: str, partij: str, text: str
                 ) -> dict[str, Any]:
    """A specialist answers in KISS: through Open Klant's API, maak-klantcontact with an
    onderwerpobject about Mijn's klantcontact and Jan's partij as the betrokkene."""
    made = httpx.post(f"{openklant[1]}/maak-klantcontact", timeout=5,
                      headers={"Authorization": f"Token {TOKEN}"}, json={
        "klantcontact": {"kanaal": "Telefoon", "onderwerp": "Afval", "reactie": text,
                         "taal": "nld", "vertrouwelijk": False, "indicatieContactGelukt": True},
        "betrokkene": {"wasPartij": {"uuid": partij}, "rol": "klant", "initiator": True},
        "onderwerpobject": {"wasKlantcontact": {"uuid": asked}}})
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()["klantcontact"]
    return found


def notify(portal: Portal, url: str) -> httpx.Response:
    """What the Notificaties API posts to Mijn when Open Klant made a klantcontact."""
    return httpx.post(portal.url(NOTIFY_PATH), timeout=30,
                      headers={"Authorization": f"Bearer {NOTIFY_TOKEN}"}, json={
        "kanaal": "klantcontacten", "hoofdObject": url, "resource": "klantcontact",
        "resourceUrl": url, "actie": "create", "aanmaakdatum": "2026-12-04T10:15:00+00:00"})


def test_a_reply_written_in_kiss_reaches_the_thread_the_inbox_and_the_workspace(
    phone: Session, agent: Session, openklant: tuple[Server, str]
) -> None:
    server, tag = openklant[0], uuid.uuid4().hex[:8]
    server.store.reset()
    question = f"Mag ik mijn kliko eerder buiten zetten? (vraag {tag})"
    answer = f"Ja, vanaf 19.00 uur de avond ervoor. (antwoord {tag})"
    log_in_as_jan(phone, axe=False)
    reference = ask_elsewhere(phone, "Mijn aanvraag of melding", question)
    run_the_worker(phone.portal)
    [asked] = stored(server, "klantcontacten", referentienummer=reference.removeprefix("V-"))
    reply = kiss_replies(openklant, asked["uuid"], jans_partij(server), answer)

    server.store.troubles.append(Trouble("down", 1, "GET", "klantcontacten"))
    phone.portal.deliberate.append('"POST api:openklant_notificaties" 503')
    refused = notify(phone.portal, reply["url"])  # Open Klant down: try again later
    assert refused.status_code == 503 and refused.headers["retry-after"], refused.text
    for _ in range(2):  # back; the Notificaties API sends again (and once more)
        assert notify(phone.portal, reply["url"]).status_code == 204

    citizen_sees_the_reply(phone, reference, question, answer)
    log_in_as_staff(agent, AGENT)
    agent.goto(f"/kcc/vragen/{reference}")
    expect(agent.page.locator(".mijn-thread__item--reply")).to_have_count(1)
    expect(agent.page.locator(".mijn-thread__item--reply")).to_contain_text(answer)
    expect(agent.page.locator(".mijn-thread")).to_contain_text("Telefoon (Open Klant)")
    agent.axe("question workspace with the reply from Open Klant")
    for s in (phone, agent):
        assert not s.watch.problems, s.watch.problems


def citizen_sees_the_reply(s: Session, reference: str, question: str, answer: str) -> None:
    """On the phone: one line in the inbox, and the reply in the thread, once."""
    page = s.page
    s.goto("/mijn/berichten")
    expect(heading(page)).to_have_text("Berichten")
    line = page.locator(".mijn-card").filter(
        has=page.locator(f'a[href$="/mijn/vragen/{reference}"]'))
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Er is een antwoord op uw vraag")
    expect(line.get_by_text("Nieuw", exact=True)).to_be_visible()
    s.axe("inbox with the reply from Open Klant (390 px)")
    s.goto(f"/mijn/vragen/{reference}")
    expect(page.locator(".mijn-status").first).to_have_text("Beantwoord")
    items = page.locator(".mijn-thread__item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(question)
    expect(items.nth(1)).to_contain_text(answer)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    s.axe("question page with the reply from Open Klant (390 px)")
