"""Documents that stay in a ZGW Documenten API: attached through the API by reference, and
streamed through Mijn with its ZGW JWT when the citizen opens them (a local Documenten API
over real HTTP, strict about the JWT); and attached by the ZGW intake when a
zaakinformatieobject is notified (the local Zaken API of tests/test_zgw.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import uvicorn
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from test_zgw import FakeZgw, db, notification, send, states, zgw_env

from conftest import Auth
from mijn.documents.models import Document
from mijn.intake.service import create_api_client

CLIENT_ID = "mijn-portaal"
SECRET = "zgw-shared-secret-of-the-document-tests"
CONTENT = b"%PDF-1.4\n" + b"besluit " * 20000 + b"\n%%EOF\n"
TYPE = {"kind": "case", "name_nl": "Vergunning", "statuses": [
    {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw aanvraag."}]}
DOSSIER = {"party": {"type": "bsn", "id": "999990019"}, "dossier_type": "vergunning-zgw",
           "title": "Dakkapel (ZGW)", "channel": "web", "opened_on": "2026-03-01"}


class FakeDocumenten:
    """A Documenten API with one enkelvoudiginformatieobject, on a local port."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/documenten/api/v1"
        self.url = f"{self.base}/enkelvoudiginformatieobjecten/4f1c"
        self.answer: int | None = None
        self.downloads = 0
        self.app = Starlette(routes=[Route("/{path:path}", self.handle)])
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))

    def start(self) -> None:
        threading.Thread(target=self.server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)

    async def handle(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"]).claims
        except (JoseError, ValueError):
            return JSONResponse({"code": "not_authenticated"}, 401)
        if scheme != "Bearer" or claims.get("client_id") != CLIENT_ID:
            return JSONResponse({"code": "permission_denied"}, 403)
        if self.answer is not None:
            return JSONResponse({"detail": "unavailable"}, self.answer)
        url = str(request.url).split("?")[0]
        if url == self.url:
            return JSONResponse({
                "url": self.url, "titel": "Besluit dakkapel", "formaat": "application/pdf",
                "bestandsomvang": len(CONTENT), "inhoud": f"{self.url}/download?versie=1",
                "vertrouwelijkheidaanduiding": "openbaar"})
        if url == f"{self.url}/download":
            self.downloads += 1
            return StreamingResponse(self._content(), media_type="application/octet-stream")
        return JSONResponse({"code": "not_found"}, 404)

    async def _content(self) -> AsyncIterator[bytes]:
        for start in range(0, len(CONTENT), 50000):
            yield CONTENT[start:start + 50000]


@pytest.fixture(scope="module")
def documenten() -> Iterator[FakeDocumenten]:
    server = FakeDocumenten()
    server.start()
    yield server
    server.server.should_exit = True


@pytest.fixture(scope="module")
def zaken() -> Iterator[FakeZgw]:
    """The local Zaken and Catalogi APIs of tests/test_zgw.py, here with documents too."""
    server = FakeZgw()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(client_with: Callable[..., TestClient], documenten: FakeDocumenten) -> TestClient:
    documenten.answer, documenten.downloads = None, 0
    return client_with(
        MIJN_ZGW_NOTIFICATIONS_TOKEN="documents-notifications-token",
        MIJN_ZGW_ZAKEN_URL="http://127.0.0.1:9/zaken", MIJN_ZGW_CATALOGI_URL="http://127.0.0.1:9/c",
        MIJN_ZGW_CLIENT_ID=CLIENT_ID, MIJN_ZGW_SECRET=SECRET,
        MIJN_ZGW_DOCUMENTEN_URL=documenten.base)


def _api(portal: TestClient) -> Callable[..., Any]:
    token: dict[str, str] = {}

    async def make() -> None:
        async with portal.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            _c, token["t"] = await create_api_client(session, "gemeente", "gemeente",
                                                     ["dossiers", "catalogue"])
            await session.commit()
    assert portal.portal is not None
    portal.portal.call(make)

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return portal.request(method, path, headers={"Authorization": f"Bearer {token['t']}"},
                              **kwargs)
    return call


def test_a_reference_is_streamed_to_the_citizen(
    portal: TestClient, documenten: FakeDocumenten
) -> None:
    api = _api(portal)
    assert api("PUT", "/api/v1/dossier-types/vergunning-zgw", json=TYPE).status_code == 204
    dossier = api("PUT", "/api/v1/dossiers/gemeente/z1", json=DOSSIER).json()
    url = "/api/v1/dossiers/gemeente/z1/documents"
    made = api("POST", url, json={"kind": "besluit", "zgw_url": documenten.url})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["title"], body["source"], body["size"]) == ("Besluit dakkapel", "zgw",
                                                             len(CONTENT))
    assert body["sha256"] is None and body["zgw_url"] == documenten.url
    again = api("POST", url, json={"kind": "besluit", "zgw_url": documenten.url})
    assert again.status_code == 409
    for bad in (f"{documenten.base}/zaken/1", "http://elders.example/enkelvoudiginformatieobjecten/1",
                f"{documenten.base}/enkelvoudiginformatieobjecten/onbekend"):
        refused = api("POST", url, json={"kind": "besluit", "zgw_url": bad})
        assert refused.status_code == 422, (bad, refused.text)

    Auth(portal).login("demo-jan")
    page = portal.get(f"/mijn/dossiers/{dossier['reference']}")
    assert "Besluit dakkapel" in page.text
    download = f"/mijn/dossiers/{dossier['reference']}/documenten/{body['id']}"
    got = portal.get(download)
    assert got.status_code == 200 and got.content == CONTENT and documenten.downloads == 1
    assert got.headers["content-disposition"].startswith('attachment; filename="Besluit dakkapel.pdf"')
    documenten.answer = 503
    assert portal.get(download).status_code == 502  # said before a byte is sent


async def _documents(session: AsyncSession) -> list[Document]:
    return list(await session.scalars(select(Document).order_by(Document.id)))


def test_a_zaakinformatieobject_notification_attaches_the_document(
    client_with: Callable[..., TestClient], zaken: FakeZgw
) -> None:
    fake = zaken
    documenten = f"{fake.base}/documenten/api/v1"
    portal = client_with(**zgw_env(fake, MIJN_ZGW_DOCUMENTEN_URL=documenten))
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    objects = [
        fake.add(documenten, "enkelvoudiginformatieobjecten", titel=title, formaat="application/pdf",
                 bestandsomvang=1234, vertrouwelijkheidaanduiding=level)
        for title, level in (("Besluit op de aanvraag dakkapel", "openbaar"),
                             ("Intern advies welstand", "vertrouwelijk"))
    ]
    for url in objects:
        link = fake.add(fake.zaken, "zaakinformatieobjecten", zaak=zaak, informatieobject=url,
                        titel="")
        assert send(portal, notification(zaak, "zaakinformatieobject", link)).status_code == 204
    assert send(portal, notification(zaak, "zaakinformatieobject", link)).status_code == 204
    assert [state for state, _ in states(portal)] == ["done", "done", "done"]
    found = [(d.title, d.visible, d.source, d.zgw_url, d.size) for d in db(portal, _documents)]
    assert found == [("Besluit op de aanvraag dakkapel", True, "zgw", objects[0], 1234),
                     ("Intern advies welstand", False, "zgw", objects[1], 1234)]
    elsewhere = fake.add(fake.zaken, "zaakinformatieobjecten", zaak=fake.zaak(fake.zaaktype()),
                         informatieobject=objects[0], titel="")
    assert send(portal, notification(zaak, "zaakinformatieobject", elsewhere)).status_code == 204
    assert states(portal)[-1][0] == "dead"  # it names another zaak: refused

    Auth(portal).login("demo-jan")
    page = portal.get("/mijn/dossiers/ZAAK-2026-0000000001").text
    assert "Besluit op de aanvraag dakkapel" in page and "Intern advies welstand" not in page
    assert "Nieuw document: Besluit op de aanvraag dakkapel" in portal.get("/mijn/berichten").text
