"""Nothing typed is lost when the session ended meanwhile (without JavaScript; with it,
session-timeout.js keeps the text in the tab): a question or reply posted after the session
expired is kept in a short-lived cookie, encrypted and signed with the portal's secret, and
put back into the same form after logging in again -- only for the same person, once.

The cookie holds the text, so no table and no clean-up are needed; the address of the login
holds only the form's page (no text), and nothing of it is logged. The form carries a keyed
hash of who is logged in (`kept_for`): the text goes back only to that login, not to the next
person on a shared computer, who makes it disappear instead."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mijn.access.scope import Access
from mijn.http.common import app_settings, form_values, is_htmx
from mijn.http.session import LoginRequired, login_url, require_identity

COOKIE = "mijn_bewaard"
COOKIE_PATH = "/mijn"
LIFETIME = 30 * 60  # seconds: enough to log in again, short enough to be gone soon after
FIELDS = ("body", "topic", "dossier")
PART = 3800  # characters per cookie (browsers keep 4096 bytes per cookie)
MAX_PARTS = 3  # more would make every request's headers too big; then nothing is kept


def _fernet(request: Request) -> Fernet:
    secret = app_settings(request).secret_key.reveal().encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"mijn.kept|" + secret).digest()))


def owner_tag(request: Request, access: Access) -> str:
    """Who is logged in, as a keyed hash (no personal data): the person, whether acting for
    themselves or for someone else; a business's employee with their company."""
    who = (f"employee|{access.party_id}|{access.actor_id}" if access.actor_type == "employee"
           else f"person|{access.actor_id}")
    secret = app_settings(request).secret_key.reveal().encode()
    return hmac.new(secret, b"mijn.kept.owner|" + who.encode(), hashlib.sha256).hexdigest()[:32]


async def login_keeping_text(request: Request, back: str) -> Response | None:
    """None when someone is logged in; otherwise the way to log in again and come back to
    `back` (the form's page), with the posted text kept when the form said whose it is."""
    try:
        require_identity(request)
        return None
    except LoginRequired as exc:
        exc.next_url = back
        url = login_url(request, exc)
        response = (Response(status_code=204, headers={"HX-Redirect": url}) if is_htmx(request)
                    else RedirectResponse(url, status_code=303))
    values = await form_values(request)
    owner = values.get("kept_for", "")
    if owner and values.get("body", "").strip():
        kept = {"path": back.split("?")[0], "owner": owner,
                "values": {k: values[k] for k in FIELDS if k in values}}
        _set_cookie(request, response, kept)
    return response


def _set_cookie(request: Request, response: Response, kept: dict[str, Any]) -> None:
    raw = zlib.compress(json.dumps(kept).encode())
    token = _fernet(request).encrypt(raw).decode()
    parts = [token[i:i + PART] for i in range(0, len(token), PART)]
    if len(parts) > MAX_PARTS:
        return
    for number in range(MAX_PARTS):
        if number < len(parts):
            _cookie(request, response, f"{COOKIE}{number}", parts[number], LIFETIME)
        else:
            _cookie(request, response, f"{COOKIE}{number}", "", 0)


def _cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(name, value, max_age=age, path=COOKIE_PATH, httponly=True,
                        samesite="lax", secure=app_settings(request).is_production)


def take_kept(request: Request, access: Access) -> dict[str, str] | None:
    """The text kept for this page and this person (None: nothing, or not theirs)."""
    token = "".join(request.cookies.get(f"{COOKIE}{n}", "") for n in range(MAX_PARTS))
    if not token:
        return None
    try:
        kept = json.loads(zlib.decompress(_fernet(request).decrypt(token, ttl=LIFETIME)))
    except (InvalidToken, zlib.error, ValueError):
        return None
    if kept.get("path") != request.url.path:
        return None
    if not hmac.compare_digest(str(kept.get("owner", "")), owner_tag(request, access)):
        return {}  # someone else's: forgotten, never shown
    values = kept.get("values", {})
    return {k: str(values[k]) for k in FIELDS if isinstance(values.get(k), str)}


def forget(request: Request, response: Response) -> Response:
    """Remove the kept text from the browser (after it was put back, or refused)."""
    for number in range(MAX_PARTS):
        _cookie(request, response, f"{COOKIE}{number}", "", 0)
    return response


async def ask_page(request: Request) -> str:
    """Where a question posted after the session ended is written again: the ask form, about
    the same dossier (its reference, as in the dossier's own address; never the text)."""
    values = await form_values(request)
    page = str(request.app.url_path_for("questions:new"))
    reference = values.get("dossier", "")[:40]
    return f"{page}?{urlencode({'dossier': reference})}" if reference else page


def restored(request: Request, response: Response, kept: dict[str, str] | None) -> Response:
    """The page's response, having forgotten a kept text it used or refused."""
    return forget(request, response) if kept is not None else response
