"""What the notifications area can do: note news in the outbox (in the caller's transaction),
show the inbox, keep preferences and verify addresses, and deliver e-mail (the worker).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, Select, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import insert_ignore, utcnow
from mijn.notifications.mail import Mailer, MailError, compose_news, compose_verification
from mijn.notifications.models import Notification, NotificationThrottle
from mijn.parties.models import Party
from mijn.retry import backoff
from mijn.settings import Settings

log = logging.getLogger("mijn.notifications")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
VERIFY_MAX_AGE = timedelta(hours=48)
VERIFY_SALT = "mijn.email-verify"
MAX_VERIFY_PER_DAY = 5
_INSERT = insert(Notification)


def bundle_key(dossier_id: int | None, question_id: int | None) -> str:
    """The subject e-mails are bundled by: the dossier, else the question."""
    return f"dossier:{dossier_id}" if dossier_id else f"question:{question_id}"


async def notify(
    session: AsyncSession, party_id: int, kind: str, *, dossier_id: int | None = None,
    question_id: int | None = None, now: datetime | None = None,
) -> None:
    """Note news for a party in the caller's transaction (it commits or rolls back with it)."""
    now = now or utcnow()
    await session.execute(
        _INSERT,
        {
            "party_id": party_id, "kind": kind, "dossier_id": dossier_id,
            "question_id": question_id, "bundle_key": bundle_key(dossier_id, question_id),
            "created_at": now, "email_state": "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": "",
        },
    )


# --- the inbox ----------------------------------------------------------------------------

# The dossiers and questions (id selects) a restricted visitor may hear of, e.g. the
# employees of one branch; None: all of the party's.
NewsScope = tuple[Select[Any], Select[Any]] | None


def _within(scope: NewsScope) -> list[ColumnElement[bool]]:
    if scope is None:
        return []
    dossiers, questions = scope
    return [or_(Notification.dossier_id.in_(dossiers), Notification.question_id.in_(questions))]


async def unread_count(session: AsyncSession, party_id: int, within: NewsScope = None) -> int:
    """How many inbox messages the party has not seen (of those in scope)."""
    found = await session.scalar(
        select(func.count()).where(
            Notification.party_id == party_id, Notification.read_at.is_(None),
            Notification.kind != "verify", *_within(within),
        )
    )
    return int(found or 0)


async def inbox(
    session: AsyncSession, party_id: int, limit: int = 50, within: NewsScope = None
) -> list[Notification]:
    """The party's messages (in scope), newest first (address verifications are not news)."""
    found = await session.scalars(
        select(Notification)
        .where(Notification.party_id == party_id, Notification.kind != "verify",
               *_within(within))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(found)


async def mark_read(
    session: AsyncSession, party_id: int, now: datetime | None = None, within: NewsScope = None
) -> None:
    """The party has seen their inbox (the part of it in scope)."""
    unread = (
        select(Notification.id)
        .where(Notification.party_id == party_id, Notification.read_at.is_(None),
               *_within(within))
        # rows a worker is delivering right now are marked next time: the page never waits
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(unread))
        .values(read_at=now or utcnow())
        # the page that marks them read still shows which ones were new
        .execution_options(synchronize_session=False)
    )


async def mark_question_read(
    session: AsyncSession, party_id: int, question_id: int, now: datetime | None = None
) -> None:
    """The party read this question: its news is no longer new in the inbox."""
    await session.execute(
        update(Notification)
        .where(
            Notification.party_id == party_id, Notification.question_id == question_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


async def party_notifications(
    session: AsyncSession, party_id: int, limit: int = 50
) -> list[Notification]:
    """A party's notifications with their delivery state, newest first (for staff)."""
    found = await session.scalars(
        select(Notification)
        .where(Notification.party_id == party_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(found)


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    """How many notifications are in each delivery state (for staff)."""
    rows = await session.execute(
        select(Notification.email_state, func.count()).group_by(Notification.email_state)
    )
    return {state: int(count) for state, count in rows.all()}


async def failed_deliveries(session: AsyncSession, limit: int = 100) -> list[Notification]:
    """Notifications whose e-mail could not be delivered, newest first (for staff)."""
    found = await session.scalars(
        select(Notification)
        .where(Notification.email_state == "failed")
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    return list(found)


# --- preferences and address verification --------------------------------------------------


class PreferenceError(ValueError):
    """Preferences that cannot be saved; `field` and `code` say what is wrong."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def check_email(address: str) -> str:
    """A plausible e-mail address, trimmed; PreferenceError otherwise."""
    value = address.strip()
    local, at, domain = value.rpartition("@")
    if (
        not at or not local or "." not in domain.strip(".") or len(value) > 254
        or any(c.isspace() or c in "<>,;\"" for c in value)
    ):
        raise PreferenceError("email", "invalid")
    return value


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.reveal(), salt=VERIFY_SALT)


async def save_preferences(
    session: AsyncSession, party: Party, settings: Settings, *, email: str,
    notify_by_email: bool, now: datetime | None = None,
) -> bool:
    """Save the choices; a new address waits for its verification link. True if one is sent."""
    now = now or utcnow()
    party.notify_by_email = notify_by_email
    if not email.strip():
        if notify_by_email and not party.email_verified_at:
            raise PreferenceError("email", "missing")
        return False
    address = check_email(email)
    if party.email_verified_at and address.lower() == (party.email or "").lower():
        return False
    if await _verifications_since(session, party.id, now - timedelta(days=1)) >= MAX_VERIFY_PER_DAY:
        raise PreferenceError("email", "too_many")  # Mijn is no way to mail strangers
    raw = secrets.token_urlsafe(32)
    party.pending_email = address
    party.email_token_hash = hashlib.sha256(raw.encode()).hexdigest()
    party.email_token_expires_at = now + VERIFY_MAX_AGE
    signed = _serializer(settings).dumps({"p": party.id, "t": raw})
    link = f"{settings.base_url}/mijn/instellingen/bevestigen/{signed}"
    session.add(
        Notification(
            party_id=party.id, kind="verify", bundle_key=f"verify:{party.id}", created_at=now,
            read_at=now, email_state="pending", next_attempt_at=now, payload=link,
        )
    )
    return True


def link_valid(party: Party, signed: str, settings: Settings, now: datetime) -> bool:
    """Whether a verification link is genuine, this party's, current and not yet used."""
    try:
        data = _serializer(settings).loads(
            signed, max_age=int(VERIFY_MAX_AGE.total_seconds())
        )
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("p") != party.id or not party.email_token_hash:
        return False
    digest = hashlib.sha256(str(data.get("t", "")).encode()).hexdigest()
    expired = party.email_token_expires_at is None or party.email_token_expires_at < now
    return not expired and hmac.compare_digest(digest, party.email_token_hash)


async def _verifications_since(session: AsyncSession, party_id: int, since: datetime) -> int:
    found = await session.scalar(
        select(func.count()).where(
            Notification.party_id == party_id, Notification.kind == "verify",
            Notification.created_at >= since,
        )
    )
    return int(found or 0)


async def confirm_email(
    session: AsyncSession, party: Party, signed: str, settings: Settings,
    now: datetime | None = None,
) -> bool:
    """Use the pending address if the link is genuine, this party's, current and unused."""
    now = now or utcnow()
    if not link_valid(party, signed, settings, now):
        return False
    party.email, party.email_verified_at = party.pending_email, now
    party.pending_email = party.email_token_hash = party.email_token_expires_at = None
    return True


# --- delivery --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    sent: int = 0
    emails: int = 0
    postponed: int = 0
    retried: int = 0
    failed: int = 0
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
                reachable = await _deliver_group(
                    session, connection, settings, parties[party_id], key, group, now, report
                )
                if not reachable:  # the server is down: try the rest later, not one by one
                    _later([row for _, rest in ordered[done + 1:] for row in rest], now, report)
                    break
        await session.commit()
    return report


async def _parties(session: AsyncSession, ids: set[int]) -> dict[int, Party]:
    return {p.id: p for p in await session.scalars(select(Party).where(Party.id.in_(ids)))}


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
    kind = "verify" if key.startswith("verify:") else "news"
    recipient = _recipient(party, kind)
    if recipient is None:  # portal only, or no verified address: the inbox has it
        for row in group:
            row.email_state, row.payload = "skipped", None
        report.skipped += len(group)
        return True
    if kind == "news":
        window = timedelta(minutes=settings.notify_bundle_minutes)
        last = await _lock_throttle(session, party.id, key, now)
        if last is not None and last + window > now:
            for row in group:
                if row.created_at <= last:  # the e-mail sent at `last` told of it already
                    row.email_state, row.sent_at, row.last_error = "sent", last, ""
                    report.sent += 1
                else:  # one e-mail at the end of the window covers them all
                    row.next_attempt_at = last + window
                    report.postponed += 1
            return True
    message = (
        compose_verification(settings, party.language, recipient, group[-1].payload or "")
        if kind == "verify" else compose_news(settings, party.language, recipient)
    )
    try:
        await connection.send(message)  # type: ignore[attr-defined]
    except MailError as exc:
        _failed(group, exc, now, report)
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
    group: Sequence[Notification], error: MailError, now: datetime, report: DeliveryReport
) -> None:
    """A refusal counts towards MAX_ATTEMPTS (a 5xx fails at once); an unreachable server
    never makes a notification fail: it waits, up to an hour between tries, until it is back.
    The text is only the kind of failure and the SMTP code, never the server's words."""
    text = str(error)[:200]
    log.warning("e-mail delivery failed (%s notifications): %s", len(group), text)
    report.errors.append(text)
    for row in group:
        row.attempts += 1
        row.last_error = text
        if error.permanent or (error.reached and row.attempts >= MAX_ATTEMPTS):
            row.email_state = "failed"
            report.failed += 1
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
            report.retried += 1


def _later(rows: Sequence[Notification], now: datetime, report: DeliveryReport) -> None:
    """Rows not tried this round because the server went away: the next round takes them."""
    for row in rows:
        row.next_attempt_at = now + FIRST_RETRY
    report.retried += len(rows)

