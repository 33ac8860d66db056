"""Export to Open Klant against a Klantinteracties test server (tests/openklant_server.py): a
question, a reply, a handover and a callback request round trip; a retry after a time-out
that in fact succeeded creates nothing twice; the server down for a while loses nothing; a
refusal is dead until put back; long texts travel whole; every body Mijn sent is valid
against the schemas kept in tests/openklant_schemas/. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
import jsonschema
import pytest
from openklant_server import TOKEN, Server, Trouble, running, schema
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, form_fields, make_settings
from mijn import cli
from mijn.access.staff import Staff
from mijn.audit.models import AuditEvent
from mijn.check import Result, run_checks
from mijn.dossiers.models import Dossier, DossierType
from mijn.envvalues import ConfigurationError
from mijn.intake.service import create_api_client
from mijn.openklant.client import OpenKlantClient
from mijn.openklant.export import contact_reference
from mijn.openklant.models import OpenKlantExport, OpenKlantLink
from mijn.openklant.queue import (
    after_action,
    backlog_counts,
    deliver_due,
    enqueue,
    requeue_export,
)
from mijn.openklant.texts import MARK_TASK
from mijn.openklantsettings import openklant_settings
from mijn.parties.models import Party
from mijn.parties.service import get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.callbacks import suggest_window
from mijn.questions.common import list_topics, question_by_id
from mijn.questions.contacts import Callback, register_contact, request_callback
from mijn.questions.workflow import Handover, claim, hand_over, reply
from mijn.settings import Settings
from mijn.staff.models import Team
from mijn.staff.service import record_login
from mijn.worker import run_worker

T = TypeVar("T")
JAN, KVK = "999990019", "69599084"
ZAAK = "https://zaken.example.nl/zaken/api/v1/zaken/1f9c3e5a-2b7d-4c8e-9a1b-3c5d7e9f0a12"
# The client's time-out in a round where the server is slow on purpose (its delay is twice
# this): long enough for the other requests of that round on a loaded machine.
SLOW_ROUND = 4.0
# Which schema each request Mijn sends must satisfy.
SCHEMA_OF = {"partijen": "partij", "maak-klantcontact": "maak-klantcontact",
             "actoren": "actor", "actorklantcontacten": "actorklantcontact",
             "internetaken": "internetaak", "digitaleadressen": "digitaal-adres",
             "vertegenwoordigingen": "vertegenwoordiging"}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Server, str]]:
    """One test server for the module's tests (emptied before each)."""
    with running() as found:
        yield found


@dataclass
class World:
    """A portal configured for the test server, its people, and helpers."""

    client: TestClient
    server: Server
    settings: Settings
    jan: int
    agent: Staff
    specialist: Staff
    team: int
    topic: int

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """fn(session, *args) on the portal's loop, committed after."""
        async def call() -> T:
            async with self.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
                result = await fn(session, *args)
                await session.commit()
                return result
        assert self.client.portal is not None
        return self.client.portal.call(call)

    def deliver(self, timeout: float | None = None) -> Counter[str]:
        """One round of the worker's exports, due or not; `timeout`: the client's, shorter
        than the server's delay, for a round in which the server is told to be slow."""
        settings = self.settings.openklant
        if timeout is not None:
            settings = replace(settings, timeout=timeout)

        async def call() -> Counter[str]:
            async with OpenKlantClient(settings) as remote:
                return await deliver_due(self.client.app.state.sessionmaker,  # type: ignore[attr-defined]
                                         settings, remote, ignore_schedule=True)
        assert self.client.portal is not None
        return self.client.portal.call(call)

    def objects(self, resource: str) -> list[dict[str, Any]]:
        """What the server stores of a resource."""
        return list(self.server.store.objects[resource].values())


async def _people(session: AsyncSession) -> tuple[int, Staff, Staff, int, int]:
    jan = await get_or_create_party(session, "bsn", JAN, "Jan Jansen")
    agent = await record_login(session, "test|agent", "Anouk Bakker", ("agent",), ())
    specialist = await record_login(session, "test|spec", "Sam Visser", ("specialist",),
                                    ("vergunningen",))
    team = await session.scalar(select(Team.id).where(Team.code == "vergunningen"))
    topics = await list_topics(session)
    assert team is not None
    return (jan.id, Staff(agent.id, ("agent",)), Staff(specialist.id, ("specialist",)), team,
            topics[0].id)


@pytest.fixture
def world(server: tuple[Server, str], client_with: Callable[..., TestClient]) -> World:
    """A portal whose Open Klant is the test server (the default client time-out: a loaded
    machine answers slowly, and a 2 s one failed a CI run)."""
    found, url = server
    found.store.reset()
    client = client_with(MIJN_OPENKLANT_URL=url, MIJN_OPENKLANT_TOKEN=TOKEN)
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    world = World(client, found, settings, 0, Staff(0, ()), Staff(0, ()), 0, 0)
    world.jan, world.agent, world.specialist, world.team, world.topic = world.run(_people)
    return world


def assert_valid(world: World) -> int:
    """Every body Mijn sent (POST, PATCH) is valid against the standard's schema; how many
    there were."""
    sent = [(method, resource, body) for method, resource, body in world.server.store.requests
            if method in ("POST", "PATCH")]
    for method, resource, body in sent:
        name = SCHEMA_OF[resource] + ("-patch" if method == "PATCH" else "")
        jsonschema.validate(body, schema(name), format_checker=jsonschema.FormatChecker())
    return len(sent)


def asking(world: World, body: str = "Wanneer hoor ik iets over mijn aanvraag?",
           dossier_id: int | None = None) -> int:
    """Jan asks through the portal; the export noted in the same transaction (as the
    portal's handler does). The question's id."""
    async def call(session: AsyncSession) -> int:
        question, _ = await ask(session, NewQuestion(world.jan, world.topic, body, dossier_id),
                                world.settings.calendar)
        await enqueue(session, world.settings.openklant, "question", question.id,
                      question.reference)
        return question.id
    return world.run(call)


def acting(world: World, question_id: int, action: str, staff: Staff,
           do: Callable[[AsyncSession, Any], Awaitable[None]]) -> None:
    """A staff action on the question and its export, in one transaction (as the KCC does)."""
    async def call(session: AsyncSession) -> None:
        question = await question_by_id(session, question_id)
        assert question is not None
        await do(session, question)
        await after_action(session, world.settings.openklant, question, action)
    world.run(call)


async def _zaak_dossier(session: AsyncSession, party_id: int) -> int:
    kind = DossierType(code=f"t-{uuid.uuid4().hex[:6]}", kind="case", name_nl="Vergunning")
    session.add(kind)
    await session.flush()
    dossier = Dossier(reference=f"Z-{uuid.uuid4().hex[:8]}", kind="case",
                      dossier_type_id=kind.id, title="Dakkapel", party_id=party_id,
                      channel="web", opened_on=date(2026, 3, 1), zgw_url=ZAAK)
    session.add(dossier)
    await session.flush()
    return dossier.id


def test_a_question_becomes_a_klantcontact_of_the_party_found_by_bsn(world: World) -> None:
    """A question about a zaak: a partij by BSN (2.6 codes), a klantcontact with its text,
    the party as initiating betrokkene, an onderwerpobject naming the zaak; a second question
    of the same party finds the partij rather than making another."""
    dossier = world.run(_zaak_dossier, world.jan)
    first = asking(world, dossier_id=dossier)
    assert world.deliver() == Counter(done=1)
    [partij] = world.objects("partijen")
    [ident] = world.objects("partij-identificatoren")
    assert ident["partijIdentificator"] == {"codeObjecttype": "natuurlijk_persoon",
                                            "codeSoortObjectId": "bsn", "objectId": JAN,
                                            "codeRegister": "brp"}
    assert ident["identificeerdePartij"]["uuid"] == partij["uuid"]
    [contact] = world.objects("klantcontacten")
    assert contact["kanaal"] == "Webformulier"
    assert contact["inhoud"] == "Wanneer hoor ik iets over mijn aanvraag?"
    assert contact["taal"] == "nld" and contact["vertrouwelijk"] is False
    [involved] = world.objects("betrokkenen")
    assert involved["wasPartij"]["uuid"] == partij["uuid"] and involved["initiator"] is True
    assert involved["hadKlantcontact"]["uuid"] == contact["uuid"]
    [about] = world.objects("onderwerpobjecten")
    assert about["onderwerpobjectidentificator"] == {
        "objectId": ZAAK.rsplit("/", 1)[1], "codeObjecttype": "zaak",
        "codeRegister": "openzaak", "codeSoortObjectId": "uuid"}
    links = world.run(_links, f"question:{first}")
    assert links["klantcontact"] == contact["url"] and links["betrokkene"] == involved["url"]
    asking(world, "Nog een vraag.")
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("partijen")) == 1 and len(world.objects("klantcontacten")) == 2
    assert assert_valid(world) == 3  # one partij, two maak-klantcontact


async def _links(session: AsyncSession, subject: str) -> dict[str, str]:
    rows = await session.execute(select(OpenKlantLink.role, OpenKlantLink.url)
                                 .where(OpenKlantLink.subject == subject))
    return {role: url for role, url in rows.all()}


def _handover(world: World) -> Handover:
    return Handover(world.team, world.specialist.id, "Jan Jansen", "Wil weten of een "
                    "dakkapel mag.", "Bestemmingsplan bekeken.")


def test_a_handover_is_an_internetaak_and_the_reply_ends_it(world: World) -> None:
    """A handover: an internal klantcontact of the note and an internetaak for the
    specialist (te_verwerken); the specialist's reply: a klantcontact linked to the question
    with an actorklantcontact for them, and the internetaak verwerkt."""
    question = asking(world)
    acting(world, question, "claim", world.agent, lambda s, q: claim(s, q, world.agent))
    acting(world, question, "hand_over", world.agent,
           lambda s, q: hand_over(s, q, world.agent, _handover(world)))
    assert world.deliver() == Counter(done=2)
    [task] = world.objects("internetaken")
    assert task["status"] == "te_verwerken" and task["gevraagdeHandeling"] == "Vraag beantwoorden"
    assert task["toelichting"] == _handover(world).note()
    [specialist] = [a for a in world.objects("actoren") if a["soortActor"] == "medewerker"
                    and a["naam"] == "Sam Visser"]
    assert task["toegewezenAanActoren"] == [{"uuid": specialist["uuid"]}]
    cause = world.server.store.objects["klantcontacten"][
        task["aanleidinggevendKlantcontact"]["uuid"]]
    assert cause["vertrouwelijk"] is True and cause["inhoud"] == _handover(world).note()
    acting(world, question, "reply", world.specialist,
           lambda s, q: reply(s, q, world.specialist, "Ja, dat mag zonder vergunning."))
    assert world.deliver() == Counter(done=2)  # the reply, and the end of the task
    [answer] = [c for c in world.objects("klantcontacten") if c.get("reactie")]
    assert answer["reactie"] == "Ja, dat mag zonder vergunning."
    asked = world.run(_links, f"question:{question}")["klantcontact"]
    linked = [o for o in world.objects("onderwerpobjecten")
              if (o["klantcontact"] or {}).get("uuid") == answer["uuid"]]
    assert [o["wasKlantcontact"]["uuid"] for o in linked] == [asked.rsplit("/", 1)[1]]
    handled = {(a["actor"]["uuid"], a["klantcontact"]["uuid"])
               for a in world.objects("actorklantcontacten")}
    assert (specialist["uuid"], answer["uuid"]) in handled
    assert world.server.store.objects["internetaken"][task["uuid"]]["status"] == "verwerkt"
    assert assert_valid(world) >= 6


def test_a_callback_request_is_a_klantcontact_an_internetaak_and_the_number(
    world: World,
) -> None:
    """A callback request: a klantcontact, the number to call as the betrokkene's
    digitaal adres (telefoonnummer), an internetaak "Terugbellen" for the team's actor."""
    async def call(session: AsyncSession) -> int:
        start, end = suggest_window(world.settings.calendar, datetime.now().astimezone())
        question = await request_callback(session, world.agent, Callback(
            world.jan, world.topic, "06 1234 5678", start, end,
            Handover(world.team, None, "Jan", "Terugbellen over de aanslag.")),
            world.settings.calendar)
        assert end - start <= timedelta(days=1)
        for kind in ("question", "handover"):
            await enqueue(session, world.settings.openklant, kind, question.id,
                          question.reference)
        return question.id
    world.run(call)
    assert world.deliver() == Counter(done=2)
    [number] = world.objects("digitaleadressen")
    assert number["adres"] == "0612345678" and number["soortDigitaalAdres"] == "telefoonnummer"
    [task] = world.objects("internetaken")
    assert task["gevraagdeHandeling"] == "Terugbellen"
    [team] = [a for a in world.objects("actoren") if a["soortActor"] == "organisatorische_eenheid"]
    assert task["toegewezenAanActoren"] == [{"uuid": team["uuid"]}]
    assert assert_valid(world) >= 5


@pytest.mark.parametrize("resource", ["partijen", "maak-klantcontact", "internetaken"])
def test_a_retry_after_a_time_out_that_succeeded_creates_nothing_twice(
    world: World, resource: str,
) -> None:
    """The server stores, then answers too late: the export is retried, finds what the first
    attempt made, and makes nothing twice."""
    question = asking(world)
    acting(world, question, "claim", world.agent, lambda s, q: claim(s, q, world.agent))
    acting(world, question, "hand_over", world.agent,
           lambda s, q: hand_over(s, q, world.agent, _handover(world)))
    world.server.store.troubles.append(Trouble("slow_after", 1, "POST", resource))
    first = world.deliver(timeout=SLOW_ROUND)
    assert first["pending"] == 1  # the one that timed out waits for its retry
    assert world.deliver()["done"] >= 1
    assert world.run(_states) == {"done": 2}
    assert len(world.objects("partijen")) == 1
    assert len(world.objects("klantcontacten")) == 2  # the question and the handover note
    assert len(world.objects("internetaken")) == 1
    assert assert_valid(world) >= 6


async def _states(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OpenKlantExport.state, func.count())
                                 .group_by(OpenKlantExport.state))
    return {state: int(count) for state, count in rows.all()}


def test_the_server_down_for_a_while_loses_nothing(world: World) -> None:
    """While Open Klant answers 503 the exports wait (a round stops at the first, and
    however often it is tried, none is dead); one that times out waits with its error; once
    Open Klant is back, every one arrives, once."""
    for _ in range(3):
        asking(world)
    world.server.store.troubles.append(Trouble("down", 100, "*"))
    for _ in range(3):  # out of reach: the round stops at the first; never dead
        assert world.deliver() == Counter(pending=1)
    assert world.run(backlog_counts) == {"pending": 3, "dead": 0}  # the metrics' figures
    assert [e for e in world.run(_errors) if e] == [
        "unreachable: OpenKlantError: Open Klant answered 503 to GET partijen"]
    world.server.store.troubles[:] = [Trouble("slow", 1, "*")]
    assert world.deliver(timeout=SLOW_ROUND) == Counter(pending=1, done=2)
    assert [e for e in world.run(_errors) if e] == ["ReadTimeout"]
    world.server.store.troubles.clear()
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("klantcontacten")) == 3 and len(world.objects("partijen")) == 1
    assert assert_valid(world) >= 4


async def _errors(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OpenKlantExport.last_error)))


def test_a_refusal_is_dead_at_once_and_staff_put_it_back(world: World) -> None:
    """A 4xx will not pass: the export is dead with the error (the fields Open Klant named,
    no values); put back, it goes when the cause is gone."""
    asking(world)
    world.server.store.objects["partij-identificatoren"]["x"] = {  # someone else has the BSN
        "partijIdentificator": {"codeObjecttype": "natuurlijk_persoon",
                                "codeSoortObjectId": "bsn", "objectId": JAN,
                                "codeRegister": "brp"}}
    assert world.deliver() == Counter(dead=1)
    [error] = world.run(_errors)
    assert error.startswith("OpenKlantError: Open Klant answered 400 to POST partijen")
    assert "partijIdentificator (unique)" in error and JAN not in error
    del world.server.store.objects["partij-identificatoren"]["x"]
    [dead] = world.run(_dead_ids)
    assert world.run(requeue_export, dead) is True
    assert world.deliver() == Counter(done=1), world.run(_errors)


async def _dead_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(OpenKlantExport.id)
                                      .where(OpenKlantExport.state == "dead")))


def test_long_texts_travel_whole(world: World) -> None:
    """A question over inhoud's 1,000 characters: inhoud ends with a marker and the metadata
    holds the whole text; a handover note over toelichting's 1,000: the task says where the
    whole note is, and its klantcontact has it."""
    body = "Mijn vraag gaat over de dakkapel. " * 110  # 3,740 characters
    question = asking(world, body.strip())
    acting(world, question, "claim", world.agent, lambda s, q: claim(s, q, world.agent))
    long = Handover(world.team, None, "Jan Jansen", "Context. " * 200)
    acting(world, question, "hand_over", world.agent,
           lambda s, q: hand_over(s, q, world.agent, long))
    assert world.deliver() == Counter(done=2)
    asked = next(c for c in world.objects("klantcontacten") if not c["vertrouwelijk"])
    assert len(asked["inhoud"]) == 1000 and asked["inhoud"].endswith(
        "(volledige tekst in metadata.volledigeInhoud)")
    assert asked["metadata"] == {"volledigeInhoud": body.strip()}
    [task] = world.objects("internetaken")
    assert len(task["toelichting"]) == 1000 and task["toelichting"].endswith(MARK_TASK)
    cause = world.server.store.objects["klantcontacten"][
        task["aanleidinggevendKlantcontact"]["uuid"]]
    assert cause["metadata"]["volledigeInhoud"] == long.note()
    assert assert_valid(world) >= 4


def test_nothing_is_noted_while_open_klant_is_off(run: Any, settings: Settings) -> None:
    """Without MIJN_OPENKLANT_URL no export is noted."""
    assert not settings.openklant.enabled

    async def call(session: AsyncSession) -> int:
        jan = await get_or_create_party(session, "bsn", JAN)
        topic = (await list_topics(session))[0]
        question, _ = await ask(session, NewQuestion(jan.id, topic.id, "Vraag"),
                                settings.calendar)
        await enqueue(session, settings.openklant, "question", question.id, question.reference)
        return int(await session.scalar(select(func.count()).select_from(OpenKlantExport)) or 0)
    assert run(call) == 0


def _post(client: TestClient, path: str, data: dict[str, str], token: str) -> Any:
    return client.post(path, data={**data, "csrf_token": token})


def test_the_portal_and_the_kcc_note_their_exports_with_the_change(world: World) -> None:
    """Through the real pages: Jan asks, an agent answers; each change's export is noted in
    its own transaction and arrives, the reply linked to the question."""
    auth = Auth(world.client)
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    token = auth.csrf()
    fields = form_fields(world.client.get("/mijn/vragen/nieuw").text)
    asked = _post(world.client, "/mijn/vragen", {
        "submit_key": fields["submit_key"], "topic": str(world.topic),
        "body": "Wanneer komt de ploeg?", "suggestions_seen": "1"}, token)
    assert asked.status_code == 303
    reference = asked.headers["location"].split("/")[-1].split("?")[0]
    answered = _post(world.client, f"/kcc/vragen/{reference}/reply",
                     {"body": "Volgende week."}, token)
    assert answered.status_code == 303
    assert world.run(_kinds) == ["question", "reply"]
    assert world.deliver() == Counter(done=2)
    [asking_contact] = [c for c in world.objects("klantcontacten") if c.get("inhoud")]
    [answer] = [c for c in world.objects("klantcontacten") if c.get("reactie")]
    assert asking_contact["referentienummer"] == reference.removeprefix("V-")
    assert asking_contact["inhoud"] == "Wanneer komt de ploeg?"
    assert answer["reactie"] == "Volgende week."
    [agent] = world.objects("actoren")
    assert agent["soortActor"] == "medewerker"
    assert assert_valid(world) == 5  # partij, 2 maak-klantcontact, actor, actorklantcontact


async def _kinds(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(OpenKlantExport.kind).order_by(OpenKlantExport.id)))


def test_staff_see_a_dead_export_and_put_it_back(world: World) -> None:
    """The deliveries page lists a dead export with its error; "Opnieuw proberen" puts it
    back in the queue (audited), and it goes."""
    asking(world)
    world.server.store.troubles.append(Trouble("fail", 1))
    world.client.app.state.settings = replace(  # type: ignore[attr-defined]
        world.settings, openklant=replace(world.settings.openklant, max_attempts=1))
    world.settings = world.client.app.state.settings  # type: ignore[attr-defined]
    assert world.deliver() == Counter(dead=1)
    auth = Auth(world.client)
    auth.login_staff("demo-lead")
    page = world.client.get("/kcc/meldingen").text
    [dead] = world.run(_dead_ids)
    assert "Mislukte exports naar Open Klant" in page
    assert "gave up after 1 attempts: OpenKlantError: Open Klant answered 500" in page
    url = f"/kcc/meldingen/openklant/{dead}/opnieuw"
    assert world.client.post(url).status_code == 403  # no CSRF token
    done = world.client.post(url, data={"csrf_token": form_fields(page)["csrf_token"]})
    assert (done.status_code, done.headers["location"]) == (303, "/kcc/meldingen?opnieuw=openklant")
    assert "De export naar Open Klant staat weer in de wachtrij." in world.client.get(
        done.headers["location"]).text
    assert world.run(_audit) == ["kcc.retry.openklant"]
    assert world.client.post(url, data={"csrf_token": auth.csrf()}).status_code == 404
    assert world.deliver() == Counter(done=1)


async def _audit(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditEvent.action)
                                      .where(AuditEvent.action.like("kcc.retry.%"))))


def test_mijn_check_reports_whether_open_klant_answers_mijns_token(
    server: tuple[Server, str], database_url: str, data_dir: Any,
) -> None:
    """`mijn check`: ok when Open Klant accepts the token, FAIL (with what to do) when it
    refuses it or cannot be reached; a line saying it is off when unset."""
    _, url = server

    def line(**env: str) -> Result:
        settings = make_settings(database_url, data_dir, **env)
        return next(r for r in asyncio.run(run_checks(settings, 5)) if r.name == "open klant")

    assert line() == Result("open klant", True, "not configured (MIJN_OPENKLANT_URL unset)")
    found = line(MIJN_OPENKLANT_URL=url, MIJN_OPENKLANT_TOKEN=TOKEN)
    assert found.ok and found.detail == f"{url}: Mijn's token is accepted"
    refused = line(MIJN_OPENKLANT_URL=url, MIJN_OPENKLANT_TOKEN="wrong")
    assert not refused.ok and "answered 401" in refused.detail
    assert "MIJN_OPENKLANT_TOKEN" in refused.advice
    gone = line(MIJN_OPENKLANT_URL="http://127.0.0.1:9/klantinteracties/api/v1",
                MIJN_OPENKLANT_TOKEN=TOKEN)
    assert not gone.ok and "MIJN_OPENKLANT_URL" in gone.advice


def _ident(kind: str, soort: str, value: str, register: str, **more: Any) -> dict[str, Any]:
    return {"partijIdentificator": {"codeObjecttype": kind, "codeSoortObjectId": soort,
                                    "objectId": value, "codeRegister": register}, **more}


def test_the_test_server_holds_to_the_standard(server: tuple[Server, str]) -> None:
    """The server refuses what Open Klant 2.6 refuses, so a test that passes means
    something: no token, pre-2.6 identifier codes, a combination that is not allowed, an
    identifier twice, a branch without its company, a bad BSN or phone number, a text over
    its length, an unknown filter; and it keeps what it accepts."""
    found, url = server
    found.store.reset()
    api = httpx.Client(base_url=url, headers={"Authorization": f"Token {TOKEN}"})
    person = {"soortPartij": "persoon", "indicatieActief": True}
    assert httpx.post(f"{url}/partijen", json=person).status_code == 401

    def refused(resource: str, body: dict[str, Any]) -> str:
        answer = api.post(f"/{resource}", json=body)
        assert answer.status_code == 400, answer.text
        return str(answer.json()["invalidParams"][0]["name"])

    old = _ident("inp", "bsn", JAN, "brp")  # before 2.6
    assert refused("partijen", {**person, "partijIdentificatoren": [old]}).startswith(
        "partijIdentificatoren")
    mixed = _ident("natuurlijk_persoon", "kvk_nummer", KVK, "hr")
    assert refused("partijen", {**person, "partijIdentificatoren": [mixed]}) == \
        "partijIdentificator"
    bad_bsn = _ident("natuurlijk_persoon", "bsn", "123456789", "brp")
    assert refused("partijen", {**person, "partijIdentificatoren": [bad_bsn]}) == \
        "partijIdentificator.objectId"
    jan = _ident("natuurlijk_persoon", "bsn", JAN, "brp")
    made = api.post("/partijen", json={**person, "partijIdentificatoren": [jan]})
    assert made.status_code == 201
    assert refused("partijen", {**person, "partijIdentificatoren": [jan]}) == \
        "partijIdentificator"  # unique
    branch = _ident("vestiging", "vestigingsnummer", "000038509504", "hr")
    company = {"soortPartij": "organisatie", "indicatieActief": True}
    assert refused("partijen", {**company, "partijIdentificatoren": [branch]}) == \
        "subIdentificatorVan"
    kvk = api.post("/partijen", json={**company, "partijIdentificatoren": [
        _ident("niet_natuurlijk_persoon", "kvk_nummer", KVK, "hr")]}).json()
    parent = kvk["partijIdentificatoren"][0]
    assert api.post("/partijen", json={**company, "partijIdentificatoren": [
        {**branch, "subIdentificatorVan": parent}]}).status_code == 201
    phone = {"verstrektDoorPartij": {"uuid": made.json()["uuid"]}, "adres": "06 1234 5678",
             "soortDigitaalAdres": "telefoonnummer"}
    assert refused("digitaleadressen", phone) == "adres"
    contact = {"kanaal": "Webformulier", "onderwerp": "x" * 201, "taal": "nld",
               "vertrouwelijk": False}
    assert refused("klantcontacten", contact) == "onderwerp"
    assert refused("maak-klantcontact", {"klantcontact": {**contact, "onderwerp": "Vraag"},
                                         "betrokkene": {"rol": "burger", "initiator": True}}
                   ) == "betrokkene.rol"
    assert found.store.objects["klantcontacten"] == {}  # all or nothing
    assert api.get("/partijen", params={"partijIdentificator__objectId": JAN}).json()[
        "count"] == 1
    assert api.get("/partijen", params={"bsn": JAN}).status_code == 400  # unknown filter


def test_the_settings_are_off_when_unset_and_refuse_what_cannot_work() -> None:
    """MIJN_OPENKLANT_*: off without a URL; a URL needs a token (and https in production);
    the channel names replace the defaults one by one, each a generic name of at most 50."""
    assert not openklant_settings({}, production=False).enabled
    found = openklant_settings({"MIJN_OPENKLANT_URL": "https://ok.example.nl/klantinteracties/"
                                "api/v1/", "MIJN_OPENKLANT_TOKEN": "t" * 40,
                                "MIJN_OPENKLANT_CHANNELS": "phone=KCC-telefoon, web=Mijn"},
                               production=True)
    assert found.enabled and found.url == "https://ok.example.nl/klantinteracties/api/v1"
    assert found.api("partijen") == "https://ok.example.nl/klantinteracties/api/v1/partijen"
    assert (found.channels["phone"], found.channels["web"], found.channels["counter"]) == (
        "KCC-telefoon", "Mijn", "Balie")
    assert "t" * 40 not in repr(found)
    wrong = [
        ({"MIJN_OPENKLANT_URL": "http://ok.example.nl"}, "MIJN_OPENKLANT_TOKEN must be set"),
        ({"MIJN_OPENKLANT_URL": "ok.example.nl", "MIJN_OPENKLANT_TOKEN": "x"}, "http(s)://"),
        ({"MIJN_OPENKLANT_CHANNELS": "fax=Fax"}, "'fax=Fax' is not"),
        ({"MIJN_OPENKLANT_CHANNELS": f"web={'x' * 51}"}, "1 to 50 characters"),
        ({"MIJN_OPENKLANT_MAX_ATTEMPTS": "0"}, "between 1 and 100"),
    ]
    for env, message in wrong:
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            openklant_settings(env, production=False)
    with pytest.raises(ConfigurationError, match="an https:// URL"):
        openklant_settings({"MIJN_OPENKLANT_URL": "http://ok.example.nl",
                            "MIJN_OPENKLANT_TOKEN": "x"}, production=True)


def test_contact_references_fit_referentienummer() -> None:
    """A question's referentienummer is its reference without V-; a message's is M and its
    id in base 36, 10 characters either way."""
    assert contact_reference("V-ABCDEFGH23") == "ABCDEFGH23"
    assert contact_reference("V-ABCDEFGH23", 35) == "M00000000Z"
    assert contact_reference("V-X", 36 ** 9 - 1) == "MZZZZZZZZZ"


def test_backfill_exports_what_was_there_before_and_twice_changes_nothing(
    world: World, database_url: str, data_dir: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A question and a contact from before the export was on (nothing noted for them): `mijn
    openklant backfill` notes and sends the question, its reply, its handover, the end of the
    task and the contact;
    run again, it notes and sends nothing more; --since leaves older questions out."""
    off = replace(world.settings.openklant, url="")
    world.settings = replace(world.settings, openklant=off)  # the helpers note nothing now
    question = asking(world)
    acting(world, question, "claim", world.agent, lambda s, q: claim(s, q, world.agent))
    acting(world, question, "hand_over", world.agent,
           lambda s, q: hand_over(s, q, world.agent, _handover(world)))
    acting(world, question, "reply", world.specialist,
           lambda s, q: reply(s, q, world.specialist, "Ja."))
    world.run(lambda session: register_contact(session, world.agent, world.jan, "counter",
                                               "Aan de balie geweest.", internal=False))
    assert world.run(_kinds) == []
    for key, value in {"MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
                       "MIJN_ENV": "development", "MIJN_OPENKLANT_URL": world.server.store.base
                       + "/klantinteracties/api/v1", "MIJN_OPENKLANT_TOKEN": TOKEN}.items():
        monkeypatch.setenv(key, value)
    assert cli.main(["openklant", "backfill", "--since", "2999-01-01"]) == 0
    assert "0 questions, 0 contacts, 0 mandates: 0 exports noted" in capsys.readouterr().err
    assert cli.main(["openklant", "backfill"]) == 0
    err = capsys.readouterr().err
    assert "1 questions, 1 contacts, 0 mandates: 5 exports noted" in err
    assert "5 sent, 0 to retry" in err
    assert sorted(world.run(_kinds)) == ["contact", "done", "handover", "question", "reply"]
    assert len(world.objects("klantcontacten")) == 4  # question, handover note, reply, contact
    [task] = world.objects("internetaken")
    assert task["status"] == "verwerkt"
    before = len(world.server.store.requests)
    assert cli.main(["openklant", "backfill"]) == 0
    assert "1 questions, 1 contacts, 0 mandates: 0 exports noted" in capsys.readouterr().err
    assert len(world.server.store.requests) == before
    assert assert_valid(world) >= 7


class NoMail:
    """A mailer for worker rounds with no e-mail due: opening a connection fails the test."""

    def connection(self) -> Any:
        raise AssertionError("nothing was due, yet the worker opened an SMTP connection")


def test_mijn_worker_delivers_the_exports(world: World) -> None:
    """`mijn worker` delivers the exports in its rounds (with --once: until none is due)."""
    asking(world)
    asking(world, "Tweede vraag.")
    assert world.client.portal is not None
    world.client.portal.call(partial(run_worker, world.settings, once=True, mailer=NoMail()))
    assert world.run(_states) == {"done": 2}
    assert len(world.objects("klantcontacten")) == 2


def test_a_contact_an_agent_registers_is_a_klantcontact_on_its_channel(world: World) -> None:
    """A phone call registered on Jan's page: a klantcontact on "Telefoon" with the summary,
    confidential when internal only, Jan as betrokkene and the agent as actor."""
    auth = Auth(world.client)
    auth.login_staff("demo-agent")
    saved = _post(world.client, f"/kcc/klanten/{world.jan}/contact", {
        "channel": "phone", "summary": "Belde over de aanslag; uitleg gegeven.",
        "internal": "1"}, auth.csrf())
    assert saved.status_code == 303
    assert world.run(_kinds) == ["contact"]
    assert world.deliver() == Counter(done=1)
    [contact] = world.objects("klantcontacten")
    assert (contact["kanaal"], contact["inhoud"], contact["vertrouwelijk"]) == (
        "Telefoon", "Belde over de aanslag; uitleg gegeven.", True)
    assert contact["referentienummer"].startswith("C")
    [involved] = world.objects("betrokkenen")
    [partij] = world.objects("partijen")
    assert involved["wasPartij"]["uuid"] == partij["uuid"]
    [handled] = world.objects("actorklantcontacten")
    assert handled["klantcontact"]["uuid"] == contact["uuid"]
    assert world.deliver() == Counter()  # nothing twice
    assert assert_valid(world) == 4


async def _verified(session: AsyncSession, party_id: int, email: str) -> None:
    party = await session.get(Party, party_id)
    assert party is not None
    party.email, party.email_verified_at = email, datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_verified_email_address_goes_with_the_partij_once(world: World) -> None:
    """The address Mijn verified is a digitaal adres of the partij, with its verificatieDatum
    and referentie portaalvoorkeur; a second export finds it; one over 80 characters is not
    sent rather than cut."""
    world.run(_verified, world.jan, "jan@example.org")
    asking(world)
    asking(world, "Nog een vraag.")
    assert world.deliver() == Counter(done=2)
    [address] = world.objects("digitaleadressen")
    [partij] = world.objects("partijen")
    assert address == {**address, "adres": "jan@example.org", "soortDigitaalAdres": "email",
                       "verificatieDatum": "2026-03-02", "referentie": "portaalvoorkeur",
                       "verstrektDoorPartij": {"uuid": partij["uuid"]}}
    world.run(_verified, world.jan, "j" * 70 + "@example.org")
    asking(world, "Een derde vraag.")
    assert world.deliver() == Counter(done=1)
    assert len(world.objects("digitaleadressen")) == 1
    assert assert_valid(world) == 5


def test_two_workers_at_once_make_one_partij_and_each_export_once(
    world: World, database_url: str,
) -> None:
    """Two workers deliver at the same moment (PostgreSQL: FOR UPDATE SKIP LOCKED): the
    questions of one party make one partij (the loser of the race finds the winner's), and
    one question's exports go in order, each once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row locks: one worker per SQLite database")
    for n in range(4):
        question = asking(world, f"Vraag {n}")
        acting(world, question, "claim", world.agent, lambda s, q: claim(s, q, world.agent))
        acting(world, question, "reply", world.agent,
               lambda s, q: reply(s, q, world.agent, "Antwoord."))

    async def both() -> list[Counter[str]]:
        async def one() -> Counter[str]:
            async with OpenKlantClient(world.settings.openklant) as remote:
                return await deliver_due(world.client.app.state.sessionmaker,  # type: ignore[attr-defined]
                                         world.settings.openklant, remote, ignore_schedule=True)
        return list(await asyncio.gather(one(), one()))
    assert world.client.portal is not None
    rounds = world.client.portal.call(both)
    while sum(world.deliver().values()):  # what waited for its question's earlier export
        pass
    assert sum(rounds, Counter())["dead"] == 0
    assert world.run(_states) == {"done": 8}
    assert len(world.objects("partijen")) == 1 and len(world.objects("klantcontacten")) == 8
    assert len(world.objects("actoren")) == 1


SANNE = "999990032"


def test_a_mandate_is_a_vertegenwoordiging_while_it_holds(world: World) -> None:
    """A mandate registered through the API: both parties as partijen and a
    vertegenwoordiging between them (once, also when it is sent again); revoked, it is
    removed from Open Klant."""
    async def token(session: AsyncSession) -> str:
        _client, found = await create_api_client(session, "register", "bewind", ["mandates"])
        return found
    headers = {"Authorization": f"Bearer {world.run(token)}"}
    mandate = {"representative": {"type": "bsn", "id": SANNE}, "represented": {"type": "bsn",
               "id": JAN}, "role": "bewindvoerder", "dossier_types": [], "can_ask": True,
               "valid_from": "2026-01-01", "valid_until": None}
    path = "/api/v1/mandates/bewind/b-17"
    assert world.client.put(path, json=mandate, headers=headers).status_code == 201
    assert world.client.put(path, json=mandate, headers=headers).status_code == 200
    assert world.deliver() == Counter(done=2)
    [link] = world.objects("vertegenwoordigingen")
    partijen = {world.server.store.objects["partij-identificatoren"][i["uuid"]][
        "partijIdentificator"]["objectId"]: p["uuid"]
        for p in world.objects("partijen") for i in p["partijIdentificatoren"]}
    assert link["vertegenwoordigendePartij"]["uuid"] == partijen[SANNE]
    assert link["vertegenwoordigdePartij"]["uuid"] == partijen[JAN]
    assert world.client.delete(path, headers=headers).status_code == 204
    assert world.deliver() == Counter(done=1)
    assert world.objects("vertegenwoordigingen") == []
    assert ("DELETE", "vertegenwoordigingen", None) in world.server.store.requests
    assert assert_valid(world) == 3


def test_open_klant_out_of_reach_is_never_dead(world: World) -> None:
    """No connection at all: the export waits (its attempts counted, back-off to an hour),
    however many attempts are allowed, and the round stops at the first."""
    asking(world)
    asking(world, "Nog een.")
    nowhere = replace(world.settings.openklant, url="http://127.0.0.1:9/klantinteracties/api/v1",
                      max_attempts=1)
    world.settings = replace(world.settings, openklant=nowhere)
    assert world.deliver() == Counter(pending=1)
    assert world.deliver() == Counter(pending=1)
    assert world.run(backlog_counts) == {"pending": 2, "dead": 0}
    # the first export, tried twice (still pending, not dead); the second not tried yet
    assert [e for e in world.run(_errors) if e] == [
        "unreachable: ConnectError: All connection attempts failed"]
