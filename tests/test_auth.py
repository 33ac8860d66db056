"""Login through the built-in development provider, sessions, expiry and logout."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.parties.models import Party


def test_login_creates_the_party_and_returns_to_the_wanted_page(
    client: TestClient, auth: Auth, run: Runner
) -> None:
    done = auth.login("demo-fatima", next_url="/mijn/dossiers?tab=closed")
    assert done.headers["location"] == "/mijn/dossiers?tab=closed"

    async def parties(session: AsyncSession) -> list[tuple[str, str]]:
        rows = await session.execute(select(Party.identifier_type, Party.identifier))
        return [(kind, identifier) for kind, identifier in rows.all()]

    assert run(parties) == [("bsn", "999990020")]
    assert client.get("/mijn/dossiers").status_code == 200


def test_session_cookie_is_httponly_samesite_and_small(client: TestClient, auth: Auth) -> None:
    done = auth.login()
    cookie = [h for h in done.headers.get_list("set-cookie") if h.startswith("mijn_session=")][0]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "999990019" not in cookie  # no BSN: only party id, roles, LoA and expiry
    assert len(cookie) < 400


def test_anonymous_visitor_is_sent_to_login_and_back(client: TestClient) -> None:
    response = client.get("/mijn/dossiers/Z-2026-0001")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/inloggen"
    assert parse_qs(location.query)["next"] == ["/mijn/dossiers/Z-2026-0001"]


def test_htmx_request_of_anonymous_visitor_redirects_the_whole_page(client: TestClient) -> None:
    response = client.get("/mijn/dossiers?tab=closed", headers={"HX-Request": "true"})
    assert response.headers["hx-redirect"].startswith("/inloggen?next=")


def test_next_parameter_cannot_leave_the_portal(client: TestClient, auth: Auth) -> None:
    done = auth.login(next_url="https://evil.example/phish")
    assert done.headers["location"] == "/mijn/dossiers"


def test_logout_ends_the_session_and_visits_the_provider(client: TestClient, auth: Auth) -> None:
    auth.login()
    out = auth.logout()
    assert out.status_code == 303
    target = urlsplit(out.headers["location"])
    assert target.path == "/dev-idp/logout"
    assert parse_qs(target.query)["post_logout_redirect_uri"] == ["http://testserver/uitgelogd"]
    back = client.get(out.headers["location"])
    assert back.headers["location"] == "http://testserver/uitgelogd"
    assert "U bent uitgelogd" in client.get("/uitgelogd").text
    again = client.get("/mijn/dossiers")
    assert again.status_code == 303 and "reden=verlopen" not in again.headers["location"]


def test_logout_without_csrf_token_is_refused(client: TestClient, auth: Auth) -> None:
    auth.login()
    assert client.post("/uitloggen").status_code == 403
    assert client.get("/mijn/dossiers").status_code == 200


def test_idle_session_expires_and_says_so(
    client_with: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_with(MIJN_SESSION_IDLE_MINUTES="15")
    Auth(client).login()
    assert client.get("/mijn/dossiers").status_code == 200
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 16 * 60)
    expired = client.get("/mijn/dossiers/Z-2026-0001")
    assert expired.status_code == 303
    assert "reden=verlopen" in expired.headers["location"]
    assert "next=%2Fmijn%2Fdossiers%2FZ-2026-0001" in expired.headers["location"]
    page = client.get(expired.headers["location"])
    assert "automatisch uitgelogd" in page.text


def test_session_ends_after_its_absolute_lifetime_even_when_active(
    client_with: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_with(MIJN_SESSION_MAX_HOURS="8")
    Auth(client).login()
    real_time = time.time
    for minutes in range(10, 8 * 60, 10):  # active every 10 minutes: never idle
        monkeypatch.setattr(time, "time", lambda m=minutes: real_time() + m * 60)
        assert client.get("/mijn/dossiers").status_code == 200
    monkeypatch.setattr(time, "time", lambda: real_time() + 8 * 3600 + 60)
    assert client.get("/mijn/dossiers").status_code == 303


def test_tampered_state_is_refused_without_a_session(client: TestClient, auth: Auth, run: Runner) -> None:
    start = client.get("/auth/citizen/login")
    page = client.get(start.headers["location"])
    fields = form_fields(page.text) | {"persona": "demo-jan"}
    back = client.post("/dev-idp/authorize", data=fields)
    tampered = back.headers["location"].replace("state=", "state=x")
    refused = client.get(tampered)
    assert refused.status_code == 400
    assert "Inloggen is niet gelukt" in refused.text
    assert client.get("/mijn/dossiers").status_code == 303

    async def count(session: AsyncSession) -> int:
        return len((await session.scalars(select(Party))).all())

    assert run(count) == 0


def test_cancelled_login_says_so(client: TestClient) -> None:
    start = client.get("/auth/citizen/login")
    page = client.get(start.headers["location"])
    back = client.post("/dev-idp/authorize", data=form_fields(page.text) | {"persona": ""})
    refused = client.get(back.headers["location"])
    assert refused.status_code == 400 and "afgebroken" in refused.text


def test_dev_provider_refuses_foreign_redirect_uri(client: TestClient) -> None:
    response = client.get(
        "/dev-idp/authorize",
        params={
            "client_id": "mijn-citizen", "redirect_uri": "https://evil.example/cb",
            "response_type": "code", "state": "s", "nonce": "n",
            "code_challenge": "c", "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 400 and "evil" not in response.headers.get("location", "")


def test_dev_provider_token_needs_the_pkce_verifier(client: TestClient) -> None:
    start = client.get("/auth/citizen/login")
    page = client.get(start.headers["location"])
    back = client.post("/dev-idp/authorize", data=form_fields(page.text) | {"persona": "demo-jan"})
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    token = client.post(
        "/dev-idp/token",
        data={"grant_type": "authorization_code", "code": code, "code_verifier": "wrong" * 10,
              "redirect_uri": "http://testserver/auth/citizen/callback"},
        auth=("mijn-citizen", "mijn-citizen-dev-secret"),
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"


def test_authorization_response_from_another_issuer_is_refused(client: TestClient, run: Runner) -> None:
    start = client.get("/auth/citizen/login")
    page = client.get(start.headers["location"])
    back = client.post("/dev-idp/authorize", data=form_fields(page.text) | {"persona": "demo-jan"})
    refused = client.get(back.headers["location"] + "&iss=https%3A%2F%2Fevil.example")
    assert refused.status_code == 400
    assert client.get("/mijn/dossiers").status_code == 303
