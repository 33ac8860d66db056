"""The settings and small guards of this stop's areas, refused with a message naming what to
fix: satisfaction (KTO), documents, Open Klant; the Open Klant texts that do not fit; the
backfill without Open Klant; an API token without Mijn's prefix; and guards they rely on:
plain-text translations, the ZGW JWT only for the configured APIs, odd ZGW answers."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.cli import main
from mijn.db import make_engine
from mijn.documentsettings import document_settings
from mijn.envvalues import ConfigurationError, Secret
from mijn.i18n import language
from mijn.intake.service import authenticate_with
from mijn.intake.zgw_client import ZgwClient, ZgwRefused, ZgwUnavailable
from mijn.openklant.texts import ONDERWERP, REACTIE, contact_texts
from mijn.openklantsettings import openklant_settings
from mijn.satisfactionsettings import satisfaction_settings
from mijn.settings import ZgwSettings


@pytest.mark.parametrize(("env", "named"), [
    ({"MIJN_SATISFACTION_DOSSIER": "ja"}, "MIJN_SATISFACTION_DOSSIER must be five, two"),
    ({"MIJN_SATISFACTION_QUESTION": "tien"}, "MIJN_SATISFACTION_QUESTION must be five, two"),
    ({"MIJN_SATISFACTION_WAIT_MINUTES": "-1"}, "MIJN_SATISFACTION_WAIT_MINUTES must be 0 to"),
    ({"MIJN_SATISFACTION_DAYS": "0"}, "MIJN_SATISFACTION_DAYS must be 1 to"),
])
def test_wrong_satisfaction_settings(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        satisfaction_settings(env)


def test_wrong_document_and_open_klant_settings() -> None:
    with pytest.raises(ConfigurationError, match="MIJN_DOCUMENTS_MAX_MB must be from 1"):
        document_settings({"MIJN_DOCUMENTS_MAX_MB": "0"})
    with pytest.raises(ConfigurationError, match="MIJN_OPENKLANT_MAX_ATTEMPTS"):
        openklant_settings({"MIJN_OPENKLANT_URL": "http://127.0.0.1:9",
                            "MIJN_OPENKLANT_MAX_ATTEMPTS": "0"}, production=False)


def test_a_long_subject_travels_whole_in_the_metadata_and_a_too_long_reply_is_refused() -> None:
    subject = "Vergunning " * 30
    fields: dict[str, Any] = contact_texts(subject)
    assert len(fields["onderwerp"]) <= ONDERWERP and fields["onderwerp"] != subject
    assert fields["metadata"] == {"volledigOnderwerp": subject}
    with pytest.raises(ValueError, match="longer than reactie"):
        contact_texts("Vraag", reactie="x" * (REACTIE + 1))


def test_the_backfill_needs_open_klant(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MIJN_OPENKLANT_URL", raising=False)
    assert main(["openklant", "backfill"]) == 2
    assert "MIJN_OPENKLANT_URL is not set" in capsys.readouterr().err


def test_a_token_without_the_prefix_is_refused_before_any_statement() -> None:
    # no session is touched: a token that cannot be Mijn's costs the database nothing
    assert asyncio.run(authenticate_with(cast(AsyncSession, None), "geen-token")) == (None, None)


def test_plain_text_templates_get_translations_unescaped() -> None:
    """E-mails are plain-text templates: no Markup, a variable as it is."""
    environment = Environment(autoescape=False, extensions=["jinja2.ext.i18n"])  # noqa: S701
    environment.globals.update(language("en").template_globals())
    text = environment.from_string(
        "{{ gettext('Berichten') }}: {{ ngettext('%(num)s vraag', '%(num)s vragen', 2) }}, "
        "{{ gettext('%(name)s', name='<b>') }}").render()
    assert text == "Messages: 2 questions, <b>"


def test_an_in_memory_database_makes_no_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite+aiosqlite:///:memory:")
    asyncio.run(engine.dispose())
    assert list(tmp_path.iterdir()) == []


def test_the_zgw_jwt_goes_only_to_the_configured_apis() -> None:
    settings = ZgwSettings(zaken_url="http://127.0.0.1:9/zaken/api/v1",
                           catalogi_url="http://127.0.0.1:9/catalogi/api/v1",
                           client_id="mijn", secret=Secret("s" * 32))

    async def elsewhere() -> None:
        async with httpx.AsyncClient() as http:
            await ZgwClient(settings, http).get("zaak", "http://127.0.0.1:9/elders/zaken/1")

    with pytest.raises(ZgwRefused, match="outside the configured Zaken and Catalogi APIs"):
        asyncio.run(elsewhere())


class _OddZaken(BaseHTTPRequestHandler):
    """A Zaken API that answers oddly shaped JSON (or none), by path."""

    ANSWERS = {"/zaken/api/v1/lijst": b'[{"url": "z1"}]', "/zaken/api/v1/geenlijst":
               b'{"results": 5}', "/zaken/api/v1/slechtnext": b'{"results": [], "next": 5}',
               "/zaken/api/v1/geenobject": b'["z1"]', "/zaken/api/v1/geenjson": b"<html>"}

    def do_GET(self) -> None:  # noqa: N802 -- http.server's name
        body = self.ANSWERS[self.path.split("?")[0]]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


def test_odd_answers_of_a_zaken_api_are_refused_or_unavailable_never_taken() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddZaken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/zaken/api/v1"
    settings = ZgwSettings(zaken_url=base, catalogi_url=f"{base}/catalogi",
                           client_id="mijn", secret=Secret("s" * 32))

    async def ask(path: str, listing: bool = True) -> Any:
        async with httpx.AsyncClient() as http:
            client = ZgwClient(settings, http)
            if listing:
                return await client.get_all("zaken", f"{base}/{path}", {})
            return await client.get_object("zaak", f"{base}/{path}")

    try:
        assert asyncio.run(ask("lijst")) == [{"url": "z1"}]  # a plain list: one page
        for path, wrong in (("geenlijst", "not a list"), ("slechtnext", "'next' is not a URL"),
                            ("geenobject", "not an object")):
            with pytest.raises(ZgwRefused, match=wrong):
                asyncio.run(ask(path))
        with pytest.raises(ZgwUnavailable, match="without JSON"):
            asyncio.run(ask("geenjson", listing=False))
    finally:
        server.shutdown()
