"""The demo's tasks ("Te doen"): one of each kind a citizen can do in the portal, for Fatima
el Amrani and for Bakkerij De Korenschoof (Jan Jansen has none: the e2e tests count his menu's
badges). Written as a back-office would register them, under the source "demo"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier
from mijn.tasks.models import Task


@dataclass(frozen=True)
class DemoTask:
    external_id: str
    owner: str  # BSN or KvK number, as the demo's parties are keyed
    dossier: str | None  # the dossier's reference
    kind: str
    title: str
    explanation: str
    deadline_in_days: int  # negative: overdue
    url: str | None = None
    fields: tuple[dict[str, Any], ...] | None = None


def demo_tasks(fatima: str, business: str) -> tuple[DemoTask, ...]:
    """The tasks, for these two parties."""
    return (
        DemoTask("taak-0103-begroting", fatima, "Z-2026-0103", "form",
                 "Geef de kosten van het buurtfeest door",
                 "Wij hebben de kosten nodig om te besluiten over uw subsidie.", 5,
                 fields=(
                     {"name": "datum", "type": "date", "label_nl": "Datum van het feest",
                      "label_en": "Date of the party"},
                     {"name": "kosten", "type": "amount", "label_nl": "Totale kosten in euro",
                      "label_en": "Total costs in euros", "min": 1, "max": 5000},
                     {"name": "toelichting", "type": "text", "label_nl": "Toelichting",
                      "label_en": "Explanation", "required": False, "max_length": 500},
                 )),
        DemoTask("taak-parkeren-betalen", fatima, None, "link",
                 "Betaal uw parkeervergunning",
                 "Uw vergunning gaat in zodra wij uw betaling hebben.", -1,
                 url="https://betalen.example.org/parkeervergunning"),
        DemoTask("taak-0204-sluitingstijd", business, "Z-2026-0204", "confirm",
                 "Bevestig dat het terras om 22.00 uur dicht is",
                 "Dit is een voorwaarde voor de vergunning voor uw terras.", 12),
    )


async def seed_demo_tasks(
    session: AsyncSession, party_ids: dict[str, int], fatima: str, business: str, today: date
) -> int:
    """The demo's tasks that are not there yet; returns how many were added."""
    existing = set(await session.scalars(select(Task.external_id).where(Task.source == "demo")))
    references = {t.dossier for t in demo_tasks(fatima, business) if t.dossier}
    rows = await session.execute(select(Dossier.reference, Dossier.id).where(
        Dossier.reference.in_(references)))
    dossiers = {reference: dossier_id for reference, dossier_id in rows}
    added = 0
    for task in demo_tasks(fatima, business):
        if task.external_id in existing:
            continue
        session.add(Task(
            source="demo", external_id=task.external_id, party_id=party_ids[task.owner],
            dossier_id=dossiers.get(task.dossier) if task.dossier else None, kind=task.kind,
            title=task.title, explanation=task.explanation, url=task.url,
            fields=json.dumps(list(task.fields)) if task.fields else None,
            deadline=today + timedelta(days=task.deadline_in_days), status="open", version=1))
        added += 1
    await session.flush()
    return added
