"""A team lead takes over a question a colleague holds, explicitly: an "Overnemen" button (a
plain form post with the CSRF token, no JavaScript needed) makes the lead its holder, with an
event in the question's history and a row in the audit log. Without taking it over, the lead
cannot reply to or close it; afterwards the former holder cannot."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, _audits, _ids

from conftest import Auth, Runner
from mijn.questions.models import Question, QuestionEvent, QuestionMessage


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data (demo-1 is held by demo-agent), with its references and ids."""
    result: Ids = run(_ids)
    return result


async def _state(session: AsyncSession, reference: str) -> tuple[str, int | None, int, list[str]]:
    question = await session.scalar(select(Question).where(Question.reference == reference))
    assert question is not None
    replies = await session.scalars(select(QuestionMessage.body).where(
        QuestionMessage.question_id == question.id, QuestionMessage.kind == "reply"))
    return question.state, question.assignee_id, question.id, list(replies)


async def _events(session: AsyncSession, question_id: int) -> list[tuple[str, int, str | None,
                                                                         int | None]]:
    found = await session.scalars(select(QuestionEvent).where(
        QuestionEvent.question_id == question_id).order_by(QuestionEvent.id))
    return [(e.action, e.actor_id, e.actor_role, e.target_staff_id) for e in found]


def _forms(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', page)


def test_the_lead_takes_over_and_then_answers(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    agent, lead = ids.staff["demo-agent"], ids.staff["demo-lead"]
    state, holder, question_id, replies = run(_state, ids.demo1)
    assert holder == agent
    auth.login_staff("demo-lead")
    page = client.get(f"/kcc/vragen/{ids.demo1}").text
    url = f"/kcc/vragen/{ids.demo1}/take_over"
    assert url in _forms(page) and "Overnemen" in page
    assert f"/kcc/vragen/{ids.demo1}/reply" not in page  # no reply form, no close button
    assert f"/kcc/vragen/{ids.demo1}/close" not in _forms(page)
    token = auth.csrf()

    # Without taking it over, the lead cannot answer a colleague's question.
    refused = client.post(f"/kcc/vragen/{ids.demo1}/reply",
                          data={"body": "Zonder overnemen", "csrf_token": token})
    assert refused.status_code == 409
    assert client.post(f"/kcc/vragen/{ids.demo1}/close",
                       data={"csrf_token": token}).status_code == 409
    assert run(_state, ids.demo1) == (state, agent, question_id, replies)

    taken = client.post(url, data={"csrf_token": token})
    assert taken.status_code == 303
    assert run(_state, ids.demo1)[:2] == (state, lead)
    assert run(_events, question_id)[-1] == ("take_over", lead, "agent", agent)
    [audited] = run(_audits, "kcc.question.take_over")
    assert (audited.actor_id, audited.question_id) == (str(lead), question_id)
    page = client.get(f"/kcc/vragen/{ids.demo1}").text
    assert "overgenomen van" in page and url not in _forms(page)

    answered = client.post(f"/kcc/vragen/{ids.demo1}/reply",
                           data={"body": "Na het overnemen", "csrf_token": token})
    assert answered.status_code == 303
    assert run(_state, ids.demo1)[3] == [*replies, "Na het overnemen"]

    # The former holder is no longer the one to answer it.
    auth.login_staff("demo-agent")
    refused = client.post(f"/kcc/vragen/{ids.demo1}/close", data={"csrf_token": auth.csrf()})
    assert refused.status_code == 409


def test_only_a_lead_takes_over(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    before = run(_state, ids.demo1)
    events = run(_events, before[2])
    auth.login_staff("demo-agent")  # the holder: nothing to take over
    page = client.get(f"/kcc/vragen/{ids.demo1}").text
    assert "Overnemen" not in page
    assert client.post(f"/kcc/vragen/{ids.demo1}/take_over",
                       data={"csrf_token": auth.csrf()}).status_code == 409
    auth.login_staff("demo-specialist")  # cannot see it at all
    assert client.post(f"/kcc/vragen/{ids.demo1}/take_over",
                       data={"csrf_token": auth.csrf()}).status_code == 404
    assert run(_state, ids.demo1) == before and run(_events, before[2]) == events
    assert run(_audits, "kcc.question.take_over") == []


def test_taking_over_needs_the_form_token(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    before = run(_state, ids.demo1)
    auth.login_staff("demo-lead")
    assert client.post(f"/kcc/vragen/{ids.demo1}/take_over").status_code == 403
    assert run(_state, ids.demo1) == before


def test_nothing_to_take_over_when_nobody_holds_it(
    client: TestClient, auth: Auth, ids: Ids, run: Runner,
) -> None:
    auth.login_staff("demo-lead")
    page = client.get(f"/kcc/vragen/{ids.demo2}").text  # new: in the queue
    assert f"/kcc/vragen/{ids.demo2}/take_over" not in _forms(page)
    assert client.post(f"/kcc/vragen/{ids.demo2}/take_over",
                       data={"csrf_token": auth.csrf()}).status_code == 409
