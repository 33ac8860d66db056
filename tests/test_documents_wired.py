"""Documents with the production parts wired in (README "Documents"): the files kept in the
S3-compatible object store (moto's server, every request's signature checked) and scanned by
a real clamd (with the test's own signatures). A clean upload is stored in the bucket, not on
disk, and the citizen downloads it from there; an infected one is kept out of reach."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_documents_api import DOSSIER, META, PDF, TYPE, URL
from test_objectstore import BUCKET, Server, server  # noqa: F401 (server: a fixture)
from test_scanning import MARKER, Daemon, daemon  # noqa: F401 (daemon: a fixture)

from conftest import Auth, Runner
from mijn.documents.models import Document
from mijn.dossiers.models import Dossier
from mijn.intake.service import create_api_client


def test_the_bucket_keeps_the_files_and_clamd_keeps_an_infected_one_out_of_reach(
    client_with: Callable[..., TestClient], run: Runner, data_dir: Path,
    server: Server, daemon: Daemon,  # noqa: F811
) -> None:
    client = client_with(
        MIJN_S3_ENDPOINT=server.endpoint, MIJN_S3_BUCKET=BUCKET,
        MIJN_S3_ACCESS_KEY=server.access_key, MIJN_S3_SECRET_KEY=server.secret_key,
        MIJN_CLAMD_SOCKET=str(daemon.socket))

    async def token(session: AsyncSession) -> str:
        _client, made = await create_api_client(session, "wired", "gemeente", ["dossiers",
                                                                              "catalogue"])
        return made

    headers = {"Authorization": f"Bearer {run(token)}"}
    assert client.put("/api/v1/dossier-types/vergunning-doc", json=TYPE,
                      headers=headers).status_code == 204
    assert client.put("/api/v1/dossiers/gemeente/d1", json=DOSSIER,
                      headers=headers).status_code == 201
    infected_pdf = PDF.replace(b"%%EOF", MARKER + b"\n%%EOF")
    clean = client.post(URL, files={"file": ("brief.pdf", PDF)}, data=META, headers=headers)
    infected = client.post(URL, files={"file": ("bijlage.pdf", infected_pdf)},
                           data={**META, "title": "Bijlage"}, headers=headers)
    assert (clean.status_code, infected.status_code) == (201, 201), infected.text
    assert (clean.json()["scan_status"], infected.json()["scan_status"]) == ("clean",
                                                                             "infected")

    async def where(session: AsyncSession) -> tuple[str, list[str]]:
        dossier = await session.scalar(select(Dossier).join(
            Document, Document.dossier_id == Dossier.id).limit(1))
        assert dossier is not None
        keys = [k or "" for k in await session.scalars(
            select(Document.storage_key).order_by(Document.id))]
        return dossier.reference, keys

    reference, keys = run(where)
    anonymous = httpx.get(f"{server.endpoint}/{BUCKET}/{keys[0]}")  # the bucket is private
    assert anonymous.status_code == 403
    Auth(client).login("demo-jan")
    base = f"/mijn/dossiers/{reference}/documenten"
    download = client.get(f"{base}/{clean.json()['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert client.get(f"{base}/{infected.json()['id']}").status_code == 404
    assert len(keys) == 2 and all(len(k) == 32 for k in keys)
    on_disk = {p.name for p in (data_dir / "documents").rglob("*")}
    assert not on_disk & set(keys), "a file was kept on disk, not in the bucket"
