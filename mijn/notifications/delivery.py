"""E-mail delivery of the outbox (the worker): due notifications, bundled per party and
subject, throttled per subject, retried with back-off; what will never succeed is dead."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import insert_ignore, utcnow
from mijn.notifications.mail import (
    Mailer,
    MailError,
    compose_news,
    compose_survey,
    compose_task_reminder,
    compose_verification,
)
from mijn.notifications.models import Notification, NotificationThrottle
from mijn.parties.service import parties_by_id
from mijn.retry import DEAD, backoff, error_summary, is_temporary
from mijn.settings import Settings

if TYPE_CHECKING:  # another area's rows, only named in annotations
    from mijn.parties.models import Party

log = logging.getLogger("mijn.notifications")
MAX_ATTEMPTS = 8  # the default of MIJN_NOTIFY_MAX_ATTEMPTS
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
# A satisfaction e-mail's bundle key -> the kind it asks after (the wording: compose_survey).
SURVEY_KEYS = {"survey": "question", "callbacksurvey": "callback", "dossiersurvey": "dossier"}


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    sent: int = 0
    emails: int = 0
    postponed: int = 0
    retried: int = 0
    failed: int = 0  # went dead: not tried again until staff put them back
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Notifications that left the pending state or were rescheduled."""
        return self.sent + self.postponed + self.retried + self.failed + self.skipped


def retry_delay(attempts: int) -> timedelta:
    """Back-off after a failed attempt: 30 s, doubling, at most an hour."""
    return backoff(attempts, FIRST_RETRY, LAST_RETRY)


def _due(batch: int, now: datetime) -> object:
    return (
        select(Notification)
        .where(Notification.email_state == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # several workers never take the same rows
    )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], mailer: Mailer, settings: Settings,
    *, batch: int = 200, now: datetime | None = None,
) -> DeliveryReport:
    """Deliver the e-mails that are due now, bundled per party and subject; one transaction."""
    report = DeliveryReport()
    async with sessionmaker() as session:
        now = now or utcnow()
        rows = list(await session.scalars(_due(batch, now)))  # type: ignore[call-overload]
        if not rows:
            return report
        groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
        for row in rows:
            groups[(row.party_id, row.bundle_key)].append(row)
        parties = await _parties(session, {party_id for party_id, _ in groups})
        async with mailer.connection() as connection:
            # Throttle rows are locked in one order by every worker: no deadlock.
            ordered = sorted(groups.items())
            for done, ((party_id, key), group) in enumerate(ordered):
                reachable = await _deliver_or_give_up(
                    session, connection, settings, parties[party_id], key, group, now, report
                )
                if not reachable:  # the server is down: try the rest later, not one by one
                    _later([row for _, rest in ordered[done + 1:] for row in rest], now, report)
                    break
        await session.commit()
    return report


async def _deliver_or_give_up(
    session: AsyncSession, connection: object, settings: Settings, party: Party, key: str,
    group: Sequence[Notification], now: datetime, report: DeliveryReport,
) -> bool:
    """One group in a savepoint: an error that is not the SMTP server's (a programming error,
    a database error) undoes the group's changes and counts as a failed attempt of its rows,
    so that one bad row never stops the others nor is retried for ever."""
    tries = {row.id: row.attempts for row in group}  # the rows expire if the savepoint rolls back
    try:
        async with session.begin_nested():
            return await _deliver_group(
                session, connection, settings, party, key, group, now, report
            )
    except Exception as exc:  # noqa: BLE001 - classified by the one retry rule
        await _give_up_or_retry(session, tries, exc, settings, now, report)
        return True


async def _give_up_or_retry(
    session: AsyncSession, tries: dict[int, int], exc: Exception, settings: Settings,
    now: datetime, report: DeliveryReport,
) -> None:
    """Dead at once when trying again cannot help, or after the last attempt; else later."""
    text = error_summary(exc)
    temporary = is_temporary(exc)
    log.error("e-mail delivery failed (%s notifications, %s): %s", len(tries),
              "temporary" if temporary else "permanent", text)
    report.errors.append(text)
    for row_id, attempts in tries.items():
        attempts += 1
        values: dict[str, object] = {"attempts": attempts, "last_error": text}
        if not temporary or attempts >= settings.notify_max_attempts:
            values["email_state"] = DEAD
            report.failed += 1
        else:
            values["next_attempt_at"] = now + retry_delay(attempts)
            report.retried += 1
        await session.execute(
            update(Notification).where(Notification.id == row_id).values(values)
            .execution_options(synchronize_session=False)
        )


async def _parties(session: AsyncSession, ids: set[int]) -> dict[int, Party]:
    return {p.id: p for p in await parties_by_id(session, ids)}


def _recipient(party: Party, kind: str) -> str | None:
    if kind == "verify":
        return party.pending_email
    if party.notify_by_email and party.email_verified_at and party.email:
        return party.email
    return None


async def _deliver_group(
    session: AsyncSession, connection: object, settings: Settings, party: Party, key: str,
    group: Sequence[Notification], now: datetime, report: DeliveryReport,
) -> bool:
    """Send one group's e-mail (or skip or postpone it); False when the server is unreachable."""
    own = ("verify:", "survey:", "callbacksurvey:", "dossiersurvey:", "task:")
    kind = key.partition(":")[0] if key.startswith(own) else "news"
    recipient = _recipient(party, kind)
    if recipient is None:  # portal only, or no verified address: the inbox has it
        for row in group:
            row.email_state, row.payload = "skipped", None
        report.skipped += len(group)
        return True
    if kind == "news" and await _throttled(session, settings, party.id, key, group, now, report):
        return True
    message = _compose(settings, kind, party.language, recipient, group[-1].payload or "")
    try:
        await connection.send(message)  # type: ignore[attr-defined]
    except MailError as exc:
        _failed(group, exc, settings.notify_max_attempts, now, report)
        return exc.reached
    for row in group:
        row.email_state, row.sent_at, row.payload, row.last_error = "sent", now, None, ""
    report.sent += len(group)
    report.emails += 1
    if kind == "news":
        await session.execute(
            update(NotificationThrottle)
            .where(
                NotificationThrottle.party_id == party.id, NotificationThrottle.bundle_key == key
            )
            .values(last_sent_at=now)
        )
    return True


def _compose(settings: Settings, kind: str, lang: str, to: str, link: str) -> EmailMessage:
    """The e-mail of a group: news, an address to confirm, a task's reminder, or the question
    how satisfied the party is (with its single-use link)."""
    if kind == "verify":
        return compose_verification(settings, lang, to, link)
    if kind in SURVEY_KEYS:
        return compose_survey(settings, lang, to, link, SURVEY_KEYS[kind])
    if kind == "task":
        return compose_task_reminder(settings, lang, to)
    return compose_news(settings, lang, to)


async def _throttled(
    session: AsyncSession, settings: Settings, party_id: int, key: str,
    group: Sequence[Notification], now: datetime, report: DeliveryReport,
) -> bool:
    """Within the bundle window of the last e-mail on this subject: the rows it told of are
    sent, the others wait for the window's end (True); else nothing is done (False)."""
    window = timedelta(minutes=settings.notify_bundle_minutes)
    last = await _lock_throttle(session, party_id, key, now)
    if last is None or last + window <= now:
        return False
    for row in group:
        if row.created_at <= last:  # the e-mail sent at `last` told of it already
            row.email_state, row.sent_at, row.last_error = "sent", last, ""
            report.sent += 1
        else:  # one e-mail at the end of the window covers them all
            row.next_attempt_at = last + window
            report.postponed += 1
    return True


async def _lock_throttle(
    session: AsyncSession, party_id: int, key: str, now: datetime
) -> datetime | None:
    """When this subject was last mailed; the row stays locked until the transaction ends,
    so a second worker with other rows of the same subject waits, then sees it was sent."""
    query = (
        select(NotificationThrottle.last_sent_at)
        .where(NotificationThrottle.party_id == party_id, NotificationThrottle.bundle_key == key)
        .with_for_update()
    )
    found = await session.scalar(query)
    if found is None:
        epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
        await _insert_throttle(session, party_id, key, epoch)
        found = await session.scalar(query)
    return None if found is None or found.year == 1970 else found


async def _insert_throttle(
    session: AsyncSession, party_id: int, key: str, at: datetime
) -> None:
    values = {"party_id": party_id, "bundle_key": key, "last_sent_at": at}
    await session.execute(insert_ignore(session, NotificationThrottle).values(values))


def _failed(
    group: Sequence[Notification], error: MailError, max_attempts: int, now: datetime,
    report: DeliveryReport,
) -> None:
    """A refusal counts towards MIJN_NOTIFY_MAX_ATTEMPTS (a 5xx is dead at once); an
    unreachable server never makes a notification dead: it waits, up to an hour between
    tries, until it is back (an outage is not the notification's fault).
    The text is only the kind of failure and the SMTP code, never the server's words."""
    text = str(error)[:200]
    log.warning("e-mail delivery failed (%s notifications): %s", len(group), text)
    report.errors.append(text)
    for row in group:
        row.attempts += 1
        row.last_error = text
        if not is_temporary(error) or (error.reached and row.attempts >= max_attempts):
            row.email_state = DEAD
            report.failed += 1
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
            report.retried += 1


def _later(rows: Sequence[Notification], now: datetime, report: DeliveryReport) -> None:
    """Rows not tried this round because the server went away: the next round takes them."""
    for row in rows:
        row.next_attempt_at = now + FIRST_RETRY
    report.retried += len(rows)
