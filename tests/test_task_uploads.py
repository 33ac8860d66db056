"""Upload tasks done in the portal: several files sent at once (the dossier type's kinds, the
size limit, the virus scan), all of them kept with the completion or none; a done task lists
its files for the party and the back-office (the API and the webhook's payload), each
downloaded authorised; a double submit completes once and leaves no file behind."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_scanning import MARKER, Daemon, daemon  # noqa: F401 (daemon: a fixture)
from test_tasks import FORM_TASK, JAN, Api, _task_id, api, put  # noqa: F401 (api: a fixture)

from conftest import Auth, Runner, form_fields
from mijn.documents.store import StoreError
from mijn.dossiers.models import Dossier
from mijn.mandates.models import Mandate
from mijn.parties.models import Party
from mijn.settings import Settings
from mijn.tasks import doing
from mijn.tasks.models import Task, TaskFile
from mijn.tasks.service import describe_task

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 4000
UPLOAD = {**{k: v for k, v in FORM_TASK.items() if k != "fields"}, "kind": "upload",
          "title": "Stuur uw loonstroken", "explanation": "Wij hebben uw loonstroken nodig."}


def _files(*files: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("bestanden", (name, content, "application/octet-stream")) for name, content in files]


def _stored(directory: Path) -> int:
    return sum(1 for p in directory.rglob("*") if p.is_file()) if directory.exists() else 0


def _state(run: Runner, external_id: str) -> tuple[str, int, int]:
    """The task's status and version, and how many files it has."""
    async def read(session: AsyncSession) -> tuple[str, int, int]:
        task = await session.scalar(select(Task).where(Task.external_id == external_id))
        assert task is not None
        files = await session.scalar(select(func.count()).select_from(TaskFile).where(
            TaskFile.task_id == task.id))
        return task.status, task.version, int(files or 0)

    found: tuple[str, int, int] = run(read)
    return found


def _fields(page: str) -> dict[str, str]:
    fields = form_fields(page)  # the CSRF field first: the check reads only the first part
    return {"csrf_token": fields["csrf_token"], "version": fields["version"]}


def test_a_citizen_sends_the_files_of_an_upload_task_and_sees_them(
    api: Api, client: TestClient, auth: Auth, run: Runner, settings: Settings,  # noqa: F811
) -> None:
    assert put(api, "t-up", UPLOAD).status_code == 201
    auth.login("demo-jan")
    path = f"/mijn/taken/{_task_id(run, 't-up')}"
    page = client.get(path).text
    assert 'enctype="multipart/form-data"' in page and 'name="bestanden" multiple' in page
    assert "PDF, JPEG, PNG, HEIC" in page and "Bestanden versturen" in page
    assert page.index('name="csrf_token"') < page.index('name="bestanden"')
    fields, stored = _fields(page), _stored(settings.documents.directory)
    none = client.post(path, data=fields, files=_files())
    assert none.status_code == 422 and "Kies minstens één bestand." in none.text
    assert 'href="#veld-files"' in none.text and 'aria-invalid="true"' in none.text
    bad = client.post(path, data=fields,
                      files=_files(("loon.pdf", PDF), ("brief.pdf", b"Dit is gewoon tekst.")))
    assert bad.status_code == 422 and "Het bestand brief.pdf kunnen wij niet ontvangen" in bad.text
    assert _state(run, "t-up") == ("open", 1, 0)
    assert _stored(settings.documents.directory) == stored  # the good file went again
    sent = client.post(path, data=fields, files=_files(("loon jan.pdf", PDF), ("foto.png", PNG)))
    assert sent.status_code == 303 and sent.headers["location"] == path
    assert _state(run, "t-up") == ("done", 2, 2)
    assert _stored(settings.documents.directory) == stored + 2
    done = client.get(path).text
    assert "Gedaan op" in done and 'name="bestanden"' not in done
    links = re.findall(rf'href="({path}/bestanden/\d+)">([^<]+)</a> · ([^<]+)</li>', done)
    assert [(name, size) for _, name, size in links] == [("loon jan.pdf", "16,4 kB"),
                                                           ("foto.png", "4,0 kB")]
    pdf = client.get(links[0][0])
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="loon jan.pdf"')
    assert pdf.headers["cache-control"] == "no-store"
    assert client.get(f"{path}/bestanden/99999999999").status_code == 404
    auth.login("demo-fatima")
    assert client.get(links[0][0]).status_code == 404  # another party's

    read = api("GET", "/api/v1/tasks/gemeente/t-up").json()
    assert read["status"] == "done" and read["answers"] is None
    assert [(f["title"], f["content_type"], f["size"], f["scan_status"]) for f in read["files"]
            ] == [("loon jan.pdf", "application/pdf", len(PDF), "unscanned"),
                  ("foto.png", "image/png", len(PNG), "unscanned")]
    first = read["files"][0]
    got = api("GET", f"/api/v1/tasks/gemeente/t-up/files/{first['id']}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["cache-control"] == "no-store" and len(first["sha256"]) == 64
    assert api("GET", f"/api/v1/tasks/gemeente/t-up/files/{first['id']}",
               "provincie").status_code == 403  # only the task's source
    assert put(api, "t-other", {**UPLOAD, "dossier": None}).status_code == 201
    assert api("GET", f"/api/v1/tasks/gemeente/t-other/files/{first['id']}"
               ).status_code == 404  # a file of another task
    assert api("GET", "/api/v1/tasks/gemeente/t-other").json()["files"] == []
    assert put(api, "t-form", FORM_TASK).json()["files"] is None  # not an upload task


def test_the_webhook_payload_carries_the_files(
    api: Api, client: TestClient, auth: Auth, run: Runner,  # noqa: F811
) -> None:
    """The push to the back-office's webhook is describe_task: with the files."""
    assert put(api, "t-hook", UPLOAD).status_code == 201
    auth.login("demo-jan")
    path = f"/mijn/taken/{_task_id(run, 't-hook')}"
    assert client.post(path, data=_fields(client.get(path).text),
                       files=_files(("scan.pdf", PDF))).status_code == 303

    async def described(session: AsyncSession) -> dict[str, Any]:
        task = await session.scalar(select(Task).where(Task.external_id == "t-hook"))
        assert task is not None
        return await describe_task(session, task)

    assert [f["title"] for f in run(described)["files"]] == ["scan.pdf"]


def test_a_double_submit_completes_once_and_keeps_no_orphan_file(
    api: Api, client: TestClient, auth: Auth, run: Runner, settings: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert put(api, "t-twice", UPLOAD).status_code == 201
    auth.login("demo-jan")
    task_id = _task_id(run, "t-twice")
    path = f"/mijn/taken/{task_id}"
    fields = _fields(client.get(path).text)
    stored = _stored(settings.documents.directory)
    assert client.post(path, data=fields, files=_files(("a.pdf", PDF))).status_code == 303
    again = client.post(path, data=fields, files=_files(("b.pdf", PDF)))  # a second tab
    assert again.status_code == 303 and again.headers["location"] == path
    assert _state(run, "t-twice") == ("done", 2, 1)
    assert _stored(settings.documents.directory) == stored + 1

    # The other tab's request read the task while it was still open: its files are kept,
    # then the completion's UPDATE finds the task done and they leave the store again.
    real = doing.task_in_scope

    async def as_it_was(session: AsyncSession, wanted: int, scope: Any) -> Any:
        view = await real(session, wanted, scope)
        if view is not None:
            session.expunge(view.task)
            view.task.status, view.task.version = "open", 1
        return view

    monkeypatch.setattr("mijn.http.portal.tasks.task_in_scope", as_it_was)
    late = client.post(path, data=fields, files=_files(("c.pdf", PDF), ("d.png", PNG)))
    assert late.status_code == 303
    assert _state(run, "t-twice") == ("done", 2, 1)
    assert _stored(settings.documents.directory) == stored + 1  # c.pdf and d.png went again


async def _jans_upload_task(session: AsyncSession, external_id: str) -> int:
    """An open upload task of Jan's about no dossier."""
    jan = await session.scalar(select(Party.id).where(Party.identifier == JAN))
    assert jan is not None
    task = Task(source="gemeente", external_id=external_id, party_id=jan, kind="upload",
                title="Stuur de tekening", explanation="", status="open",
                deadline=date.today() + timedelta(days=3), version=1, push_attempts=0,
                push_error="")
    session.add(task)
    await session.flush()
    return task.id


def test_an_infected_file_completes_nothing_and_keeps_no_file(
    client_with: Any, demo: None, run: Runner, daemon: Daemon,  # noqa: F811
) -> None:
    client = client_with(MIJN_CLAMD_SOCKET=str(daemon.socket))
    path = f"/mijn/taken/{run(_jans_upload_task, 't-virus')}"
    Auth(client).login("demo-jan")
    fields = _fields(client.get(path).text)
    store = client.app.state.settings.documents.directory
    stored = _stored(store)
    infected = PDF.replace(b"%%EOF", MARKER + b"\n%%EOF")
    refused = client.post(path, data=fields,
                          files=_files(("goed.pdf", PDF), ("bijlage.pdf", infected)))
    assert refused.status_code == 422
    assert "In het bestand bijlage.pdf zit misschien een virus" in refused.text
    assert _state(run, "t-virus") == ("open", 1, 0) and _stored(store) == stored
    assert client.post(path, data=fields, files=_files(("goed.pdf", PDF))).status_code == 303
    assert _state(run, "t-virus") == ("done", 2, 1) and _stored(store) == stored + 1

    async def scanned(session: AsyncSession) -> str | None:
        return await session.scalar(select(TaskFile.scan_status))

    assert run(scanned) == "clean"


def test_too_large_empty_another_kind_and_no_scanner_complete_nothing(
    client_with: Any, demo: None, run: Runner, tmp_path: Path
) -> None:
    client = client_with(MIJN_DOCUMENTS_MAX_MB="1", MIJN_UPLOAD_MAX_FILES="2",
                         MIJN_UPLOAD_KINDS="pdf,png",
                         MIJN_CLAMD_SOCKET=str(tmp_path / "geen-clamd.sock"))

    path = f"/mijn/taken/{run(_jans_upload_task, 't-refused')}"
    Auth(client).login("demo-jan")
    fields = _fields(client.get(path).text)
    big = PNG + b"\0" * (1024 * 1024)
    cases = [
        (_files(("groot.png", big)), "Het bestand groot.png is te groot. Een bestand mag tot 1 MB"),
        (_files(("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)),
         "U kunt tot 2 bestanden tegelijk versturen. Voeg bestanden samen"),
        (_files(*[(f"{n}.png", big) for n in range(3)]),
         "De bestanden zijn samen te groot. Maak ze kleiner"),
        (_files(("leeg.pdf", b"")), "Het bestand leeg.pdf is leeg"),
        (_files(("foto.pdf", b"\xff\xd8\xff\xe0" + b"\0" * 100)),
         "alleen deze soorten bestanden aan: PDF, PNG"),
        (_files(("scan.pdf", PDF)),
         "Wij konden het bestand scan.pdf nu niet controleren op virussen"),
    ]
    for files, message in cases:
        refused = client.post(path, data=fields, files=files)
        assert refused.status_code == 422, message
        assert message in refused.text, message
        assert 'id="fouten" tabindex="-1"' in refused.text
    assert _state(run, "t-refused") == ("open", 1, 0)


def test_a_read_only_mandate_sees_the_task_but_no_form(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def make(session: AsyncSession) -> tuple[int, int]:
        mandate = await session.scalar(select(Mandate).where(
            Mandate.external_id == "demo-bakkerij"))
        assert mandate is not None
        dossier = await session.scalar(select(Dossier).where(
            Dossier.party_id == mandate.represented_id, Dossier.reference == "Z-2026-0202"))
        assert dossier is not None
        task = Task(source="gemeente", external_id="t-grant", party_id=mandate.represented_id,
                    dossier_id=dossier.id, kind="upload", title="Stuur de offerte",
                    explanation="", status="open", deadline=date.today(), version=1,
                    push_attempts=0, push_error="")
        session.add(task)
        await session.flush()
        return mandate.id, task.id

    mandate_id, task_id = run(make)
    auth.login("demo-sanne")
    assert client.post("/mijn/namens", data={"csrf_token": auth.csrf(),
                                             "keuze": str(mandate_id)}).status_code == 303
    page = client.get(f"/mijn/taken/{task_id}")
    assert page.status_code == 200 and "Stuur de offerte" in page.text
    assert 'name="bestanden"' not in page.text and "U mag deze taak bekijken" in page.text
    refused = client.post(f"/mijn/taken/{task_id}", data={"csrf_token": auth.csrf(),
                                                          "version": "1"},
                          files=_files(("offerte.pdf", PDF)))
    assert refused.status_code == 403 and _state(run, "t-grant") == ("open", 1, 0)


def test_a_store_that_fails_midway_keeps_nothing(
    api: Api, client: TestClient, auth: Auth, run: Runner, settings: Settings,  # noqa: F811
    app: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert put(api, "t-store", UPLOAD).status_code == 201
    auth.login("demo-jan")
    path = f"/mijn/taken/{_task_id(run, 't-store')}"
    fields = _fields(client.get(path).text)
    store, stored = app.state.documents, _stored(settings.documents.directory)
    write, calls = store.write, []

    async def second_fails(chunks: Any, limit: int | None = None) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("the disk is full")
        return await write(chunks, limit)

    monkeypatch.setattr(store, "write", second_fails)
    refused = client.post(path, data=fields, files=_files(("a.pdf", PDF), ("b.pdf", PDF)))
    assert refused.status_code == 422
    assert "Wij konden het bestand b.pdf nu niet bewaren" in refused.text
    assert _state(run, "t-store") == ("open", 1, 0)
    assert _stored(settings.documents.directory) == stored  # a.pdf went again
