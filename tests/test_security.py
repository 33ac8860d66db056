"""Security on every response and every state change: headers, CSRF, a foreign dossier."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from conftest import Auth

CSP_MUST = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")


@pytest.mark.parametrize("path", ["/", "/inloggen", "/mijn/dossiers", "/bestaat-niet", "/static/css/mijn.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    for directive in CSP_MUST:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def _assert_no_inline_code(page: str) -> None:
    assert "<script>" not in page and " style=" not in page and "<style" not in page
    assert " onclick=" not in page.lower()


def test_pages_have_no_inline_script_or_style(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login()
    paths = ["/", "/mijn/dossiers", "/mijn/dossiers/Z-2026-0001", "/inloggen", "/mijn/vragen",
             "/mijn/vragen/nieuw"]
    listing = client.get("/mijn/vragen").text
    paths += sorted(set(re.findall(r'href="(/mijn/vragen/V-[0-9A-Z]+)"', listing)))
    assert len(paths) == 9  # Jan's three demo questions
    auth.login_staff("demo-agent")
    queue = client.get("/kcc?weergave=queue").text
    paths += ["/kcc", "/kcc/inloggen", "/kcc/klanten", "/kcc?weergave=escalated"]
    paths += sorted(set(re.findall(r'href="(/kcc/vragen/V-[0-9A-Z]+)"', queue)))[:2]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_no_inline_code(response.text)


def _post_routes(client: TestClient) -> list[str]:
    paths = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        routes = route.routes if isinstance(route, Mount) else [route]
        prefix = route.path if isinstance(route, Mount) else ""
        for sub in routes:
            if isinstance(sub, Route) and "POST" in (sub.methods or ()):
                paths.append(prefix + sub.path.replace("{audience}", "citizen"))
    return paths


def test_every_post_route_without_csrf_token_is_refused(client: TestClient, auth: Auth) -> None:
    auth.login()
    exempt = {"/dev-idp/token"}  # back-channel: client credentials, no cookies
    # The API authenticates by bearer token, never by cookie, so CSRF does not apply there.
    posts = [p for p in _post_routes(client) if p not in exempt and not p.startswith("/api/")]
    assert "/uitloggen" in posts and "/taal" in posts
    for path in posts:
        plain = client.post(path, data={"lang": "en"})
        assert plain.status_code == 403, path
        htmx = client.post(path, data={"lang": "en"}, headers={"HX-Request": "true"})
        assert htmx.status_code == 403, path
        forged = client.post(path, data={"lang": "en", "csrf_token": "forged.token"})
        assert forged.status_code == 403, path
    assert "Formulier verlopen" in client.post("/taal", data={"lang": "en"}).text


def test_csrf_token_in_htmx_header_is_accepted(client: TestClient, auth: Auth) -> None:
    token = auth.csrf()
    response = client.post(
        "/taal", data={"lang": "en", "next": "/"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/"


def test_token_of_another_browser_is_refused(client: TestClient, auth: Auth, app: object) -> None:
    token = auth.csrf()
    with TestClient(client.app, base_url="http://testserver") as other:
        other.get("/")  # gets its own CSRF cookie
        assert other.post("/taal", data={"lang": "en", "csrf_token": token}).status_code == 403


# The authorisation matrix of every route: tests/test_authorisation_matrix.py.


def test_another_partys_dossier_answers_like_an_unknown_one(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-fatima")
    foreign = client.get("/mijn/dossiers/Z-2026-0001")
    unknown = client.get("/mijn/dossiers/Z-2099-9999")
    assert foreign.status_code == unknown.status_code == 404

    def same(page: str, reference: str) -> str:
        """The page without its reference and the session's seconds left (the two requests
        may fall in different seconds on a busy machine)."""
        return re.sub(r'(data-session-[a-z-]*seconds)="\d+"', r'\1=""',
                      page.replace(reference, "X"))

    assert same(foreign.text, "Z-2026-0001") == same(unknown.text, "Z-2099-9999")


def test_oversized_form_is_refused_before_parsing(client: TestClient, auth: Auth) -> None:
    response = client.post("/taal", content=b"lang=en&x=" + b"a" * (1024 * 1024 + 10),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/", "/mijn/dossiers", "/kcc", "/antwoorden", "/api/v1/ping"])
def test_nothing_but_static_files_is_stored_by_a_browser_or_proxy(
    client: TestClient, auth: Auth, path: str
) -> None:
    auth.login()
    response = client.get(path)
    assert response.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/css/mijn.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


def test_a_server_error_page_carries_the_security_headers(app: Starlette) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a programming error")

    app.router.routes.insert(0, Route("/mijn/boom", boom))
    app.router.routes.insert(0, Route("/api/v1/boom", boom))
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as browser:
        for path, kind in (("/mijn/boom", "text/html"), ("/api/v1/boom", "application/problem+json")):
            response = browser.get(path)
            assert response.status_code == 500
            assert response.headers["content-type"].startswith(kind)
            assert "default-src 'self'" in response.headers["content-security-policy"]
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store"
            assert "a programming error" not in response.text
