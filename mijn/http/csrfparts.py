"""The CSRF token of a multipart form without JavaScript: the form's FIRST part must be the
token field, so the check reads only that part (at most FIRST_PART_CAP bytes) and the file
parts behind it stream on to the route, never held in memory.
"""

from __future__ import annotations

from typing import NamedTuple

from python_multipart.multipart import parse_options_header
from starlette.types import Message, Receive

from mijn.http.common import CSRF_FIELD

FIRST_PART_CAP = 64 * 1024  # a token and its part's headers; a first part larger is no token


class FirstPart(NamedTuple):
    """The token of a multipart body's first part (None: not a token field) and the bytes
    read to find it, which the route must receive again before the rest of the body."""

    token: str | None
    head: bytes
    more: bool


def is_multipart(content_type: str) -> bool:
    """Whether a request's Content-Type is multipart/form-data."""
    return content_type.split(";")[0].strip().lower() == "multipart/form-data"


async def first_part(content_type: str, receive: Receive) -> FirstPart:
    """Reads a multipart body up to the end of its first part (or FIRST_PART_CAP bytes, or
    the body's end) and takes the CSRF token from that part."""
    boundary = parse_options_header(content_type)[1].get(b"boundary", b"")
    closing = b"\r\n--" + boundary
    head = b""
    more = True
    while more and len(head) <= FIRST_PART_CAP and closing not in head:
        message = await receive()
        head += message.get("body", b"")
        more = message.get("more_body", False)
    return FirstPart(_token_of(head, boundary) if boundary else None, head, more)


def _token_of(head: bytes, boundary: bytes) -> str | None:
    delimiter = b"--" + boundary + b"\r\n"
    if not head.startswith(delimiter):
        return None
    end = head.find(b"\r\n--" + boundary, len(delimiter))
    if end < 0:
        return None
    headers, separator, value = head[len(delimiter):end].partition(b"\r\n\r\n")
    if not separator or not _is_token_field(headers):
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def _is_token_field(headers: bytes) -> bool:
    """Whether a part's headers name the CSRF field (a plain field, not a file)."""
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-disposition":
            kind, options = parse_options_header(value.strip())
            return (kind == b"form-data" and options.get(b"name") == CSRF_FIELD.encode()
                    and b"filename" not in options)
    return False


def replaying(head: bytes, receive: Receive, more: bool = False) -> Receive:
    """A receive that first gives the bytes already read, then the rest of the body as it
    comes (nothing of it buffered)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": head, "more_body": more}
        return await receive()

    return replay
