"""Tasks in the background: reminders of a deadline through the outbox (a controlled clock,
a real SMTP server), and a completion pushed to the back-office's webhook (a real local HTTP
server that checks the HMAC-SHA256 signature): retried with back-off, sent once, dead after
its tries and shown on the KCC's deliveries page, where it is put back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_notifications import SmtpServer

from conftest import Auth, Runner, form_fields
from mijn.dev.personas import CITIZENS
from mijn.envvalues import ConfigurationError
from mijn.intake.service import create_api_client
from mijn.notifications.delivery import deliver_due
from mijn.notifications.mail import SmtpMailer
from mijn.notifications.models import Notification
from mijn.parties.models import Party
from mijn.settings import Settings
from mijn.tasks.models import Task
from mijn.tasks.reminders import remind_due
from mijn.tasks.service import TaskInput, put_task
from mijn.tasks.webhook import push_due
from mijn.tasksettings import task_settings
from mijn.worker import run_worker

T = TypeVar("T")
JAN = CITIZENS[0].bsn
SECRET = "webhook-secret-for-the-tests-0123456789abcdef"
DEADLINE = date(2027, 3, 10)


def _at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def _jan_task(session: AsyncSession, external_id: str, deadline: date) -> Task:
    task, _created = await put_task(session, TaskInput(
        "gemeente", external_id, ("bsn", JAN), "confirm", "Bevestig uw adres", deadline))
    task.created_at = _at(deadline - timedelta(days=20))
    party = await session.get(Party, task.party_id)
    assert party is not None
    party.email, party.email_verified_at, party.notify_by_email = "jan@example.nl", _at(
        deadline - timedelta(days=30)), True
    await session.flush()
    return task


def test_reminders_before_and_on_the_day_once_each(
    client: TestClient, run: Runner, settings: Settings, auth: Auth
) -> None:
    run(_jan_task, "r-1", DEADLINE)
    run(_jan_task, "r-late", DEADLINE + timedelta(days=1))

    async def remind(session: AsyncSession, day: date) -> int:
        return await remind_due(session, 3, _at(day))

    assert run(remind, DEADLINE - timedelta(days=4)) == 0
    assert run(remind, DEADLINE - timedelta(days=3)) == 1  # r-1, three days before
    assert run(remind, DEADLINE - timedelta(days=3)) == 0  # once (also with more workers)
    assert run(remind, DEADLINE - timedelta(days=2)) == 1  # r-late, three days before
    assert run(remind, DEADLINE - timedelta(days=1)) == 0
    assert run(remind, DEADLINE) == 1  # r-1, on the day
    assert run(remind, DEADLINE) == 0

    async def move_and_finish(session: AsyncSession) -> None:
        await put_task(session, TaskInput("gemeente", "r-1", ("bsn", JAN), "confirm",
                                          "Bevestig uw adres", DEADLINE + timedelta(days=7)))
        await session.execute(update(Task).where(Task.external_id == "r-late")
                              .values(status="done"))

    run(move_and_finish)  # a new deadline is reminded of anew; a done task no more
    assert run(remind, DEADLINE + timedelta(days=1)) == 0
    assert run(remind, DEADLINE + timedelta(days=4)) == 1

    async def outbox(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(select(Notification.kind, Notification.bundle_key))
        return sorted((kind, key.split(":")[0]) for kind, key in rows.all())

    assert run(outbox) == [("task", "task")] * 4
    auth.login("demo-jan")
    inbox = client.get("/mijn/berichten").text
    assert inbox.count("Herinnering: er staat een taak voor u klaar.") == 4


def test_a_reminder_mail_has_no_personal_data(
    client: TestClient, run: Runner, settings: Settings, app: Any
) -> None:
    smtp = SmtpServer()
    smtp.start()
    try:
        run(_jan_task, "r-mail", DEADLINE)
        run(lambda session: remind_due(session, 3, _at(DEADLINE)))
        assert client.portal is not None
        report = client.portal.call(partial(
            deliver_due, app.state.sessionmaker, SmtpMailer(smtp.url, timeout=5.0), settings,
            now=_at(DEADLINE, 9)))
        assert report.sent == 1 and report.emails == 1
        mail = smtp.to("jan@example.nl")[0]
        text = mail.body("plain") + mail.body("html") + str(mail.message["Subject"])
        assert "Er staat nog iets voor u klaar" in text and "/mijn/dossiers" in text
        for personal in ("Bevestig uw adres", JAN, "Jan", "2027", "10 maart"):
            assert personal not in mail.every_form(), personal
    finally:
        smtp.stop()


# --- the webhook -----------------------------------------------------------------------------


class Receiver:
    """A back-office's webhook on 127.0.0.1: checks every request's signature (401 when it
    is wrong or older than five minutes) and answers with the next of `answers` (then 200)."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[dict[str, Any]] = []
        self.deliveries: list[str] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-Mijn-Timestamp"]
                wanted = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body,
                                              hashlib.sha256).hexdigest()
                if not hmac.compare_digest(wanted, self.headers["X-Mijn-Signature"]):
                    receiver.refused += 1
                    status = 401
                else:
                    receiver.received.append(json.loads(body))
                    receiver.deliveries.append(self.headers["X-Mijn-Delivery"])
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/mijn-taken"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def _call(client: TestClient, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    async def call() -> T:
        async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            result = await fn(session, *args)
            await session.commit()
            return result
    assert client.portal is not None
    return client.portal.call(call)


def _push(client: TestClient, now: datetime) -> tuple[int, int, int]:
    app = client.app

    async def push() -> tuple[int, int, int]:
        async with httpx.AsyncClient() as http:
            report = await push_due(app.state.sessionmaker,  # type: ignore[attr-defined]
                                    app.state.settings.tasks, http, now=now)  # type: ignore[attr-defined]
        return report.sent, report.retried, report.failed
    assert client.portal is not None
    return client.portal.call(push)


def _complete(client: TestClient, external_ids: list[str]) -> None:
    """Jan confirms his tasks in the portal (the tasks registered through the API)."""
    from mijn.dev.demo import seed_demo

    settings = client.app.state.settings  # type: ignore[attr-defined]
    _call(client, seed_demo, None, settings)
    token = _call(client, create_api_client, "gemeente", "gemeente", ["dossiers"])[1]
    for external_id in external_ids:
        assert client.put(f"/api/v1/tasks/gemeente/{external_id}", headers={
            "Authorization": f"Bearer {token}"}, json={
            "party": {"type": "bsn", "id": JAN}, "kind": "confirm", "title": "Bevestig",
            "deadline": "2027-01-01"}).status_code == 201
    auth = Auth(client)
    auth.login("demo-jan")
    for external_id in external_ids:
        task_id = _call(client, lambda s, e=external_id: s.scalar(
            select(Task.id).where(Task.external_id == e)))
        page = client.get(f"/mijn/taken/{task_id}").text
        assert client.post(f"/mijn/taken/{task_id}", data=form_fields(page)).status_code == 303
    auth.logout()


def test_a_completion_is_pushed_signed_retried_and_sent_once(
    client_with: Callable[..., TestClient], receiver: Receiver
) -> None:
    client = client_with(MIJN_TASK_WEBHOOK_URL=receiver.url, MIJN_TASK_WEBHOOK_SECRET=SECRET)
    _complete(client, ["w-1"])
    receiver.answers = [503]
    now = datetime.now(UTC)
    assert _push(client, now) == (0, 1, 0)  # the back-office is busy: retried later
    assert _push(client, now + timedelta(seconds=10)) == (0, 0, 0)  # not yet
    assert _push(client, now + timedelta(seconds=31)) == (1, 0, 0)
    assert _push(client, now + timedelta(hours=2)) == (0, 0, 0)  # once
    assert receiver.refused == 0 and len(receiver.received) == 2
    assert receiver.deliveries[0] == receiver.deliveries[1] == "gemeente:w-1:2"
    task = receiver.received[1]["task"]
    assert receiver.received[1]["event"] == "task.completed"
    assert task["status"] == "done" and task["completed_by"]["type"] == "party"


def test_a_push_that_keeps_failing_is_dead_and_put_back_by_the_kcc(
    client_with: Callable[..., TestClient], receiver: Receiver
) -> None:
    client = client_with(MIJN_TASK_WEBHOOK_URL=receiver.url, MIJN_TASK_WEBHOOK_SECRET=SECRET,
                         MIJN_TASK_WEBHOOK_MAX_ATTEMPTS="2")
    _complete(client, ["w-dead", "w-refused"])
    receiver.answers = [500, 400, 500]  # w-dead: 500 twice; w-refused: 400 (permanent)
    now = datetime.now(UTC)
    assert _push(client, now) == (0, 1, 1)
    assert _push(client, now + timedelta(minutes=5)) == (0, 0, 1)
    assert _push(client, now + timedelta(hours=5)) == (0, 0, 0)
    auth = Auth(client)
    auth.login_staff("demo-agent")
    page = client.get("/kcc/meldingen").text
    assert "Mislukte meldingen van gedane taken" in page and "HTTPStatusError" in page
    dead = _call(client, lambda s: s.scalar(select(Task.id).where(Task.external_id == "w-dead")))
    again = client.post(f"/kcc/meldingen/taak/{dead}/opnieuw",
                        data={"csrf_token": form_fields(page)["csrf_token"]})
    assert again.status_code == 303
    assert client.post(f"/kcc/meldingen/taak/{dead}/opnieuw", data={
        "csrf_token": form_fields(page)["csrf_token"]}).status_code == 404  # not dead now
    assert _push(client, now + timedelta(hours=6)) == (1, 0, 0)
    assert receiver.refused == 0 and receiver.deliveries.count("gemeente:w-dead:2") == 3


def test_the_worker_reminds_pushes_and_the_kcc_sees_overdue_tasks(
    client_with: Callable[..., TestClient], receiver: Receiver
) -> None:
    smtp = SmtpServer()
    smtp.start()
    try:
        client = client_with(MIJN_TASK_WEBHOOK_URL=receiver.url, MIJN_TASK_WEBHOOK_SECRET=SECRET,
                             MIJN_SMTP_URL=smtp.url)
        _complete(client, ["w-done"])
        _call(client, _jan_task, "w-today", date.today())
        _call(client, _jan_task, "w-late", date.today() - timedelta(days=1))
        settings = client.app.state.settings  # type: ignore[attr-defined]
        assert client.portal is not None
        client.portal.call(partial(run_worker, settings, once=True, interval=0.05))
        assert [r["task"]["external_id"] for r in receiver.received] == ["w-done"]
        reminders = [m for m in smtp.to("jan@example.nl")
                     if "Er staat nog iets voor u klaar" in str(m.message["Subject"])]
        assert len(reminders) == 1  # on the day of w-today; none after w-late's deadline
        auth = Auth(client)
        auth.login_staff("demo-agent")
        jan = _call(client, lambda s: s.scalar(select(Task.party_id).where(
            Task.external_id == "w-late")))
        picture = client.get(f"/kcc/klanten/{jan}").text
        assert "Te doen voor de klant" in picture and picture.count("Te laat") == 1
        assert "Herinnering aan een taak" in picture  # the reminder among the messages
    finally:
        smtp.stop()


@pytest.mark.parametrize("env, wrong", [
    ({"MIJN_TASK_REMIND_DAYS": "61"}, "MIJN_TASK_REMIND_DAYS"),
    ({"MIJN_TASK_WEBHOOK_URL": "ftp://x"}, "MIJN_TASK_WEBHOOK_URL"),
    ({"MIJN_TASK_WEBHOOK_URL": "https://x.example.nl/hook"}, "MIJN_TASK_WEBHOOK_SECRET"),
    ({"MIJN_TASK_WEBHOOK_MAX_ATTEMPTS": "0"}, "MIJN_TASK_WEBHOOK_MAX_ATTEMPTS"),
    ({"MIJN_ENV": "production", "MIJN_TASK_WEBHOOK_URL": "http://x.example.nl/hook",
      "MIJN_TASK_WEBHOOK_SECRET": SECRET}, "MIJN_TASK_WEBHOOK_URL"),
])
def test_task_settings_name_what_is_wrong(env: dict[str, str], wrong: str) -> None:
    with pytest.raises(ConfigurationError, match=wrong):
        task_settings(env)
    assert task_settings({}).remind_days == 3 and not task_settings({}).webhook_url
