"""The ZGW intake: Notificaties callbacks, read back from real (local) Zaken and Catalogi APIs.

The Zaken and Catalogi APIs are a small Starlette app served by uvicorn on 127.0.0.1 over
real HTTP, in the shapes of the VNG specifications: it checks the ZGW JWT (HS256, client_id)
and, on the Zaken API, the Accept-Crs header, and it paginates every list by one item.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from conftest import Auth
from mijn import cli
from mijn.access.confidentiality import may_show
from mijn.dossiers.models import Dossier, DossierType, StatusEvent
from mijn.intake.models import ZgwNotification
from mijn.intake.zgw_queue import MAX_ATTEMPTS, process_due
from mijn.parties.models import Party
from mijn.settings import ConfigurationError, load_settings

T = TypeVar("T")
CLIENT_ID = "mijn-portaal"
SECRET = "zgw-shared-secret-of-the-tests"
TOKEN = "notificaties-token-of-the-tests"
JAN_BSN = "999990019"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FakeZgw:
    """A Zaken API and a Catalogi API on one local port, strict like the real ones."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.zaken = f"{self.base}/zaken/api/v1"
        self.catalogi = f"{self.base}/catalogi/api/v1"
        self.app = Starlette(routes=[Route("/{path:path}", self.handle)])
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.answer: int | None = None  # e.g. 503: every request answers this
        self.delay = 0.0
        self.seen: list[tuple[str, str]] = []  # (path, query) of every accepted request

    # -- serving -------------------------------------------------------------------------

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the fake ZGW APIs did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)
        self.server = self.thread = None

    @property
    def running(self) -> bool:
        return self.server is not None

    def _authorised(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return JSONResponse({"code": "not_authenticated"}, 401)
        try:
            claims = jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"]).claims
        except (JoseError, ValueError):
            return JSONResponse({"code": "permission_denied", "detail": "bad JWT"}, 403)
        needed = ("iss", "iat", "client_id", "user_id", "user_representation")
        if any(k not in claims for k in needed) or claims["client_id"] != CLIENT_ID:
            return JSONResponse({"code": "permission_denied", "detail": "bad claims"}, 403)
        return None

    async def handle(self, request: Request) -> Response:
        if self.answer is not None:
            return JSONResponse({"detail": "unavailable"}, self.answer)
        if self.delay:
            await asyncio.sleep(self.delay)
        refused = self._authorised(request)
        if refused is not None:
            return refused
        path = request.url.path
        zaken = path.startswith("/zaken/")
        if zaken and request.headers.get("accept-crs") != "EPSG:4326":
            return JSONResponse({"code": "precondition_failed", "detail": "Accept-Crs"}, 412)
        self.seen.append((path, request.url.query))
        headers = {"Content-Crs": "EPSG:4326"} if zaken else {}
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        if kind in ("rollen", "statussen", "statustypen"):
            return JSONResponse(self._page(request, kind), headers=headers)
        found = self.objects.get(f"{self.base}{path}")
        if found is None:
            return JSONResponse({"code": "not_found"}, 404, headers=headers)
        return JSONResponse(found, headers=headers)

    def _page(self, request: Request, kind: str) -> dict[str, Any]:
        query = request.query_params
        filters = {k: v for k, v in query.items() if k != "page"}
        items = [
            o for url, o in self.objects.items()
            if f"/{kind}/" in url and all(o.get(k) == v for k, v in filters.items())
        ]
        page = int(query.get("page", "1"))
        params = "&".join(f"{k}={v}" for k, v in filters.items())
        base = f"{self.base}{request.url.path}?{params}&page="
        return {
            "count": len(items),
            "next": base + str(page + 1) if page < len(items) else None,
            "previous": base + str(page - 1) if page > 1 else None,
            "results": items[page - 1:page],
        }

    # -- data ----------------------------------------------------------------------------

    def add(self, api: str, kind: str, **fields: Any) -> str:
        key = str(uuid.uuid4())
        url = f"{api}/{kind}/{key}"
        self.objects[url] = {"url": url, "uuid": key, **fields}
        return url

    def zaaktype(self, identificatie: str = "OMGEVINGSVERGUNNING",
                 omschrijving: str = "Omgevingsvergunning") -> str:
        url = self.add(self.catalogi, "zaaktypen", identificatie=identificatie,
                       omschrijving=omschrijving, vertrouwelijkheidaanduiding="openbaar",
                       doorlooptijd="P56D", servicenorm=None, statustypen=[])
        steps = [
            (1, "Ontvangen", "Wij hebben uw aanvraag ontvangen.", False),
            (2, "In behandeling", "Een medewerker beoordeelt uw aanvraag.", False),
            (3, "Besluit genomen", "Er is een besluit. U krijgt een brief.", True),
        ]
        for volgnummer, omschrijving_, tekst, eind in steps:
            st = self.add(self.catalogi, "statustypen", omschrijving=omschrijving_,
                          omschrijvingGeneriek=omschrijving_, statustekst=tekst, zaaktype=url,
                          volgnummer=volgnummer, isEindstatus=eind, informeren=True)
            self.objects[url]["statustypen"].append(st)
        return url

    def zaak(self, zaaktype: str, *, identificatie: str = "ZAAK-2026-0000000001",
             omschrijving: str = "Dakkapel aan de achterkant",
             vertrouwelijkheid: str = "openbaar", kanaal: str = "E-mail",
             initiator: tuple[str, dict[str, Any]] | None = None) -> str:
        url = self.add(
            self.zaken, "zaken", identificatie=identificatie, bronorganisatie="002220647",
            omschrijving=omschrijving, toelichting="", zaaktype=zaaktype,
            registratiedatum="2026-03-01", verantwoordelijkeOrganisatie="002220647",
            startdatum="2026-03-01", einddatum=None, einddatumGepland="2026-04-26",
            uiterlijkeEinddatumAfdoening="2026-05-10", communicatiekanaal="",
            communicatiekanaalNaam=kanaal, vertrouwelijkheidaanduiding=vertrouwelijkheid,
            status=None, resultaat=None, rollen=[],
        )
        self.rol(url, "behandelaar", "medewerker", {"identificatie": "m.devries",
                                                     "achternaam": "De Vries"})
        self.rol(url, "initiator", *(initiator or person(JAN_BSN)))
        return url

    def rol(self, zaak: str, generiek: str, soort: str, ident: dict[str, Any]) -> str:
        url = self.add(self.zaken, "rollen", zaak=zaak, betrokkene="", betrokkeneType=soort,
                       roltype=f"{self.catalogi}/roltypen/{generiek}",
                       omschrijving=generiek.capitalize(), omschrijvingGeneriek=generiek,
                       roltoelichting="", betrokkeneIdentificatie=ident)
        self.objects[zaak]["rollen"].append(url)
        return url

    def status(self, zaak: str, volgnummer: int, day: int, toelichting: str = "") -> str:
        zaaktype = self.objects[zaak]["zaaktype"]
        statustype = next(u for u in self.objects[zaaktype]["statustypen"]
                          if self.objects[u]["volgnummer"] == volgnummer)
        url = self.add(self.zaken, "statussen", zaak=zaak, statustype=statustype,
                       datumStatusGezet=f"2026-03-{day:02d}T09:30:00Z",
                       statustoelichting=toelichting, indicatieLaatstGezetteStatus=True,
                       gezetdoor=None, zaakinformatieobjecten=[])
        self.objects[zaak]["status"] = url
        return url


def person(bsn: str) -> tuple[str, dict[str, Any]]:
    return "natuurlijk_persoon", {"inpBsn": bsn, "anpIdentificatie": "", "inpA_nummer": "",
                                  "geslachtsnaam": "Jansen", "voorvoegselGeslachtsnaam": "",
                                  "voorletters": "J", "voornamen": "Jan"}


def notification(zaak: str, resource: str = "status", resource_url: str | None = None,
                 **changes: Any) -> dict[str, Any]:
    message = {
        "kanaal": "zaken", "hoofdObject": zaak, "resource": resource,
        "resourceUrl": resource_url or zaak, "actie": "create",
        "aanmaakdatum": "2026-03-01T09:30:01Z",
        "kenmerken": {"bronorganisatie": "002220647", "zaaktype": "", "vertrouwelijkheidaanduiding":
                      "openbaar"},
    }
    message.update(changes)
    return message


@pytest.fixture(scope="session")
def zgw_server() -> Iterator[FakeZgw]:
    server = FakeZgw()
    server.start()
    yield server
    if server.running:
        server.stop()


@pytest.fixture
def fake(zgw_server: FakeZgw) -> Iterator[FakeZgw]:
    zgw_server.reset()
    if not zgw_server.running:
        zgw_server.start()
    yield zgw_server
    zgw_server.reset()
    if not zgw_server.running:
        zgw_server.start()


def zgw_env(fake: FakeZgw, **changes: str) -> dict[str, str]:
    return {
        "MIJN_ZGW_NOTIFICATIONS_TOKEN": TOKEN, "MIJN_ZGW_ZAKEN_URL": fake.zaken,
        "MIJN_ZGW_CATALOGI_URL": fake.catalogi, "MIJN_ZGW_CLIENT_ID": CLIENT_ID,
        "MIJN_ZGW_SECRET": SECRET, **changes,
    }


@pytest.fixture
def portal(client_with: Callable[..., TestClient], fake: FakeZgw) -> TestClient:
    """The portal, reading the local ZGW APIs."""
    return client_with(**zgw_env(fake))


def send(portal: TestClient, message: Any, token: str | None = TOKEN, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["Content-Type"] = "application/json"
    response: httpx.Response
    if "content" in kwargs:
        response = portal.post("/api/v1/zgw/notificaties", headers=headers, **kwargs)
    else:
        response = portal.post("/api/v1/zgw/notificaties", headers=headers, json=message)
    return response


def db(portal: TestClient, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run fn(session, *args) on the portal's loop; commits after."""

    async def call() -> T:
        async with portal.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            result = await fn(session, *args)
            await session.commit()
            return result

    return portal.portal.call(call)  # type: ignore[union-attr]


def due(portal: TestClient, *, ignore_schedule: bool = False) -> Counter[str]:
    """Run process_due with the portal's own ZGW client, on the portal's loop."""
    app: Any = portal.app

    async def call() -> Counter[str]:
        zgw = app.state.zgw
        return await process_due(app.state.sessionmaker, zgw, zgw.settings, 10,
                                 ignore_schedule=ignore_schedule)

    return portal.portal.call(call)  # type: ignore[union-attr]


async def _notifications(session: AsyncSession) -> list[ZgwNotification]:
    return list(await session.scalars(select(ZgwNotification).order_by(ZgwNotification.id)))


async def _dossiers(session: AsyncSession) -> list[Dossier]:
    return list(await session.scalars(select(Dossier).order_by(Dossier.id)))


async def _events(session: AsyncSession) -> list[StatusEvent]:
    return list(await session.scalars(select(StatusEvent).order_by(StatusEvent.id)))


def states(portal: TestClient) -> list[tuple[str, int]]:
    return [(n.state, n.attempts) for n in db(portal, _notifications)]


def _jwt(secret: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": "open-notificaties", "iat": now, "client_id": "open-notificaties",
            "user_id": "", "user_representation": "", **claims}
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, body, OctKey.import_key(secret))


# -- the local APIs are as strict as the real ones -------------------------------------------


def test_the_fake_zaken_api_is_strict(fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    good = {"Authorization": f"Bearer {_jwt(SECRET, client_id=CLIENT_ID)}"}
    assert httpx.get(zaak, headers=good).status_code == 412
    assert httpx.get(zaak, headers=good | {"Accept-Crs": "EPSG:4326"}).status_code == 200
    other = {"Authorization": f"Bearer {_jwt('another-secret-of-16+', client_id=CLIENT_ID)}"}
    assert httpx.get(zaak, headers=other | {"Accept-Crs": "EPSG:4326"}).status_code == 403
    wrong_id = {"Authorization": f"Bearer {_jwt(SECRET, client_id='someone-else')}"}
    assert httpx.get(zaak, headers=wrong_id | {"Accept-Crs": "EPSG:4326"}).status_code == 403


# -- receiving -----------------------------------------------------------------------------


def test_test_channel_answers_204_and_stores_nothing(portal: TestClient) -> None:
    response = send(portal, {"kanaal": "test", "hoofdObject": "http://example.org/x",
                             "resource": "test", "resourceUrl": "http://example.org/x",
                             "actie": "test", "aanmaakdatum": "2026-03-01T10:00:00Z"})
    assert response.status_code == 204
    assert send(portal, {"kanaal": "test"}).status_code == 204
    assert states(portal) == []


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer wrong-token",
        f"Token {TOKEN}",
        f"Bearer {_jwt('not-the-notifications-token')}",
        f"Bearer {_jwt(TOKEN, exp=int(time.time()) - 3600)}",
        f"Bearer {_jwt(TOKEN, iat=int(time.time()) + 3600)}",
        f"Bearer {_jwt(TOKEN, iat=int(time.time()) - 3 * 365 * 86400)}",
        f"Bearer {_jwt(TOKEN, iat=int(time.time()) - 2 * 3600)}",
        f"Bearer {_jwt(TOKEN, iat=None)}",
    ],
    ids=["missing", "wrong", "other-scheme", "jwt-other-secret", "jwt-expired", "jwt-future",
         "jwt-issued-years-ago", "jwt-issued-two-hours-ago", "jwt-without-iat"],
)
def test_wrong_or_missing_token_is_401_and_stores_nothing(
    portal: TestClient, fake: FakeZgw, header: str | None
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    headers = {"Authorization": header} if header else {}
    response = portal.post("/api/v1/zgw/notificaties", headers=headers, json=notification(zaak))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "WWW-Authenticate" in response.headers
    assert states(portal) == [] and db(portal, _dossiers) == []


def test_the_zgw_jwt_signed_with_the_token_is_accepted(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    assert send(portal, notification(zaak, "zaak"), token=_jwt(TOKEN)).status_code == 204
    assert states(portal) == [("done", 1)]


def test_without_zgw_settings_the_endpoint_is_not_there(client: TestClient) -> None:
    response = client.post("/api/v1/zgw/notificaties", json={"kanaal": "test"},
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hoofdObject": None}, "hoofdObject"),
        ({"resourceUrl": None}, "resourceUrl"),
        ({"hoofdObject": 5}, "hoofdObject"),
        ({"hoofdObject": "zaak 12"}, "hoofdObject"),
        ({"hoofdObject": "https://elders.example.org/zaken/api/v1/zaken/1"}, "hoofdObject"),
        ({"resourceUrl": "https://elders.example.org/zaken/api/v1/statussen/1"}, "resourceUrl"),
        ({"kenmerken": "openbaar"}, "kenmerken"),
        ({"kenmerken": {"bronorganisatie": 12}}, "kenmerken.bronorganisatie"),
        ({"actie": ["create"]}, "actie"),
        ({"aanmaakdatum": "gisteren"}, "aanmaakdatum"),
        ({"kanaal": None}, "kanaal"),
    ],
)
def test_malformed_messages_name_the_field(
    portal: TestClient, fake: FakeZgw, change: dict[str, Any], field: str
) -> None:
    message = notification(f"{fake.zaken}/zaken/{uuid.uuid4()}")
    for key, value in change.items():
        if value is None:
            del message[key]
        else:
            message[key] = value
    response = send(portal, message)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert states(portal) == []


def test_not_json_and_not_an_object(portal: TestClient) -> None:
    not_json = send(portal, None, content=b"{kanaal: zaken")
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == "application/problem+json"
    assert send(portal, ["zaken"]).status_code == 422
    assert states(portal) == []


@pytest.mark.parametrize(
    "change",
    [{"kanaal": "documenten"}, {"resource": "zaakinformatieobject"}, {"actie": "destroy"}],
)
def test_notifications_mijn_does_not_use_are_acknowledged(
    portal: TestClient, fake: FakeZgw, change: dict[str, str]
) -> None:
    zaak = f"{fake.zaken}/zaken/{uuid.uuid4()}"
    assert send(portal, notification(zaak, "zaak") | change).status_code == 204
    assert states(portal) == []


# -- processing ----------------------------------------------------------------------------


def test_a_status_notification_shows_the_dossier_to_the_citizen(
    portal: TestClient, fake: FakeZgw
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    second = fake.status(zaak, 2, 3, toelichting="Wij wachten op het advies van de welstand.")
    assert send(portal, notification(zaak, "status", second)).status_code == 204
    assert states(portal) == [("done", 1)]
    [dossier] = db(portal, _dossiers)
    assert (dossier.source, dossier.external_id) == ("zgw", zaak.rsplit("/", 1)[-1])
    assert dossier.reference == "ZAAK-2026-0000000001" and dossier.zgw_url == zaak
    assert dossier.channel == "email" and str(dossier.opened_on) == "2026-03-01"
    assert str(dossier.expected_end) == "2026-04-26"
    assert any(path.endswith("/rollen") and "omschrijvingGeneriek=initiator" in query
               for path, query in fake.seen)

    Auth(portal).login("demo-jan")
    overview = portal.get("/mijn/dossiers").text
    assert "Dakkapel aan de achterkant" in overview and "In behandeling" in overview
    detail = portal.get("/mijn/dossiers/ZAAK-2026-0000000001")
    assert detail.status_code == 200
    assert "Een medewerker beoordeelt uw aanvraag." in detail.text  # the statustekst
    assert "Wij wachten op het advies van de welstand." in detail.text  # the toelichting
    assert "Omgevingsvergunning" in detail.text
    assert "Besluit genomen" in detail.text  # the next step, from the statustypen

    final = fake.status(zaak, 3, 9)
    assert send(portal, notification(zaak, "status", final)).status_code == 204
    [dossier] = db(portal, _dossiers)
    assert str(dossier.closed_on) == "2026-03-09"
    closed = portal.get("/mijn/dossiers?tab=closed").text
    assert "Dakkapel aan de achterkant" in closed and "Besluit genomen" in closed


def test_another_citizen_does_not_see_it(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    send(portal, notification(zaak, "zaak"))
    Auth(portal).login("demo-sanne")
    assert "Dakkapel" not in portal.get("/mijn/dossiers").text
    assert portal.get("/mijn/dossiers/ZAAK-2026-0000000001").status_code == 404


@pytest.mark.parametrize(
    ("soort", "ident", "identifier"),
    [
        ("vestiging", {"vestigingsNummer": "000038509490", "handelsnaam": ["Bakkerij"],
                       "kvkNummer": "68750110"}, ("kvk", "68750110")),
        ("niet_natuurlijk_persoon", {"innNnpId": "002564440", "annIdentificatie": "",
                                     "statutaireNaam": "Stichting Voorbeeld"},
         ("rsin", "002564440")),
    ],
    ids=["vestiging-kvk", "nnp-rsin"],
)
def test_a_company_initiator_makes_a_dossier_of_the_organisation(
    portal: TestClient, fake: FakeZgw, soort: str, ident: dict[str, Any],
    identifier: tuple[str, str],
) -> None:
    zaak = fake.zaak(fake.zaaktype(), initiator=(soort, ident))
    fake.status(zaak, 1, 2)
    assert send(portal, notification(zaak, "zaak")).status_code == 204
    assert states(portal) == [("done", 1)]

    async def owner(session: AsyncSession) -> Party | None:
        dossier = await session.scalar(select(Dossier))
        assert dossier is not None
        return await session.get(Party, dossier.party_id)

    party = db(portal, owner)
    assert party is not None and party.kind == "organisation"
    assert (party.identifier_type, party.identifier) == identifier


def test_the_initiator_may_be_on_a_later_page(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype(), initiator=(
        "natuurlijk_persoon", {"inpBsn": "", "anpIdentificatie": "ANP-1", "geslachtsnaam": "X"}))
    fake.rol(zaak, "initiator", *person(JAN_BSN))
    fake.status(zaak, 1, 1)
    send(portal, notification(zaak, "zaak"))
    assert states(portal) == [("done", 1)]
    assert sum(path.endswith("/rollen") for path, _query in fake.seen) == 2  # followed next

    async def owner(session: AsyncSession) -> str | None:
        return await session.scalar(
            select(Party.identifier).join(Dossier, Dossier.party_id == Party.id))

    assert db(portal, owner) == JAN_BSN


def test_a_zaak_without_an_initiator_mijn_knows_is_ignored(
    portal: TestClient, fake: FakeZgw
) -> None:
    zaak = fake.zaak(fake.zaaktype(), initiator=(
        "organisatorische_eenheid", {"identificatie": "BOUW", "naam": "Team Bouwen"}))
    send(portal, notification(zaak, "zaak"))
    [row] = db(portal, _notifications)
    assert row.state == "ignored" and "initiator" in row.last_error
    assert db(portal, _dossiers) == []


def test_a_too_confidential_zaak_is_not_shown(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype(), vertrouwelijkheid="vertrouwelijk")
    fake.status(zaak, 1, 1)
    assert send(portal, notification(zaak, "status", fake.objects[zaak]["status"])).status_code == 204
    [row] = db(portal, _notifications)
    assert row.state == "ignored" and "vertrouwelijk" in row.last_error
    assert db(portal, _dossiers) == []
    assert not any(path.endswith("/rollen") for path, _query in fake.seen)  # no personal data read
    Auth(portal).login("demo-jan")
    assert "Dakkapel" not in portal.get("/mijn/dossiers").text


def test_a_zaak_made_confidential_later_keeps_what_was_shown(
    portal: TestClient, fake: FakeZgw
) -> None:
    zaak = fake.zaak(fake.zaaktype(), vertrouwelijkheid="beperkt_openbaar")
    fake.status(zaak, 1, 1)
    send(portal, notification(zaak, "zaak"))
    fake.objects[zaak]["vertrouwelijkheidaanduiding"] = "zaakvertrouwelijk"
    fake.objects[zaak]["omschrijving"] = "Een andere titel"
    second = fake.status(zaak, 2, 4)
    send(portal, notification(zaak, "status", second))
    assert [s for s, _ in states(portal)] == ["done", "ignored"]
    [dossier] = db(portal, _dossiers)
    assert dossier.title == "Dakkapel aan de achterkant"  # left as it was
    assert len(db(portal, _events)) == 1


def test_a_higher_maximum_shows_more(client_with: Callable[..., TestClient], fake: FakeZgw) -> None:
    portal = client_with(**zgw_env(fake, MIJN_ZGW_MAX_CONFIDENTIALITY="zaakvertrouwelijk"))
    zaak = fake.zaak(fake.zaaktype(), vertrouwelijkheid="zaakvertrouwelijk")
    send(portal, notification(zaak, "zaak"))
    assert states(portal) == [("done", 1)]


def test_the_same_notification_twice_records_one_event(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    status = fake.status(zaak, 1, 1)
    message = notification(zaak, "status", status)
    assert send(portal, message).status_code == 204
    assert send(portal, message).status_code == 204
    assert send(portal, notification(zaak, "zaak", actie="partial_update")).status_code == 204
    assert states(portal) == [("done", 1)] * 3
    assert len(db(portal, _dossiers)) == 1 and len(db(portal, _events)) == 1


def test_a_zaak_without_a_status_gets_its_status_later(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    send(portal, notification(zaak, "zaak"))
    assert len(db(portal, _dossiers)) == 1 and db(portal, _events) == []
    send(portal, notification(zaak, "status", fake.status(zaak, 1, 2)))
    [event] = db(portal, _events)
    assert event.source_event_id is not None and event.source_event_id.startswith("zgw:")


def test_a_taken_identificatie_gets_a_generated_reference(
    portal: TestClient, fake: FakeZgw
) -> None:
    zaaktype = fake.zaaktype()
    first, second = fake.zaak(zaaktype), fake.zaak(zaaktype, omschrijving="Tweede")
    send(portal, notification(first, "zaak"))
    send(portal, notification(second, "zaak"))
    references = [d.reference for d in db(portal, _dossiers)]
    assert references[0] == "ZAAK-2026-0000000001" and references[1].startswith("ZGW-")
    assert states(portal) == [("done", 1)] * 2


def test_one_dossier_type_per_zaaktype_identificatie(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    send(portal, notification(zaak, "zaak"))
    later_version = fake.zaak(fake.zaaktype(), identificatie="ZAAK-2026-0000000002")
    send(portal, notification(later_version, "zaak"))

    async def codes(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(DossierType.code)))

    assert db(portal, codes) == ["zgw-OMGEVINGSVERGUNNING"]


def test_odd_remote_text_is_cleaned_not_a_server_error(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype(), omschrijving="Dak\x00kapel")
    status = fake.status(zaak, 1, 1, toelichting="Ont\x00vangen")
    send(portal, notification(zaak, "status", status))
    assert states(portal) == [("done", 1)]
    [dossier] = db(portal, _dossiers)
    [event] = db(portal, _events)
    assert (dossier.title, event.explanation) == ("Dakkapel", "Ontvangen")


def test_a_remote_404_fails_with_a_reason(portal: TestClient, fake: FakeZgw) -> None:
    send(portal, notification(f"{fake.zaken}/zaken/{uuid.uuid4()}", "zaak"))
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts) == ("dead", 1)
    assert row.last_error == "zaak: the Zaken API answered 404"


def test_an_invalid_bsn_fails_without_naming_it(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype(), initiator=person("123456789"))
    send(portal, notification(zaak, "zaak"))
    [row] = db(portal, _notifications)
    assert row.state == "dead" and "bsn" in row.last_error
    assert "123456789" not in row.last_error and "Jansen" not in row.last_error
    assert db(portal, _dossiers) == []


# -- a remote that is down or slow ---------------------------------------------------------


def _make_due(session: AsyncSession) -> Awaitable[Any]:
    return session.execute(
        update(ZgwNotification).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    )


def test_zaken_api_down_keeps_the_notification_and_a_retry_shows_it(
    portal: TestClient, fake: FakeZgw
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    status = fake.status(zaak, 2, 3)
    fake.stop()
    before = datetime.now(UTC)
    assert send(portal, notification(zaak, "status", status)).status_code == 204
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "zaak: cannot reach the Zaken API (ConnectError)"
    assert before + timedelta(seconds=29) < row.next_attempt_at < before + timedelta(seconds=60)
    assert sum(due(portal).values()) == 0  # not due yet: the back-off holds

    fake.start()
    db(portal, _make_due)
    assert due(portal)["done"] == 1
    assert states(portal) == [("done", 2)]
    Auth(portal).login("demo-jan")
    assert "In behandeling" in portal.get("/mijn/dossiers").text


def test_a_503_is_retried_by_the_cli(
    portal: TestClient, fake: FakeZgw, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    fake.answer = 503
    send(portal, notification(zaak, "zaak"))
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts, row.last_error) == (
        "pending", 1, "zaak: the Zaken API answered 503")

    for key, value in zgw_env(fake, MIJN_DATABASE_URL=database_url).items():
        monkeypatch.setenv(key, value)
    assert cli.main(["zgw", "retry"]) == 0  # not due yet
    assert "0 done" in capsys.readouterr().err
    fake.answer = None
    assert cli.main(["zgw", "retry", "--now"]) == 0
    summary = capsys.readouterr().err
    assert "1 done, 0 ignored, 0 dead, 0 to retry later; 0 pending in all." in summary
    assert states(portal) == [("done", 2)]
    Auth(portal).login("demo-jan")
    assert "Dakkapel aan de achterkant" in portal.get("/mijn/dossiers").text


def test_a_slow_remote_times_out_and_is_retried(
    client_with: Callable[..., TestClient], fake: FakeZgw
) -> None:
    portal = client_with(**zgw_env(fake, MIJN_ZGW_TIMEOUT="0.3"))
    zaak = fake.zaak(fake.zaaktype())
    fake.delay = 1.0
    send(portal, notification(zaak, "zaak"))
    [row] = db(portal, _notifications)
    assert row.state == "pending" and "did not answer within 0.3 s" in row.last_error
    fake.delay = 0
    db(portal, _make_due)
    assert due(portal)["done"] == 1
    assert states(portal) == [("done", 2)]


def test_back_off_grows_and_gives_up(portal: TestClient, fake: FakeZgw) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.answer = 502
    send(portal, notification(zaak, "zaak"))
    delays = []
    for _ in range(MAX_ATTEMPTS - 1):
        [row] = db(portal, _notifications)
        delays.append(round((row.next_attempt_at - datetime.now(UTC)).total_seconds() / 30))
        db(portal, _make_due)
        due(portal)
    assert delays[:4] == [1, 2, 4, 8] and max(delays) == 120  # 30 s doubling, at most 1 h
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts) == ("dead", MAX_ATTEMPTS)
    assert row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_workers_skip_a_notification_another_worker_holds(
    portal: TestClient, fake: FakeZgw, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is a PostgreSQL feature; SQLite serialises writers")
    zaak = fake.zaak(fake.zaaktype())
    fake.answer = 503
    send(portal, notification(zaak, "zaak"))
    fake.answer = None
    app: Any = portal.app
    zgw = app.state.zgw

    async def while_locked() -> tuple[int, int]:
        async with app.state.sessionmaker() as holder:
            await holder.scalar(select(ZgwNotification).with_for_update())
            busy = await process_due(app.state.sessionmaker, zgw, zgw.settings, 10,
                                     ignore_schedule=True)
            await holder.rollback()
        free = await process_due(app.state.sessionmaker, zgw, zgw.settings, 10,
                                 ignore_schedule=True)
        return sum(busy.values()), free["done"]

    assert portal.portal.call(while_locked) == (0, 1)  # type: ignore[union-attr]


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"MIJN_ZGW_MAX_CONFIDENTIALITY": "heel_geheim"}, "MIJN_ZGW_MAX_CONFIDENTIALITY"),
        ({"MIJN_ZGW_NOTIFICATIONS_TOKEN": "t"}, "MIJN_ZGW_ZAKEN_URL"),
        ({"MIJN_ZGW_TIMEOUT": "tien"}, "MIJN_ZGW_TIMEOUT"),
        ({"MIJN_ZGW_NOTIFICATIONS_TOKEN": "t", "MIJN_ZGW_ZAKEN_URL": "zaken.example.nl",
          "MIJN_ZGW_CATALOGI_URL": "https://c.example.nl", "MIJN_ZGW_CLIENT_ID": "m",
          "MIJN_ZGW_SECRET": "s"}, "MIJN_ZGW_ZAKEN_URL"),
    ],
)
def test_zgw_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        load_settings(env)


def test_zgw_settings_defaults_and_secrets() -> None:
    settings = load_settings({"MIJN_ZGW_NOTIFICATIONS_TOKEN": TOKEN,
                              "MIJN_ZGW_ZAKEN_URL": "https://z.example.nl/zaken/api/v1/",
                              "MIJN_ZGW_CATALOGI_URL": "https://c.example.nl/catalogi/api/v1",
                              "MIJN_ZGW_CLIENT_ID": CLIENT_ID, "MIJN_ZGW_SECRET": SECRET})
    zgw = settings.zgw
    assert zgw.enabled and zgw.max_confidentiality == "beperkt_openbaar"
    assert zgw.zaken_url == "https://z.example.nl/zaken/api/v1"
    highest = zgw.max_confidentiality
    assert may_show("openbaar", highest) and may_show("beperkt_openbaar", highest)
    assert not may_show("intern", highest)
    assert not may_show("onbekend", highest)
    assert TOKEN not in repr(settings) and SECRET not in repr(settings)
    assert not load_settings({}).zgw.enabled


def test_openapi_describes_the_callback(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    post = document["paths"]["/api/v1/zgw/notificaties"]["post"]
    assert set(post["responses"]) >= {"204", "400", "401", "422"}
    schema = document["components"]["schemas"]["ZgwNotificatie"]
    assert {"kanaal", "hoofdObject", "resourceUrl", "kenmerken"} <= set(schema["properties"])
