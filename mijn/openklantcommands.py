"""`mijn openklant backfill [--since DATE]`: export to Open Klant what Mijn held before the
export was turned on: questions, contacts, mandates (README.md, "Open Klant"); registered on
the `mijn` command by mijn.cli."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from mijn.settings import Settings


def _since(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _backfill(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.openklant.enabled:
        print("mijn: MIJN_OPENKLANT_URL is not set: there is no Open Klant to export to.",
              file=sys.stderr)
        return 2
    return asyncio.run(_run(settings, args.since))


async def _run(settings: Settings, since: datetime | None) -> int:
    from mijn.db import make_engine, make_sessionmaker
    from mijn.models import import_all
    from mijn.openklant.backfill import deliver_all, note_all, pending_count, to_note
    from mijn.openklant.client import OpenKlantClient
    from mijn.progress import Progress

    import_all()
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=0)
    try:
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            items = await to_note(session, since)
        progress = Progress("Open Klant: noting", sum(map(len, items.values())))
        noted = await note_all(sessionmaker, items, progress.advance)
        counted = ", ".join(f"{len(ids)} {kind}s" for kind, ids in items.items())
        progress.finish(f"{counted}: {noted} exports noted")
        async with sessionmaker() as session:
            progress = Progress("Open Klant: sending", await pending_count(session))
        async with OpenKlantClient(settings.openklant) as client:
            counts = await deliver_all(sessionmaker, settings.openklant, client,
                                       progress.advance)
        progress.finish(f"{counts['done']} sent, {counts['pending']} to retry by the worker, "
                        f"{counts['dead']} failed (see /kcc/meldingen)")
        return 1 if counts["dead"] else 0
    finally:
        await engine.dispose()


def add_openklant_commands(sub: Any) -> None:
    """`mijn openklant backfill [--since YYYY-MM-DD]`."""
    openklant = sub.add_parser("openklant", help="the export to Open Klant (Klantinteracties)")
    openklant_sub = openklant.add_subparsers(dest="openklant_command", required=True)
    run = openklant_sub.add_parser(
        "backfill",
        help="export the questions, contacts and mandates Mijn held before (safe to run again)")
    run.add_argument("--since", type=_since, default=None,
                     help="only questions and contacts on or after this date (YYYY-MM-DD)")
    run.set_defaults(func=_backfill)
