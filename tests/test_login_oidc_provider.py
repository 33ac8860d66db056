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
BUSINESS_CLIENT_ID = "mijn-business-test"
BUSINESS_CLIENT_SECRET = "mijn-business-test-secret-0123456789"  # as in server.mjs
LOA3, LOA4 = "urn:etoegang:core:assurance-class:loa3", "urn:etoegang:core:assurance-class:loa4"


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
        MIJN_OIDC_BUSINESS_ISSUER=provider,
        MIJN_OIDC_BUSINESS_CLIENT_ID=BUSINESS_CLIENT_ID,
        MIJN_OIDC_BUSINESS_CLIENT_SECRET=BUSINESS_CLIENT_SECRET,
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


def _at_provider(
    browser: httpx.Client, url: str, account: str = ACCOUNT, callback: str = CALLBACK
) -> str:
    """Follow the provider until it sends the browser back; returns the callback URL."""
    logged_in = False
    for _ in range(10):
        response = browser.get(url)
        assert response.status_code in (302, 303), (response.status_code, response.text)
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(f"{callback}?"):
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


def _back_at_portal(
    client: TestClient, callback_url: str, callback: str = CALLBACK
) -> httpx.Response:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == callback
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


# --- businesses, mandates in the claims, levels of assurance ---------------------------------

BUSINESS_CALLBACK = f"{BASE_URL}/auth/business/callback"


def _business_login(client: TestClient, browser: httpx.Client, account: str) -> httpx.Response:
    start = client.get("/auth/business/login", params={"next": "/mijn/dossiers"})
    assert start.status_code == 303, start.text
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["client_id"] == [BUSINESS_CLIENT_ID]
    callback = _at_provider(browser, start.headers["location"], account, BUSINESS_CALLBACK)
    return _back_at_portal(client, callback, BUSINESS_CALLBACK)


def test_business_login_with_kvk_and_branch_claims(
    client: TestClient, portal: Starlette, browser: httpx.Client
) -> None:
    done = _business_login(client, browser, "medewerker-1")
    assert done.status_code == 303 and done.headers["location"] == "/mijn/dossiers"
    page = client.get("/mijn/dossiers").text
    assert "U handelt namens Bakkerij Test" in page and "vestiging 000038509504" in page
    assert "Ingelogd als Mila Medewerker." in page
    assert _parties(client, portal) == [("kvk", "69599084", "Bakkerij Test")]


def test_business_login_with_a_kbo_number(
    client: TestClient, portal: Starlette, browser: httpx.Client
) -> None:
    assert _business_login(client, browser, "medewerker-2").status_code == 303
    assert "U handelt namens Brouwerij Test" in client.get("/mijn/dossiers").text
    assert _parties(client, portal) == [("kbo", "0403170701", "Brouwerij Test")]


def test_a_business_login_without_a_company_number_is_refused(
    client: TestClient, portal: Starlette, browser: httpx.Client
) -> None:
    response = _business_login(client, browser, "burger-1")  # a person: no KvK claim
    _assert_refused(client, portal, response)


def test_a_mandate_asserted_in_the_claims(
    client: TestClient, portal: Starlette, browser: httpx.Client, provider: str
) -> None:
    callback = _at_provider(browser, _start_login(client, provider), "burger-3")
    assert _back_at_portal(client, callback).status_code == 303
    page = client.get("/mijn/dossiers").text
    assert "U handelt namens Bea Burger" in page
    assert "alleen inzien" in page and "ouder" in page
    choices = client.get("/mijn/namens").text
    assert "Uzelf: Bob Burger" in choices


def test_a_mandate_asserted_at_login_is_exported_once(
    database_url: str, data_dir: Path, provider: str, browser: httpx.Client
) -> None:
    """With Open Klant on, the mandate DigiD Machtigen asserts is noted for export at the
    first login, not again at the next (it waits, or is in Open Klant already)."""
    from mijn.openklant.models import OpenKlantExport

    settings = make_settings(
        database_url, data_dir, MIJN_OIDC_CITIZEN_ISSUER=provider,
        MIJN_OIDC_CITIZEN_CLIENT_ID=CLIENT_ID, MIJN_OIDC_CITIZEN_CLIENT_SECRET=CLIENT_SECRET,
        MIJN_OPENKLANT_URL="http://127.0.0.1:9/klantinteracties/api/v1",
        MIJN_OPENKLANT_TOKEN="not-used-no-export-is-delivered")
    app = create_app(settings)

    async def kinds() -> list[str]:
        async with app.state.sessionmaker() as session:
            return list(await session.scalars(select(OpenKlantExport.kind)))

    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        assert client.portal is not None
        try:
            for _ in range(2):
                callback = _at_provider(browser, _start_login(client, provider), "burger-3")
                assert _back_at_portal(client, callback).status_code == 303
                browser.cookies.clear()
                client.cookies.clear()
            assert client.portal.call(kinds) == ["mandate"]
        finally:
            client.portal.call(_wipe, app)


async def _hoog_dossier(session: Any) -> None:
    from datetime import date

    from mijn.dossiers.changes import StatusSpec, create_dossier, ensure_dossier_type
    from mijn.parties.service import get_or_create_party

    kind = await ensure_dossier_type(session, "schuldhulp", "case", "Schuldhulp", "Debt help", [
        StatusSpec("ontvangen", "Ontvangen", "Received", "Uw aanvraag is ontvangen.", "")],
        min_loa="hoog")
    party = await get_or_create_party(session, "bsn", BSN)
    await create_dossier(session, reference="S-1", party_id=party.id, dossier_type=kind,
                         title="Hulp bij schulden", channel="web", department="",
                         opened_on=date(2026, 3, 1))


def test_step_up_to_a_higher_level_and_back(
    client: TestClient, portal: Starlette, browser: httpx.Client, provider: str
) -> None:
    async def seed() -> None:
        async with portal.state.sessionmaker() as session:
            await _hoog_dossier(session)
            await session.commit()

    assert client.portal is not None
    client.portal.call(seed)
    callback = _at_provider(browser, _start_login(client, provider))
    assert _back_at_portal(client, callback).status_code == 303
    locked = client.get("/mijn/dossiers/S-1")
    assert "Log opnieuw in om dit dossier te openen" in locked.text  # loa3 < hoog

    start = client.get("/auth/citizen/login", params={"next": "/mijn/dossiers/S-1",
                                                      "niveau": "hoog"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert LOA4 in query["acr_values"][0].split() and LOA3 not in query["acr_values"][0]
    assert query["prompt"] == ["login"]
    # The provider's session (at loa3) does not count: it asks again and logs in at loa4.
    again = _at_provider(browser, start.headers["location"])
    done = _back_at_portal(client, again)
    assert done.headers["location"] == "/mijn/dossiers/S-1"
    opened = client.get("/mijn/dossiers/S-1")
    assert "Wij hebben uw aanvraag of melding ontvangen." in opened.text  # opened, not locked
    assert "Log opnieuw in om dit dossier te openen" not in opened.text
