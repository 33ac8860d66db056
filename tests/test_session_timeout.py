"""The idle timeout warning's server side (issue 16): logged-in portal pages tell the browser
how long the session has left, and "Ingelogd blijven" posts to /sessie/verlengen, which notes
activity at once, also within the once-a-minute write throttle."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.sessions.models import WebSession

KEEP = "/sessie/verlengen"


async def _rows(session: AsyncSession) -> list[WebSession]:
    return list(await session.scalars(select(WebSession).order_by(WebSession.id)))


def _age(run: Runner, idle: timedelta) -> None:
    async def move(session: AsyncSession) -> None:
        for row in await _rows(session):
            row.last_seen_at -= idle

    run(move)


def _seconds_left(html: str) -> int:
    match = re.search(r'data-session-seconds="(\d+)"', html)
    assert match, "no session time on the page"
    return int(match.group(1))


def test_a_logged_in_page_tells_the_seconds_left_and_carries_the_warning(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    page = client.get("/mijn/dossiers")
    assert 14 * 60 < _seconds_left(page.text) <= 15 * 60  # the default idle limit is 15 min
    assert 'data-session-idle-seconds="900"' in page.text
    max_seconds = re.search(r'data-session-max-seconds="(\d+)"', page.text)
    assert max_seconds and 8 * 3600 - 60 < int(max_seconds.group(1)) <= 8 * 3600
    assert "/static/js/session-timeout.js" in page.text
    assert 'data-keep-url="/sessie/verlengen"' in page.text
    assert "Ingelogd blijven" in page.text
    _age(run, timedelta(seconds=50))  # within the throttle: the request does not note it
    assert 800 < _seconds_left(client.get("/mijn/dossiers").text) <= 850


def test_a_page_past_the_throttle_counts_the_seconds_left_from_now(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    """A request that notes activity (the last one more than a minute ago) tells the full
    idle limit, not what was left before it: the page and the row agree."""
    auth.login()
    _age(run, timedelta(minutes=10))
    assert 14 * 60 < _seconds_left(client.get("/mijn/dossiers").text) <= 15 * 60
    _age(run, timedelta(seconds=50))  # noted just now: within the throttle, nothing written
    assert 800 < _seconds_left(client.get("/mijn/dossiers").text) <= 850


def test_an_anonymous_page_has_no_timeout_warning(client: TestClient) -> None:
    page = client.get("/")
    assert "data-session-seconds" not in page.text
    assert "session-timeout.js" not in page.text
    assert "Ingelogd blijven" not in page.text


def test_staying_logged_in_notes_activity_within_the_throttle(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    _age(run, timedelta(seconds=50))
    [before] = run(_rows)
    response = client.post(KEEP, headers={"X-CSRF-Token": auth.csrf()})
    assert response.status_code == 204 and response.content == b""
    [after] = run(_rows)
    assert after.last_seen_at - before.last_seen_at >= timedelta(seconds=49)
    assert _seconds_left(client.get("/mijn/dossiers").text) > 14 * 60


def test_staying_logged_in_keeps_a_session_past_its_first_idle_limit(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    _age(run, timedelta(minutes=14))
    assert client.post(KEEP, data={"csrf_token": auth.csrf()}).status_code == 204
    _age(run, timedelta(minutes=14))  # 28 minutes after the login, 14 after staying
    assert client.get("/mijn/dossiers").status_code == 200


def test_staying_logged_in_needs_the_csrf_token(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    _age(run, timedelta(seconds=50))
    [before] = run(_rows)
    assert client.post(KEEP).status_code == 403
    assert client.post(KEEP, headers={"X-CSRF-Token": "nep"}).status_code == 403
    [after] = run(_rows)
    assert after.last_seen_at == before.last_seen_at


def test_staying_logged_in_after_the_session_ended_sends_to_the_login(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()
    token = auth.csrf()
    _age(run, timedelta(minutes=16))
    response = client.post(KEEP, headers={"X-CSRF-Token": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/inloggen?")
    assert "reden=verlopen" in response.headers["location"]
    assert run(_rows) == []  # nothing brought back to life
    htmx = client.post(KEEP, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/inloggen?")


def test_the_seconds_left_stop_at_the_absolute_limit(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    auth.login()

    async def near_the_end(session: AsyncSession) -> None:
        for row in await _rows(session):
            row.expires_at = row.last_seen_at + timedelta(minutes=5)

    run(near_the_end)
    page = client.get("/mijn/dossiers").text
    assert 4 * 60 < _seconds_left(page) <= 5 * 60  # not the 15 minutes of the idle limit
    assert re.search(r'data-session-max-seconds="(2[4-9]\d|300)"', page)
