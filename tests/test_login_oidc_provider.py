"""The citizen login against an independent, real OIDC provider (npm oidc-provider).

The provider (tests/oidc_provider/server.mjs) runs as a separate Node process on
127.0.0.1; the portal reaches it over real HTTP (create_app with the default transport),
and the test plays the browser: a TestClient for the portal and an httpx.Client, with its
own cookies, for the provider. For the refusal tests the provider is told to misbehave on
purpose (another audience, an expired token), signing with its own key.
"""

from __future__ import annotations

import logging
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import BASE_URL, Auth, _wipe, form_fields, make_settings
from mijn import PROJECT_ROOT
from mijn.app import create_app
from mijn.parties.models import Party

SERVER_SCRIPT = Path(__file__).parent / "oidc_provider" / "server.mjs"
READY_TIMEOUT = 20.0
CLIENT_ID = "mijn-citizen-test"
CLIENT_SECRET = "mijn-citizen-test-secret-0123456789"  # as in server.mjs
CALLBACK = f"{BASE_URL}/auth/citizen/callback"
LOGGED_OUT = f"{BASE_URL}/uitgelogd"
ACCOUNT = "burger-1"
BSN = "999990019"
NAME = "Bram Burger"
FAILED = "Inloggen is niet gelukt"


# --- the provider process ---------------------------------------------------------------


def _pump(stream: object, lines: queue.Queue[str | None], keep: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        keep.append(line)
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="session")
def provider() -> Iterator[str]:
    """The issuer URL of a running oidc-provider, for the whole session."""
    try:
        process = subprocess.Popen(
            ["node", str(SERVER_SCRIPT), "0"],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        pytest.fail(f"could not start the test OIDC provider (is Node installed?): {exc}")
    out: queue.Queue[str | None] = queue.Queue()
    stdout: list[str] = []
    stderr: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, out, stdout), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, queue.Queue(), stderr), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    try:
        issuer = None
        deadline = time.monotonic() + READY_TIMEOUT
        while issuer is None:
            try:
                line = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:  # the process closed its output: it ended
                break
            if line.startswith("READY "):
                issuer = line.split()[1]
        if issuer is None:
            process.kill()
            process.wait(timeout=5)
            for pump in pumps:
                pump.join(timeout=2)
            pytest.fail(
                f"the test OIDC provider ({SERVER_SCRIPT}) ended or did not report READY within "
                f"{READY_TIMEOUT:.0f} s (exit code {process.returncode}); is `npm install` done?\n"
                f"stdout:\n{''.join(stdout)}\nstderr:\n{''.join(stderr)}"
            )
        yield issuer
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _control(issuer: str, mode: str | None = None) -> dict[str, Any]:
    """Read (and with a mode, set) the test server's token-endpoint behaviour."""
    if mode is None:
        response = httpx.get(f"{issuer}/__test/mode", timeout=10)
    else:
        response = httpx.post(f"{issuer}/__test/mode", data={"mode": mode}, timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def misbehave(provider: str) -> Iterator[str]:
    """Lets a test switch the provider's token endpoint; back to normal afterwards."""
    _control(provider, "normal")
    try:
        yield provider
    finally:
        _control(provider, "normal")


# --- the portal and the browser ---------------------------------------------------------


@pytest.fixture
def portal(database_url: str, data_dir: Path, provider: str) -> Starlette:
    """The portal configured for the external provider, with real outgoing HTTP."""
    settings = make_settings(
        database_url,
        data_dir,
        MIJN_OIDC_CITIZEN_ISSUER=provider,
        MIJN_OIDC_CITIZEN_CLIENT_ID=CLIENT_ID,
        MIJN_OIDC_CITIZEN_CLIENT_SECRET=CLIENT_SECRET,
    )
    return create_app(settings)


@pytest.fixture
def client(portal: Starlette) -> Iterator[TestClient]:
    """The browser's side of the portal; the database is emptied after the test."""
    with TestClient(portal, base_url=BASE_URL, follow_redirects=False) as test_client:
        try:
            yield test_client
        finally:
            assert test_client.portal is not None
            test_client.portal.call(_wipe, portal)


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """The browser's side of the provider (its own cookie jar)."""
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        yield http


def _start_login(client: TestClient, provider: str) -> str:
    """Ask the portal to log in; returns the provider's authorization URL."""
    start = client.get("/auth/citizen/login", params={"next": "/mijn/dossiers"})
    assert start.status_code == 303, start.text
    url = str(start.headers["location"])
    assert url.startswith(f"{provider}/"), url
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    return url


def _at_provider(browser: httpx.Client, url: str, account: str = ACCOUNT) -> str:
    """Follow the provider until it sends the browser back; returns the callback URL."""
    logged_in = False
    for _ in range(10):
        response = browser.get(url)
        assert response.status_code in (302, 303), (response.status_code, response.text)
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(f"{CALLBACK}?"):
            assert logged_in, "the provider sent the browser back without a login"
            return location
        if re.fullmatch(r"/interaction/[^/?]+", urlsplit(location).path):
            assert not logged_in, "the provider asked for a second interaction"
            location = f"{location}?{urlencode({'login': account})}"
            logged_in = True
        url = location
    raise AssertionError("the provider never sent the browser back to the portal")


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


def _back_at_portal(client: TestClient, callback_url: str) -> httpx.Response:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    query = parse_qs(parts.query)
    assert query.get("code") and query.get("state"), callback_url
    response: httpx.Response = client.get(f"{parts.path}?{parts.query}")
    return response


def _parties(client: TestClient, app: Starlette) -> list[tuple[str, str, str]]:
    async def query() -> list[tuple[str, str, str]]:
        async with app.state.sessionmaker() as session:
            rows = await session.scalars(select(Party))
            return [(p.identifier_type, p.identifier, p.name) for p in rows]

    assert client.portal is not None
    return client.portal.call(query)


def _assert_refused(client: TestClient, portal: Starlette, response: httpx.Response) -> None:
    """The callback was refused: error page, no session, nothing stored."""
    assert response.status_code == 400, response.text
    assert FAILED in response.text
    assert "mijn_session=" not in response.headers.get("set-cookie", "")
    page = client.get("/mijn/dossiers")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/inloggen")
    assert _parties(client, portal) == []


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mijn.auth"]


# --- the tests --------------------------------------------------------------------------


def test_round_trip_logs_in_and_out(
    client: TestClient, portal: Starlette, browser: httpx.Client, provider: str
) -> None:
    callback = _at_provider(browser, _start_login(client, provider))
    done = _back_at_portal(client, callback)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/mijn/dossiers"

    page = client.get("/mijn/dossiers")
    assert page.status_code == 200
    assert "Mijn dossiers" in page.text
    assert _parties(client, portal) == [("bsn", BSN, NAME)]

    # Logging out ends the portal session and sends the browser to the provider's logout.
    end_session = httpx.get(f"{provider}/.well-known/openid-configuration").json()[
        "end_session_endpoint"
    ]
    out = client.post("/uitloggen", data={"csrf_token": Auth(client).csrf()})
    assert out.status_code == 303
    target = urlsplit(out.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == end_session
    assert parse_qs(target.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": [LOGGED_OUT],
    }
    after = client.get("/mijn/dossiers")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/inloggen")

    # The provider accepts that logout request and sends the browser back to the portal.
    confirm = browser.get(out.headers["location"])
    assert confirm.status_code == 200, confirm.text
    fields = form_fields(confirm.text)
    action = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)"', confirm.text)
    assert action and "xsrf" in fields
    back = browser.post(
        urljoin(str(confirm.url), action.group(1)), data={**fields, "logout": "yes"}
    )
    assert back.status_code in (302, 303), back.text
    assert back.headers["location"] == LOGGED_OUT
    assert client.get(urlsplit(LOGGED_OUT).path).status_code == 200


def test_tampered_state_is_refused(
    client: TestClient,
    portal: Starlette,
    browser: httpx.Client,
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    callback = _at_provider(browser, _start_login(client, provider))
    caplog.set_level(logging.WARNING, logger="mijn.auth")
    response = _back_at_portal(client, _with_query(callback, state="not-the-state-we-sent"))
    _assert_refused(client, portal, response)
    assert any("tampered state" in message for message in _refusals(caplog))


def test_wrong_nonce_is_refused(
    client: TestClient,
    portal: Starlette,
    browser: httpx.Client,
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = _with_query(_start_login(client, provider), nonce="a-nonce-the-portal-never-made")
    callback = _at_provider(browser, url)
    caplog.set_level(logging.WARNING, logger="mijn.auth")
    response = _back_at_portal(client, callback)
    _assert_refused(client, portal, response)
    # The state was fine: the refusal came from checking the ID token's nonce.
    assert any(
        "id token refused" in message and "nonce" in message for message in _refusals(caplog)
    ), _refusals(caplog)


@pytest.mark.parametrize(
    ("mode", "claim"), [("wrong_aud", "aud"), ("expired", "expired")], ids=["wrong_aud", "expired"]
)
def test_misissued_id_token_is_refused(
    client: TestClient,
    portal: Starlette,
    browser: httpx.Client,
    misbehave: str,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    claim: str,
) -> None:
    callback = _at_provider(browser, _start_login(client, misbehave))
    before = _control(misbehave, mode)["altered"]
    caplog.set_level(logging.WARNING, logger="mijn.auth")
    response = _back_at_portal(client, callback)
    assert _control(misbehave)["altered"] == before + 1
    _assert_refused(client, portal, response)
    # The state was valid and the token exchange answered 200: the ID token check refused it.
    assert any(
        "id token refused" in message and claim in message for message in _refusals(caplog)
    ), _refusals(caplog)


def test_token_response_that_is_not_json_is_refused(
    client: TestClient,
    portal: Starlette,
    browser: httpx.Client,
    misbehave: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    callback = _at_provider(browser, _start_login(client, misbehave))
    before = _control(misbehave, "not_json")["altered"]
    caplog.set_level(logging.WARNING, logger="mijn.auth")
    response = _back_at_portal(client, callback)
    assert _control(misbehave)["altered"] == before + 1
    _assert_refused(client, portal, response)
    assert any("token response" in message for message in _refusals(caplog)), _refusals(caplog)
