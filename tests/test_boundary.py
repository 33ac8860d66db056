"""The web boundary (issue 14, item 5): control characters in an address, a form or an API
payload are refused with a clear 4xx in the visitor's language, nothing is saved, and no
error's message carries the values of a query (they would reach the log)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.answers.models import Answer
from mijn.http.errors import unavailable
from mijn.parties.models import Party

NUL_PAGE = "Tekens die niet kunnen"


@pytest.mark.parametrize("path", [
    "/mijn/dossiers/Z-2026%000001", "/mijn/dossiers?pagina=1%00", "/antwoorden?q=gft%00",
    "/kcc/klanten?zoek=%00", "/antwoorden?q=%1b%5b31m", "/mijn/vragen/V-%0aABC",
])
def test_an_address_with_a_control_character_is_a_clear_400(
    client: TestClient, path: str
) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 400
    assert NUL_PAGE in response.text and "Er is niets opgeslagen." in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_the_400_speaks_english_to_an_english_visitor(client: TestClient) -> None:
    client.cookies.set("mijn_lang", "en")
    response = client.get("/antwoorden?q=%00")
    assert response.status_code == 400
    assert "Characters we cannot accept" in response.text
    assert NUL_PAGE not in response.text


def test_an_api_address_with_a_control_character_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/dossiers/bron%00/Z-1")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_ordinary_addresses_pass(client: TestClient) -> None:
    assert client.get("/antwoorden?q=gft+afval+%C3%A9%E2%82%AC").status_code == 200


def test_an_answer_with_a_nul_byte_shows_the_forms_own_error_and_keeps_the_text(
    client: TestClient, run: Runner, demo: None
) -> None:
    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)

    before = run(count)
    auth = Auth(client)
    auth.login_staff("demo-editor", "/kcc/antwoorden")
    body = "Het afval wordt op dinsdag opgehaald."
    response = client.post("/kcc/antwoorden", data={
        "csrf_token": auth.csrf(), "title": "Afval\x00ophalen", "body": body,
        "audience": "all", "review_by": "2027-01-01", "action": "save"})
    assert response.status_code == 422
    assert "In deze tekst staan tekens die wij niet kunnen bewaren." in response.text
    assert html.escape(body) in response.text
    assert run(count) == before


async def _store_nul(session: AsyncSession) -> DBAPIError | None:
    try:
        await session.execute(text("SELECT CAST(:value AS TEXT)"), {"value": "a\x00b"})
    except DBAPIError as exc:
        return exc
    return None


def test_a_value_the_database_cannot_store_is_a_400_not_a_500(
    client: TestClient, run: Runner, database_url: str
) -> None:
    """The last line of defence: a NUL byte that slipped past every form check reaches
    PostgreSQL, which refuses it; that is bad input (400), not a programming error."""
    error = run(_store_nul)
    if not database_url.startswith("postgresql"):
        assert error is None  # SQLite keeps a NUL byte like any other character
        return
    assert error is not None
    scope = {"type": "http", "method": "POST", "path": "/mijn/vragen/nieuw", "headers": [],
             "query_string": b"", "app": client.app}
    response = run(lambda _session: unavailable(Request(scope), error))
    assert response.status_code == 400


async def _duplicate_bsn(session: AsyncSession) -> str:
    session.add_all([Party(kind="person", identifier_type="bsn", identifier="999993653", name="Geheim Persoon"),
                     Party(kind="person", identifier_type="bsn", identifier="999993653", name="Geheim Persoon")])
    try:
        await session.flush()
    except DBAPIError as exc:
        await session.rollback()
        return str(exc)
    raise AssertionError("a second party with the same BSN was stored")


def test_an_errors_message_never_holds_the_querys_values(run: Runner) -> None:
    message = run(_duplicate_bsn)
    assert "999993653" not in message and "Geheim Persoon" not in message
    assert "parameters hidden" in message
