"""`uvicorn --workers N` for the bench app, but with TCP_NODELAY on client connections.

    .venv/bin/python -m bench.serve --workers 2 --port 8765

With --workers > 1, uvicorn binds the listening socket itself with `proto` 0; the
accepted connections inherit it, and asyncio only sets TCP_NODELAY when proto is
IPPROTO_TCP. Nagle's algorithm then holds back each response body until the client
acknowledges the headers, which a Linux client delays by ~40 ms on a keep-alive
connection (uvicorn issue #3149, not fixed in the pinned 0.54). This launcher does what
`uvicorn.run(workers=N)` does, with the listener created as IPPROTO_TCP, so that the
benchmark can show the portal's own cost next to the stock command's
(`bench/run.py --server nodelay`).
"""

from __future__ import annotations

import argparse

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from bench.product import (
    tcp_listener,
)


def main() -> None:
    """Run the bench app on N worker processes."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--app", default="bench.app:create_bench_app", help="the app factory")
    args = p.parse_args()
    config = Config(args.app, factory=True, host=args.host, port=args.port,
                    workers=args.workers, access_log=False)
    Multiprocess(config, sockets=[tcp_listener(args.host, args.port)]).run()


if __name__ == "__main__":
    main()
