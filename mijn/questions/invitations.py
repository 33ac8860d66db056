"""The e-mail that asks for satisfaction (KTO): once the wait after the answer has passed,
the worker makes one random link per question (only its SHA-256 is kept) and puts the
e-mail in the outbox. The link carries no personal data, works once, and logs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import insert_ignore, utcnow
from mijn.notifications.service import notify_survey
from mijn.questions.models import (
    DossierSatisfactionInvite,
    Question,
    SatisfactionInvite,
    SatisfactionResponse,
)
from mijn.questions.satisfaction import since_column
from mijn.settings import Settings

LINK_PATH = "/tevredenheid/"
BATCH = 200


def token_hash(raw: str) -> str:
    """What is kept of a link's token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _due(settings: Settings, now: datetime) -> object:
    """The questions whose satisfaction is to be asked by e-mail now: after the wait, within
    the days it is asked, of a kind it is asked for, not invited nor answered yet."""
    kto = settings.satisfaction
    latest = now - timedelta(minutes=kto.wait_minutes)
    earliest = latest - timedelta(days=kto.days)
    since = since_column()
    return (
        select(Question.id, Question.party_id, Question.kind)
        .where(Question.state.in_(("answered", "closed")), Question.kind.in_(kto.kinds),
               Question.updated_at > earliest,  # ix_questions_state_updated
               since <= latest, since > earliest,
               ~exists().where(SatisfactionInvite.question_id == Question.id),
               ~exists().where(SatisfactionResponse.question_id == Question.id))
        .order_by(Question.id).limit(BATCH)
    )


async def invite_due(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Make the links and put their e-mails in the outbox, in the caller's transaction; how
    many. Any number of workers may run it: a question gets one link."""
    now = now or utcnow()
    if not settings.satisfaction.kinds:
        return 0
    made = 0
    rows = (await session.execute(_due(settings, now))).all()  # type: ignore[call-overload]
    for question_id, party_id, kind in rows:
        raw = secrets.token_urlsafe(32)
        values = {"question_id": question_id, "token_hash": token_hash(raw), "created_at": now,
                  "expires_at": now + timedelta(days=settings.satisfaction.days)}
        result = await session.execute(insert_ignore(session, SatisfactionInvite).values(values))
        if not result.rowcount:  # type: ignore[attr-defined]
            continue  # another worker was first
        await notify_survey(session, party_id, question_id,
                            f"{settings.base_url}{LINK_PATH}{raw}", now, kind == "callback")
        made += 1
    return made


async def invite_by_token(
    session: AsyncSession, raw: str, *, lock: bool = False
) -> tuple[SatisfactionInvite, Question] | None:
    """The link of this token and its question; None for a token that was never made."""
    if not raw or len(raw) > 100:
        return None
    query = (select(SatisfactionInvite, Question)
             .join(Question, Question.id == SatisfactionInvite.question_id)
             .where(SatisfactionInvite.token_hash == token_hash(raw)))
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


def link_usable(invite: SatisfactionInvite | DossierSatisfactionInvite, now: datetime) -> bool:
    """Not used and not expired."""
    return invite.used_at is None and now < invite.expires_at
