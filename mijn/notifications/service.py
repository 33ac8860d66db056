"""What the notifications area can do: note news in the outbox (in the caller's transaction),
show the inbox, keep preferences and verify addresses. The worker's e-mail delivery is in
mijn.notifications.delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.notifications.models import Notification
from mijn.ratelimits import service as rates
from mijn.ratelimits.rules import VERIFY_EMAILS, rule
from mijn.retry import DEAD
from mijn.settings import Settings

if TYPE_CHECKING:  # another area's rows, only named in annotations
    from mijn.parties.models import Party

VERIFY_MAX_AGE = timedelta(hours=48)
VERIFY_SALT = "mijn.email-verify"
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


async def notify_task(
    session: AsyncSession, party_id: int, task_id: int, dossier_id: int | None, now: datetime
) -> None:
    """Note a task's reminder (kind task; e-mails bundled per task) in the caller's
    transaction."""
    await session.execute(_INSERT, {
        "party_id": party_id, "kind": "task", "dossier_id": dossier_id, "question_id": None,
        "bundle_key": f"task:{task_id}", "created_at": now, "email_state": "pending",
        "attempts": 0, "next_attempt_at": now, "last_error": "",
    })
async def notify_survey(
    session: AsyncSession, party_id: int, question_id: int, link: str, now: datetime,
    callback: bool = False,
) -> None:
    """Ask the party, in its inbox and by e-mail, how satisfied they are with the answer to
    a question (`callback`: with a callback request; its e-mail has its own wording in a
    theme that gives one); the e-mail its own, never bundled; the link kept only until it is
    sent. The inbox line is no news that waits to be read: marked read."""
    key = f"{'callbacksurvey' if callback else 'survey'}:{question_id}"
    await session.execute(
        _INSERT,
        {
            "party_id": party_id, "kind": "survey", "dossier_id": None,
            "question_id": question_id, "bundle_key": key,
            "created_at": now, "read_at": now, "email_state": "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": "", "payload": link,
        },
    )


async def notify_dossier_survey(
    session: AsyncSession, party_id: int, dossier_id: int, link: str, now: datetime
) -> None:
    """As notify_survey, about a closed dossier (an e-mail of its own wording)."""
    await session.execute(
        _INSERT,
        {
            "party_id": party_id, "kind": "survey", "dossier_id": dossier_id,
            "question_id": None, "bundle_key": f"dossiersurvey:{dossier_id}",
            "created_at": now, "read_at": now, "email_state": "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": "", "payload": link,
        },
    )


def notify_from(
    kind: str, party_id: ColumnElement[int], dossier_id: ColumnElement[int],
    now: ColumnElement[datetime], *where: ColumnElement[bool],
) -> Insert:
    """notify as an INSERT ... SELECT, for a statement that writes the news together with the
    change it tells of (the rows: party and dossier ids, where the conditions hold)."""
    rows = select(
        party_id, literal(kind), dossier_id, literal("dossier:") + cast(dossier_id, String),
        now, literal("pending"), literal(0), now, literal(""),
    ).where(*where)
    return insert(Notification).from_select(
        ["party_id", "kind", "dossier_id", "bundle_key", "created_at", "email_state", "attempts",
         "next_attempt_at", "last_error"], rows,
    )


# --- the inbox ----------------------------------------------------------------------------

@dataclass(frozen=True)
class NewsScope:
    """The part of a party's news a visitor may hear of (id selects): only about these
    dossiers or questions (e.g. the employees of one branch; None: any of the party's), and
    never about those locked (about a dossier above the session's level of assurance)."""

    dossiers: Select[Any] | None = None
    questions: Select[Any] | None = None
    locked_dossiers: Select[Any] | None = None
    locked_questions: Select[Any] | None = None


def _within(scope: NewsScope | None) -> list[ColumnElement[bool]]:
    if scope is None:
        return []
    found: list[ColumnElement[bool]] = []
    if scope.dossiers is not None and scope.questions is not None:
        found.append(or_(Notification.dossier_id.in_(scope.dossiers),
                         Notification.question_id.in_(scope.questions)))
    if scope.locked_dossiers is not None:
        found.append(or_(Notification.dossier_id.is_(None),
                         Notification.dossier_id.not_in(scope.locked_dossiers)))
    if scope.locked_questions is not None:
        found.append(or_(Notification.question_id.is_(None),
                         Notification.question_id.not_in(scope.locked_questions)))
    return found


async def unread_count(
    session: AsyncSession, party_id: int, within: NewsScope | None = None
) -> int:
    """How many inbox messages the party has not seen (of those in scope)."""
    found = await session.scalar(unread_select(within), {"party_id": party_id})
    return int(found or 0)


def unread_select(within: NewsScope | None = None) -> Select[Any]:
    """The count of unread_count, the party bound as `party_id` (to build once and run
    often, or to read as a column of another statement)."""
    return select(func.count()).where(
        Notification.party_id == bindparam("party_id"), Notification.read_at.is_(None),
        Notification.kind != "verify", *_within(within),
    )


async def inbox(
    session: AsyncSession, party_id: int, limit: int = 50, within: NewsScope | None = None
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
    session: AsyncSession, party_id: int, now: datetime | None = None,
    within: NewsScope | None = None,
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


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    """How many e-mails wait to be sent and how many are dead (for the metrics; each count
    reads only its own partial index)."""
    counts = {}
    for state in ("pending", DEAD):
        total = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.email_state == state)
        )
        counts[state] = int(total or 0)
    return counts


async def dead_deliveries(session: AsyncSession, limit: int = 100) -> list[Notification]:
    """Notifications whose e-mail is dead (will not be tried again), newest first (for staff)."""
    found = await session.scalars(
        select(Notification)
        .where(Notification.email_state == DEAD)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(found)


async def requeue_delivery(session: AsyncSession, notification_id: int) -> int | None:
    """Put a dead e-mail back in the queue, due now with a fresh count of attempts (the last
    error stays until it is sent); the party it was for, or None when there is no such dead
    one. The caller commits."""
    party_id = await session.scalar(
        update(Notification)
        .where(Notification.id == notification_id, Notification.email_state == DEAD)
        .values(email_state="pending", attempts=0, next_attempt_at=utcnow())
        .returning(Notification.party_id)
    )
    return None if party_id is None else int(party_id)


# --- preferences and address verification --------------------------------------------------


class PreferenceError(ValueError):
    """Preferences that cannot be saved; `field` and `code` say what is wrong."""

    def __init__(self, field: str, code: str, retry_after: int = 0) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.retry_after = retry_after  # too_many: seconds until it may be tried again


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
    # Mijn is no way to mail strangers: counted atomically, so parallel requests (any
    # process) never send more than the limit (MIJN_RATE_VERIFY_EMAILS).
    who = rates.subject(settings.secret_key.reveal(), "party", party.id)
    verdict = await rates.hit(session, [(rule(settings, VERIFY_EMAILS), who)], now.timestamp())
    if not verdict.allowed:
        raise PreferenceError("email", "too_many", verdict.retry_after)
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
