"""Details of the KCC side found in review: the staff layout on error pages, a question
waiting on the citizen stays in someone's view, reading a question clears its news."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.notifications.models import Notification
from mijn.questions.models import Question


async def _reference(session: AsyncSession, key: str) -> str:
    found = await session.scalar(select(Question.reference).where(Question.submit_key == key))
    assert found is not None
    return str(found)


async def _unread(session: AsyncSession, reference: str) -> int:
    question = await session.scalar(select(Question).where(Question.reference == reference))
    assert question is not None
    rows = await session.scalars(
        select(Notification).where(
            Notification.question_id == question.id, Notification.read_at.is_(None)
        )
    )
    return len(list(rows))


def test_an_error_in_the_kcc_keeps_the_staff_menu(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    answered = run(_reference, "demo-1")  # answered: it cannot be claimed any more
    auth.login_staff("demo-agent")
    response = client.post(
        f"/kcc/vragen/{answered}/claim", headers={"X-CSRF-Token": auth.csrf()}
    )
    assert response.status_code == 409
    assert 'action="/kcc/uitloggen"' in response.text  # logs the staff member out
    assert 'action="/uitloggen"' not in response.text  # not the citizen side
    assert "Misschien was een collega u voor" in response.text
    assert 'href="/kcc"' in response.text


def test_a_question_waiting_on_the_citizen_stays_in_the_specialists_view(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    handed_over = run(_reference, "demo-3")
    auth.login_staff("demo-specialist")
    sent = client.post(
        f"/kcc/vragen/{handed_over}/wait",
        data={"csrf_token": auth.csrf(), "body": "Hoe breed is de dakkapel precies?"},
    )
    assert sent.status_code == 303
    mine = client.get("/kcc?weergave=mine")
    assert handed_over in mine.text and "klok staat stil" in mine.text
    overdue_only = client.get("/kcc?weergave=mine&te_laat=1")
    assert handed_over not in overdue_only.text  # its clock stands still: never late


def test_reading_a_question_clears_its_news(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    answered = run(_reference, "demo-1")
    assert run(_unread, answered) == 1
    auth.login("demo-jan")
    assert client.get(f"/mijn/vragen/{answered}").status_code == 200
    assert run(_unread, answered) == 0
