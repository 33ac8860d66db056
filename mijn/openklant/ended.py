"""Mandates that end by their date: nothing changes in Mijn when a mandate's last day passes,
so once a day the worker looks which exported mandates (those with a vertegenwoordiging in
Open Klant) no longer hold, and notes their export, which removes the vertegenwoordiging.
A mandate asserted at login (DigiD Machtigen, eHerkenning) is noted once: not while it is
in Open Klant already or its export waits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.mandates.service import ended_mandate_ids
from mijn.openklant.links import known
from mijn.openklant.models import OpenKlantExport, OpenKlantLink
from mijn.openklant.queue import enqueue_mandate
from mijn.openklantsettings import OpenKlantSettings

ROLE = "vertegenwoordiging"


async def _waiting(session: AsyncSession, mandate_ids: list[int]) -> set[int]:
    """Which of these mandates have an export that waits."""
    found = await session.scalars(
        select(OpenKlantExport.mandate_id).where(OpenKlantExport.kind == "mandate",
                                                 OpenKlantExport.state == "pending",
                                                 OpenKlantExport.mandate_id.in_(mandate_ids)))
    return {i for i in found if i is not None}


async def note_ended(session: AsyncSession, settings: OpenKlantSettings, day: date) -> int:
    """Note the export of every exported mandate that no longer holds on this day (once: not
    when one waits already); how many. The caller commits."""
    if not settings.enabled:
        return 0
    subjects = await session.scalars(
        select(OpenKlantLink.subject).where(OpenKlantLink.role == ROLE))
    exported = [int(s.split(":", 1)[1]) for s in subjects if s.startswith("mandate:")]
    ended = await ended_mandate_ids(session, exported, day)
    waiting = await _waiting(session, ended) if ended else set()
    for mandate_id in ended:
        if mandate_id not in waiting:
            await enqueue_mandate(session, settings, mandate_id)
    return len(ended) - len(waiting)


async def note_claimed(session: AsyncSession, settings: OpenKlantSettings,
                       mandate_id: int) -> bool:
    """Note the export of a mandate asserted at login, unless it is in Open Klant already or
    its export waits (each login asserts it again); whether it was noted."""
    if not settings.enabled:
        return False
    if await known(session, f"mandate:{mandate_id}", ROLE) is not None:
        return False
    if await _waiting(session, [mandate_id]):
        return False
    await enqueue_mandate(session, settings, mandate_id)
    return True


class DailySweep:
    """note_ended once a day per worker (an end date passes at midnight), in its own
    transaction."""

    def __init__(self) -> None:
        self.swept_on: date | None = None

    async def __call__(self, sessionmaker: async_sessionmaker[AsyncSession],
                       settings: OpenKlantSettings, today: date | None = None) -> int:
        today = today or utcnow().date()  # as the export decides whether one ended
        if not settings.enabled or self.swept_on == today:
            return 0
        async with sessionmaker() as session:
            noted = await note_ended(session, settings, today)
            await session.commit()
        self.swept_on = today
        return noted
