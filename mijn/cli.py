"""The `mijn` command: serve, db upgrade, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys

from mijn.settings import ConfigurationError, Settings, load_settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from mijn.migrate import upgrade

    if settings.is_embedded_database:
        upgrade(settings.database_url)
    print(f"Mijn runs on http://{args.host}:{args.port} (stop with Ctrl+C)", file=sys.stderr)
    uvicorn.run(
        "mijn.app:create_app", factory=True, host=args.host, port=args.port,
        workers=args.workers, proxy_headers=True, log_level=args.log_level,
    )
    return 0


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    print(f"Database is at revision {args.revision}.", file=sys.stderr)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.db import make_engine, make_sessionmaker
    from mijn.demo import seed_demo
    from mijn.migrate import upgrade

    upgrade(settings.database_url)

    async def run() -> None:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session)
        await engine.dispose()

    asyncio.run(run())
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="mijn", description="Mijn, the self-service portal.")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the portal")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_db_upgrade)
    demo = sub.add_parser("demo", help="load the demo data (safe to run again)")
    demo.set_defaults(func=_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mijn` console script."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"mijn: {exc}", file=sys.stderr)
        return 2
    result: int = args.func(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
