"""Outgoing HTTP (the identity providers' token endpoints, the ZGW APIs): an idle kept-alive
connection is dropped before the server may close it. Both httpx and uvicorn keep an idle
connection 5 s; a request sent on one the server was closing at that moment failed with
ReadError (the e2e run of 2026-12-04 saw a login's token request fail so, 4.98 s after the
one before it)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from conftest import make_settings
from mijn.app import create_app


def test_idle_connections_are_dropped_before_a_server_closes_them(
    database_url: str, data_dir: Path
) -> None:
    app = create_app(make_settings(database_url, data_dir, MIJN_ZGW_NOTIFICATIONS_TOKEN="t" * 32,
                                  MIJN_ZGW_ZAKEN_URL="http://127.0.0.1:9/zaken/api/v1",
                                  MIJN_ZGW_CATALOGI_URL="http://127.0.0.1:9/catalogi/api/v1",
                                  MIJN_ZGW_CLIENT_ID="mijn", MIJN_ZGW_SECRET="s" * 32))
    server_keeps = uvicorn.Config(app).timeout_keep_alive
    clients = [app.state.http, app.state.zgw.http]
    for client in clients:
        pool = client._transport._pool  # noqa: SLF001 -- httpx keeps the setting there
        assert pool._keepalive_expiry < server_keeps  # noqa: SLF001
