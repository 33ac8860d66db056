"""The audit log says what was looked at: a question's page (citizen's or staff's) names the
question and its dossier, a dossier's page its dossier; a KCC search by BSN or KvK that finds
nobody is logged too, with an HMAC of the number under the secret key, never the number."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import JAN_BSN, Ids, _audits, _ids

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.audit.service import subject_hash
from mijn.dossiers.models import Dossier
from mijn.questions.models import Question
from mijn.settings import Settings

UNKNOWN_BSN = "999990457"  # passes the 11-proef; nobody in the demo has it
UNKNOWN_KVK = "87654321"


async def _question(session: AsyncSession, reference: str) -> tuple[int, int | None]:
    found = (await session.execute(
        select(Question.id, Question.dossier_id).where(Question.reference == reference)
    )).one()
    return found[0], found[1]


async def _dossier_id(session: AsyncSession, reference: str) -> int:
    found = await session.scalar(select(Dossier.id).where(Dossier.reference == reference))
    assert found is not None
    return found


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data, with its references and ids."""
    result: Ids = run(_ids)
    return result


def _context(events: list[AuditEvent]) -> list[tuple[str, int | None, int | None]]:
    return [(e.actor_type, e.question_id, e.dossier_id) for e in events]


def test_a_staff_view_of_a_question_names_the_question_and_its_dossier(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    question_id, dossier_id = run(_question, ids.demo1)
    assert dossier_id is not None  # the demo's first question is about a dossier
    auth.login_staff("demo-agent")
    assert client.get(f"/kcc/vragen/{ids.demo1}").status_code == 200
    assert _context(run(_audits, "kcc.question.view")) == [("staff", question_id, dossier_id)]


def test_a_citizen_view_of_a_question_names_the_question_and_its_dossier(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    question_id, dossier_id = run(_question, ids.demo1)
    auth.login("demo-jan")
    assert client.get(f"/mijn/vragen/{ids.demo1}").status_code == 200
    assert _context(run(_audits, "question.view")) == [("party", question_id, dossier_id)]


def test_a_dossier_view_names_the_dossier(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    auth.login("demo-jan")
    assert client.get("/mijn/dossiers/Z-2026-0001").status_code == 200
    assert _context(run(_audits, "dossier.view")) == [
        ("party", None, run(_dossier_id, "Z-2026-0001"))
    ]


@pytest.mark.parametrize(("kind", "number"), [("bsn", UNKNOWN_BSN), ("kvk", UNKNOWN_KVK)])
def test_a_search_that_finds_nobody_is_audited_without_the_number(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings,
    kind: str, number: str,
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    shown = f"{number[:4]} {number[4:]}"  # as typed, with a space: the compact form counts
    found = client.post("/kcc/klanten", data={
        "identifier_type": kind, "identifier": shown, "csrf_token": token})
    assert found.status_code == 200  # the form again: nobody found
    [miss] = run(_audits, "kcc.party.search_miss")
    assert (miss.actor_type, miss.actor_id, miss.actor_role, miss.party_id) == (
        "staff", str(ids.staff["demo-agent"]), "agent", None)
    key = settings.secret_key.reveal()
    assert miss.subject_hash == subject_hash(key, kind, number)
    assert number not in str(vars(miss)) and number[:6] not in str(vars(miss))


def test_a_search_that_finds_the_party_records_no_miss(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    found = client.post("/kcc/klanten", data={
        "identifier_type": "bsn", "identifier": JAN_BSN, "csrf_token": token})
    assert found.status_code == 303
    assert run(_audits, "kcc.party.search_miss") == []
