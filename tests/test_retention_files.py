"""Retention and the documents' files: when a dossier is deleted, its documents' bytes (and
those of the files sent for its tasks) leave the store (in the same batch as its rows); a
second run, or a file already gone, is no error; the files of dossiers that stay, stay. The
same for the files sent with a question."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_objectstore import BUCKET, Server, server  # noqa: F401 (server: a fixture)

from conftest import Auth, Runner, form_fields
from mijn import cli
from mijn.db import utcnow
from mijn.documents.models import Document
from mijn.documents.service import Kept, NewDocument, attach, keep_upload
from mijn.documents.store import DirectoryStore, DocumentStore, StoreError
from mijn.dossiers.models import Dossier, DossierType
from mijn.parties.models import Party
from mijn.questions.models import Question, QuestionAttachment
from mijn.retention.service import due, run
from mijn.retention.service import run as run_retention
from mijn.retentionperiods import RetentionPeriods
from mijn.settings import Settings
from mijn.tasks.files import add_task_files
from mijn.tasks.models import Task

PERIODS = RetentionPeriods(dossiers=30, questions=0, contacts=0, notifications=0, sessions=0,
                           audit=0)
NOW = utcnow()
PDF = b"%PDF-1.7\n" + b"retention" * 100 + b"\n%%EOF\n"


async def _chunks() -> Any:
    yield PDF


async def _world(session: AsyncSession, store: DocumentStore) -> dict[str, list[str]]:
    """Two dossiers closed long ago and one closed lately, each with kept documents (and a
    ZGW reference, which has no file); the store keys per dossier."""
    party = Party(kind="person", identifier_type="bsn", identifier="111222333", name="Test")
    kind = DossierType(code="retention-files", name_nl="Test")
    session.add_all([party, kind])
    await session.flush()
    keys: dict[str, list[str]] = {}
    for ref, days in (("OLD-1", 40), ("OLD-2", 50), ("NEW-1", 10)):
        dossier = Dossier(reference=ref, kind="case", dossier_type_id=kind.id, title=ref,
                          party_id=party.id, channel="web", opened_on=date(2020, 1, 1),
                          closed_on=(NOW - timedelta(days=days)).date())
        session.add(dossier)
        await session.flush()
        keys[ref] = []
        for title in ("Besluit", "Bijlage"):
            kept = await keep_upload(store, _chunks(), 2**20)
            await attach(session, dossier.id, party.id,
                         NewDocument(title, "besluit", "openbaar", True, "api", "test"),
                         kept=Kept(kept.stored, kept.content_type, "clean"))
            keys[ref].append(kept.stored.key)
        keys[ref].append(await _task_file(session, store, party.id, dossier.id, ref))
        await attach(session, dossier.id, party.id,
                     NewDocument("Zaakdocument", "brief", "openbaar", True, "zgw", "test"),
                     zgw=(f"https://documenten.example/{ref}", "application/pdf", 10))
    await session.commit()
    return keys


async def _task_file(session: AsyncSession, store: DocumentStore, party_id: int,
                     dossier_id: int, ref: str) -> str:
    """A done upload task on the dossier with the file the party sent: its store key."""
    task = Task(source="test", external_id=ref, party_id=party_id, dossier_id=dossier_id,
                kind="upload", title="Stuur de tekening", explanation="", status="done",
                deadline=date(2020, 1, 1), version=2, push_attempts=0, push_error="")
    session.add(task)
    await session.flush()
    kept = await keep_upload(store, _chunks(), 2**20)
    await add_task_files(session, task.id, [("tekening.pdf", kept)], "party:test")
    return kept.stored.key


async def _files(session: AsyncSession, directory: Path) -> dict[str, list[Path]]:
    keys = await _world(session, DirectoryStore(directory))
    return {ref: [directory / key[:2] / key for key in found] for ref, found in keys.items()}


def _retention(client: TestClient, app: Starlette, store: DocumentStore) -> dict[str, int]:
    assert client.portal is not None

    async def work() -> dict[str, int]:
        async with app.state.sessionmaker() as session:
            plan = await due(session, PERIODS, NOW)
        return await run(app.state.sessionmaker, plan, NOW, 1, store=store)

    return client.portal.call(work)


async def _titles(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(Dossier.reference, Document.title).join(
        Document, Document.dossier_id == Dossier.id))
    return sorted(f"{ref} {title}" for ref, title in rows)


def test_a_deleted_dossiers_files_leave_the_store(
    client: TestClient, app: Starlette, run: Runner, settings: Settings
) -> None:
    directory = settings.documents.directory
    files = run(_files, directory)
    assert all(path.read_bytes() == PDF for paths in files.values() for path in paths)
    files["OLD-2"][0].unlink()  # as if a run had stopped after deleting it: no error

    store = DirectoryStore(directory)
    assert _retention(client, app, store)["dossiers"] == 2  # one dossier per batch
    for path in files["OLD-1"] + files["OLD-2"]:
        assert not path.exists(), path
    assert all(path.read_bytes() == PDF for path in files["NEW-1"])
    assert run(_titles) == ["NEW-1 Besluit", "NEW-1 Bijlage", "NEW-1 Zaakdocument"]

    assert _retention(client, app, store)["dossiers"] == 0  # again: nothing more, no error
    assert all(path.exists() for path in files["NEW-1"])


def test_the_command_removes_the_files(
    run: Runner, settings: Settings, database_url: str, data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = run(_files, settings.documents.directory)
    for key, value in {"MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
                       "MIJN_ENV": "development", "MIJN_RETENTION_DOSSIERS_DAYS": "30"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MIJN_DOCUMENTS_DIR", raising=False)
    monkeypatch.setenv("MIJN_DOCUMENTS_DIR", str(settings.documents.directory))
    assert cli.main(["retention", "run"]) == 0
    left = {path for path in settings.documents.directory.rglob("*") if path.is_file()}
    assert left.isdisjoint(files["OLD-1"] + files["OLD-2"])
    assert set(files["NEW-1"]) <= left


async def _kept(store: DocumentStore, key: str) -> bool:
    try:
        return b"".join([chunk async for chunk in store.read(key)]) == PDF
    except StoreError:
        return False


def test_the_object_store_loses_them_too(
    client_with: Callable[..., TestClient], server: Server,  # noqa: F811
) -> None:
    s3 = client_with(MIJN_S3_ENDPOINT=server.endpoint, MIJN_S3_BUCKET=BUCKET,
                     MIJN_S3_ACCESS_KEY=server.access_key, MIJN_S3_SECRET_KEY=server.secret_key)
    app: Starlette = s3.app  # type: ignore[assignment]
    store: DocumentStore = app.state.documents
    assert s3.portal is not None

    async def world() -> dict[str, list[str]]:
        async with app.state.sessionmaker() as session:
            return await _world(session, store)

    keys = s3.portal.call(world)
    assert _retention(s3, app, store)["dossiers"] == 2
    for key in keys["OLD-1"] + keys["OLD-2"]:
        assert not s3.portal.call(_kept, store, key), key
    assert all(s3.portal.call(_kept, store, key) for key in keys["NEW-1"])


def test_a_deleted_questions_files_leave_the_store(
    client: TestClient, app: Starlette, run: Runner, settings: Settings, auth: Auth, demo: None
) -> None:
    """A question kept past its period goes with the files sent with it; another's stay."""
    auth.login()
    sent = []
    for name in ("oud.pdf", "nieuw.pdf"):
        page = client.get("/mijn/vragen/nieuw").text
        fields = form_fields(page)
        topic = re.findall(r'<option value="(\d+)"', page)[0]
        answer = client.post("/mijn/vragen", data={
            "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
            "topic": topic, "dossier": "", "body": f"Hierbij {name}", "suggestions_seen": "1"},
            files=[("bestanden", (name, PDF, "application/pdf"))])
        assert answer.status_code == 303, answer.text
        sent.append(answer.headers["location"].split("/")[3].split("?")[0])

    async def age(session: AsyncSession) -> dict[str, Path]:
        """The first question closed long ago; where each question's file is stored."""
        await session.execute(update(Question).where(Question.reference == sent[0]).values(
            state="closed", updated_at=NOW - timedelta(days=40)))
        await session.commit()
        rows = await session.execute(select(Question.reference, QuestionAttachment.storage_key)
                                     .join(QuestionAttachment))
        return {ref: settings.documents.directory / key[:2] / key for ref, key in rows}

    files = run(age)
    assert all(path.read_bytes() == PDF for path in files.values())
    store = DirectoryStore(settings.documents.directory)
    periods = replace(PERIODS, dossiers=0, questions=30)

    async def work() -> dict[str, int]:
        async with app.state.sessionmaker() as session:
            plan = await due(session, periods, NOW)
        return await run_retention(app.state.sessionmaker, plan, NOW, 10, store=store)

    assert client.portal is not None
    assert client.portal.call(work)["questions"] == 1
    assert not files[sent[0]].exists()
    assert files[sent[1]].read_bytes() == PDF
