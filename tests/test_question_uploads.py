"""Citizens send files with a question or a reply: several at once, the kind decided by the
content (per dossier type configurable), a size limit, a virus scan when configured; a bad
file is a Dutch error that keeps the text, and nothing is half saved. The party sees the
files under its message, the KCC in the workspace; both download them, authorised."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.documentsettings import document_settings
from mijn.envvalues import ConfigurationError
from mijn.mandates.models import Mandate
from mijn.questions.models import Question, QuestionAttachment

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 4000
TEXT = "Mag ik de tekening later sturen? Hierbij alvast de foto's."


def _ask_fields(client: TestClient) -> dict[str, str]:
    page = client.get("/mijn/vragen/nieuw").text
    topic = re.findall(r'<option value="(\d+)"', page)[0]
    fields = form_fields(page)
    # The CSRF field first: the CSRF check reads only the first part of an upload.
    return {"csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
            "topic": topic, "dossier": "", "body": TEXT, "suggestions_seen": "1"}


def _files(*files: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("bestanden", (name, content, "application/octet-stream")) for name, content in files]


def _counts(run: Runner) -> tuple[int, int]:
    async def count(session: AsyncSession) -> tuple[int, int]:
        questions = await session.scalar(select(func.count()).select_from(Question))
        files = await session.scalar(select(func.count()).select_from(QuestionAttachment))
        return questions or 0, files or 0

    result: tuple[int, int] = run(count)
    return result


def _stored(directory: Path) -> int:
    return sum(1 for p in directory.rglob("*") if p.is_file()) if directory.exists() else 0


def test_a_question_with_two_files_is_seen_and_downloaded_by_the_party_and_the_kcc(
    client: TestClient, auth: Auth, demo: None
) -> None:
    auth.login()
    sent = client.post("/mijn/vragen", data=_ask_fields(client),
                       files=_files(("tekening.pdf", PDF), ("foto.png", PNG)))
    assert sent.status_code == 303, sent.text
    page = client.get(sent.headers["location"].split("?")[0]).text
    links = re.findall(r'href="(/mijn/vragen/V-[0-9A-Z]+/bijlagen/\d+)">([^<]+)</a>', page)
    assert [name for _, name in links] == ["tekening.pdf", "foto.png"]
    pdf = client.get(links[0][0])
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["cache-control"] == "no-store"
    reference = links[0][0].split("/")[3]
    detail = f"/mijn/vragen/{reference}"  # a reply carries its own file, under its message
    token = form_fields(client.get(detail).text)["csrf_token"]
    assert client.post(f"{detail}/reactie", data={"csrf_token": token, "body": "Hier is de foto."},
                       files=_files(("foto2.png", PNG))).status_code == 303
    thread = client.get(detail).text
    assert re.search(r"Hier is de foto\.</p>\s*<ul[^>]*>\s*<li><a class=\"utrecht-link\" "
                     r"href=\"/mijn/vragen/V-[0-9A-Z]+/bijlagen/\d+\">foto2.png</a>", thread)
    auth.login("demo-fatima")
    assert client.get(links[0][0]).status_code == 404  # another party's
    auth.login_staff("demo-agent")
    workspace = client.get(f"/kcc/vragen/{reference}").text
    staff_links = re.findall(r'href="(/kcc/vragen/V-[0-9A-Z]+/bijlagen/\d+)"', workspace)
    assert len(staff_links) == 3
    assert client.get(staff_links[1]).content == PNG


def test_a_file_that_is_no_allowed_kind_is_refused_whatever_its_name(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Any
) -> None:
    auth.login()
    before, stored = _counts(run), _stored(settings.documents.directory)
    refused = client.post("/mijn/vragen", data=_ask_fields(client),
                          files=_files(("goed.pdf", PDF), ("brief.pdf", b"Dit is gewoon tekst.")))
    assert refused.status_code == 422
    assert "Het bestand brief.pdf kunnen wij niet ontvangen" in refused.text
    assert "PDF, JPEG, PNG, HEIC" in refused.text
    assert TEXT.replace("'", "&#39;") in refused.text  # the typed text is kept
    assert 'href="#veld-files"' in refused.text and 'id="veld-files"' in refused.text
    assert _counts(run) == before  # no question, no file
    assert _stored(settings.documents.directory) == stored  # the good file was removed again


def test_too_large_too_many_empty_another_kind_and_no_scanner_keep_nothing(
    client_with: Any, demo: None, run: Runner, tmp_path: Path
) -> None:
    client = client_with(MIJN_DOCUMENTS_MAX_MB="1", MIJN_UPLOAD_MAX_FILES="2",
                         MIJN_UPLOAD_KINDS="pdf,png",
                         MIJN_CLAMD_SOCKET=str(tmp_path / "geen-clamd.sock"))
    auth = Auth(client)
    auth.login()
    before = _counts(run)
    big = PNG + b"\0" * (1024 * 1024)
    cases = [
        (_files(("groot.png", big)), "Het bestand groot.png is te groot. Een bestand mag tot 1 MB"),
        (_files(("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)), "tot 2 bestanden tegelijk"),
        (_files(("leeg.pdf", b"")), "Het bestand leeg.pdf is leeg"),
        (_files(("foto.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100)), "alleen deze soorten bestanden aan: PDF, PNG"),
        (_files(*[(f"{n}.png", big) for n in range(3)]), "De bestanden zijn samen te groot"),
        (_files(("scan.pdf", PDF)), "Wij konden het bestand scan.pdf nu niet controleren op virussen"),
    ]
    for files, message in cases:
        refused = client.post("/mijn/vragen", data=_ask_fields(client), files=files)
        assert refused.status_code == 422, message
        assert message in refused.text
        assert "Kies de bestanden die u wilt meesturen opnieuw." in refused.text
    assert _counts(run) == before


def test_when_the_commit_fails_the_kept_files_leave_the_store(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Any
) -> None:
    """The files are stored before the message's row is committed: a commit that fails
    (the database gone at that moment) takes them out of the store again."""
    auth.login()
    before, stored = _counts(run), _stored(settings.documents.directory)
    failed: list[bool] = []

    def note(session: Session, _: object) -> None:
        if any(isinstance(row, QuestionAttachment) for row in session.new):
            session.info["attachments"] = True

    def fail_once(session: Session) -> None:
        if not failed and session.info.pop("attachments", False):
            failed.append(True)
            raise OperationalError("COMMIT", {}, Exception("the database went away"))

    event.listen(Session, "after_flush", note)
    event.listen(Session, "before_commit", fail_once)
    try:
        with pytest.raises(OperationalError):
            client.post("/mijn/vragen", data=_ask_fields(client),
                        files=_files(("tekening.pdf", PDF), ("foto.png", PNG)))
    finally:
        event.remove(Session, "before_commit", fail_once)
        event.remove(Session, "after_flush", note)
    assert failed  # the commit with the files' rows failed
    assert _counts(run) == before
    assert _stored(settings.documents.directory) == stored


def test_control_characters_leave_a_file_name(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    """A NUL byte or a bidirectional override in the name a sender gave (PostgreSQL refuses
    to store a NUL: that was a 500) is taken out; the file is kept under the rest."""
    auth.login()
    fields = _ask_fields(client)
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
        + value.encode() + b"\r\n" for name, value in fields.items())
    parts += (b'--B\r\nContent-Disposition: form-data; name="bestanden"; filename="te\x00ke'
              + "\u202e".encode() + b'ning.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
              + PDF + b"\r\n--B--\r\n")
    sent = client.post("/mijn/vragen", content=parts,
                       headers={"content-type": "multipart/form-data; boundary=B"})
    assert sent.status_code == 303, sent.text

    async def titles(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(QuestionAttachment.title)))

    assert run(titles) == ["tekening.pdf"]


def test_a_read_only_mandate_uploads_nothing(client: TestClient, auth: Auth, demo: None, run: Runner) -> None:
    async def bakery(session: AsyncSession) -> int:
        found = await session.scalar(select(Mandate.id).where(Mandate.external_id == "demo-bakkerij"))
        assert found is not None
        return found

    auth.login("demo-sanne")
    assert client.post("/mijn/namens", data={"csrf_token": auth.csrf(),
                                             "keuze": str(run(bakery))}).status_code == 303
    before = _counts(run)
    fields = {"csrf_token": auth.csrf(), "topic": "1", "body": TEXT, "suggestions_seen": "1"}
    refused = client.post("/mijn/vragen", data=fields, files=_files(("scan.pdf", PDF)))
    assert refused.status_code == 403
    assert _counts(run) == before


def test_the_kinds_per_dossier_type_and_their_refusals() -> None:
    settings = document_settings({"MIJN_UPLOAD_KINDS": "pdf, PNG",
                                  "MIJN_UPLOAD_KINDS_BY_TYPE": "omgevingsvergunning=pdf;melding=jpeg,heic"})
    assert settings.kinds_for(None) == ("pdf", "png")
    assert settings.media_types_for("omgevingsvergunning") == ("application/pdf",)
    assert settings.media_types_for("melding") == ("image/jpeg", "image/heic", "image/heif")
    assert document_settings({}).kinds_for("iets") == ("pdf", "jpeg", "png", "heic")
    for env in ({"MIJN_UPLOAD_KINDS": "pdf,docx"}, {"MIJN_UPLOAD_KINDS": ""},
                {"MIJN_UPLOAD_KINDS_BY_TYPE": "melding=gif"}, {"MIJN_UPLOAD_MAX_FILES": "0"}):
        with pytest.raises(ConfigurationError, match="MIJN_UPLOAD_"):
            document_settings(env)
