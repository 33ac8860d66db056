"""CSRF on multipart forms: the token in the header or in the form's first part, read alone;
the file parts behind it stream on to the route byte for byte, never held whole."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Message

from conftest import Auth
from mijn.http.common import CSRF_COOKIE

BOUNDARY = "----mijnTestGrens7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
BIG = bytes(range(256)) * (5 * 1024 * 4 + 3)  # 5 MiB and a bit, every byte value


async def _echo(request: Request) -> Response:
    """What the route received: its size, digest, largest chunk, and how many chunks the
    sender had given when the route got its first."""
    digest, size, largest, sent_before = hashlib.sha256(), 0, 0, None
    async for chunk in request.stream():
        if sent_before is None:
            sent_before = request.scope.get("test.sent", [0])[0]
        digest.update(chunk)
        size += len(chunk)
        largest = max(largest, len(chunk))
    return JSONResponse({"size": size, "sha256": digest.hexdigest(), "largest": largest,
                         "sent_before": sent_before})


@pytest.fixture
def echo(app: Starlette, client: TestClient) -> TestClient:
    app.router.routes.insert(0, Route("/echo-upload", _echo, methods=["POST"]))
    return client


def _field(name: str, value: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            f"{value}\r\n").encode()


def _file(name: str, content: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
            f"filename=\"scan.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + content + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _post(client: TestClient, body: bytes, size: int = 64 * 1024, content_type: str = MULTIPART,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Posts a body to the echo route in chunks, as a server hands them on (the test client
    itself would read a streamed body whole first): the status and the route's answer."""
    cookie = f"{CSRF_COOKIE}={client.cookies.get(CSRF_COOKIE)}"
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/echo-upload", "raw_path": b"/echo-upload", "root_path": "",
        "query_string": b"", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode()),
                    (b"content-type", content_type.encode())]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    sent = [0]
    scope["test.sent"] = sent
    chunks = list(_chunks(body, size))
    out: list[Message] = []

    async def receive() -> Message:
        if sent[0] < len(chunks):
            sent[0] += 1
            return {"type": "http.request", "body": chunks[sent[0] - 1], "more_body": sent[0] < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        out.append(message)

    async def call() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(call)
    status = next(m["status"] for m in out if m["type"] == "http.response.start")
    text = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return status, (json.loads(text) if status == 200 else {"text": text.decode()})


def test_a_large_multipart_with_the_token_first_streams_through_whole(echo: TestClient, auth: Auth) -> None:
    body = _body(_field("csrf_token", auth.csrf()), _field("tekst", "Mijn vraag"), _file("bestanden", BIG))
    assert len(body) > 5 * 1024 * 1024
    status, received = _post(echo, body)
    assert status == 200
    assert received["size"] == len(body)
    assert received["sha256"] == hashlib.sha256(body).hexdigest()
    assert received["largest"] <= 64 * 1024  # chunk by chunk, as they came
    assert received["sent_before"] == 1  # the token was in the first chunk: nothing read ahead


def test_a_token_in_the_first_part_split_over_chunks_counts(echo: TestClient, auth: Auth) -> None:
    body = _body(_field("csrf_token", auth.csrf()), _file("bestanden", b"%PDF-1.4 tiny" * 100))
    status, received = _post(echo, body, size=7)
    assert status == 200
    assert received["sha256"] == hashlib.sha256(body).hexdigest()
    assert received["sent_before"] < len(body) // 7  # read up to the first part's end, no further


@pytest.mark.parametrize("case", ["missing", "wrong", "later", "as a file", "no boundary", "preamble"])
def test_a_multipart_without_its_token_first_is_refused(echo: TestClient, auth: Auth, case: str) -> None:
    token = auth.csrf()
    bodies = {
        "missing": _body(_field("tekst", "x"), _file("bestanden", BIG)),
        "wrong": _body(_field("csrf_token", "forged.token"), _file("bestanden", BIG)),
        "later": _body(_field("tekst", "x"), _field("csrf_token", token), _file("bestanden", b"x")),
        "as a file": _body(_file("csrf_token", token.encode()), _file("bestanden", b"x")),
        "no boundary": _body(_field("csrf_token", token)),
        "preamble": b"hello\r\n" + _body(_field("csrf_token", token)),
    }
    content_type = "multipart/form-data" if case == "no boundary" else MULTIPART
    status, received = _post(echo, bodies[case], content_type=content_type)
    assert status == 403
    assert "Formulier verlopen" in received["text"]


def test_a_first_part_past_the_cap_is_refused(echo: TestClient, auth: Auth) -> None:
    body = _body(_field("csrf_token", auth.csrf() + "x" * (80 * 1024)), _file("bestanden", b"x"))
    assert _post(echo, body)[0] == 403


def test_the_header_token_needs_no_token_part(echo: TestClient, auth: Auth) -> None:
    body = _body(_field("tekst", "x"), _file("bestanden", BIG))
    status, received = _post(echo, body, headers={"X-CSRF-Token": auth.csrf()})
    assert status == 200
    assert received["sha256"] == hashlib.sha256(body).hexdigest()
    assert received["sent_before"] == 1
    assert _post(echo, body, headers={"X-CSRF-Token": "forged.token"})[0] == 403


def test_urlencoded_forms_still_carry_the_token_in_a_field(echo: TestClient, auth: Auth) -> None:
    token = auth.csrf()
    ok = echo.post("/echo-upload", data={"tekst": "x", "csrf_token": token})
    assert ok.status_code == 200 and ok.json()["size"] > 0
    assert echo.post("/echo-upload", data={"tekst": "x"}).status_code == 403
    big = echo.post("/echo-upload", content=b"csrf_token=" + token.encode() + b"&x=" + b"a" * (1024 * 1024),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413


def test_an_ordinary_form_sent_as_multipart_is_held_to_a_forms_size(
    echo: TestClient, auth: Auth
) -> None:
    """The CSRF check streams multipart bodies on; a route that takes no files (here the
    language switch, open to strangers) refuses a file part and a body past a form's size,
    so nothing is spooled to disk without a limit."""
    token = _field("csrf_token", auth.csrf())
    headers = {"content-type": MULTIPART}
    plain = echo.post("/taal", content=_body(token, _field("lang", "en"), _field("next", "/")),
                      headers=headers, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/"
    assert "mijn_lang=en" in plain.headers.get("set-cookie", "")
    with_file = _body(token, _field("lang", "en"), _file("bestand", b"%PDF-1.4 x"))
    assert echo.post("/taal", content=with_file, headers=headers).status_code == 400
    too_big = _body(token, _field("lang", "en"), _field("next", "a" * (1024 * 1024 + 1)))
    assert echo.post("/taal", content=too_big, headers=headers).status_code == 413
