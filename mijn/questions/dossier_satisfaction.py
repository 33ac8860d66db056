"""Satisfaction (KTO) after a dossier is closed: asked once per dossier, after the wait, in the
portal (the dossier's page) and by a single-use e-mail link, as for a question
(mijn/questions/satisfaction.py, whose scales, wording and checks it shares). The answer is
tied to the dossier, never to the person in the figures; there is nothing to reopen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import insert_ignore, utcnow
from mijn.dossiers.closing import closed_between, closed_since
from mijn.notifications.service import notify_dossier_survey
from mijn.questions.invitations import BATCH, LINK_PATH, token_hash
from mijn.questions.models import (
    SATISFIED_FROM,
    DossierSatisfaction,
    DossierSatisfactionInvite,
)
from mijn.questions.satisfaction import score_label
from mijn.satisfactionsettings import SatisfactionSettings
from mijn.settings import Settings


def offered(dossier: Any, settings: SatisfactionSettings, now: datetime) -> str | None:
    """The scale to ask a dossier's satisfaction with now (closed, after the wait, within the
    days it is asked); None when it is not asked now."""
    scale = settings.scale("dossier")
    since = closed_since(dossier)
    if scale is None or since is None:
        return None
    start = since + timedelta(minutes=settings.wait_minutes)
    return scale if start <= now < start + timedelta(days=settings.days) else None


@dataclass(frozen=True)
class DossierSurvey:
    """A closed dossier's satisfaction as its page shows it: the scale asked now (None: not
    asked now) and the answer given."""

    scale: str | None
    response: DossierSatisfaction | None

    @property
    def label(self) -> str:
        """The words of the answer given ("" when none)."""
        r = self.response
        return score_label(r.scale, r.score) if r is not None else ""


async def survey_of(session: AsyncSession, dossier: Any, settings: SatisfactionSettings,
                    now: datetime | None = None) -> DossierSurvey | None:
    """What a dossier's page shows of satisfaction; None (and no statement) while the
    dossier is open or when it is not asked after a dossier."""
    if settings.scale("dossier") is None or closed_since(dossier) is None:
        return None
    response = await response_of(session, dossier.id)
    scale = offered(dossier, settings, now or utcnow()) if response is None else None
    return DossierSurvey(scale, response)


async def response_of(session: AsyncSession, dossier_id: int) -> DossierSatisfaction | None:
    """The satisfaction answer about a dossier, if any."""
    return await session.scalar(
        select(DossierSatisfaction).where(DossierSatisfaction.dossier_id == dossier_id))


async def record(
    session: AsyncSession, dossier_id: int, scale: str, score: int, comment: str, via: str,
    now: datetime | None = None,
) -> DossierSatisfaction | None:
    """Keep the dossier's one satisfaction answer and end its e-mail link; None when it was
    answered already (a second tab, a double click, the link and the portal)."""
    now = now or utcnow()
    response = DossierSatisfaction(
        dossier_id=dossier_id, scale=scale, score=score, satisfied=score >= SATISFIED_FROM,
        comment=comment, via=via, created_at=now)
    try:
        async with session.begin_nested():
            session.add(response)
    except IntegrityError:
        return None
    await session.execute(
        update(DossierSatisfactionInvite)
        .where(DossierSatisfactionInvite.dossier_id == dossier_id,
               DossierSatisfactionInvite.used_at.is_(None))
        .values(used_at=now))
    return response


async def invite_due(session: AsyncSession, settings: Settings, now: datetime | None = None
                     ) -> int:
    """Make the links of the dossiers closed long enough ago (after the wait, within the days
    it is asked), not invited nor answered yet, and put their e-mails in the outbox, in the
    caller's transaction; how many. Any number of workers may run it."""
    kto = settings.satisfaction
    if kto.scale("dossier") is None:
        return 0
    now = now or utcnow()
    latest = now - timedelta(minutes=kto.wait_minutes)
    closed = closed_between(latest - timedelta(days=kto.days), latest).subquery()
    due = (select(closed.c.id, closed.c.party_id)
           .where(~exists().where(DossierSatisfactionInvite.dossier_id == closed.c.id),
                  ~exists().where(DossierSatisfaction.dossier_id == closed.c.id))
           .order_by(closed.c.id).limit(BATCH))
    made = 0
    for dossier_id, party_id in (await session.execute(due)).all():
        raw = secrets.token_urlsafe(32)
        values = {"dossier_id": dossier_id, "token_hash": token_hash(raw), "created_at": now,
                  "expires_at": now + timedelta(days=kto.days)}
        result = await session.execute(
            insert_ignore(session, DossierSatisfactionInvite).values(values))
        if not result.rowcount:  # type: ignore[attr-defined]
            continue  # another worker was first
        await notify_dossier_survey(session, party_id, dossier_id,
                                    f"{settings.base_url}{LINK_PATH}{raw}", now)
        made += 1
    return made


async def invite_by_token(
    session: AsyncSession, raw: str, *, lock: bool = False
) -> DossierSatisfactionInvite | None:
    """The dossier link of this token; None for a token that was never made (or that is a
    question's)."""
    if not raw or len(raw) > 100:
        return None
    query = select(DossierSatisfactionInvite).where(
        DossierSatisfactionInvite.token_hash == token_hash(raw))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)
