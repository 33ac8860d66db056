"""Documents in the KCC workspace: the question's dossier's documents listed (hidden and
refused ones marked), and sent along with a reply: only those of that dossier the citizen may
see (others refused with the text kept), audited; the citizen finds them under the reply and
downloads them through the dossier's download."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_documents_portal import FATIMA_DOSSIER, JAN_DOSSIER, PDF, add_document

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.documents.models import Document, ReplyDocument
from mijn.questions.models import Question
from mijn.settings import Settings


@pytest.fixture
def world(demo: None, run: Runner, settings: Settings) -> dict[str, int | str]:
    """Jan's question about his dossier (new, in the queue) and documents on that dossier
    and on Fatima's."""
    async def question(session: AsyncSession) -> str:
        found = await session.scalar(select(Question.reference).where(
            Question.submit_key == "demo-2"))
        assert found is not None
        return found

    return {
        "question": run(question),
        "shown": run(add_document, settings, JAN_DOSSIER, "Besluit op uw aanvraag"),
        "hidden": run(add_document, settings, JAN_DOSSIER, "Interne notitie", False),
        "infected": run(add_document, settings, JAN_DOSSIER, "Besmette bijlage", True,
                        "infected"),
        "other": run(add_document, settings, FATIMA_DOSSIER, "Besluit van Fatima"),
    }


def _boxes(page: str) -> list[str]:
    return re.findall(r'name="document" value="(\d+)"', page)


def _checked(page: str) -> list[str]:
    return re.findall(r'name="document" value="(\d+)" checked', page)


def _textarea(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


async def _sent(session: AsyncSession) -> list[int]:
    return sorted(await session.scalars(select(ReplyDocument.document_id)))


async def _audits(session: AsyncSession) -> list[tuple[str | None, str]]:
    rows = await session.execute(select(AuditEvent.actor_type, AuditEvent.actor_id).where(
        AuditEvent.action == "kcc.document.attach"))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_workspace_lists_the_documents_and_sends_only_what_the_citizen_sees(
    client: TestClient, auth: Auth, run: Runner, world: dict[str, int | str]
) -> None:
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{world['question']}").text
    section = page[page.index('id="dossierdocumenten"'):]
    section = section[:section.index("</section>")]
    assert "Documenten bij het dossier (3)" in section
    for key in ("shown", "hidden"):
        assert f'href="/kcc/dossiers/{JAN_DOSSIER}/documenten/{world[key]}"' in section
    assert "niet zichtbaar voor de klant" in section
    assert "Besmette bijlage</span> · <strong>geweigerd door de virusscanner" in section
    assert "Besluit van Fatima" not in page
    # only what the citizen may see can go with a reply
    assert _boxes(page) == [str(world["shown"])]

    # another document, by a hand-made post, is refused with the text kept
    token = auth.csrf()
    for wrong in ("hidden", "infected", "other", "x"):
        response = client.post(f"/kcc/vragen/{world['question']}/reply", data={
            "csrf_token": token, "body": "Zie het besluit.",
            "document": [str(world["shown"]), str(world.get(wrong, wrong))]})
        assert response.status_code == 422, wrong
        assert "Dit document kan niet mee. Kies alleen documenten uit de lijst." in response.text
        assert 'href="#veld-documenten"' in response.text
        assert _textarea(response.text) == "Zie het besluit."  # nothing typed is lost
        assert _checked(response.text) == [str(world["shown"])]
    assert run(_sent) == [] and run(_audits) == []
    state = run(lambda s: s.scalar(select(Question.state).where(
        Question.reference == world["question"])))
    assert state == "new"  # nothing was sent


def test_the_citizen_finds_and_downloads_what_went_with_the_reply(
    client: TestClient, auth: Auth, run: Runner, world: dict[str, int | str]
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    path = f"/kcc/vragen/{world['question']}"
    kept = client.post(f"{path}/invoegen", data={  # "use this answer" without JavaScript
        "csrf_token": token, "body": "Zie het besluit.", "document": str(world["shown"])})
    assert kept.status_code == 200 and _checked(kept.text) == [str(world["shown"])]

    sent = client.post(f"{path}/reply", data={
        "csrf_token": token, "body": "Zie het besluit.", "document": str(world["shown"])})
    assert sent.status_code == 303
    assert run(_sent) == [world["shown"]]
    assert [actor for actor, _ in run(_audits)] == ["staff"]
    staff_page = client.get(path).text
    assert "Meegestuurd" in staff_page and _checked(staff_page) == []

    auth.login("demo-jan")
    thread = client.get(f"/mijn/vragen/{world['question']}").text
    link = f"/mijn/dossiers/{JAN_DOSSIER}/documenten/{world['shown']}"
    assert "Bij dit antwoord" in thread and f'href="{link}"' in thread
    got = client.get(link)
    assert got.status_code == 200 and got.content == PDF

    async def hide(session: AsyncSession) -> None:  # hidden later: no longer under the reply
        await session.execute(update(Document).where(Document.id == world["shown"])
                              .values(visible=False))
    run(hide)
    thread = client.get(f"/mijn/vragen/{world['question']}").text
    assert "Bij dit antwoord" not in thread and "Besluit op uw aanvraag" not in thread
    auth.logout()
    auth.login("demo-fatima")
    assert client.get(f"/mijn/vragen/{world['question']}").status_code == 404
