"""Import from Open Klant against the Klantinteracties test server (tests/openklant_server.py),
over HTTP: what KISS registers there (through the same API, checked against the standard's
schemas) is announced to Mijn as the Notificaties API would, and Mijn reads it back with its
own token. A phone call shows in "Mijn vragen" and the 360 view; a reply written in KISS
lands in the citizen's thread once and the citizen is told; Mijn's own objects coming back
change nothing; Open Klant down is a 503 to try again, never a 500. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from openklant_server import PREFIX, TOKEN, Server, Trouble, running
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth
from mijn.access.staff import Staff
from mijn.envvalues import ConfigurationError
from mijn.notifications.models import Notification
from mijn.openklant.client import OpenKlantClient
from mijn.openklant.models import OpenKlantLink
from mijn.openklant.queue import deliver_due, enqueue
from mijn.openklantsettings import openklant_settings
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.common import list_topics, question_by_id
from mijn.questions.models import Contact, QuestionMessage
from mijn.questions.workflow import Handover, hand_over
from mijn.settings import Settings
from mijn.staff.models import Team
from mijn.staff.service import record_login

T = TypeVar("T")
JAN, STRANGER = "999990019", "111222333"  # Jan is a demo persona; nobody Mijn knows
PATH = "/api/v1/openklant/notificaties"
NOTIFY_TOKEN = "openklant-notificaties-0123456789abcdefXYZ"  # noqa: S105 - a test's


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Server, str]]:
    with running() as found:
        yield found


@dataclass
class World:
    """A portal that takes Open Klant's notifications, its Open Klant, and KISS's hands."""

    client: TestClient
    server: Server
    url: str
    settings: Settings
    jan: int = 0

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async def call() -> T:
            async with self.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
                result = await fn(session, *args)
                await session.commit()
                return result
        assert self.client.portal is not None
        return self.client.portal.call(call)

    def export(self) -> None:
        """One round of the worker's exports (Mijn's objects reach Open Klant)."""
        async def call() -> None:
            async with OpenKlantClient(self.settings.openklant) as remote:
                await deliver_due(self.client.app.state.sessionmaker,  # type: ignore[attr-defined]
                                  self.settings.openklant, remote, ignore_schedule=True)
        assert self.client.portal is not None
        self.client.portal.call(call)

    def kiss(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        """KISS registers something in Open Klant (the server checks it against the standard)."""
        answer = httpx.post(f"{self.url}/{resource}", json=body,
                            headers={"Authorization": f"Token {TOKEN}"}, timeout=5)
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def notify(self, kanaal: str, url: str, token: str = NOTIFY_TOKEN,
               part: tuple[str, str] | None = None) -> httpx.Response:
        """What the Notificaties API sends Mijn when an object changed in Open Klant (`part`:
        the resource and URL of a part of the hoofdObject, such as an onderwerpobject)."""
        resource = {"klantcontacten": "klantcontact", "internetaken": "internetaak"}[kanaal]
        resource, resource_url = part or (resource, url)
        answer: httpx.Response = self.client.post(
            PATH, headers={"Authorization": f"Bearer {token}"}, json={
                "kanaal": kanaal, "hoofdObject": url, "resource": resource,
                "resourceUrl": resource_url,
                "actie": "create", "aanmaakdatum": datetime.now(UTC).isoformat()})
        return answer


@pytest.fixture
def world(server: tuple[Server, str], client_with: Callable[..., TestClient]) -> World:
    found, url = server
    found.store.reset()
    client = client_with(MIJN_OPENKLANT_URL=url, MIJN_OPENKLANT_TOKEN=TOKEN,
                         MIJN_OPENKLANT_NOTIFICATIONS_TOKEN=NOTIFY_TOKEN)
    world = World(client, found, url, client.app.state.settings)  # type: ignore[attr-defined]
    world.jan = world.run(_jan)
    return world


async def _jan(session: AsyncSession) -> int:
    return (await get_or_create_party(session, "bsn", JAN, "Jan Jansen")).id


def _partij(world: World, bsn: str) -> dict[str, Any]:
    """The partij KISS finds or makes for a caller (by BSN, Open Klant 2.6's codes)."""
    for partij in world.server.store.objects["partijen"].values():
        for ref in partij.get("partijIdentificatoren", []):
            ident = world.server.store.objects["partij-identificatoren"][ref["uuid"]]
            if ident["partijIdentificator"]["objectId"] == bsn:
                return partij
    return world.kiss("partijen", {
        "soortPartij": "persoon", "indicatieActief": True, "voorkeurstaal": "nld",
        "partijIdentificatoren": [{"partijIdentificator": {
            "codeObjecttype": "natuurlijk_persoon", "codeSoortObjectId": "bsn",
            "objectId": bsn, "codeRegister": "brp"}}]})


def _call(world: World, bsn: str, text: str, *, secret: bool = False,
          answers: str | None = None, reactie: str | None = None) -> dict[str, Any]:
    """A klantcontact KISS registers through maak-klantcontact (a phone call, or a reply)."""
    contact: dict[str, Any] = {
        "kanaal": "Telefoon", "onderwerp": "Afvalpas", "inhoud": text, "taal": "nld",
        "vertrouwelijk": secret, "indicatieContactGelukt": True,
        "plaatsgevondenOp": "2026-12-04T10:15:00+00:00"}
    if reactie is not None:
        contact["reactie"] = reactie
    body: dict[str, Any] = {"klantcontact": contact, "betrokkene": {
        "wasPartij": {"uuid": _partij(world, bsn)["uuid"]}, "rol": "klant", "initiator": True,
        "contactnaam": None}}
    if answers is not None:
        body["onderwerpobject"] = {"wasKlantcontact": {"uuid": answers}}
    made: dict[str, Any] = world.kiss("maak-klantcontact", body)["klantcontact"]
    return made


async def _contacts(session: AsyncSession) -> list[tuple[str, str, bool]]:
    rows = await session.execute(select(Contact.channel, Contact.summary, Contact.internal)
                                 .order_by(Contact.id))
    return [(r.channel, r.summary, r.internal) for r in rows]


def test_a_phone_call_in_kiss_shows_in_mijn_vragen_and_the_360_view(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A call KISS registered for Jan is a contact of Jan's: the citizen sees it unless it
    is vertrouwelijk, the KCC sees both; sent twice it is taken in once; a caller Mijn does
    not know is ignored, and the log names no BSN."""
    public = _call(world, JAN, "Vroeg naar de afvalpas.")
    secret = _call(world, JAN, "Klacht over buurman.", secret=True)
    for made in (public, secret, public):
        assert world.notify("klantcontacten", made["url"]).status_code == 204
    assert world.run(_contacts) == [("phone", "Afvalpas\n\nVroeg naar de afvalpas.", False),
                                    ("phone", "Afvalpas\n\nKlacht over buurman.", True)]
    with caplog.at_level(logging.INFO, logger="mijn"):
        stranger = _call(world, STRANGER, "Wie ben ik?")
        assert world.notify("klantcontacten", stranger["url"]).status_code == 204
    assert len(world.run(_contacts)) == 2
    assert "no party Mijn knows" in caplog.text and STRANGER not in caplog.text
    auth = Auth(world.client)
    auth.login("demo-jan", "/mijn/vragen")
    page = world.client.get("/mijn/vragen").text
    assert "Vroeg naar de afvalpas." in page and "Klacht over buurman." not in page
    auth.logout()
    auth.login_staff()
    picture = world.client.get(f"/kcc/klanten/{world.jan}").text
    assert "Vroeg naar de afvalpas." in picture and "Klacht over buurman." in picture


async def _asked(session: AsyncSession, party_id: int, settings: Settings) -> int:
    """Jan asks; the export noted with it (as the portal does)."""
    topics = await list_topics(session)
    question, _ = await ask(session, NewQuestion(party_id, topics[0].id, "Mag een dakkapel?",
                                                 None), settings.calendar)
    await enqueue(session, settings.openklant, "question", question.id, question.reference)
    return question.id


async def _link(session: AsyncSession, subject: str) -> str:
    found = await session.scalar(select(OpenKlantLink.uuid).where(
        OpenKlantLink.subject == subject, OpenKlantLink.role == "klantcontact"))
    assert found is not None
    return found


async def _thread(session: AsyncSession, question_id: int) -> tuple[str, list[tuple[str, str]],
                                                                     int]:
    question = await question_by_id(session, question_id)
    assert question is not None
    rows = await session.execute(select(QuestionMessage.kind, QuestionMessage.body)
                                 .where(QuestionMessage.question_id == question_id)
                                 .order_by(QuestionMessage.id))
    told = await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.question_id == question_id, Notification.kind == "reply"))
    return question.state, [(r.kind, r.body) for r in rows], int(told or 0)


def test_a_reply_written_in_kiss_lands_in_the_thread_once(world: World) -> None:
    """Jan's question is exported; a specialist answers it in KISS (a klantcontact about
    Mijn's): the reply is in Jan's thread, the question answered and Jan told, once however
    often it is announced; Mijn's own klantcontact coming back changes nothing."""
    question_id = world.run(_asked, world.jan, world.settings)
    world.export()
    asked = world.run(_link, f"question:{question_id}")
    asked_url = world.server.store.objects["klantcontacten"][asked]["url"]
    assert world.notify("klantcontacten", asked_url).status_code == 204  # Mijn's own
    assert world.run(_contacts) == []
    reply = _call(world, JAN, "Vraag over dakkapel", answers=asked,
                  reactie="Ja, tot 1,5 meter hoog zonder vergunning.")
    for _ in range(2):
        assert world.notify("klantcontacten", reply["url"]).status_code == 204
    state, thread, told = world.run(_thread, question_id)
    assert state == "answered" and told == 1
    assert thread == [("citizen", "Mag een dakkapel?"),
                      ("reply", "Ja, tot 1,5 meter hoog zonder vergunning.")]
    assert world.run(_contacts) == []  # a reply, not also a contact
    auth = Auth(world.client)
    auth.login("demo-jan", "/mijn/vragen")
    reference = world.run(_reference, question_id)
    assert "tot 1,5 meter hoog" in world.client.get(f"/mijn/vragen/{reference}").text
    auth.logout()
    auth.login_staff()
    workspace = world.client.get(f"/kcc/vragen/{reference}").text
    assert "tot 1,5 meter hoog" in workspace and "Telefoon (Open Klant)" in workspace


def test_a_reply_whose_onderwerpobject_came_later_still_lands_once(world: World) -> None:
    """KISS makes the klantcontact and its betrokkene first (announced: a contact of Jan's),
    then the onderwerpobject that makes it a reply (announced on its own): then it lands in
    the thread, once."""
    question_id = world.run(_asked, world.jan, world.settings)
    world.export()
    asked = world.run(_link, f"question:{question_id}")
    made = world.kiss("klantcontacten", {
        "kanaal": "E-mail", "onderwerp": "Dakkapel", "reactie": "Het mag.", "taal": "nld",
        "vertrouwelijk": False})
    world.kiss("betrokkenen", {"hadKlantcontact": {"uuid": made["uuid"]}, "rol": "klant",
                               "initiator": True, "wasPartij": {"uuid": _partij(world, JAN)["uuid"]}})
    assert world.notify("klantcontacten", made["url"]).status_code == 204
    assert world.run(_contacts) == [("email", "Dakkapel\n\nHet mag.", False)]
    about = world.kiss("onderwerpobjecten", {"klantcontact": {"uuid": made["uuid"]},
                                             "wasKlantcontact": {"uuid": asked}})
    for _ in range(2):
        assert world.notify("klantcontacten", made["url"],
                            part=("onderwerpobject", about["url"])).status_code == 204
    state, thread, told = world.run(_thread, question_id)
    assert thread[-1] == ("reply", "Het mag.") and told == 1 and state == "answered"
    assert len(thread) == 2


async def _forget(session: AsyncSession, subject: str) -> None:
    """As if the export had not noted the uuid yet (its notification came first)."""
    await session.execute(delete(OpenKlantLink).where(OpenKlantLink.subject == subject))


def test_mijns_own_klantcontact_announced_before_its_uuid_was_noted_is_ignored(
    world: World
) -> None:
    """Open Klant may announce Mijn's klantcontact before the export noted its uuid: its
    referentienummer (one of Mijn's exports) tells it is Mijn's own, not a contact of Jan's."""
    question_id = world.run(_asked, world.jan, world.settings)
    world.export()
    asked = world.run(_link, f"question:{question_id}")
    world.run(_forget, f"question:{question_id}")
    url = world.server.store.objects["klantcontacten"][asked]["url"]
    assert world.notify("klantcontacten", url).status_code == 204
    assert world.run(_contacts) == []


async def _reference(session: AsyncSession, question_id: int) -> str:
    question = await question_by_id(session, question_id)
    assert question is not None
    return question.reference


async def _handed_over(session: AsyncSession, question_id: int, settings: Settings) -> None:
    agent = await record_login(session, "test|agent", "Anouk Bakker", ("agent",), ())
    await record_login(session, "test|spec", "Sam Visser", ("specialist",), ("vergunningen",))
    team = await session.scalar(select(Team.id).where(Team.code == "vergunningen"))
    question = await question_by_id(session, question_id)
    assert question is not None
    await hand_over(session, question, Staff(agent.id, ("agent",)),
                    Handover(team, None, "Jan", "Dakkapel", ""))
    await enqueue(session, settings.openklant, "handover", question.id, question.reference)


def test_an_internetaak_done_in_kiss_brings_its_reply(world: World) -> None:
    """A handover is an internetaak in Open Klant; the specialist answers in KISS (a reply to
    the handover's klantcontact) and marks the task verwerkt: that notification brings the
    reply into the thread; a confidential reply is an internal note, not news for Jan."""
    question_id = world.run(_asked, world.jan, world.settings)
    world.run(_handed_over, question_id, world.settings)
    world.export()
    [task] = world.server.store.objects["internetaken"].values()
    cause = task["aanleidinggevendKlantcontact"]["uuid"]
    _call(world, JAN, "Intern overleg", answers=cause, secret=True, reactie="Eerst bellen.")
    assert world.notify("internetaken", task["url"]).status_code == 204  # not verwerkt yet
    assert world.run(_thread, question_id)[1][-1][0] == "handover"
    _call(world, JAN, "Dakkapel", answers=cause, reactie="Het mag.")
    done = httpx.patch(task["url"], json={"status": "verwerkt"},
                       headers={"Authorization": f"Token {TOKEN}"}, timeout=5)
    assert done.status_code == 200, done.text
    assert world.notify("internetaken", task["url"]).status_code == 204
    state, thread, told = world.run(_thread, question_id)
    assert thread[-2:] == [("note", "Eerst bellen."), ("reply", "Het mag.")]
    assert state == "answered" and told == 1


def test_open_klant_down_is_a_503_to_send_again_and_then_it_is_taken_in(world: World) -> None:
    """Open Klant not answering while Mijn reads: 503 with Retry-After, nothing kept; the
    Notificaties API's next try takes it in."""
    made = _call(world, JAN, "Gebeld over parkeren.")
    world.server.store.troubles.append(Trouble("down", 1, "GET", "klantcontacten"))
    answer = world.notify("klantcontacten", made["url"])
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
    assert world.run(_contacts) == []
    world.server.store.troubles.append(Trouble("fail", 1, "GET", "betrokkenen"))
    assert world.notify("klantcontacten", made["url"]).status_code == 503
    assert world.notify("klantcontacten", made["url"]).status_code == 204
    assert len(world.run(_contacts)) == 1


def test_only_open_klants_token_and_objects_are_taken(
    world: World, client_with: Callable[..., TestClient]
) -> None:
    """A wrong token is 401; a URL outside the configured Open Klant is 422 (Mijn sends its
    token nowhere else); a removed object and a test message are 204; off without the
    notifications token (404)."""
    made = _call(world, JAN, "Gebeld.")
    assert world.notify("klantcontacten", made["url"], token="wrong").status_code == 401
    elsewhere = f"http://127.0.0.1:9{PREFIX}/klantcontacten/{uuid.uuid4()}"
    assert world.notify("klantcontacten", elsewhere).status_code == 422
    gone = f"{world.url}/klantcontacten/{uuid.uuid4()}"
    assert world.notify("klantcontacten", gone).status_code == 204
    test = world.client.post(PATH, json={"kanaal": "test"},
                             headers={"Authorization": f"Bearer {NOTIFY_TOKEN}"})
    assert test.status_code == 204 and world.run(_contacts) == []
    off = client_with(MIJN_OPENKLANT_URL=world.url, MIJN_OPENKLANT_TOKEN=TOKEN)
    assert off.post(PATH, json={"kanaal": "test"},
                    headers={"Authorization": f"Bearer {NOTIFY_TOKEN}"}).status_code == 404
    production = {"MIJN_OPENKLANT_URL": "https://ok.example.nl/klantinteracties/api/v1",
                  "MIJN_OPENKLANT_TOKEN": TOKEN}
    assert openklant_settings({**production, "MIJN_OPENKLANT_NOTIFICATIONS_TOKEN": NOTIFY_TOKEN},
                              True).takes_notifications
    with pytest.raises(ConfigurationError, match="MIJN_OPENKLANT_NOTIFICATIONS_TOKEN"):
        openklant_settings({**production, "MIJN_OPENKLANT_NOTIFICATIONS_TOKEN": "kort"}, True)
