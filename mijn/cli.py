"""The `mijn` command: serve, db upgrade, demo, api-client, zgw retry, worker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from typing import Any

from mijn.openklantcommands import add_openklant_commands
from mijn.operations import add_operations_commands
from mijn.settings import ConfigurationError, Settings, load_settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.migrate import upgrade
    from mijn.serving import WORKER_HEALTHCHECK_SECONDS, DrainingServer, ServeConfig, run_workers

    if settings.is_embedded_database:
        upgrade(settings.database_url)
    print(f"Mijn runs on http://{args.host}:{args.port} (stop with Ctrl+C)", file=sys.stderr)
    config = ServeConfig(
        "mijn.app:create_app", drain_seconds=args.drain_seconds, factory=True, host=args.host,
        port=args.port, workers=args.workers, proxy_headers=True, log_level=args.log_level,
        timeout_graceful_shutdown=args.graceful_timeout,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=None,  # the log's format is Mijn's (MIJN_LOG_FORMAT), in every process
    )
    if args.workers <= 1:
        DrainingServer(config, args.drain_seconds).run()
        return 0
    run_workers(config, [tcp_listener(args.host, args.port)])
    return 0


def tcp_listener(host: str, port: int) -> socket.socket:
    """The shared listening socket for several workers, created as IPPROTO_TCP.

    uvicorn binds it with protocol 0 when it has several workers; asyncio then leaves
    TCP_NODELAY off on accepted connections, and Nagle's algorithm with delayed ACKs
    holds each response body back ~40 ms on keep-alive connections (bench/README.md).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    print(f"Database is at revision {args.revision}.", file=sys.stderr)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.db import make_engine, make_sessionmaker
    from mijn.dev.demo import seed_demo
    from mijn.migrate import upgrade

    upgrade(settings.database_url)

    async def run() -> None:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session, settings=settings)
        await engine.dispose()

    asyncio.run(run())
    return 0


def _with_session(settings: Settings, work: Any) -> Any:
    from mijn.db import make_engine, make_sessionmaker

    async def run() -> Any:
        engine = make_engine(settings.database_url, **settings.pgbouncer.engine_options())
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _api_client_create(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.intake.service import IntakeError, create_api_client

    async def work(session: Any) -> str:
        _client, token = await create_api_client(session, args.name, args.source, args.scope)
        return token

    try:
        token = _with_session(settings, work)
    except IntakeError as exc:
        print(f"mijn: {exc}", file=sys.stderr)
        return 2
    print(f"API client {args.name!r} for source {args.source!r} created. Its token (shown "
          "only now; store it in the back-office's secret store):", file=sys.stderr)
    print(token)
    return 0


def _api_client_list(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.intake.service import list_api_clients

    clients = _with_session(settings, list_api_clients)
    if not clients:
        print("No API clients yet: mijn api-client create NAME --source SOURCE", file=sys.stderr)
    for client in clients:
        state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        print(f"{client.name}\tsource={client.source}\tscopes={client.scopes}\t{state}")
    return 0


def _api_client_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.intake.service import revoke_api_client

    async def work(session: Any) -> bool:
        return await revoke_api_client(session, args.name)

    if not _with_session(settings, work):
        print(f"mijn: no active API client named {args.name!r} (see mijn api-client list)",
              file=sys.stderr)
        return 1
    print(f"API client {args.name!r} revoked; its token no longer works.", file=sys.stderr)
    return 0


def _sessions_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.sessions.service import revoke

    async def work(session: Any) -> int:
        return await revoke(session, party_id=args.party, staff_id=args.staff)

    ended: int = _with_session(settings, work)
    whose = f"party {args.party}" if args.party is not None else f"staff member {args.staff}"
    print(f"{ended} session(s) of {whose} ended.")
    return 0


async def _zgw_round(settings: Settings, args: argparse.Namespace, sessionmaker: Any,
                     client: Any, first: bool) -> None:
    """Process the due ZGW notifications once and say what came of it."""
    from mijn.intake.zgw_queue import pending_count, process_due

    counts = await process_due(sessionmaker, client, settings.zgw, args.limit,
                               ignore_schedule=args.now and first)
    async with sessionmaker() as session:
        waiting = await pending_count(session)
    if counts or not args.loop:
        print(f"ZGW notifications: {counts['done']} done, {counts['ignored']} ignored, "
              f"{counts['dead']} dead, {counts['pending']} to retry later; "
              f"{waiting} pending in all.", file=sys.stderr, flush=True)


async def _zgw_run(settings: Settings, args: argparse.Namespace) -> None:
    """One round, or rounds until stopped with --loop (a round that fails is tried again)."""
    import httpx

    from mijn.db import make_engine, make_sessionmaker
    from mijn.intake.zgw_client import ZgwClient
    from mijn.models import import_all
    from mijn.retry import error_summary, is_temporary

    import_all()  # every table a stored dossier refers to, or each store fails (and retries)
    engine = make_engine(settings.database_url, **settings.pgbouncer.engine_options())
    http = httpx.AsyncClient(timeout=httpx.Timeout(settings.zgw.timeout))
    try:
        sessionmaker = make_sessionmaker(engine)
        client = ZgwClient(settings.zgw, http)
        stop = asyncio.Event()  # SIGTERM and Ctrl+C stop the loop after the current round
        if args.loop:
            for signum in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(signum, stop.set)
            print(f"Retrying ZGW notifications every {args.interval:g} s "
                  "(stop with Ctrl+C)", file=sys.stderr, flush=True)
        await _zgw_round(settings, args, sessionmaker, client, True)
        while args.loop:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.interval)
            if stop.is_set():
                break
            try:
                await _zgw_round(settings, args, sessionmaker, client, False)
            except Exception as exc:
                if not is_temporary(exc):  # a programming error: never retried for ever
                    raise
                print(f"mijn: this round failed ({error_summary(exc)}); trying again "
                      f"in {args.interval:g} s", file=sys.stderr, flush=True)
    finally:
        await http.aclose()
        await engine.dispose()


def _zgw_retry(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.zgw.enabled:
        print("mijn: ZGW is not configured: set MIJN_ZGW_NOTIFICATIONS_TOKEN, "
              "MIJN_ZGW_ZAKEN_URL, MIJN_ZGW_CATALOGI_URL, MIJN_ZGW_CLIENT_ID and "
              "MIJN_ZGW_SECRET.", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):  # before the loop listens for it
        asyncio.run(_zgw_run(settings, args))
    if args.loop:
        print("Stopped.", file=sys.stderr)
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from mijn.worker import main as worker_main

    return worker_main(settings, args.once, args.interval, args.batch)


def _add_portal_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the portal")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--graceful-timeout", type=int, default=30,
                       help="seconds requests in flight may take after SIGTERM (default 30)")
    serve.add_argument("--drain-seconds", type=float, default=3,
                       help="seconds to keep serving after SIGTERM while /health/ready says "
                            "draining, before the listener closes (default 3)")
    serve.set_defaults(func=_serve)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_db_upgrade)
    demo = sub.add_parser("demo", help="load the demo data (safe to run again)")
    demo.set_defaults(func=_demo)


def _add_api_client_commands(sub: Any) -> None:
    api = sub.add_parser("api-client", help="API clients of back-office systems")
    api_sub = api.add_subparsers(dest="api_command", required=True)
    create = api_sub.add_parser("create", help="create a client and print its token once")
    create.add_argument("name")
    create.add_argument("--source", required=True, help="the source whose dossiers it writes")
    create.add_argument("--scope", action="append", default=[],
                        help="dossiers (default), catalogue and/or mandates; repeat for more")
    create.set_defaults(func=_api_client_create)
    api_sub.add_parser("list", help="list the clients").set_defaults(func=_api_client_list)
    revoke = api_sub.add_parser("revoke", help="revoke a client's token")
    revoke.add_argument("name")
    revoke.set_defaults(func=_api_client_revoke)


def _add_sessions_commands(sub: Any) -> None:
    sessions = sub.add_parser("sessions", help="login sessions")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", required=True)
    revoke = sessions_sub.add_parser(
        "revoke", help="end every session of a party or a staff member (prints how many)"
    )
    whose = revoke.add_mutually_exclusive_group(required=True)
    whose.add_argument("--party", type=int, help="the party's id (citizen or business)")
    whose.add_argument("--staff", type=int, help="the staff member's id")
    revoke.set_defaults(func=_sessions_revoke)


def _add_worker_commands(sub: Any) -> None:
    zgw = sub.add_parser("zgw", help="ZGW notifications")
    zgw_sub = zgw.add_subparsers(dest="zgw_command", required=True)
    retry = zgw_sub.add_parser("retry", help="process the notifications that are due")
    retry.add_argument("--loop", action="store_true", help="keep running (a worker)")
    retry.add_argument("--interval", type=float, default=30.0,
                       help="seconds between rounds with --loop (default 30)")
    retry.add_argument("--limit", type=int, default=100,
                       help="at most this many notifications per round (default 100)")
    retry.add_argument("--now", action="store_true",
                       help="retry every pending one now, ignoring its back-off "
                            "(e.g. after an outage is over)")
    retry.set_defaults(func=_zgw_retry)
    worker = sub.add_parser("worker", help="deliver notifications by e-mail (run one or more)")
    worker.add_argument("--once", action="store_true", help="stop when nothing is due")
    worker.add_argument("--interval", type=float, default=5.0,
                        help="seconds to wait when nothing is due (default 5)")
    worker.add_argument("--batch", type=int, default=200,
                        help="notifications per round and transaction (default 200)")
    worker.set_defaults(func=_worker)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="mijn", description="Mijn, the self-service portal.")
    sub = p.add_subparsers(dest="command", required=True)
    _add_portal_commands(sub)
    _add_api_client_commands(sub)
    _add_sessions_commands(sub)
    _add_worker_commands(sub)
    add_operations_commands(sub)
    add_openklant_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mijn` console script."""
    args = parser().parse_args(argv)
    if getattr(args, "without_settings", None):  # mijn check: reads and checks them itself
        return int(args.without_settings(args))
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"mijn: {exc}", file=sys.stderr)
        return 2
    from mijn.observe.logs import configure_logging

    # Every command logs in the configured format (MIJN_LOG_FORMAT): `mijn worker` and
    # `mijn zgw retry` too, whose lines a log collector reads beside the server's.
    configure_logging(settings.telemetry)
    result: int = args.func(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
