"""Satisfaction (KTO) over HTTP, on SQLite and PostgreSQL: asked once after the wait on the
question's page (a second tab, a double click: one answer kept), CSRF and another party's
question (404); "niet tevreden" reopens the question into the KCC queue (state, service level
started again, no longer solved at first contact); the e-mail link (a real SMTP server): one
random token kept hashed, no personal data in the e-mail or on the page, no login, works once,
rate limited per client address.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import JAN_DATA, Ids, post, question
from test_kcc_http import ids as ids  # noqa: F401 - the fixture
from test_notifications import SmtpServer, Worker
from test_notifications import mail_settings as mail_settings  # noqa: F401 - fixtures
from test_notifications import smtp as smtp  # noqa: F401
from test_notifications import worker as worker  # noqa: F401

from conftest import BASE_URL, Auth, Runner, steady_clock
from mijn.db import utcnow
from mijn.insight.handling import handling
from mijn.insight.period import Period, month_start
from mijn.notifications.models import Notification
from mijn.parties.models import Party
from mijn.questions.invitations import invite_due, token_hash
from mijn.questions.models import (
    Question,
    QuestionEvent,
    QuestionMessage,
    SatisfactionInvite,
    SatisfactionResponse,
    Topic,
)
from mijn.questions.resolution import first_contact_resolution
from mijn.questions.satisfaction import record
from mijn.settings import Settings
from mijn.workingtime import WorkingCalendar, add_working_time

ASKED = "Hoe tevreden bent u over ons antwoord?"


async def _answered_ago(session: AsyncSession, reference: str, hours: float) -> None:
    at = utcnow() - timedelta(hours=hours)
    await session.execute(update(Question).where(Question.reference == reference)
                          .values(answered_at=at, updated_at=at))


async def _responses(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(select(
        SatisfactionResponse.question_id, SatisfactionResponse.score, SatisfactionResponse.comment,
        SatisfactionResponse.via, SatisfactionResponse.satisfied))
    return [tuple(r) for r in rows]


def responses(run: Runner) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = run(_responses)
    return found


def test_asked_after_the_wait_once_whatever_is_sent_twice(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login("demo-jan")
    page = f"/mijn/vragen/{ids.demo1}"
    assert ASKED not in client.get(page).text  # answered just now: the wait (60 minutes)
    run(_answered_ago, ids.demo1, 2)
    shown = client.get(page).text
    assert ASKED in shown and 'name="score"' in shown
    assert "Uw mening gevraagd" in client.get("/mijn/vragen").text
    token = auth.csrf()
    url = f"{page}/mening"
    missing = post(client, url, {"comment": "Snel antwoord"}, token)
    assert missing.status_code == 422 and "Kies hoe tevreden u bent." in missing.text
    assert "Snel antwoord</textarea>" in missing.text and responses(run) == []
    assert post(client, url, {"score": "4", "comment": "Snel antwoord"}, None).status_code == 403
    first = post(client, url, {"score": "4", "comment": "Snel antwoord"}, token)
    assert first.status_code == 303 and first.headers["location"].endswith("#mening-kop")
    stale = post(client, url, {"score": "1", "comment": "tweede tabblad"}, token)
    assert stale.status_code == 303
    jan_question = question(run, ids.demo1)
    assert responses(run) == [(jan_question.id, 4, "Snel antwoord", "portal", True)]
    after = client.get(page).text
    assert "U vond ons antwoord: tevreden." in after and 'name="score"' not in after
    assert "Vraag opnieuw openen" not in after  # satisfied: nothing to reopen
    assert "Uw mening gevraagd" not in client.get("/mijn/vragen").text


def test_another_party_finds_nothing_and_nothing_is_kept(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    run(_answered_ago, ids.demo1, 2)
    auth.login("demo-fatima")
    token = auth.csrf()
    for action, form in (("mening", {"score": "1"}), ("heropenen", {"reason": "Ik wil meer"})):
        refused = post(client, f"/mijn/vragen/{ids.demo1}/{action}", form, token)
        assert refused.status_code == 404
        assert not any(text in refused.text for text in JAN_DATA)
    assert responses(run) == []
    assert question(run, ids.demo1).state == "answered"


async def _reopen_facts(session: AsyncSession, reference: str) -> dict[str, Any]:
    q = await session.scalar(select(Question).where(Question.reference == reference))
    assert q is not None
    actions = list(await session.scalars(select(QuestionEvent.action).where(
        QuestionEvent.question_id == q.id).order_by(QuestionEvent.id)))
    last = await session.scalar(select(QuestionMessage).where(
        QuestionMessage.question_id == q.id).order_by(QuestionMessage.id.desc()).limit(1))
    topic = await session.get(Topic, q.topic_id)
    assert last is not None and topic is not None
    figures = await handling(session, Period(month_start(utcnow().date())))
    return {"q": q, "actions": actions, "last": (last.kind, last.body),
            "sla_hours": topic.sla_hours, "fcr_yes": figures.fcr_yes,
            "fcr_known": figures.fcr_known}


def test_not_satisfied_reopens_into_the_queue_with_a_new_service_level(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings
) -> None:
    run(_answered_ago, ids.demo1, 2)
    before = run(_reopen_facts, ids.demo1)
    assert before["q"].first_contact_resolution is True and before["fcr_yes"] == 1
    auth.login("demo-jan")
    token = auth.csrf()
    url = f"/mijn/vragen/{ids.demo1}"
    assert post(client, f"{url}/mening", {"score": "2"}, token).status_code == 303
    page = client.get(url).text
    assert "U vond ons antwoord: ontevreden." in page and "Vraag opnieuw openen" in page
    empty = post(client, f"{url}/heropenen", {"reason": "  "}, token)
    assert empty.status_code == 422 and question(run, ids.demo1).state == "answered"
    started = utcnow()
    done = post(client, f"{url}/heropenen", {"reason": "Ik weet nog steeds niet wanneer."}, token)
    assert done.status_code == 303
    after = run(_reopen_facts, ids.demo1)
    q = after["q"]
    assert (q.state, q.assignee_id, q.closed_at, q.first_contact_resolution) == (
        "new", None, None, False)
    calendar: WorkingCalendar = settings.calendar
    low = add_working_time(calendar, started, after["sla_hours"] * 3600)
    high = add_working_time(calendar, utcnow(), after["sla_hours"] * 3600)
    assert q.sla_due_at is not None and low <= q.sla_due_at <= high  # the clock restarted
    assert after["actions"][-1] == "reopen" and first_contact_resolution(after["actions"]) is False
    assert after["last"] == ("citizen", "Ik weet nog steeds niet wanneer.")
    assert (after["fcr_known"], after["fcr_yes"]) == (1, 0)  # the report: not at first contact
    again = post(client, f"{url}/heropenen", {"reason": "Nog een keer"}, token)
    assert again.status_code == 409
    auth.login_staff("demo-agent")
    queue = client.get("/kcc").text
    assert ids.demo1 in queue  # back in the KCC's queue


# --- the e-mail link ---------------------------------------------------------------------------


async def _verify_jan(session: AsyncSession, jan: int) -> None:
    await session.execute(update(Party).where(Party.id == jan).values(
        email="jan@example.org", email_verified_at=utcnow(), notify_by_email=True))


async def _invite(session: AsyncSession, settings: Settings) -> int:
    return await invite_due(session, settings)


async def _survey_rows(session: AsyncSession) -> tuple[list[Any], list[Any]]:
    invites = list(await session.scalars(select(SatisfactionInvite)))
    notes = list(await session.scalars(select(Notification).where(Notification.kind == "survey")))
    return invites, notes


def test_the_email_link_carries_no_personal_data_and_works_once(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, worker: Worker, smtp: SmtpServer,
    settings: Settings,
) -> None:
    run(_verify_jan, ids.jan)
    assert run(_invite, settings) == 0  # answered just now: not yet
    run(_answered_ago, ids.demo1, 2)
    assert run(_invite, settings) == 1
    assert run(_invite, settings) == 0  # one link per question, however often it runs
    worker.deliver()
    mails = [m for m in smtp.to("jan@example.org") if "Wat vond u van ons antwoord?" in m.every_form()]
    assert len(mails) == 1
    text = mails[0].every_form()
    link = re.search(re.escape(BASE_URL) + r"/tevredenheid/([A-Za-z0-9_-]+)", text)
    assert link is not None
    raw = link.group(1)
    for personal in (*JAN_DATA, ids.demo1, "Jan", "subsidie", "isolatie"):
        assert personal not in text and personal not in raw
    invites, notes = run(_survey_rows)
    assert [i.token_hash for i in invites] == [token_hash(raw)] and raw not in invites[0].token_hash
    assert [n.payload for n in notes] == [None]  # the link is not kept once sent
    anonymous = client  # nobody logged in yet
    page = anonymous.get(f"/tevredenheid/{raw}")
    assert page.status_code == 200 and ASKED in page.text
    for personal in (*JAN_DATA, ids.demo1, "isolatie"):
        assert personal not in page.text
    assert "Uitloggen" not in page.text and anonymous.get("/mijn/vragen").status_code == 303
    assert anonymous.get("/tevredenheid/" + "x" * 43).status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"score": "5", "comment": "Duidelijk", "csrf_token": token.group(1)}
    assert anonymous.post(f"/tevredenheid/{raw}", data={"score": "5"}).status_code == 403
    done = anonymous.post(f"/tevredenheid/{raw}", data=form)
    assert done.status_code == 200 and "Dank u wel voor uw mening" in done.text
    assert anonymous.post(f"/tevredenheid/{raw}", data={**form, "score": "1"}).status_code == 410
    assert anonymous.get(f"/tevredenheid/{raw}").status_code == 410
    assert anonymous.get("/mijn/vragen").status_code == 303  # still nobody logged in
    assert responses(run) == [(question(run, ids.demo1).id, 5, "Duidelijk", "email", True)]
    auth.login("demo-jan")
    assert "U vond ons antwoord: zeer tevreden." in client.get(f"/mijn/vragen/{ids.demo1}").text


@pytest.mark.rate_limits
def test_the_link_is_rate_limited_per_client_address(
    client_with: Any, run: Runner
) -> None:
    limited: TestClient = client_with(MIJN_RATE_SATISFACTION_LINKS="3/10m")
    steady_clock(limited)
    answers = [limited.get("/tevredenheid/onbekend").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert "retry-after" in limited.get("/tevredenheid/onbekend").headers




async def _two_at_once(session: AsyncSession, reference: str, sessionmaker: Any) -> list[bool]:
    """Two requests keep an answer for the same question at the same moment (a double
    click): each in its own transaction; one is kept."""
    q = await session.scalar(select(Question).where(Question.reference == reference))
    assert q is not None

    async def one(score: int) -> bool:
        async with sessionmaker() as own:
            mine = await own.get(Question, q.id)
            kept = await record(own, mine, "five", score, "", "portal")
            await asyncio.sleep(0.05)  # both are inside their transaction now
            await own.commit()
            return kept is not None

    return list(await asyncio.gather(one(5), one(1)))


def test_a_double_click_keeps_one_answer(
    client: TestClient, ids: Ids, run: Runner
) -> None:
    kept = run(_two_at_once, ids.demo1, client.app.state.sessionmaker)  # type: ignore[attr-defined]
    assert sorted(kept) == [False, True]
    assert len(responses(run)) == 1
