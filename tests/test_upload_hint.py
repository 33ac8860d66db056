"""The file field's hint and the file picker name what may be sent about the message's
dossier: its type's kinds where the dossier is known (its page, a question about it), the
default kinds where it is not yet (the ask form), with a word that some dossiers take others."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.questions.models import Question
from mijn.settings import Settings

SOME = "Bij sommige dossiers mag u ook andere soorten bestanden sturen."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Only PDF for a permit (Jan's dossier Z-2026-0001 is one)."""
    documents = replace(settings.documents,
                        upload_kinds_by_type={"omgevingsvergunning": ("pdf",)})
    return replace(settings, documents=documents)


def _hint(page: str) -> tuple[str, str]:
    hint = re.search(r'<p class="utrecht-form-field-description" id="uitleg-files">(.*?)</p>',
                     page, re.S)
    accept = re.search(r'id="veld-files" name="bestanden" multiple accept="([^"]*)"', page)
    assert hint and accept, page
    return hint.group(1), accept.group(1)


def test_the_hint_names_the_kinds_of_the_dossier_the_message_is_about(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login()
    hint, accept = _hint(client.get("/mijn/dossiers/Z-2026-0001").text)
    assert "bestanden tegelijk kiezen: PDF." in hint and SOME not in hint
    assert accept == "application/pdf"

    async def about_the_permit(session: AsyncSession) -> str:
        reference = await session.scalar(select(Question.reference).where(
            Question.submit_key == "demo-2"))
        assert reference is not None
        return reference

    hint, accept = _hint(client.get(f"/mijn/vragen/{run(about_the_permit)}").text)
    assert "kiezen: PDF." in hint and accept == "application/pdf"

    hint, accept = _hint(client.get("/mijn/vragen/nieuw").text)
    assert "kiezen: PDF, JPEG, PNG, HEIC." in hint and SOME in hint
    assert accept.split(",")[:3] == ["application/pdf", "image/jpeg", "image/png"]
