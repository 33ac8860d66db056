"""Server-side sessions: the cookie is a random id, the session a row that logout, the idle
and absolute timeouts and an administrator end for every copy of the cookie."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn import cli
from mijn.dev import personas
from mijn.parties.models import Party
from mijn.sessions.models import WebSession
from mijn.staff.models import StaffMember

JAN_BSN = "999990019"


async def _rows(session: AsyncSession) -> list[WebSession]:
    return list(await session.scalars(select(WebSession).order_by(WebSession.id)))


async def _jan(session: AsyncSession) -> int:
    party_id = await session.scalar(select(Party.id).where(Party.identifier == JAN_BSN))
    assert party_id is not None
    return party_id


async def _staff_member(session: AsyncSession) -> int | None:
    return await session.scalar(select(StaffMember.id))


def _age(run: Runner, idle: timedelta = timedelta(0), total: timedelta = timedelta(0)) -> None:
    """Move every session back in time: its last activity by idle, its login by total."""

    async def move(session: AsyncSession) -> None:
        for row in await _rows(session):
            row.last_seen_at -= idle
            row.created_at -= total
            row.expires_at -= total

    run(move)


def _set_cookie(response: httpx.Response, name: str) -> str:
    """The value a response gives a cookie."""
    [value] = [h.split(";")[0].split("=", 1)[1] for h in response.headers.get_list("set-cookie")
               if h.startswith(f"{name}=")]
    return value


def _replay(client: TestClient, name: str, value: str) -> None:
    client.cookies.delete(name)
    client.cookies.set(name, value)


def test_a_cookie_copied_before_logout_opens_nothing(client: TestClient, auth: Auth) -> None:
    auth.login()
    copy = client.cookies["mijn_session"]
    assert client.get("/mijn/dossiers").status_code == 200
    assert auth.logout().status_code == 303
    _replay(client, "mijn_session", copy)
    assert client.get("/mijn/dossiers").status_code == 303


def test_a_staff_cookie_copied_before_logout_opens_nothing(
    client: TestClient, auth: Auth, run: Runner, demo: None
) -> None:
    jan = run(_jan)
    auth.login_staff()
    copy = client.cookies["mijn_staff"]
    assert client.get(f"/kcc/klanten/{jan}").status_code == 200
    out = client.post("/kcc/uitloggen", data={"csrf_token": auth.csrf()})
    assert out.status_code == 303
    _replay(client, "mijn_staff", copy)
    assert client.get(f"/kcc/klanten/{jan}").status_code == 303


def test_an_idle_session_is_refused_even_when_replayed(client: TestClient, auth: Auth,
                                                       run: Runner) -> None:
    auth.login()
    copy = client.cookies["mijn_session"]
    assert client.get("/mijn/dossiers").status_code == 200
    _age(run, idle=timedelta(minutes=16))  # the default idle limit is 15 minutes
    expired = client.get("/mijn/dossiers")
    assert expired.status_code == 303 and "reden=verlopen" in expired.headers["location"]
    assert run(_rows) == []  # ended on the server, not only forgotten by the browser
    _replay(client, "mijn_session", copy)
    assert client.get("/mijn/dossiers").status_code == 303


def test_activity_keeps_a_session_but_not_past_its_absolute_limit(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    [row] = run(_rows)
    assert row.expires_at - row.created_at == timedelta(hours=8)
    _age(run, idle=timedelta(minutes=14))
    assert client.get("/mijn/dossiers").status_code == 200
    [touched] = run(_rows)
    assert touched.last_seen_at > row.last_seen_at  # activity noted: the idle limit slides
    _age(run, total=timedelta(hours=8, minutes=1))  # logged in 8 hours ago, active just now
    assert client.get("/mijn/dossiers").status_code == 303


def test_an_administrator_revokes_a_partys_and_a_staff_members_sessions(
    client_with: Callable[..., TestClient], auth: Auth, run: Runner,
    database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = client_with()
    auth.login()
    Auth(other).login()  # a second browser of the same citizen
    auth.login_staff()
    party_id = run(_jan)
    staff_id = run(_staff_member)
    monkeypatch.setenv("MIJN_DATABASE_URL", database_url)
    monkeypatch.setenv("MIJN_DATA_DIR", str(data_dir))
    assert cli.main(["sessions", "revoke", "--party", str(party_id)]) == 0
    assert "2" in capsys.readouterr().out
    assert auth.client.get("/mijn/dossiers").status_code == 303
    assert other.get("/mijn/dossiers").status_code == 303
    assert auth.client.get("/kcc").status_code == 200  # the staff session is another's
    assert cli.main(["sessions", "revoke", "--staff", str(staff_id)]) == 0
    assert "1" in capsys.readouterr().out
    assert auth.client.get("/kcc").status_code == 303


def test_a_login_gives_a_new_session_id(client: TestClient, auth: Auth, run: Runner) -> None:
    client.cookies.set("mijn_session", "planted-by-an-attacker")
    first = _set_cookie(auth.login(), "mijn_session")
    assert first != "planted-by-an-attacker"
    _replay(client, "mijn_session", first)
    second = _set_cookie(auth.login(), "mijn_session")
    assert second != first
    assert len(run(_rows)) == 1  # the session of the first login ended with the second
    _replay(client, "mijn_session", first)
    assert client.get("/mijn/dossiers").status_code == 303


def test_a_csrf_token_from_before_the_login_is_refused_after_it(
    client: TestClient, auth: Auth
) -> None:
    before = auth.csrf()
    auth.login()
    assert client.post("/uitloggen", data={"csrf_token": before}).status_code == 403
    assert client.get("/mijn/dossiers").status_code == 200
    assert auth.logout().status_code == 303


def test_a_role_taken_away_is_gone_at_the_next_login(
    client_with: Callable[..., TestClient], auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.login_staff("demo-lead")
    assert auth.client.get("/kcc/inzicht").status_code == 200
    demoted = tuple(
        replace(p, roles=("agent",)) if p.sub == "demo-lead" else p for p in personas.STAFF
    )
    monkeypatch.setattr(personas, "STAFF", demoted)
    Auth(client_with()).login_staff("demo-lead")  # the next login, in another browser
    assert auth.client.get("/kcc/inzicht").status_code == 404  # also in the first browser


def test_the_cookie_holds_nothing_readable(client: TestClient, auth: Auth, run: Runner) -> None:
    auth.login()
    value = client.cookies["mijn_session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    try:
        decoded = base64.urlsafe_b64decode(value + "=")
        json.loads(decoded)
    except (binascii.Error, ValueError):
        pass
    else:  # pragma: no cover - the failure
        pytest.fail("the cookie is readable JSON")
    [row] = run(_rows)
    assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()  # only the hash kept
