"""Dead letters: what will never succeed is not retried for ever.

The one rule (mijn.retry) for the e-mail worker and the ZGW intake queue: a permanent failure
(a programming error, a refusal) makes the item `dead` after one attempt; a temporary one is
retried with back-off up to MIJN_NOTIFY_MAX_ATTEMPTS / MIJN_ZGW_MAX_ATTEMPTS, then dead too.
The KCC's deliveries page lists the dead items with their error (no personal data) and puts
one back in the queue ("Opnieuw proberen": a POST with CSRF, audited).

The failures are made by replacing the composer of the e-mail or the storing of a zaak with
one that raises: the thing under test is what the queues do with an error, not the error.
"""

# The SMTP server, worker and local ZGW APIs are the fixtures of test_notifications and
# test_zgw, imported by name: a test's parameter of that name is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import aiosmtplib
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, NoReferencedTableError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_notifications import (  # noqa: F401 - fixtures: the real SMTP server and worker
    SENDER,
    SmtpServer,
    Worker,
    change_status,
    later,
    mail_settings,
    notifications,
    on_app_loop,
    seed_dossier,
    seed_party,
    seed_verified,
    smtp,
    valid_bsns,
    worker,
)
from test_zgw import (  # noqa: F401 - fixtures: the local Zaken and Catalogi APIs
    FakeZgw,
    _make_due,
    _notifications,
    db,
    due,
    fake,
    notification,
    portal,
    send,
    states,
    zgw_env,
    zgw_server,
)

from conftest import Auth, Runner, form_fields, make_settings
from mijn import cli
from mijn import worker as worker_module
from mijn.audit.models import AuditEvent
from mijn.intake import zgw_queue
from mijn.notifications import delivery, mail
from mijn.notifications.delivery import DeliveryReport
from mijn.notifications.mail import MailError
from mijn.notifications.models import Notification
from mijn.retry import DEAD, error_summary, is_temporary
from mijn.settings import ConfigurationError, Settings, load_settings
from mijn.worker import run_worker

PERSONAL = "piet@example.org, bsn 123456782"  # what an error must not carry into the table


def _raise(exc: BaseException) -> Callable[..., NoReturn]:
    def fail(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise exc

    return fail


def _integrity() -> IntegrityError:
    orig = Exception(f"duplicate key value\nDETAIL: Key (email)=({PERSONAL}) already exists.")
    return IntegrityError("INSERT INTO parties ...", {"email": PERSONAL}, orig)


PERMANENT = [
    pytest.param(lambda: TypeError(f"compose_news() got {PERSONAL}"), "TypeError", id="TypeError"),
    pytest.param(lambda: KeyError(PERSONAL), "KeyError", id="KeyError"),
    pytest.param(_integrity, "IntegrityError", id="IntegrityError"),
    pytest.param(lambda: NoReferencedTableError("no table 'parties'", "parties"),
                 "NoReferencedTableError", id="NoReferencedTableError"),
]


def _no_personal_data(text: str) -> None:
    assert "piet@example.org" not in text and "123456782" not in text, text
    assert "\n" not in text and len(text) <= 200


# --- the rule -------------------------------------------------------------------------------


def _http_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://zaken.example.nl/zaken/1")
    return httpx.HTTPStatusError("x", request=request, response=httpx.Response(status,
                                                                                 request=request))


@pytest.mark.parametrize(
    ("exc", "temporary"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError(), True),
        (httpx.ConnectTimeout("timed out"), True),
        (_http_error(503), True),
        (_http_error(429), True),
        (_http_error(404), False),
        (_http_error(400), False),
        (aiosmtplib.SMTPResponseException(451, "try later"), True),
        (aiosmtplib.SMTPResponseException(550, "no such user"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), True),
        (MailError("SMTPRecipientsRefused 450", reached=True), True),
        (MailError("SMTPRecipientsRefused 550", reached=True, permanent=True), False),
        (OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        (OperationalError("SELECT 1", {}, Exception("no such table: parties")), False),
        (TypeError("x"), False),
        (KeyError("x"), False),
        (ValueError("x"), False),
        (_integrity(), False),
        (NoReferencedTableError("no table 'parties'", "parties"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_which_failures_are_temporary(exc: BaseException, temporary: bool) -> None:
    assert is_temporary(exc) is temporary


def test_the_summary_names_the_error_without_personal_data() -> None:
    assert error_summary(TypeError("'NoneType' object is not callable")) == (
        "TypeError: 'NoneType' object is not callable")
    summary = error_summary(_integrity())
    assert summary == "IntegrityError: duplicate key value"  # no SQL, no DETAIL, no parameters
    for text in (error_summary(KeyError(PERSONAL)), error_summary(ValueError("x" * 500 + PERSONAL)),
                 error_summary(RuntimeError(f"tel 06-12345678, {PERSONAL}"))):
        _no_personal_data(text)
        assert "06-12345678" not in text


@pytest.mark.parametrize(("variable", "value"), [
    ("MIJN_NOTIFY_MAX_ATTEMPTS", "0"), ("MIJN_NOTIFY_MAX_ATTEMPTS", "veel"),
    ("MIJN_ZGW_MAX_ATTEMPTS", "1000"),
])
def test_the_maximum_of_attempts_is_checked(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings({variable: value})
    assert load_settings({}).notify_max_attempts == delivery.MAX_ATTEMPTS
    assert load_settings({}).zgw.max_attempts == zgw_queue.MAX_ATTEMPTS


# --- the e-mail worker ----------------------------------------------------------------------


async def _seed_fatima(session: AsyncSession) -> tuple[int, int]:
    party = await seed_party(session, valid_bsns(2)[1], "Fatima", "fatima@example.org")
    return party, await seed_dossier(session, party, "Z-FATIMA-1", "Losse tegel")


@pytest.mark.parametrize(("make", "name"), PERMANENT)
def test_a_permanent_failure_of_the_worker_is_dead_after_one_attempt(
    run: Runner, worker: Worker, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch,
    make: Callable[[], BaseException], name: str,
) -> None:
    party, dossier = seed_verified(run)
    other, other_dossier = run(_seed_fatima)
    run(change_status, dossier)
    run(change_status, other_dossier)
    real = mail.compose_news

    def compose(settings: Any, lang: str, to: str) -> Any:
        if to == "piet@example.org":
            raise make()
        return real(settings, lang, to)

    monkeypatch.setattr(delivery, "compose_news", compose)
    report = worker.deliver(later())
    assert (report.failed, report.sent) == (1, 1)  # the bad one does not stop the other
    [row] = run(notifications, party)
    assert (row.email_state, row.attempts) == (DEAD, 1)
    assert row.last_error.startswith(name)
    _no_personal_data(row.last_error)
    assert [m.recipients for m in smtp.mails] == [("fatima@example.org",)]

    assert worker.deliver(later() + timedelta(days=7)).handled == 0  # never tried again
    assert run(notifications, party)[0].attempts == 1
    assert run(notifications, other)[0].email_state == "sent"


def _worker_with(client: TestClient, app: Starlette, smtp: SmtpServer, database_url: str,
                 data_dir: Path, **env: str) -> Worker:
    settings = make_settings(database_url, data_dir, MIJN_SMTP_URL=smtp.url,
                             MIJN_MAIL_FROM=SENDER, **env)
    return Worker(client, app, settings, smtp)


def test_a_temporary_failure_of_the_worker_is_retried_then_dead(
    run: Runner, client: TestClient, app: Starlette, smtp: SmtpServer, database_url: str,
    data_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = _worker_with(client, app, smtp, database_url, data_dir, MIJN_NOTIFY_MAX_ATTEMPTS="3")
    party, dossier = seed_verified(run)
    run(change_status, dossier)
    monkeypatch.setattr(delivery, "compose_news",
                        _raise(OperationalError("UPDATE", {}, Exception("database is locked"))))
    now = later()
    for attempt in (1, 2):
        assert worker.deliver(now).retried == 1
        [row] = run(notifications, party)
        assert (row.email_state, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == now + delivery.retry_delay(attempt)
        now = row.next_attempt_at
    assert worker.deliver(now).failed == 1
    [row] = run(notifications, party)
    assert (row.email_state, row.attempts) == (DEAD, 3)
    assert row.last_error == "OperationalError: database is locked"
    assert worker.deliver(now + timedelta(days=7)).handled == 0


# --- the ZGW intake (`mijn zgw retry`) --------------------------------------------------------


@pytest.mark.parametrize(("make", "name"), PERMANENT)
def test_a_permanent_failure_of_zgw_retry_is_dead_after_one_attempt(
    portal: TestClient, fake: FakeZgw, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], make: Callable[[], BaseException], name: str,
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    fake.answer = 503  # pending after the attempt on arrival: for `mijn zgw retry`
    send(portal, notification(zaak, "zaak"))
    assert states(portal) == [("pending", 1)]
    fake.answer = None
    monkeypatch.setattr(zgw_queue, "store", _raise(make()))
    for key, value in zgw_env(fake, MIJN_DATABASE_URL=database_url).items():
        monkeypatch.setenv(key, value)
    assert cli.main(["zgw", "retry", "--now"]) == 0
    assert "0 done, 0 ignored, 1 dead, 0 to retry later; 0 pending in all." in (
        capsys.readouterr().err)
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts) == (DEAD, 2)
    assert row.last_error.startswith(name)
    _no_personal_data(row.last_error)

    assert cli.main(["zgw", "retry", "--now"]) == 0  # never tried again
    assert "0 done, 0 ignored, 0 dead" in capsys.readouterr().err
    assert states(portal) == [(DEAD, 2)]


def test_a_permanent_failure_on_arrival_is_dead_at_once(
    portal: TestClient, fake: FakeZgw, monkeypatch: pytest.MonkeyPatch
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    monkeypatch.setattr(zgw_queue, "store", _raise(TypeError(PERSONAL)))
    assert send(portal, notification(zaak, "zaak")).status_code == 204
    assert states(portal) == [(DEAD, 1)]
    db(portal, _make_due)
    assert sum(due(portal, ignore_schedule=True).values()) == 0
    assert states(portal) == [(DEAD, 1)]


def test_a_temporary_failure_of_zgw_is_retried_then_dead(
    client_with: Callable[..., TestClient], fake: FakeZgw, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = client_with(**zgw_env(fake, MIJN_ZGW_MAX_ATTEMPTS="3"))
    zaak = fake.zaak(fake.zaaktype())
    monkeypatch.setattr(zgw_queue, "store", _raise(
        OperationalError("INSERT", {}, ConnectionRefusedError(111, "Connection refused"))))
    send(portal, notification(zaak, "zaak"))
    assert states(portal) == [("pending", 1)]
    db(portal, _make_due)
    assert due(portal)["pending"] == 1
    assert states(portal) == [("pending", 2)]
    db(portal, _make_due)
    assert due(portal)[DEAD] == 1
    [row] = db(portal, _notifications)
    assert (row.state, row.attempts) == (DEAD, 3)
    assert row.last_error == ("gave up after 3 attempts: "
                              "OperationalError: [Errno 111] Connection refused")


# --- the KCC's deliveries page ----------------------------------------------------------------


async def _audit(session: AsyncSession) -> list[tuple[str, str | None, int | None]]:
    rows = await session.scalars(select(AuditEvent).where(AuditEvent.action.like("kcc.retry.%")))
    return [(r.action, r.actor_role, r.party_id) for r in rows]


def _retry_forms(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="(/kcc/meldingen/[^"]+/opnieuw)"', page)


def test_staff_see_a_dead_email_and_put_it_back_in_the_queue(
    run: Runner, worker: Worker, smtp: SmtpServer, client: TestClient, auth: Auth,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    party, dossier = seed_verified(run)
    run(change_status, dossier)
    monkeypatch.setattr(delivery, "compose_news", _raise(TypeError(f"bad {PERSONAL}")))
    assert worker.deliver(later()).failed == 1
    [row] = run(notifications, party)

    auth.login_staff("demo-agent")
    page = client.get("/kcc/meldingen")
    assert page.status_code == 200
    assert "Geen mislukte e-mails" not in page.text
    assert "<td>TypeError: bad [e-mail], bsn [nummer]</td>" in page.text
    assert "piet@example.org" not in page.text and "123456782" not in page.text
    assert _retry_forms(page.text) == [f"/kcc/meldingen/e-mail/{row.id}/opnieuw"]
    assert "Opnieuw proberen" in page.text

    url = f"/kcc/meldingen/e-mail/{row.id}/opnieuw"
    assert client.post(url).status_code == 403  # no CSRF token
    assert run(notifications, party)[0].email_state == DEAD
    done = client.post(url, data={"csrf_token": form_fields(page.text)["csrf_token"]})
    assert (done.status_code, done.headers["location"]) == (303, "/kcc/meldingen?opnieuw=e-mail")
    [row] = run(notifications, party)
    assert (row.email_state, row.attempts) == ("pending", 0)
    assert run(_audit) == [("kcc.retry.email", "agent", party)]
    after = client.get(done.headers["location"]).text
    assert "De e-mail staat weer in de wachtrij." in after and "Geen mislukte e-mails" in after
    assert client.post(url, data={"csrf_token": auth.csrf()}).status_code == 404  # not dead now

    monkeypatch.undo()  # the cause is fixed: the next round sends it
    assert worker.deliver(later()).sent == 1
    assert len(smtp.to("piet@example.org")) == 1


def test_staff_see_a_dead_zgw_notification_and_put_it_back_in_the_queue(
    portal: TestClient, fake: FakeZgw, monkeypatch: pytest.MonkeyPatch
) -> None:
    zaak = fake.zaak(fake.zaaktype())
    fake.status(zaak, 1, 1)
    monkeypatch.setattr(zgw_queue, "store", _raise(KeyError("zaaktype")))
    send(portal, notification(zaak, "zaak"))
    [row] = db(portal, _notifications)
    assert row.state == DEAD

    auth = Auth(portal)
    auth.login_staff("demo-lead")
    page = portal.get("/kcc/meldingen").text
    assert "Mislukte ZGW-meldingen" in page and "<td>KeyError: &#39;zaaktype&#39;</td>" in page
    assert _retry_forms(page) == [f"/kcc/meldingen/zgw/{row.id}/opnieuw"]
    done = portal.post(f"/kcc/meldingen/zgw/{row.id}/opnieuw",
                       data={"csrf_token": form_fields(page)["csrf_token"]})
    assert done.status_code == 303
    assert states(portal) == [("pending", 0)]
    assert db(portal, _audit) == [("kcc.retry.zgw", "agent", None)]  # a lead and agent
    assert "De ZGW-melding staat weer in de wachtrij." in portal.get(done.headers["location"]).text

    monkeypatch.undo()
    assert due(portal)["done"] == 1
    assert states(portal) == [("done", 1)]


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 303), ("demo-jan", 303), ("demo-specialist", 404), ("demo-agent", 303),
     ("demo-lead", 303)],
)
def test_who_may_put_an_item_back(
    run: Runner, worker: Worker, client: TestClient, auth: Auth,
    monkeypatch: pytest.MonkeyPatch, who: str | None, expected: int,
) -> None:
    party, dossier = seed_verified(run)
    run(change_status, dossier)
    monkeypatch.setattr(delivery, "compose_news", _raise(TypeError("x")))
    worker.deliver(later())
    [row] = run(notifications, party)
    if who == "demo-jan":
        auth.login(who)
    elif who:
        auth.login_staff(who)
    response = client.post(f"/kcc/meldingen/e-mail/{row.id}/opnieuw",
                           data={"csrf_token": auth.csrf()})
    assert response.status_code == expected
    requeued = expected == 303 and who not in (None, "demo-jan")
    if not requeued and expected == 303:
        assert response.headers["location"].startswith("/kcc/inloggen")
    assert run(notifications, party)[0].email_state == ("pending" if requeued else DEAD)


@pytest.mark.parametrize("path", ["/kcc/meldingen/e-mail/999999/opnieuw",
                                  "/kcc/meldingen/fax/1/opnieuw", "/kcc/meldingen/zgw/x/opnieuw",
                                  "/kcc/meldingen/zgw/999999/opnieuw"])
def test_retrying_what_is_not_there_is_a_404(client: TestClient, auth: Auth, path: str) -> None:
    auth.login_staff("demo-agent")
    assert client.post(path, data={"csrf_token": auth.csrf()}).status_code == 404


def test_the_deliveries_page_has_no_dead_items_when_all_is_well(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login_staff("demo-agent")
    page = client.get("/kcc/meldingen").text
    assert "Geen mislukte e-mails." in page and "Geen mislukte ZGW-meldingen." in page
    assert _retry_forms(page) == []
    assert run(_count_dead) == 0


async def _count_dead(session: AsyncSession) -> int:
    return len(list(await session.scalars(
        select(Notification).where(Notification.email_state == DEAD))))


# --- a round that fails as a whole ------------------------------------------------------------


def _rounds(errors: list[BaseException], then: Callable[[], Any]) -> tuple[list[int], Any]:
    """A stand-in for one round that raises the given errors in turn, then calls `then`."""
    calls: list[int] = []

    async def round_(*_args: Any, **_kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return then()

    return calls, round_


@pytest.mark.parametrize("permanent", [True, False], ids=["permanent", "temporary"])
def test_a_worker_round_that_can_never_succeed_stops_the_worker(
    client: TestClient, mail_settings: Settings, monkeypatch: pytest.MonkeyPatch,
    permanent: bool,
) -> None:
    stop = asyncio.Event()

    def stop_then_nothing() -> DeliveryReport:
        stop.set()  # without the rule, a permanent error would loop until here
        return DeliveryReport()

    error = (NoReferencedTableError("no table 'parties'", "parties") if permanent
             else OperationalError("SELECT", {}, Exception("database is locked")))
    calls, fake_round = _rounds([error], stop_then_nothing)
    monkeypatch.setattr(worker_module, "deliver_due", fake_round)
    work = partial(run_worker, mail_settings, interval=0.01, stop=stop)
    if permanent:
        with pytest.raises(NoReferencedTableError):
            on_app_loop(client).call(work)
        assert len(calls) == 1
    else:
        on_app_loop(client).call(work)
        assert len(calls) == 2  # tried again after the interval


@pytest.mark.parametrize("permanent", [True, False], ids=["permanent", "temporary"])
def test_a_zgw_retry_round_that_can_never_succeed_stops_the_loop(
    portal: TestClient, fake: FakeZgw, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], permanent: bool,
) -> None:
    for key, value in zgw_env(fake, MIJN_DATABASE_URL=database_url).items():
        monkeypatch.setenv(key, value)
    error = (TypeError("process_due() got an unexpected keyword") if permanent
             else OperationalError("SELECT", {}, ConnectionRefusedError(111, "refused")))

    def interrupt() -> NoReturn:  # without the rule, a permanent error would loop until here
        raise KeyboardInterrupt

    # The first round (outside the loop) finds nothing; the second fails; a third stops it.
    calls, rounds = _rounds([], lambda: Counter())

    async def first_fine_then_failing(*args: Any, **kwargs: Any) -> Any:
        found = await rounds(*args, **kwargs)
        if len(calls) == 2:
            raise error
        return found if len(calls) == 1 else interrupt()

    monkeypatch.setattr(zgw_queue, "process_due", first_fine_then_failing)
    command = ["zgw", "retry", "--loop", "--interval", "0.01"]
    if permanent:
        with pytest.raises(TypeError):
            cli.main(command)
        assert len(calls) == 2
    else:
        assert cli.main(command) == 0
        assert len(calls) == 3
        assert "this round failed (OperationalError: [Errno 111] refused); trying again" in (
            capsys.readouterr().err)
