"""Notifications with a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

- delivery: a status change (API or service), a reply, a handover -> one e-mail to the
  verified address, in the party's language, text and HTML, with a link to the inbox;
- the e-mail tells nothing personal: no BSN, name, dossier title or reference, question text;
- no verified address, or portal only: no e-mail ("skipped"), the inbox has it;
- an SMTP server that is down loses nothing: back-off, delivery when it is back, "dead"
  after MAX_ATTEMPTS (visible to staff);
- a rolled-back change writes nothing and sends nothing;
- bundling: one e-mail per party and dossier per window, covering what happened in it;
- address verification through a signed link: tampered, someone else's, expired and used
  links are refused and change nothing;
- the inbox and its unread count; another citizen never sees them; logs carry no address.

Time moves through `deliver_due(now=...)`; the SMTP server is stopped and started to
simulate an outage.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import socket
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from anyio.from_thread import BlockingPortal
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient
from stdnum.nl import bsn as nl_bsn

from conftest import BASE_URL, Auth, Runner, form_fields, make_settings, steady_clock
from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.dossiers.changes import (
    StatusSpec,
    create_dossier,
    ensure_dossier_type,
    record_status,
    status_type,
)
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.intake.service import create_api_client
from mijn.notifications import service
from mijn.notifications.delivery import (
    LAST_RETRY,
    MAX_ATTEMPTS,
    DeliveryReport,
    deliver_due,
    retry_delay,
)
from mijn.notifications.mail import MailError, SmtpMailer, compose_news
from mijn.notifications.models import Notification, NotificationThrottle
from mijn.notifications.service import VERIFY_MAX_AGE, notify
from mijn.parties.models import Party
from mijn.parties.service import find_party, get_or_create_party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.callbacks import suggest_window
from mijn.questions.common import list_topics
from mijn.questions.contacts import Callback, request_callback
from mijn.questions.workflow import Handover, add_note, ask_citizen, claim, hand_over, reply
from mijn.retry import DEAD
from mijn.settings import Settings
from mijn.staff.service import ensure_team, record_login
from mijn.worker import main as worker_main
from mijn.worker import run_worker

JAN, FATIMA = "999990019", "999990020"
SENDER = "Gemeente Voorbeeld <berichten@voorbeeld.example>"
INBOX_URL = f"{BASE_URL}/mijn/berichten"
LINK = re.compile(re.escape(f"{BASE_URL}/mijn/instellingen/bevestigen/") + r"[A-Za-z0-9_.\-]+")
LINK_REFUSED = "Deze link werkt niet."
STATUSES = ("ontvangen", "ingepland", "opgelost")


# --- the SMTP server ---------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def body(self, subtype: str) -> str:
        """The decoded text/plain or text/html part."""
        part = self.message.get_body((subtype,))
        assert part is not None, f"no text/{subtype} part in:\n{self.raw.decode(errors='replace')}"
        assert part.get_content_type() == f"text/{subtype}"
        return str(part.get_content())

    def every_form(self) -> str:
        """The raw bytes, the bytes without soft line breaks, the decoded headers and parts:
        a detail cannot hide in an encoding."""
        raw = self.raw.decode("utf-8", errors="replace")
        unfolded = re.sub(r"=\r?\n", "", raw)
        headers = "\n".join(f"{k}: {v}" for k, v in self.message.items())
        return "\n".join([raw, unfolded, headers, self.body("plain"), self.body("html")])


class Collector:
    """aiosmtpd handler: keeps every message; refuses the recipients in `refuse` with a
    reply that quotes the address (as real servers do)."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refuse: set[str] = set()
        self.refuse_reply = "550 5.1.1"  # permanent; "450 4.2.0" for a temporary refusal
        self.delay = 0.0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"{self.refuse_reply} <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        self.mails.append(
            Mail(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again (an outage);
    with `login`, it requires AUTH with that user and password."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller: Controller | None = None
        self.login = login

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            (data.login.decode(), data.password.decode()) == self.login
        )
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535

    def start(self) -> None:
        assert self.controller is None
        auth: dict[str, Any] = {}
        if self.login:
            auth = {"authenticator": self._authenticate, "auth_required": True,
                    "auth_require_tls": False}
        self.controller = Controller(
            self.collector, hostname="127.0.0.1", port=self.port, server_hostname="localhost",
            **auth,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # really down
            assert sock.connect_ex(("127.0.0.1", self.port)) != 0

    @property
    def mails(self) -> list[Mail]:
        return list(self.collector.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.collector.mails if address in m.recipients]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server that collects what it receives; stopped after the test."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- delivery and data helpers -------------------------------------------------------------


@pytest.fixture
def mail_settings(database_url: str, data_dir: Path, smtp: SmtpServer) -> Settings:
    """The settings a worker runs with: this SMTP server and sender."""
    return make_settings(database_url, data_dir, MIJN_SMTP_URL=smtp.url, MIJN_MAIL_FROM=SENDER)


def on_app_loop(client: TestClient) -> BlockingPortal:
    """The test client's event loop (the app's), to run coroutines on."""
    assert client.portal is not None, "use the client as a context manager"
    return client.portal


@dataclass
class Worker:
    """Runs delivery rounds on the app's loop and database, as `mijn worker` would."""

    client: TestClient
    app: Starlette
    settings: Settings
    smtp: SmtpServer

    def deliver(self, now: datetime | None = None, batch: int = 200) -> DeliveryReport:
        mailer = SmtpMailer(self.smtp.url, timeout=5.0)
        sessions = self.app.state.sessionmaker
        return on_app_loop(self.client).call(
            partial(deliver_due, sessions, mailer, self.settings, batch=batch, now=now)
        )


@pytest.fixture
def worker(client: TestClient, app: Starlette, mail_settings: Settings,
           smtp: SmtpServer) -> Worker:
    return Worker(client, app, mail_settings, smtp)


def valid_bsns(count: int, start: int = 123_456_000) -> list[str]:
    """BSNs that pass the 11-proef (not the demo ones)."""
    found: list[str] = []
    number = start
    while len(found) < count:
        candidate = f"{number:09d}"
        if nl_bsn.is_valid(candidate) and candidate not in (JAN, FATIMA):
            found.append(candidate)
        number += 1
    return found


async def seed_type(session: AsyncSession) -> int:
    """A report type with three statuses."""
    specs = [
        StatusSpec(code, code.title(), code.title(), f"Tekst {code}.", f"Text {code}.",
                   code == STATUSES[-1])
        for code in STATUSES
    ]
    dossier_type = await ensure_dossier_type(
        session, "testmelding", "report", "Testmelding", "Test report", specs
    )
    return dossier_type.id


async def seed_party(
    session: AsyncSession, bsn: str, name: str, email: str | None = None, *,
    verified: bool = True, language: str = "nl", by_email: bool = True,
) -> int:
    """A party with (by default) a verified address."""
    party = await get_or_create_party(session, "bsn", bsn, name)
    party.language = language
    party.notify_by_email = by_email
    party.email = email
    party.email_verified_at = utcnow() if email and verified else None
    await session.flush()
    return party.id


async def seed_dossier(session: AsyncSession, party_id: int, reference: str, title: str) -> int:
    dossier_type = await session.get_one(DossierType, await seed_type(session))
    dossier = await create_dossier(
        session, reference=reference, party_id=party_id, dossier_type=dossier_type,
        title=title, channel="web", department="Wegen", opened_on=utcnow().date(),
    )
    return dossier.id


async def change_status(session: AsyncSession, dossier_id: int, code: str = "ingepland") -> None:
    """A status becomes current (the service writes the notification)."""
    dossier = await session.get_one(Dossier, dossier_id)
    status = await status_type(session, dossier.dossier_type_id, code)
    await record_status(session, dossier, status, utcnow(), explanation=f"Nu {code}.")


async def notifications(session: AsyncSession, party_id: int | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if party_id is not None:
        query = query.where(Notification.party_id == party_id)
    return list(await session.scalars(query))


async def get_party(session: AsyncSession, party_id: int) -> Party:
    party = await session.get_one(Party, party_id)
    await session.refresh(party)
    return party


async def party_id_of(session: AsyncSession, bsn: str) -> int:
    party = await find_party(session, "bsn", bsn)
    assert party is not None
    return party.id


def later(seconds: float = 1.0) -> datetime:
    """A moment just after everything written so far (rows are due at their creation)."""
    return utcnow() + timedelta(seconds=seconds)


def assert_news(mail: Mail, address: str, lang: str = "nl") -> None:
    """One "there is news" e-mail to `address`, in `lang`, with text and HTML and the link."""
    message = mail.message
    assert mail.recipients == (address,)
    assert message["To"] == address
    assert message["From"] == SENDER
    assert message.get_content_type() == "multipart/alternative"
    text, html = mail.body("plain"), mail.body("html")
    if lang == "en":
        assert message["Subject"] == "There is news for you in My Voorbeeld Municipality"
        assert "Log in to read it." in text and "Go to your messages" in html
        assert "Er is nieuws" not in text
    else:
        assert message["Subject"] == "Er is nieuws voor u in Mijn Gemeente Voorbeeld"
        assert "Log in om het te lezen." in text and "Naar uw berichten" in html
        assert "There is news" not in text
    assert INBOX_URL in text
    assert f'href="{INBOX_URL}"' in html


def assert_tells_nothing(mail: Mail, *secrets: str) -> None:
    """None of the personal or case details in any form of the message."""
    everything = mail.every_form()
    for secret in secrets:
        assert secret not in everything, f"{secret!r} in the e-mail:\n{everything}"
        assert secret.encode() not in mail.raw


# --- delivery --------------------------------------------------------------------------------

MELDING_TYPE = {
    "kind": "report", "name_nl": "Melding openbare ruimte", "name_en": "Public space report",
    "statuses": [
        {"code": code, "label_nl": code.title(), "text_nl": f"Tekst {code}.",
         "is_final": code == STATUSES[-1]}
        for code in STATUSES
    ],
}


@pytest.fixture
def api(client: TestClient, run: Runner) -> Callable[..., Any]:
    """Calls to the intake API as a back-office system, with a dossier type in place."""

    async def token(session: AsyncSession) -> str:
        _client, value = await create_api_client(
            session, "meldingen", "gemeente", ["dossiers", "catalogue"]
        )
        return value

    headers = {"Authorization": f"Bearer {run(token)}"}

    def call(method: str, path: str, body: dict[str, Any]) -> Any:
        return client.request(method, path, headers=headers, json=body)

    assert call("PUT", "/api/v1/dossier-types/melding", MELDING_TYPE).status_code == 204
    return call


def test_a_status_change_through_the_api_sends_one_email_in_dutch(
    api: Callable[..., Any], run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    dossier = {
        "party": {"type": "bsn", "id": JAN}, "dossier_type": "melding",
        "title": "Losse stoeptegel Dorpsstraat", "channel": "phone", "department": "Wegen",
        "opened_on": "2026-03-01", "reference": "M-STOEP-1",
    }
    assert api("PUT", "/api/v1/dossiers/gemeente/42", dossier).status_code == 201
    jan = run(party_id_of, JAN)
    run(lambda s: seed_party(s, JAN, "Jan Jansen", "jan@example.org"))
    event = {"event_id": "e1", "status": "ingepland", "occurred_at": "2026-03-02T10:00:00+01:00",
             "explanation": "Een ploeg komt op dinsdag."}
    assert api("POST", "/api/v1/dossiers/gemeente/42/statuses", event).status_code == 201

    # The outbox row was committed with the status: nothing can lose it now.
    [row] = run(notifications, jan)
    assert (row.kind, row.email_state, row.attempts) == ("status", "pending", 0)
    assert smtp.mails == []

    report = worker.deliver()
    assert (report.sent, report.emails) == (1, 1)
    [mail] = smtp.mails
    assert_news(mail, "jan@example.org", "nl")
    assert_tells_nothing(mail, JAN, "Jansen", "Losse stoeptegel", "Dorpsstraat", "M-STOEP-1",
                         "Een ploeg komt", "ploeg")
    [row] = run(notifications, jan)
    assert row.email_state == "sent" and row.sent_at is not None and row.last_error == ""

    assert worker.deliver(later(3600)).handled == 0  # sent once
    assert len(smtp.mails) == 1


def test_a_repeated_or_late_status_event_is_no_news(
    api: Callable[..., Any], run: Runner
) -> None:
    body = {"party": {"type": "bsn", "id": JAN}, "dossier_type": "melding", "title": "Tegel",
            "channel": "web", "department": "Wegen", "opened_on": "2026-03-01"}
    api("PUT", "/api/v1/dossiers/gemeente/43", body)
    url = "/api/v1/dossiers/gemeente/43/statuses"
    late = {"event_id": "e2", "status": "ingepland", "occurred_at": "2026-03-05T10:00:00+01:00"}
    early = {"event_id": "e1", "status": "ontvangen", "occurred_at": "2026-03-02T10:00:00+01:00"}
    assert api("POST", url, late).status_code == 201
    assert api("POST", url, late).status_code == 200  # the same event again
    assert api("POST", url, early).status_code == 201  # an older event, arriving late
    jan = run(party_id_of, JAN)
    assert [n.kind for n in run(notifications, jan)] == ["status"]


def test_a_status_change_for_an_english_speaking_party_is_in_english(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    [bsn] = valid_bsns(1)

    async def seed(session: AsyncSession) -> int:
        party = await seed_party(session, bsn, "Olivia Brightwater", "olivia@example.org",
                                 language="en")
        return await seed_dossier(session, party, "Z-OLIVIA-3", "Parking permit Canal Street")

    dossier = run(seed)
    run(change_status, dossier)
    assert worker.deliver().emails == 1
    [mail] = smtp.mails
    assert_news(mail, "olivia@example.org", "en")
    assert_tells_nothing(mail, bsn, "Olivia", "Brightwater", "Parking permit", "Canal Street",
                         "Z-OLIVIA-3")


def test_replies_and_handovers_are_news_but_the_email_quotes_nothing(
    run: Runner, worker: Worker, smtp: SmtpServer, settings: Settings
) -> None:
    [bsn] = valid_bsns(1)
    secret_question = "Mijn buurman Hendrik Oosterhout bouwt zonder vergunning een schuur"
    secret_reply = "Wij sturen een toezichthouder naar de Lindelaan"
    secret_wait = "Stuurt u ons een foto van de schutting"
    secret_handover = "Burenruzie over erfgrens, vraagt om handhaving"

    async def seed(session: AsyncSession) -> dict[str, Any]:
        party = await seed_party(session, bsn, "Wilhelmina Zonneveld", "wil@example.org")
        dossier = await seed_dossier(session, party, "Z-ZONNE-77", "Dakkapel Kerkstraat 12")
        member = await record_login(session, "test|agent-n", "Agent Noor", ("agent",), ())
        agent = Staff(member.id, ("agent",))
        team = await ensure_team(session, "handhaving", "Handhaving")
        topic = (await list_topics(session))[0]
        asked = []
        for body, about in [(secret_question, None), (secret_question + " (2)", dossier),
                            (secret_question + " (3)", None)]:
            question, _created = await ask(
                session, NewQuestion(party, topic.id, body, about), settings.calendar
            )
            await claim(session, question, agent)
            asked.append(question)
        await reply(session, asked[0], agent, secret_reply)
        await add_note(session, asked[0], agent, "Intern: lastige klant")  # not news
        await hand_over(session, asked[1], agent, Handover(team.id, None, "Wilhelmina",
                                                           secret_handover))
        await ask_citizen(session, asked[2], agent, secret_wait, settings.calendar)
        soon, later = suggest_window(settings.calendar, utcnow())
        await request_callback(session, agent, Callback(  # a callback request is no news
            party, topic.id, "0612345678", soon, later,
            Handover(team.id, None, "Wilhelmina", "Belt terug over de schuur"),
        ), settings.calendar)
        return {"party": party, "dossier": dossier,
                "questions": [(q.id, q.reference) for q in asked]}

    seeded = run(seed)
    rows = run(notifications, seeded["party"])
    [(q1, ref1), (q2, ref2), (q3, ref3)] = seeded["questions"]
    assert [(n.kind, n.question_id, n.dossier_id, n.bundle_key) for n in rows] == [
        ("reply", q1, None, f"question:{q1}"),
        ("handover", q2, seeded["dossier"], f"dossier:{seeded['dossier']}"),
        ("reply", q3, None, f"question:{q3}"),
    ]

    assert worker.deliver().emails == 3  # three subjects: three e-mails
    assert len(smtp.mails) == 3
    for mail in smtp.mails:
        assert_news(mail, "wil@example.org")
        assert_tells_nothing(
            mail, bsn, "Wilhelmina", "Zonneveld", "Dakkapel", "Kerkstraat", "Z-ZONNE-77",
            ref1, ref2, ref3, "Hendrik", "Oosterhout", "schuur", "toezichthouder",
            "Lindelaan", "schutting", "Burenruzie", "erfgrens", "lastige", "0612345678",
        )


@pytest.mark.parametrize(
    ("email", "verified", "by_email", "why"),
    [
        ("nog-niet@example.org", False, True, "an address that is not verified"),
        (None, False, True, "no address at all"),
        ("alleen-mijn@example.org", True, False, "portal only"),
    ],
)
def test_without_a_verified_address_or_by_choice_no_email_but_the_inbox_has_it(
    run: Runner, worker: Worker, smtp: SmtpServer, email: str | None, verified: bool,
    by_email: bool, why: str,
) -> None:
    [bsn] = valid_bsns(1)

    async def seed(session: AsyncSession) -> tuple[int, int]:
        party = await seed_party(session, bsn, "Kees Kruimel", email, verified=verified,
                                 by_email=by_email)
        if email and not verified:  # what save_preferences leaves behind before the link
            (await session.get_one(Party, party)).pending_email = email
        return party, await seed_dossier(session, party, "Z-KEES-1", "Boom omgevallen")

    party, dossier = run(seed)
    run(change_status, dossier)
    report = worker.deliver()
    assert (report.skipped, report.emails) == (1, 0), why
    assert smtp.mails == [], why
    [row] = run(notifications, party)
    assert row.email_state == "skipped" and row.sent_at is None, why
    assert [n.id for n in run(lambda s: service.inbox(s, party))] == [row.id]
    assert run(lambda s: service.unread_count(s, party)) == 1
    assert worker.deliver(later(3600)).handled == 0  # skipped stays skipped, even later


# --- an SMTP server that is down -------------------------------------------------------------


def seed_verified(run: Runner, email: str = "piet@example.org") -> tuple[int, int]:
    [bsn] = valid_bsns(1)

    async def seed(session: AsyncSession) -> tuple[int, int]:
        party = await seed_party(session, bsn, "Piet Paaltjens", email)
        return party, await seed_dossier(session, party, "Z-PIET-1", "Lantaarnpaal kapot")

    result: tuple[int, int] = run(seed)
    return result


def test_a_refused_recipient_does_not_stop_the_others_in_its_round(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    first, second = valid_bsns(2, start=123_457_000)

    async def seed(session: AsyncSession) -> list[int]:
        dossiers = []
        for n, (bsn, email) in enumerate(((first, "weg@example.org"), (second, "er@example.org"))):
            party = await seed_party(session, bsn, f"Persoon {n}", email)
            dossiers.append(await seed_dossier(session, party, f"Z-RONDE-{n}", "Tegel"))
        return dossiers

    dossiers = run(seed)
    smtp.collector.refuse.add("weg@example.org")  # the first group in the round is refused
    for dossier in dossiers:
        run(change_status, dossier)
    report = worker.deliver(later())
    assert (report.failed, report.sent, report.emails) == (1, 1, 1)
    assert len(smtp.to("er@example.org")) == 1  # the connection went on after the refusal


def test_a_server_that_is_down_loses_nothing_and_gets_it_when_back(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    party, dossier = seed_verified(run)
    smtp.stop()
    run(change_status, dossier)
    now = later()

    report = worker.deliver(now)
    assert (report.retried, report.sent, report.failed) == (1, 0, 0)
    [row] = run(notifications, party)
    assert (row.email_state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == now + retry_delay(1) and row.next_attempt_at > now
    assert row.last_error  # for staff

    assert worker.deliver(now + timedelta(seconds=10)).handled == 0  # not due yet

    smtp.start()
    assert worker.deliver(now + timedelta(seconds=10)).handled == 0  # back-off is kept
    report = worker.deliver(now + retry_delay(1) + timedelta(seconds=1))
    assert (report.sent, report.emails) == (1, 1)
    [mail] = smtp.mails
    assert_news(mail, "piet@example.org")
    [row] = run(notifications, party)
    assert (row.email_state, row.attempts, row.last_error) == ("sent", 1, "")

    assert worker.deliver(now + timedelta(hours=5)).handled == 0
    assert len(smtp.mails) == 1


def test_back_off_doubles_up_to_an_hour() -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [30, 60, 120, 240]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) == LAST_RETRY.total_seconds() == 3600


def test_a_server_that_is_down_never_makes_a_notification_fail(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    """An outage of any length loses nothing: tries go on, an hour apart at most."""
    party, dossier = seed_verified(run)
    smtp.stop()
    run(change_status, dossier)
    now = later()
    for attempt in range(1, MAX_ATTEMPTS + 3):
        assert worker.deliver(now).retried == 1
        [row] = run(notifications, party)
        assert (row.attempts, row.email_state) == (attempt, "pending")
        assert row.next_attempt_at == now + retry_delay(attempt)
        now = row.next_attempt_at
    assert retry_delay(MAX_ATTEMPTS + 2) == timedelta(hours=1)
    smtp.start()
    assert worker.deliver(now).sent == 1
    assert len(smtp.to("piet@example.org")) == 1


def test_a_permanent_refusal_fails_at_once(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    party, dossier = seed_verified(run)
    smtp.collector.refuse.add("piet@example.org")  # 550: no such user
    run(change_status, dossier)
    assert worker.deliver(later()).failed == 1
    [row] = run(notifications, party)
    assert (row.attempts, row.email_state) == (1, DEAD)
    assert row.last_error == "SMTPRecipientsRefused 550"  # not the server's words


def test_after_max_attempts_the_notification_failed_and_staff_see_it(
    run: Runner, worker: Worker, smtp: SmtpServer, client: TestClient, auth: Auth
) -> None:
    party, dossier = seed_verified(run)
    smtp.collector.refuse_reply = "450 4.2.0"  # a temporary refusal, again and again
    smtp.collector.refuse.add("piet@example.org")
    run(change_status, dossier)
    now = later()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = worker.deliver(now)
        [row] = run(notifications, party)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retried, row.email_state) == (1, "pending")
            assert row.next_attempt_at == now + retry_delay(attempt)
            now = row.next_attempt_at
        else:
            assert (report.failed, row.email_state) == (1, DEAD)
    assert row.last_error == "SMTPRecipientsRefused 450"

    smtp.collector.refuse.clear()
    assert worker.deliver(now + timedelta(days=7)).handled == 0  # failed is final
    assert smtp.mails == []

    auth.login_staff("demo-agent")
    page = client.get("/kcc/meldingen")
    assert page.status_code == 200
    assert "Mislukte e-mails" in page.text and "Geen mislukte e-mails" not in page.text
    assert f'href="/kcc/klanten/{party}"' in page.text
    assert re.search(r"<dt>Mislukt</dt><dd>1</dd>", page.text), page.text
    assert f"<td>{MAX_ATTEMPTS}</td>" in page.text
    picture = client.get(f"/kcc/klanten/{party}")
    assert picture.status_code == 200
    section = picture.text.split("Berichten aan deze klant", 1)[1]
    assert "Nieuwe status" in section and "Mislukt" in section
    assert f"{MAX_ATTEMPTS} pogingen" in section


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 303), ("demo-jan", 303), ("demo-specialist", 404), ("demo-agent", 200),
     ("demo-lead", 200)],
)
def test_who_sees_the_delivery_page(
    client: TestClient, auth: Auth, who: str | None, expected: int
) -> None:
    if who == "demo-jan":
        auth.login(who)
    elif who:
        auth.login_staff(who)
    response = client.get("/kcc/meldingen")
    assert response.status_code == expected
    if expected == 303:
        assert response.headers["location"].startswith("/kcc/inloggen")


# --- the outbox is part of the change's transaction -----------------------------------------


def test_nothing_is_written_or_sent_for_a_rolled_back_change(
    run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    party, dossier = seed_verified(run)

    async def change_then_fail(session: AsyncSession) -> None:
        await change_status(session, dossier)
        await notify(session, party, "status", dossier_id=dossier)
        assert len(await notifications(session, party)) == 2  # in this transaction only
        raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        run(change_then_fail)

    async def change_then_roll_back(session: AsyncSession) -> None:
        await change_status(session, dossier)
        await session.rollback()

    run(change_then_roll_back)
    assert run(notifications) == []
    assert run(lambda s: s.scalar(select(func.count()).select_from(StatusEvent))) == 0
    assert worker.deliver(later(3600)).handled == 0
    assert smtp.mails == []


# --- bundling --------------------------------------------------------------------------------


def test_bundling_one_email_per_dossier_per_window_covering_all_events(
    run: Runner, worker: Worker, smtp: SmtpServer, mail_settings: Settings
) -> None:
    window = timedelta(minutes=mail_settings.notify_bundle_minutes)
    assert window == timedelta(minutes=15)  # the default
    party, first = seed_verified(run)

    async def other_dossier(session: AsyncSession) -> int:
        return await seed_dossier(session, party, "Z-PIET-2", "Bankje kapot")

    second = run(other_dossier)

    run(change_status, first, "ontvangen")
    assert worker.deliver().emails == 1  # the first news goes out at once
    [sent] = run(notifications, party)
    start = sent.sent_at
    assert start is not None

    run(change_status, first, "ingepland")  # after that e-mail
    run(change_status, first, "opgelost")
    report = worker.deliver(start + timedelta(minutes=1))
    assert (report.postponed, report.emails) == (2, 0)
    rows = [n for n in run(notifications, party) if n.dossier_id == first]
    assert [n.email_state for n in rows] == ["sent", "pending", "pending"]
    assert {n.next_attempt_at for n in rows[1:]} == {start + window}

    run(change_status, second, "ontvangen")  # another dossier: its own window
    report = worker.deliver(start + timedelta(minutes=2))
    assert (report.sent, report.emails, report.postponed) == (1, 1, 0)
    assert len(smtp.mails) == 2

    assert worker.deliver(start + window - timedelta(seconds=1)).emails == 0
    report = worker.deliver(start + window)
    assert (report.sent, report.emails) == (2, 1)  # both events, one e-mail
    assert len(smtp.mails) == 3
    assert all(m.recipients == ("piet@example.org",) for m in smtp.mails)
    assert {n.email_state for n in run(notifications, party)} == {"sent"}

    async def throttles(session: AsyncSession) -> dict[str, datetime]:
        found = await session.execute(
            select(NotificationThrottle.bundle_key, NotificationThrottle.last_sent_at)
            .where(NotificationThrottle.party_id == party)
        )
        return {key: at for key, at in found.all()}

    assert run(throttles) == {
        f"dossier:{first}": start + window, f"dossier:{second}": start + timedelta(minutes=2)
    }


def test_the_bundling_window_is_configurable(
    run: Runner, client: TestClient, app: Starlette, smtp: SmtpServer, database_url: str,
    data_dir: Path,
) -> None:
    settings = make_settings(database_url, data_dir, MIJN_SMTP_URL=smtp.url,
                             MIJN_MAIL_FROM=SENDER, MIJN_NOTIFY_BUNDLE_MINUTES="2")
    assert settings.notify_bundle_minutes == 2
    post = Worker(client, app, settings, smtp)
    party, dossier = seed_verified(run)
    run(change_status, dossier, "ontvangen")
    assert post.deliver().emails == 1
    start = run(notifications, party)[0].sent_at
    assert start is not None
    run(change_status, dossier, "ingepland")
    assert post.deliver(start + timedelta(seconds=119)).emails == 0
    assert post.deliver(start + timedelta(seconds=120)).emails == 1


def test_news_of_one_window_is_not_spread_over_later_windows(
    run: Runner, worker: Worker, smtp: SmtpServer, mail_settings: Settings
) -> None:
    """Six changes in the same second, delivered in rounds of two (a small batch, or two
    workers sharing the rows): the e-mail at the end of the window covers all of them."""
    window = timedelta(minutes=mail_settings.notify_bundle_minutes)
    party, dossier = seed_verified(run)
    for code in STATUSES * 2:
        run(change_status, dossier, code)
    start = later()

    def rounds(now: datetime) -> None:  # as `mijn worker` does: until nothing is due
        while worker.deliver(now, batch=2).handled:
            pass

    rounds(start)
    assert len(smtp.mails) == 1  # the first e-mail at once
    waiting = [n for n in run(notifications, party) if n.email_state == "pending"]
    assert {n.next_attempt_at for n in waiting} <= {start + window}

    rounds(start + window)
    states = Counter(n.email_state for n in run(notifications, party))
    assert states == {"sent": 6}, (
        f"after the window, news from its first second still waits for a later e-mail: "
        f"{dict(states)}, {len(smtp.mails)} e-mails so far"
    )
    rounds(start + 2 * window)
    assert len(smtp.mails) <= 2


# --- address verification --------------------------------------------------------------------


def save_address(client: TestClient, email: str, channel: str = "email") -> Any:
    fields = form_fields(client.get("/mijn/instellingen").text)
    return client.post("/mijn/instellingen", data={
        "csrf_token": fields["csrf_token"], "channel": channel, "email": email,
    })


def request_link(client: TestClient, worker: Worker, smtp: SmtpServer, email: str) -> str:
    """Save a new address over HTTP and return the link of the e-mail sent to it."""
    before = len(smtp.to(email))
    saved = save_address(client, email)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/mijn/instellingen?melding=verstuurd"
    assert worker.deliver().emails >= 1
    mails = smtp.to(email)
    assert len(mails) == before + 1
    mail = mails[-1]
    assert mail.message["Subject"] == "Bevestig uw e-mailadres voor Mijn Gemeente Voorbeeld"
    text_links = LINK.findall(mail.body("plain"))
    html_links = LINK.findall(mail.body("html"))
    assert len(text_links) == 1 and html_links == text_links
    return str(text_links[0])


def confirm(client: TestClient, link: str) -> Any:
    path = link.removeprefix(BASE_URL)
    page = client.get(path)
    csrf = form_fields(page.text).get("csrf_token") or form_fields(client.get("/").text)[
        "csrf_token"]
    return client.post(path, data={"csrf_token": csrf})


def assert_refused(response: Any) -> None:
    assert response.status_code == 400
    assert LINK_REFUSED in response.text


def token_payload(token: str) -> str:
    """What the signed token carries, readable by anyone who sees the link."""
    payload = token.split(".")[0] if not token.startswith(".") else token.split(".")[1]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if token.startswith(".") else data).decode()


def test_a_new_address_is_used_only_after_its_link_is_confirmed(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    run(lambda s: seed_party(s, JAN, "Jan Jansen", "jan.oud@example.org"))

    link = request_link(client, worker, smtp, "jan.nieuw@example.org")
    [verify] = smtp.to("jan.nieuw@example.org")
    assert verify.recipients == ("jan.nieuw@example.org",)
    assert smtp.to("jan.oud@example.org") == []
    assert_tells_nothing(verify, JAN, "Jansen")
    assert "48 uur" in verify.body("plain")

    token = link.rsplit("/", 1)[1]
    carried = token_payload(token)
    for leak in ("@", "%40", "jan.nieuw", "example.org", JAN):  # (the token is random)
        assert leak not in link.lower() and leak not in carried.lower()
    assert json.loads(carried).keys() == {"p", "t"}
    assert {n.payload for n in run(notifications, jan) if n.kind == "verify"} == {None}
    party = run(get_party, jan)
    assert (party.email, party.pending_email) == ("jan.oud@example.org", "jan.nieuw@example.org")
    assert "Nog niet bevestigd: jan.nieuw@example.org" in client.get("/mijn/instellingen").text

    # Until it is confirmed, news still goes to the verified address.
    dossier = run(lambda s: seed_dossier(s, jan, "Z-JAN-9", "Tegel"))
    run(change_status, dossier)
    worker.deliver()
    assert len(smtp.to("jan.oud@example.org")) == 1
    assert len(smtp.to("jan.nieuw@example.org")) == 1  # only the verification

    page = client.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200
    assert "jan.nieuw@example.org" in page.text and LINK_REFUSED not in page.text
    done = confirm(client, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/mijn/instellingen?melding=bevestigd"
    party = run(get_party, jan)
    assert party.email == "jan.nieuw@example.org" and party.email_verified_at is not None
    assert party.pending_email is None and party.email_token_hash is None

    run(change_status, dossier, "opgelost")
    worker.deliver(later(3600))  # after the bundling window
    assert len(smtp.to("jan.nieuw@example.org")) == 2
    assert len(smtp.to("jan.oud@example.org")) == 1


def test_the_link_works_after_logging_in_first(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    link = request_link(client, worker, smtp, "jan.later@example.org")
    auth.logout()
    path = link.removeprefix(BASE_URL)
    anonymous = client.get(path)
    assert anonymous.status_code == 303 and "/inloggen" in anonymous.headers["location"]
    back = auth.login("demo-jan", next_url=path)
    assert back.headers["location"] == path
    assert confirm(client, link).status_code == 303
    assert run(get_party, run(party_id_of, JAN)).email == "jan.later@example.org"


def tampered(token: str, position: int) -> str:
    old = token[position]
    new = "A" if old != "A" else "B"
    return token[:position] + new + token[position + 1:]


def test_a_tampered_link_is_refused_and_changes_nothing(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    link = request_link(client, worker, smtp, "jan.nieuw@example.org")
    base, token = link.rsplit("/", 1)
    payload_end = token.index(".")
    # In the payload, the timestamp and the signature (but not the signature's last
    # character, whose low bits base64 ignores).
    positions = [0, payload_end // 2, payload_end - 1, payload_end + 1, len(token) - 5]
    for position in positions:
        if token[position] == ".":
            continue
        bad = f"{base}/{tampered(token, position)}"
        assert bad != link
        assert_refused(confirm(client, bad))
        party = run(get_party, jan)
        assert party.email is None and party.email_verified_at is None, position
        assert party.pending_email == "jan.nieuw@example.org"
    for bad in (f"{base}/{token[:-1]}", f"{base}/{token}x", f"{base}/x", f"{base}/{token[:payload_end]}"):
        assert_refused(confirm(client, bad))
    assert run(get_party, jan).email is None

    assert confirm(client, link).status_code == 303  # the genuine link still works
    assert run(get_party, jan).email == "jan.nieuw@example.org"


def test_another_partys_link_is_refused(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    jans_link = request_link(client, worker, smtp, "jan.nieuw@example.org")
    auth.logout()

    auth.login("demo-fatima")
    fatima = run(party_id_of, FATIMA)
    request_link(client, worker, smtp, "fatima.nieuw@example.org")  # she has one pending too
    assert_refused(confirm(client, jans_link))
    fatima_after = run(get_party, fatima)
    assert fatima_after.email is None and fatima_after.email_verified_at is None
    assert fatima_after.pending_email == "fatima.nieuw@example.org"
    jan_after = run(get_party, jan)
    assert jan_after.email is None and jan_after.pending_email == "jan.nieuw@example.org"
    auth.logout()

    auth.login("demo-jan")
    assert confirm(client, jans_link).status_code == 303  # still Jan's, and still unused
    assert run(get_party, jan).email == "jan.nieuw@example.org"
    assert run(get_party, fatima).email is None


def test_an_expired_link_is_refused(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer,
    settings: Settings,
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    link = request_link(client, worker, smtp, "jan.nieuw@example.org")
    token = link.rsplit("/", 1)[1]

    async def confirm_at(session: AsyncSession, now: datetime) -> bool:
        party = await session.get_one(Party, jan)
        return await service.confirm_email(session, party, token, settings, now=now)

    assert run(confirm_at, utcnow() + VERIFY_MAX_AGE + timedelta(minutes=1)) is False
    assert run(get_party, jan).email is None

    async def expire(session: AsyncSession) -> None:  # as if 48 hours went by
        await session.execute(update(Party).where(Party.id == jan).values(
            email_token_expires_at=utcnow() - timedelta(seconds=1)))

    run(expire)
    assert_refused(confirm(client, link))
    party = run(get_party, jan)
    assert party.email is None and party.email_verified_at is None


def test_a_link_inside_its_48_hours_works(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer,
    settings: Settings,
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    token = request_link(client, worker, smtp, "jan.nieuw@example.org").rsplit("/", 1)[1]

    async def confirm_at(session: AsyncSession, now: datetime) -> bool:
        party = await session.get_one(Party, jan)
        return await service.confirm_email(session, party, token, settings, now=now)

    assert run(confirm_at, utcnow() + VERIFY_MAX_AGE - timedelta(minutes=5)) is True
    assert run(get_party, jan).email == "jan.nieuw@example.org"


def test_a_used_link_is_refused(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    link = request_link(client, worker, smtp, "jan.nieuw@example.org")
    assert confirm(client, link).status_code == 303
    again = confirm(client, link)
    assert_refused(again)
    page = client.get(link.removeprefix(BASE_URL))
    assert LINK_REFUSED in page.text
    assert run(get_party, jan).email == "jan.nieuw@example.org"

    # An old link is refused after a newer one was asked for, too.
    older = request_link(client, worker, smtp, "jan.tweede@example.org")
    newer = request_link(client, worker, smtp, "jan.derde@example.org")
    assert_refused(confirm(client, older))
    assert run(get_party, jan).email == "jan.nieuw@example.org"
    assert confirm(client, newer).status_code == 303
    assert run(get_party, jan).email == "jan.derde@example.org"


@pytest.mark.parametrize(
    ("channel", "email", "code"),
    [("email", "geen-adres", 422), ("email", "", 422), ("email", "a@b", 422),
     ("portal", "", 303)],
)
def test_preferences_are_checked(
    client: TestClient, auth: Auth, run: Runner, channel: str, email: str, code: int
) -> None:
    auth.login("demo-jan")
    response = save_address(client, email, channel)
    assert response.status_code == code, response.text
    party = run(get_party, run(party_id_of, JAN))
    assert party.pending_email is None and party.email_token_hash is None
    assert run(notifications, party.id) == []
    assert party.notify_by_email is (code != 303)


def test_portal_only_is_saved_and_keeps_the_address(
    client: TestClient, auth: Auth, run: Runner, worker: Worker, smtp: SmtpServer
) -> None:
    auth.login("demo-jan")
    jan = run(party_id_of, JAN)
    run(lambda s: seed_party(s, JAN, "Jan Jansen", "jan@example.org"))
    saved = save_address(client, "jan@example.org", "portal")
    assert saved.headers["location"] == "/mijn/instellingen?melding=opgeslagen"
    assert smtp.mails == [] and worker.deliver().handled == 0  # nothing to verify
    dossier = run(lambda s: seed_dossier(s, jan, "Z-JAN-1", "Tegel"))
    run(change_status, dossier)
    assert worker.deliver().skipped == 1
    assert smtp.mails == []


@pytest.mark.rate_limits
def test_verification_links_are_limited_per_day(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    """A logged-in party cannot use Mijn to mail any number of strangers (MIJN_RATE_VERIFY_EMAILS,
    5 a day; tests/test_rate_limits*.py test the rule itself, also with parallel requests)."""
    steady_clock(client)
    auth.login("demo-jan")
    for n in range(5):
        response = save_address(client, f"nieuw{n}@example.org")
        assert response.status_code == 303, response.text
    refused = save_address(client, "nog-een@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) <= 86400
    assert "U heeft dit in korte tijd te vaak gedaan. Probeer het over" in refused.text
    assert "nog-een@example.org" in refused.text  # what was typed stays
    jan = run(party_id_of, JAN)
    verify = [n for n in run(notifications, jan) if n.kind == "verify"]
    assert len(verify) == 5
    assert run(get_party, jan).pending_email == "nieuw4@example.org"


# --- the inbox -------------------------------------------------------------------------------


def badge(page: str) -> int | None:
    """The menu's count of unread messages (not the count of tasks to do)."""
    found = re.search(r'class="mijn-badge">(\d+)<span class="mijn-visually-hidden"> nieuw<', page)
    return int(found.group(1)) if found else None


def test_the_inbox_lists_the_news_and_the_count_goes_after_reading(
    client: TestClient, auth: Auth, run: Runner, demo: None
) -> None:
    jan = run(party_id_of, JAN)

    async def jans_dossier(session: AsyncSession) -> tuple[int, str]:
        dossier = await session.scalar(
            select(Dossier).where(Dossier.party_id == jan).order_by(Dossier.id)
        )
        assert dossier is not None
        return dossier.id, dossier.title

    dossier, title = run(jans_dossier)
    status = run(change_status_of_type, dossier)
    unread = run(lambda s: service.unread_count(s, jan))
    assert unread >= 1

    auth.login("demo-fatima")  # another citizen first
    theirs = client.get("/mijn/berichten")
    assert theirs.status_code == 200
    assert title not in theirs.text and "U heeft nog geen berichten." in theirs.text
    assert badge(client.get("/mijn/dossiers").text) is None
    assert run(lambda s: service.unread_count(s, jan)) == unread  # hers did not touch his
    auth.logout()

    auth.login("demo-jan")
    overview = client.get("/mijn/dossiers").text
    assert badge(overview) == unread
    inbox = client.get("/mijn/berichten")
    assert inbox.status_code == 200
    # the news says what changed: the new status, then the dossier's title
    assert f"Nieuwe status: {status} –" in inbox.text and title in inbox.text
    assert inbox.text.count('mijn-status--new') == unread
    assert badge(inbox.text) is None
    assert badge(client.get("/mijn/dossiers").text) is None
    assert "nieuwe berichten" not in client.get("/mijn/dossiers").text
    assert run(lambda s: service.unread_count(s, jan)) == 0
    assert "Nieuw<" not in client.get("/mijn/berichten").text  # read now
    auth.logout()

    auth.login("demo-fatima")
    assert title not in client.get("/mijn/berichten").text


async def change_status_of_type(session: AsyncSession, dossier_id: int) -> str:
    """Move a demo dossier to its last status (whatever its type calls it); its label."""
    dossier = await session.get_one(Dossier, dossier_id)
    last = await session.scalar(
        select(StatusType).where(StatusType.dossier_type_id == dossier.dossier_type_id)
        .order_by(StatusType.position.desc())
    )
    assert last is not None
    await record_status(session, dossier, last, utcnow())
    return last.label_nl


@pytest.mark.parametrize("path", ["/mijn/berichten", "/mijn/instellingen",
                                  "/mijn/instellingen/bevestigen/iets"])
def test_the_pages_need_a_login(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert "/inloggen" in response.headers["location"]


# --- logs and the worker ---------------------------------------------------------------------


def test_a_failing_delivery_logs_no_address(
    run: Runner, worker: Worker, smtp: SmtpServer, caplog: pytest.LogCaptureFixture,
    mail_settings: Settings, client: TestClient, capsys: pytest.CaptureFixture[str],
) -> None:
    address = "geheim.adres@voorbeeld-domein.example"
    party, dossier = seed_verified(run, address)
    caplog.set_level(logging.DEBUG)
    smtp.collector.refuse.add(address)  # the server's answer quotes the address
    run(change_status, dossier)
    now = later()
    assert worker.deliver(now).failed == 1  # 550: permanent
    [row] = run(notifications, party)
    assert row.attempts == 1 and address not in row.last_error
    smtp.stop()
    run(change_status, dossier, "opgelost")
    assert worker.deliver(now + timedelta(hours=1)).retried == 1
    on_app_loop(client).call(partial(run_worker, mail_settings, once=True))  # as `mijn worker --once`

    # The portal's own logs at every level, and everything at INFO and up; not the debug
    # chatter of the database drivers (which print every parameter of every statement) nor
    # the test SMTP server's own log ("mail.log").
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")
            and (r.name.startswith("mijn") or r.levelno >= logging.INFO)]
    assert any(r.name == "mijn.notifications" and r.levelno >= logging.WARNING for r in ours)
    for record in ours:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        for part in (address, "geheim.adres", "voorbeeld-domein"):
            assert part not in text, f"{record.name}: {text}"
    printed = capsys.readouterr()
    assert address not in printed.err and address not in printed.out


def test_the_worker_delivers_until_nothing_is_due(
    run: Runner, client: TestClient, smtp: SmtpServer, mail_settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [a, b] = valid_bsns(2)

    async def seed(session: AsyncSession) -> None:
        for bsn, email in ((a, "a@example.org"), (b, "b@example.org")):
            party = await seed_party(session, bsn, "Iemand", email)
            dossier = await seed_dossier(session, party, f"Z-{bsn}", "Iets")
            await change_status(session, dossier)

    run(seed)
    total = on_app_loop(client).call(partial(run_worker, mail_settings, once=True, batch=1))
    assert (total.sent, total.emails) == (2, 2)
    assert sorted(r for m in smtp.mails for r in m.recipients) == ["a@example.org",
                                                                   "b@example.org"]
    assert "2 notifications sent in 2 e-mails" in capsys.readouterr().err


def test_the_worker_needs_an_smtp_url(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.smtp_url == ""
    assert worker_main(settings, once=True, interval=0.1, batch=10) == 2
    assert "MIJN_SMTP_URL" in capsys.readouterr().err


def test_the_worker_keeps_delivering_until_it_is_stopped(
    run: Runner, client: TestClient, smtp: SmtpServer, mail_settings: Settings
) -> None:
    party, dossier = seed_verified(run)
    stop = asyncio.Event()
    running = on_app_loop(client).start_task_soon(
        partial(run_worker, mail_settings, interval=0.05, stop=stop)
    )
    run(change_status, dossier)  # news while the worker runs
    deadline = time.monotonic() + 15
    while not smtp.mails and time.monotonic() < deadline:
        time.sleep(0.05)

    async def set_stop() -> None:
        stop.set()

    on_app_loop(client).call(set_stop)
    total = running.result(timeout=15)
    assert (total.sent, total.emails) == (1, 1)
    assert [m.recipients for m in smtp.mails] == [("piet@example.org",)]
    assert [n.email_state for n in run(notifications, party)] == ["sent"]


def test_the_worker_outlives_a_database_that_is_down(
    data_dir: Path, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    down = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/mijn"
    settings = make_settings(down, data_dir, MIJN_SMTP_URL=smtp.url)

    async def for_a_while() -> DeliveryReport:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        return await run_worker(settings, interval=0.05, stop=stop)

    caplog.set_level(logging.WARNING, "mijn.worker")
    total = asyncio.run(for_a_while())
    assert total.handled == 0
    failed = [r for r in caplog.records if r.name == "mijn.worker"]
    assert len(failed) >= 2  # it tried again, and again
    assert all("delivery round failed" in r.getMessage() for r in failed)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_url_may_carry_a_login(data_dir: Path) -> None:
    server = SmtpServer(login=("mijn", "g3heim@wachtwoord"))
    server.start()
    try:
        settings = make_settings("sqlite+aiosqlite:///:memory:", data_dir, MIJN_MAIL_FROM=SENDER)
        message = compose_news(settings, "nl", "a@example.org")

        async def send(url: str) -> None:
            async with SmtpMailer(url, timeout=5.0).connection() as connection:
                await connection.send(message)

        asyncio.run(send(f"smtp://mijn:g3heim%40wachtwoord@127.0.0.1:{server.port}"))
        assert [m.recipients for m in server.mails] == [("a@example.org",)]
        with pytest.raises(MailError, match="SMTPAuthenticationError"):
            asyncio.run(send(f"smtp://mijn:fout@127.0.0.1:{server.port}"))
        with pytest.raises(MailError, match="530"):
            asyncio.run(send(server.url))  # the server wants a login
        assert len(server.mails) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:25", "127.0.0.1:25"])
def test_a_wrong_smtp_url_is_named(url: str) -> None:
    async def send() -> None:
        async with SmtpMailer(url).connection() as connection:
            await connection.send(EmailMessage())

    with pytest.raises(MailError, match="MIJN_SMTP_URL"):
        asyncio.run(send())
