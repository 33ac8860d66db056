"""Documents through the API: multipart uploads streamed to the store (kind by content, a
size limit, nothing kept of a refused one), list and delete, another source's dossier."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Runner
from mijn.documents.models import Document
from mijn.intake.service import create_api_client
from mijn.notifications.models import Notification

TYPE = {"kind": "case", "name_nl": "Vergunning", "statuses": [
    {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw aanvraag."}]}
DOSSIER = {"party": {"type": "bsn", "id": "999990019"}, "dossier_type": "vergunning-doc",
           "title": "Dakkapel", "channel": "web", "opened_on": "2026-03-01"}
PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
META = {"title": "Besluit op uw aanvraag", "kind": "besluit"}
URL = "/api/v1/dossiers/gemeente/d1/documents"


@pytest.fixture
def api(client: TestClient, run: Runner) -> Callable[..., Any]:
    async def make(session: AsyncSession) -> dict[str, str]:
        tokens = {}
        for name, source in (("gemeente", "gemeente"), ("provincie", "provincie")):
            _client, tokens[name] = await create_api_client(
                session, name, source, ["dossiers", "catalogue"])
        return tokens

    tokens: dict[str, str] = run(make)

    def call(method: str, path: str, who: str = "gemeente", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}", **kwargs.pop("headers", {})}
        return client.request(method, path, headers=headers, **kwargs)

    assert call("PUT", "/api/v1/dossier-types/vergunning-doc", json=TYPE).status_code == 204
    assert call("PUT", "/api/v1/dossiers/gemeente/d1", json=DOSSIER).status_code == 201
    for who in ("gemeente", "provincie"):
        other = {**DOSSIER, "title": "Ander dossier"}
        assert call("PUT", f"/api/v1/dossiers/{who}/d2", who, json=other).status_code == 201
    return call


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_upload_list_delete(api: Callable[..., Any], run: Runner, client: TestClient) -> None:
    store = client.app.state.settings.documents.directory  # type: ignore[attr-defined]
    before = _files(store)
    made = api("POST", URL, files={"file": ("brief.bin", PDF)}, data=META)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["visible"] is True
    assert body["scan_status"] == "unscanned" and body["source"] == "api"
    kept = [p for p in _files(store) if p not in before]
    assert len(kept) == 1 and kept[0].read_bytes() == PDF
    assert "brief" not in kept[0].name and len(kept[0].name) == 32  # a random key, not the name
    hidden = api("POST", URL, files={"file": ("x.png", PNG)},
                 data={"title": "Intern", "kind": "overig", "visible": "false",
                       "confidentiality": "intern"})
    assert hidden.status_code == 201 and hidden.json()["content_type"] == "image/png"

    async def news(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(Notification.kind)))
    assert run(news) == ["document"]  # the hidden one is no news

    listed = api("GET", URL)
    assert listed.status_code == 200
    assert [d["title"] for d in listed.json()["documents"]] == ["Intern", META["title"]]
    assert api("DELETE", f"{URL}/{body['id']}", "provincie").status_code == 403
    assert api("DELETE", f"/api/v1/dossiers/gemeente/d2/documents/{body['id']}"
               ).status_code == 404  # not of that dossier
    assert api("DELETE", f"{URL}/{body['id']}").status_code == 204
    assert not kept[0].exists()
    assert api("DELETE", f"{URL}/{body['id']}").status_code == 404
    assert [d["title"] for d in api("GET", URL).json()["documents"]] == ["Intern"]


@pytest.mark.parametrize(("name", "content", "data", "status"), [
    ("besluit.pdf", b"MZ\x90\x00 not a pdf at all, an executable" * 10, META, 415),
    ("leeg.pdf", b"", META, 415),
    ("besluit.pdf", PDF, {"kind": "besluit"}, 422),  # no title
    ("besluit.pdf", PDF, {**META, "kind": "geheim"}, 422),
    ("besluit.pdf", PDF, {**META, "visible": "misschien"}, 422),
    ("besluit.pdf", PDF, {**META, "confidentiality": "x"}, 422),
])
def test_bad_uploads_are_problems(
    api: Callable[..., Any], run: Runner, client: TestClient, name: str, content: bytes,
    data: dict[str, str], status: int,
) -> None:
    store = client.app.state.settings.documents.directory  # type: ignore[attr-defined]
    before = _files(store)
    refused = api("POST", URL, files={"file": (name, content)}, data=data)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert _files(store) == before  # nothing kept

    async def count(session: AsyncSession) -> int:
        return len(list(await session.scalars(select(Document.id))))
    assert run(count) == 0


def test_too_large_and_malformed(client_with: Callable[..., TestClient]) -> None:
    small = client_with(MIJN_DOCUMENTS_MAX_MB="1")
    tokens: dict[str, str] = {}

    async def make(session: AsyncSession) -> None:
        _c, tokens["t"] = await create_api_client(session, "klein", "gemeente",
                                                  ["dossiers", "catalogue"])
    assert small.portal is not None
    small.portal.call(_in_session, small, make)
    headers = {"Authorization": f"Bearer {tokens['t']}"}
    assert small.put("/api/v1/dossier-types/vergunning-doc", json=TYPE,
                     headers=headers).status_code == 204
    assert small.put("/api/v1/dossiers/gemeente/d1", json=DOSSIER,
                     headers=headers).status_code == 201
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)
    too_large = small.post(URL, files={"file": ("a.pdf", big)}, data=META, headers=headers)
    assert too_large.status_code == 413, too_large.text
    exact = small.post(URL, files={"file": ("a.pdf", big[:1024 * 1024])}, data=META,
                       headers=headers)
    assert exact.status_code == 201, exact.text
    for body, media in ((b"--x\r\nnonsense", "multipart/form-data; boundary=x"),
                        (b"abc", "multipart/form-data"), (b"abc", "text/plain"),
                        (b"{", "application/json")):
        bad = small.post(URL, content=body, headers={**headers, "Content-Type": media})
        assert 400 <= bad.status_code < 500, (media, bad.status_code)
    two = small.post(URL, files=[("file", ("a.pdf", PDF)), ("file", ("b.pdf", PDF))],
                     data=META, headers=headers)
    assert two.status_code == 400  # one file per document
    none = small.post(URL, data=META, headers={**headers}, files={"x": ("", b"")})
    assert none.status_code == 422


async def _in_session(client: TestClient, fn: Callable[..., Any]) -> None:
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await fn(session)
        await session.commit()


def test_another_sources_dossier(api: Callable[..., Any]) -> None:
    # provincie may not touch gemeente's dossier, and gemeente may not touch provincie's
    assert api("POST", URL, "provincie", files={"file": ("a.pdf", PDF)},
               data=META).status_code == 403
    assert api("GET", "/api/v1/dossiers/provincie/d2/documents").status_code == 403
    assert api("GET", "/api/v1/dossiers/gemeente/onbekend/documents").status_code == 404
    assert api("DELETE", f"{URL}/abc").status_code == 404
    assert api("DELETE", f"{URL}/3192554446").status_code == 404  # past INTEGER: no 500
