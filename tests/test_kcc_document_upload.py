"""The KCC adds documents to a question's dossier in the workspace: kept as every upload (kind
by content, size limit, scan, all or none), visible to the citizen or not, offered to go with
the reply, audited; only by whoever may reply to the question. A refusal is a Dutch error
linked to its field, keeps nothing in the store and loses no reply being typed (the draft)."""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest
import starlette.formparsers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.documents.models import Document
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.models import Question, ReplyDraft, Topic

JAN_DOSSIER = "Z-2026-0001"
PDF = b"%PDF-1.7\n" + bytes(range(1, 256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\1" * 4000
TYPED = "Beste meneer Jansen, in de bijlage vindt u de brief."


def _question(session: AsyncSession) -> Any:
    return session.scalar(select(Question.reference).where(Question.submit_key == "demo-2"))


def _files(*files: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("bestanden", (name, content, "application/octet-stream")) for name, content in files]


def _fields(auth: Auth, **more: str) -> dict[str, str]:
    """The form as the page sends it: the CSRF token first (the check reads only that part)."""
    return {"csrf_token": auth.csrf(), "titel": "", "soort": "brief", "zichtbaar": "1",
            "draft_body": TYPED, "draft_note": "", "draft_answer_id": "", **more}


async def _kcc_documents(session: AsyncSession) -> list[tuple[str, bool, str, str, int | None]]:
    rows = await session.execute(
        select(Document.title, Document.visible, Document.kind, Document.uploaded_by,
               Document.question_id).where(Document.source == "kcc").order_by(Document.id))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _stored(directory: Path) -> int:
    return sum(1 for p in directory.rglob("*") if p.is_file()) if directory.exists() else 0


def _draft_body(run: Runner, reference: str) -> str:
    async def body(session: AsyncSession) -> str:
        found = await session.scalar(select(ReplyDraft.body).join(
            Question, Question.id == ReplyDraft.question_id).where(
            Question.reference == reference))
        return found or ""
    result: str = run(body)
    return result


def _uploads_audited(run: Runner) -> int:
    async def count(session: AsyncSession) -> int:
        return await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "kcc.document.upload")) or 0
    result: int = run(count)
    return result


def _section(page: str) -> str:
    start = page.index('id="dossierdocumenten"')
    return page[start:page.index("</section>", start)]


def _offered(page: str) -> list[str]:
    return re.findall(r'<input[^>]*name="document" value="\d+"[^>]*>\s*<label[^>]*>'
                      r'<span lang="nl">([^<]+)</span>', page)


def test_an_agent_adds_a_document_the_citizen_sees_and_the_reply_may_carry(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Any
) -> None:
    reference = run(_question)
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{reference}").text
    form = page[page.index('id="document-formulier"') - 200:]
    form = form[:form.index("</form>")]
    assert re.search(r'<form method="post" enctype="multipart/form-data" action="/kcc/vragen/'
                     rf'{reference}/documenten"', form)
    assert re.findall(r'name="([^"]+)"', form)[0] == "csrf_token"  # the first part
    assert 'id="upload-zichtbaar" name="zichtbaar" value="1" checked' in form
    reply = page.index('id="antwoord-formulier"')
    assert page.index("</form>", reply) < page.index('id="document-formulier"')  # outside it

    sent = client.post(f"/kcc/vragen/{reference}/documenten", data=_fields(auth),
                       files=_files(("Brief van de beller.pdf", PDF)))
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/kcc/vragen/{reference}?toegevoegd=1#dossierdocumenten"
    [(title, visible, kind, by, question_id)] = run(_kcc_documents)
    assert (title, visible, kind) == ("Brief van de beller", True, "brief")
    assert re.fullmatch(r"staff:\d+", by) and question_id is not None
    assert _uploads_audited(run) == 1
    assert _draft_body(run, reference) == TYPED  # the reply being typed is the draft

    page = client.get(sent.headers["location"]).text
    assert "Het document is toegevoegd aan het dossier." in _section(page)
    assert "Brief van de beller" in _section(page)
    assert "Brief van de beller" in _offered(page)  # it may go with the reply
    assert TYPED in page  # the reply box has the draft

    auth.login("demo-jan")
    assert "Brief van de beller" in client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text


def test_a_document_not_visible_stays_with_staff_and_several_files_share_a_title(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    reference = run(_question)
    auth.login_staff("demo-agent")
    fields = _fields(auth, titel="Scan van de balie", soort="bijlage")
    del fields["zichtbaar"]  # the box unticked
    sent = client.post(f"/kcc/vragen/{reference}/documenten", data=fields,
                       files=_files(("a.pdf", PDF), ("b.png", PNG)))
    assert sent.status_code == 303
    assert [(t, v) for t, v, *_ in run(_kcc_documents)] == [
        ("Scan van de balie (1)", False), ("Scan van de balie (2)", False)]
    page = client.get(sent.headers["location"]).text
    assert "De 2 documenten zijn toegevoegd aan het dossier." in page
    assert "niet zichtbaar voor de klant" in _section(page)
    assert not [t for t in _offered(page) if t.startswith("Scan van de balie")]
    auth.login("demo-jan")
    assert "Scan van de balie" not in client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text


class _Clamd(socketserver.BaseRequestHandler):
    """A scanner that finds a virus in every stream (clamd's INSTREAM answer)."""

    def handle(self) -> None:
        seen = b""
        while not seen.endswith(b"\0\0\0\0"):
            more = self.request.recv(65536)
            if not more:
                return
            seen = seen[-4:] + more
        self.request.sendall(b"stream: Win.Test.EICAR_HDB-1 FOUND\0")


@pytest.fixture
def infected_socket(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "clamd.sock")
    server = socketserver.ThreadingUnixStreamServer(path, _Clamd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


REFUSALS = [
    ("kind", {}, _files(("goed.pdf", PDF), ("brief.pdf", b"Dit is gewoon tekst.")),
     "Het bestand brief.pdf kunnen wij niet ontvangen", "upload-bestanden"),
    ("too_large", {"MIJN_DOCUMENTS_MAX_MB": "1"}, _files(("groot.png", PNG + b"\1" * 2**20)),
     "Het bestand groot.png is te groot.", "upload-bestanden"),
    ("empty", {}, _files(("leeg.pdf", b"")), "Het bestand leeg.pdf is leeg.", "upload-bestanden"),
    ("no_file", {}, [], "Kies een bestand.", "upload-bestanden"),
    ("scanner_down", {"MIJN_CLAMD_SOCKET": "{tmp}/geen-clamd.sock"}, _files(("scan.pdf", PDF)),
     "Wij konden het bestand scan.pdf nu niet controleren op virussen", "upload-bestanden"),
    ("infected", {"MIJN_CLAMD_SOCKET": "{infected}"}, _files(("scan.pdf", PDF)),
     "In het bestand scan.pdf zit misschien een virus.", "upload-bestanden"),
    ("storage", {"MIJN_DOCUMENTS_DIR": "{tmp}/een-bestand/documenten"}, _files(("a.pdf", PDF)),
     "Wij konden het bestand a.pdf nu niet bewaren.", "upload-bestanden"),
    ("kind_field", {}, _files(("a.pdf", PDF)), "Kies uit de lijst.", "upload-soort"),
    ("title", {}, _files(("a.pdf", PDF)), "Deze tekst is te lang.", "upload-titel"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case[0] for case in REFUSALS])
def test_a_refused_upload_keeps_nothing_and_loses_no_typed_reply(
    client_with: Any, demo: None, run: Runner, tmp_path: Path, infected_socket: str,
    case: tuple[str, dict[str, str], list[Any], str, str],
) -> None:
    name, overrides, files, message, anchor = case
    (tmp_path / "een-bestand").write_text("geen map")
    client = client_with(**{k: v.format(tmp=tmp_path, infected=infected_socket)
                            for k, v in overrides.items()})
    store = client.app.state.settings.documents.directory
    auth = Auth(client)
    reference = run(_question)
    auth.login_staff("demo-agent")
    before = _stored(store)
    more = {"soort": "geheim"} if name == "kind_field" else (
        {"titel": "x" * 201} if name == "title" else {})
    refused = client.post(f"/kcc/vragen/{reference}/documenten", data=_fields(auth, **more),
                          files=files)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert f'href="#{anchor}"' in refused.text and f'id="{anchor}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert run(_kcc_documents) == [] and _uploads_audited(run) == 0
    assert _stored(store) == before  # no orphan file in the store
    assert TYPED in refused.text and _draft_body(run, reference) == TYPED
    if name == "title":  # what was chosen stays
        assert 'value="brief" selected' in refused.text


def test_only_who_may_reply_adds_documents(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Any
) -> None:
    reference = run(_question)
    auth.login_staff("demo-lead")
    token = auth.csrf()
    assert client.post(f"/kcc/vragen/{reference}/claim",
                       data={"csrf_token": token}).status_code == 303
    auth.login_staff("demo-agent")  # a colleague holds it: no reply, no documents
    page = client.get(f"/kcc/vragen/{reference}").text
    assert 'id="antwoord-formulier"' not in page and 'id="document-formulier"' not in page
    before = _stored(settings.documents.directory)
    refused = client.post(f"/kcc/vragen/{reference}/documenten", data=_fields(auth),
                          files=_files(("a.pdf", PDF)))
    assert refused.status_code == 409
    assert "Dit kan nu niet meer. Misschien was een collega u voor." in refused.text
    assert run(_kcc_documents) == [] and _stored(settings.documents.directory) == before

    async def without_dossier(session: AsyncSession) -> str:
        jan = await session.scalar(select(Question.party_id).where(
            Question.reference == reference))
        topic = await session.scalar(select(Topic.id).order_by(Topic.id))
        assert jan is not None and topic is not None
        question, _ = await ask(session, NewQuestion(jan, topic, "Een vraag zonder dossier.",
                                                     None, submit_key="zonder"), settings.calendar)
        return question.reference

    loose = run(without_dossier)
    assert 'id="document-formulier"' not in client.get(f"/kcc/vragen/{loose}").text
    assert client.post(f"/kcc/vragen/{loose}/documenten", data=_fields(auth),
                       files=_files(("a.pdf", PDF))).status_code == 404
    assert client.post("/kcc/vragen/V-ONBEKEND/documenten", data=_fields(auth),
                       files=_files(("a.pdf", PDF))).status_code == 404
    assert run(_kcc_documents) == []


def test_an_upload_without_its_token_first_is_refused(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    reference = run(_question)
    auth.login_staff("demo-agent")
    fields = _fields(auth)
    token = fields.pop("csrf_token")
    for data in (fields, {**fields, "csrf_token": token}):  # none, or not the first part
        refused = client.post(f"/kcc/vragen/{reference}/documenten", data=data,
                              files=_files(("a.pdf", PDF)))
        assert refused.status_code == 403
    assert run(_kcc_documents) == []


BOUNDARY = "----mijnKccGrens"


def _part(name: str, value: bytes, filename: str = "") -> bytes:
    file = f'; filename="{filename}"\r\nContent-Type: application/pdf' if filename else ""
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{file}\r\n\r\n'
            ).encode() + value + b"\r\n"


STAFF_FORMS = [("demo-lead", "/kcc/leiding"), ("demo-editor", "/kcc/antwoorden"),
               ("demo-editor", "/kcc/antwoorden/1"), ("demo-editor", "/kcc/antwoorden/signalen/1"),
               ("demo-agent", "/kcc/vragen/{answered}/voorstel"),
               ("demo-agent", "/kcc/vragen/{question}/reply")]


@pytest.mark.parametrize(("persona", "path"), STAFF_FORMS, ids=[p for _, p in STAFF_FORMS])
def test_a_staff_form_sent_as_multipart_is_held_to_a_forms_size(
    client: TestClient, auth: Auth, demo: None, run: Runner, monkeypatch: pytest.MonkeyPatch,
    persona: str, path: str,
) -> None:
    """These routes take no files: a file part is refused (400) and a body past a form's
    size (413), nothing of it spooled to a temporary file."""
    spooled: list[object] = []

    class Counted(SpooledTemporaryFile[bytes]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            spooled.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", Counted)

    async def answered(session: AsyncSession) -> Any:
        return await session.scalar(select(Question.reference).where(
            Question.submit_key == "demo-1"))

    url = path.format(answered=run(answered), question=run(_question))
    auth.login_staff(persona)
    token = _part("csrf_token", auth.csrf().encode())
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    end = f"--{BOUNDARY}--\r\n".encode()
    big = token + _part("body", b"a" * (1024 * 1024 + 1)) + end
    assert client.post(url, content=big, headers=headers).status_code == 413
    with_file = token + _part("bestand", PDF, "scan.pdf") + end
    assert client.post(url, content=with_file, headers=headers).status_code == 400
    large_file = token + _part("bestand", PDF * 200, "scan.pdf") + end  # 2 MB
    assert client.post(url, content=large_file, headers=headers).status_code == 413
    assert spooled == []  # (request.form() spooled it to a temporary file, whole)
