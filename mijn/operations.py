"""The operator's commands: `mijn retention run` and `mijn check` (README.md, "Operations");
registered on the `mijn` command by mijn.cli."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from mijn.settings import Settings


def _retention_run(settings: Settings, args: argparse.Namespace) -> int:
    """Remove what is past its period (or, with --dry-run, only count it)."""
    return asyncio.run(_retention(settings, args.dry_run, args.batch))


async def _retention(settings: Settings, dry_run: bool, batch: int) -> int:
    from mijn.db import make_engine, make_sessionmaker, utcnow
    from mijn.documents.objectstore import close_store, open_store
    from mijn.models import import_all
    from mijn.progress import Progress
    from mijn.retention.service import due, run

    import_all()
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=0)
    try:
        sessionmaker = make_sessionmaker(engine)
        now = utcnow()
        async with sessionmaker() as session:
            plan = await due(session, settings.retention, now)
        for item in plan:
            period = f"{item.days} days" if item.cutoff else "kept (period 0)"
            verb = "to anonymise" if item.action == "anonymise" else "to delete"
            print(f"{item.kind:<14} {period:<18} {item.count} {verb}", file=sys.stderr)
        if dry_run:
            print("Dry run: nothing was changed.", file=sys.stderr)
            return 0
        progress = Progress("Retention", sum(item.count for item in plan))
        store = open_store(settings.object_store, settings.documents.directory)
        try:  # the files of deleted dossiers' documents go from the store too
            removed = await run(sessionmaker, plan, now, batch, progress.advance, store)
        finally:
            await close_store(store)
        progress.finish("Retention: " + ", ".join(f"{n} {kind}" for kind, n in removed.items()))
        return 0
    finally:
        await engine.dispose()


def _check(args: argparse.Namespace) -> int:
    """Reads the settings itself: a configuration that cannot be used is its first finding."""
    from mijn.check import main as check_main

    return check_main(args.timeout)


def add_operations_commands(sub: Any) -> None:
    """`mijn retention run [--dry-run] [--batch N]` and `mijn check [--timeout S]`."""
    retention = sub.add_parser("retention", help="retention periods (bewaartermijnen)")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    retention_run = retention_sub.add_parser(
        "run", help="delete or anonymise what is past its period (safe to run again)"
    )
    retention_run.add_argument("--dry-run", action="store_true",
                               help="only count what is due; change nothing")
    retention_run.add_argument("--batch", type=int, default=500,
                               help="rows per transaction (default 500)")
    retention_run.set_defaults(func=_retention_run)
    check = sub.add_parser("check", help="check the configuration and what Mijn connects to")
    check.add_argument("--timeout", type=float, default=5.0,
                       help="seconds to wait for each server (default 5)")
    check.set_defaults(func=None, without_settings=_check)
