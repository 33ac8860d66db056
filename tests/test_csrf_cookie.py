"""The CSRF cookie's name: `__Host-` prefixed in production over https (Secure, Path=/, no
Domain, so a sibling subdomain cannot plant one), its plain name in development over http;
the same name where the token is rotated (login, logout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_settings import PRODUCTION  # a production configuration that passes its checks

from conftest import Auth, build_app, form_fields, make_settings


@pytest.fixture
def production(database_url: str, data_dir: Path) -> Iterator[TestClient]:
    """The portal as production runs it, reached over https."""
    app = build_app(make_settings(database_url, data_dir, **PRODUCTION))
    with TestClient(app, base_url="https://mijn.example.nl", follow_redirects=False) as client:
        yield client


def _csrf_cookies(set_cookies: list[str]) -> list[str]:
    return [c for c in set_cookies if "csrf=" in c.split(";")[0]]


def _attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


def test_production_names_the_cookie_with_the_host_prefix(production: TestClient) -> None:
    page = production.get("/")
    [cookie] = _csrf_cookies(page.headers.get_list("set-cookie"))
    assert cookie.startswith("__Host-mijn_csrf=")
    assert {"secure", "path"} <= _attributes(cookie) and "domain" not in _attributes(cookie)
    assert "; Path=/;" in cookie or cookie.endswith("; Path=/")
    # The token of that page goes with the prefixed cookie: the form is accepted.
    token = form_fields(page.text)["csrf_token"]
    changed = production.post("/taal", data={"lang": "en", "next": "/", "csrf_token": token})
    assert changed.status_code == 303
    # A cookie under the plain name (planted by a sibling subdomain, say) counts for nothing.
    production.cookies.clear()
    production.cookies.set("mijn_csrf", page.cookies["__Host-mijn_csrf"])
    planted = production.post("/taal", data={"lang": "en", "next": "/", "csrf_token": token})
    assert planted.status_code == 403


def test_production_rotates_the_prefixed_cookie_at_logout(production: TestClient) -> None:
    token = form_fields(production.get("/").text)["csrf_token"]
    out = production.post("/uitloggen", data={"csrf_token": token})
    assert out.status_code == 303
    [cookie] = _csrf_cookies(out.headers.get_list("set-cookie"))
    assert cookie.startswith("__Host-mijn_csrf=") and "Path=/" in cookie
    assert {"secure"} <= _attributes(cookie) and "domain" not in _attributes(cookie)


def test_development_keeps_the_plain_name(client: TestClient, auth: Auth) -> None:
    [cookie] = _csrf_cookies(client.get("/").headers.get_list("set-cookie"))
    assert cookie.startswith("mijn_csrf=") and "secure" not in _attributes(cookie)
    done = auth.login()  # the login rotates the token, under the same name
    [rotated] = _csrf_cookies(done.headers.get_list("set-cookie"))
    assert rotated.startswith("mijn_csrf=") and "secure" not in _attributes(rotated)
