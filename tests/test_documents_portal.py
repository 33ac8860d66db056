"""Documents for the citizen and the KCC: listed on the dossier page (new ones marked, and
news in Berichten), downloaded as a streamed attachment that is audited; what the citizen
may not see, or the scanner refused, is never served; a 200 MB download stays out of memory."""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.documents.service import Kept, NewDocument, attach, keep_upload
from mijn.documents.store import DirectoryStore
from mijn.dossiers.models import Dossier
from mijn.settings import Settings

JAN_DOSSIER = "Z-2026-0001"
FATIMA_DOSSIER = "Z-2026-0101"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


async def _chunks(content: bytes, size: int = 0) -> AsyncIterator[bytes]:
    yield content
    block = b"\0" * (1024 * 1024)
    for _ in range(size // len(block)):
        yield block


async def add_document(
    session: AsyncSession, settings: Settings, reference: str, title: str,
    visible: bool = True, scan: str = "unscanned", padding: int = 0,
) -> int:
    """A document on the dossier, kept in the portal's store."""
    dossier = await session.scalar(select(Dossier).where(Dossier.reference == reference))
    assert dossier is not None
    store = DirectoryStore(settings.documents.directory)
    kept = await keep_upload(store, _chunks(PDF, padding), 2**40)
    document = await attach(
        session, dossier.id, dossier.party_id,
        NewDocument(title, "besluit", "openbaar", visible, "api", "test"),
        kept=Kept(kept.stored, kept.content_type, scan))
    return document.id


@pytest.fixture
def documents(demo: None, run: Runner, settings: Settings) -> dict[str, int]:
    return {
        "shown": run(add_document, settings, JAN_DOSSIER, "Besluit op uw aanvraag"),
        "hidden": run(add_document, settings, JAN_DOSSIER, "Interne notitie", False),
        "infected": run(add_document, settings, JAN_DOSSIER, "Besmette bijlage", True,
                        "infected"),
        "failed": run(add_document, settings, JAN_DOSSIER, "Niet gescande bijlage", True,
                      "failed"),
    }


def _url(reference: str, document_id: int) -> str:
    return f"/mijn/dossiers/{reference}/documenten/{document_id}"


def _is_new(page: str, title: str) -> bool:
    line = re.search(rf"<li><a [^>]*documenten[^>]*>{title}</a>.*?</li>", page, re.S)
    assert line is not None, title
    return "Nieuw" in line.group(0)


def test_the_citizen_sees_and_downloads(
    client: TestClient, auth: Auth, run: Runner, documents: dict[str, int]
) -> None:
    auth.login("demo-jan")
    page = client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text
    assert "Besluit op uw aanvraag" in page and _is_new(page, "Besluit op uw aanvraag")
    for title in ("Interne notitie", "Besmette bijlage", "Niet gescande bijlage"):
        assert title not in page
    assert "Nieuw document: Besluit op uw aanvraag" in client.get("/mijn/berichten").text

    got = client.get(_url(JAN_DOSSIER, documents["shown"]))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith(
        'attachment; filename="Besluit op uw aanvraag.pdf"')
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-length"] == str(len(PDF))

    async def audited(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(select(AuditEvent.action, AuditEvent.actor_type).where(
            AuditEvent.action == "document.download"))
        return [tuple(row) for row in rows]  # type: ignore[misc]
    assert run(audited) == [("document.download", "party")]
    assert not _is_new(client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text, "Besluit op uw aanvraag")
    for key in ("hidden", "infected", "failed"):
        assert client.get(_url(JAN_DOSSIER, documents[key])).status_code == 404, key
    for unknown in (99999999, 2**31, 3192554446, 10**30):  # past INTEGER too: no 500
        assert client.get(_url(JAN_DOSSIER, unknown)).status_code == 404
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}/documenten/x").status_code == 404

    auth.logout()  # another party finds nothing, also with her own dossier in the path
    auth.login("demo-fatima")
    assert client.get(_url(JAN_DOSSIER, documents["shown"])).status_code == 404
    assert client.get(_url(FATIMA_DOSSIER, documents["shown"])).status_code == 404


def test_the_kcc_sees_every_document_and_downloads(
    client: TestClient, auth: Auth, run: Runner, documents: dict[str, int]
) -> None:
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/dossiers/{JAN_DOSSIER}").text
    assert "Interne notitie" in page and "niet zichtbaar voor de klant" in page
    assert "Besmette bijlage" in page and "geweigerd door de virusscanner" in page
    hidden = client.get(f"/kcc/dossiers/{JAN_DOSSIER}/documenten/{documents['hidden']}")
    assert hidden.status_code == 200 and hidden.content == PDF
    assert hidden.headers["content-disposition"].startswith("attachment;")
    for key in ("infected", "failed"):
        url = f"/kcc/dossiers/{JAN_DOSSIER}/documenten/{documents[key]}"
        assert client.get(url).status_code == 404
    assert client.get(f"/kcc/dossiers/{FATIMA_DOSSIER}/documenten/{documents['hidden']}"
                      ).status_code == 404

    async def audited(session: AsyncSession) -> list[str | None]:
        return list(await session.scalars(select(AuditEvent.actor_type).where(
            AuditEvent.action == "kcc.document.download")))
    assert run(audited) == ["staff"]


async def _asgi_get(app: Starlette, path: str, cookie: str) -> tuple[int, int, int]:
    """GET through the app itself, dropping each body chunk as it comes: the status, the
    bytes received and the peak of memory traced meanwhile (the app's, not a client's)."""
    received = {"status": 0, "bytes": 0}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays: the whole body is sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            received["status"] = message["status"]
        elif message["type"] == "http.response.body":
            received["bytes"] += len(message.get("body", b""))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())]}
    tracemalloc.start()
    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return received["status"], received["bytes"], peak


def test_a_200_mb_download_is_streamed(
    client: TestClient, app: Starlette, auth: Auth, run: Runner, demo: None, settings: Settings
) -> None:
    size = 200 * 1024 * 1024
    document_id = run(add_document, settings, JAN_DOSSIER, "Groot bestand", True,
                      "unscanned", size)
    auth.login("demo-jan")
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    assert client.portal is not None
    path = _url(JAN_DOSSIER, document_id)

    async def fetch() -> tuple[int, int, int]:
        return await _asgi_get(app, path, cookie)
    status, received, peak = client.portal.call(fetch)
    assert status == 200 and received == size + len(PDF)
    assert peak < 4 * 1024 * 1024, f"the download held {peak} bytes at its peak"
