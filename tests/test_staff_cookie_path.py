"""The staff cookies go only to the KCC: the staff log in under /kcc/auth/, and the session
cookie (and its "was logged in" marker) carry Path=/kcc, so a citizen page, in the same
browser, never receives them."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from conftest import Auth, form_fields


def _set_cookie(response: httpx.Response, name: str) -> str:
    """The cookie of this name the response sets (a removal of a Path=/ one left aside)."""
    [found] = [c for c in response.headers.get_list("set-cookie")
               if c.startswith(f"{name}=") and "Path=/;" not in c]
    return found


def _path(set_cookie: str) -> str:
    [path] = [p.strip()[5:] for p in set_cookie.split(";") if p.strip().lower().startswith("path=")]
    return path


def _sent(response: httpx.Response) -> str:
    return str(response.request.headers.get("cookie", ""))


def test_the_staff_login_lives_under_the_kcc(client: TestClient, auth: Auth) -> None:
    start = client.get("/kcc/auth/login", params={"next": "/kcc"})
    assert start.status_code == 303
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fkcc%2Fauth%2Fcallback" in start.headers["location"]
    assert _path(_set_cookie(start, "mijn_login")) == "/kcc/auth"
    assert client.get("/auth/staff/login").status_code == 404  # the old address is gone
    assert client.get("/auth/staff/callback").status_code == 404
    page = client.get("/kcc/inloggen")
    assert 'href="/kcc/auth/login?next=' in page.text


def test_the_staff_cookies_are_set_for_the_kcc_only(client: TestClient, auth: Auth) -> None:
    done = auth.login_staff("demo-agent")
    assert done.request.url.path == "/kcc/auth/callback"
    assert _path(_set_cookie(done, "mijn_staff")) == "/kcc"
    assert _path(_set_cookie(done, "mijn_staff_active")) == "/kcc"
    assert client.get("/kcc").status_code == 200
    kcc = client.get("/kcc")
    assert "mijn_staff=" in _sent(kcc)
    home = client.get("/")  # a citizen page: the browser sends no staff cookie there
    assert home.status_code == 200
    assert "mijn_staff" not in _sent(home)
    assert "mijn_staff" not in _sent(client.get("/mijn/dossiers"))


def test_a_citizen_and_a_staff_member_in_one_browser(client: TestClient, auth: Auth) -> None:
    auth.login("demo-jan")
    auth.login_staff("demo-agent")
    dossiers = client.get("/mijn/dossiers")
    assert dossiers.status_code == 200 and "mijn_staff" not in _sent(dossiers)
    assert client.get("/kcc").status_code == 200


@pytest.mark.parametrize("audience", ["citizen", "business"])
def test_portal_logins_stay_where_they_were(client: TestClient, audience: str) -> None:
    start = client.get(f"/auth/{audience}/login")
    assert start.status_code == 303
    assert _path(_set_cookie(start, "mijn_login")) == "/auth"


def test_staff_logout_clears_the_kcc_cookies(client: TestClient, auth: Auth) -> None:
    auth.login_staff("demo-agent")
    token = form_fields(client.get("/kcc").text)["csrf_token"]
    out = client.post("/kcc/uitloggen", data={"csrf_token": token})
    assert out.status_code == 303
    assert _path(_set_cookie(out, "mijn_staff")) == "/kcc"
    assert _path(_set_cookie(out, "mijn_staff_active")) == "/kcc"
    assert client.get("/kcc").status_code == 303  # logged out: to the staff login


def test_a_staff_cookie_of_before_the_move_is_removed(client: TestClient, auth: Auth) -> None:
    client.cookies.set("mijn_staff", "from-before", domain="testserver.local", path="/")
    done = auth.login_staff("demo-agent")
    removals = [c for c in done.headers.get_list("set-cookie")
                if c.startswith('mijn_staff=""') and "Path=/;" in c]
    assert removals and "Max-Age=0" in removals[0]
