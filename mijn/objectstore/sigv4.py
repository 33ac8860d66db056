"""AWS Signature Version 4 for S3-compatible object stores: the Authorization header of one
request (AWS General Reference, "Signature Version 4 signing process"; S3 API Reference,
"Signature Calculations for the Authorization Header").

S3 flavour: the path is URI-encoded once, not normalised; the payload's SHA-256 is signed
(x-amz-content-sha256). Tested against AWS's published test vectors (tests/test_sigv4.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from mijn.envvalues import Secret

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"  # with letters and digits: what SigV4 never percent-encodes


@dataclass(frozen=True)
class Credentials:
    """Who signs, and for which region and service."""

    access_key: str
    secret_key: Secret
    region: str
    service: str = "s3"


def quote_path(path: str) -> str:
    """A path as SigV4 (and the request line) writes it: each byte outside the unreserved
    characters and '/' percent-encoded, once."""
    return quote(path, safe="/" + _UNRESERVED)


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The query, each name and value encoded, sorted (a name without value keeps its '=')."""
    encoded = sorted((quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
                     for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def amz_date(now: datetime) -> str:
    """The x-amz-date form of a moment: 20150830T123600Z."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def canonical_request(method: str, path: str, query: str, headers: Mapping[str, str],
                      payload_hash: str) -> tuple[str, str]:
    """The canonical request and its signed headers' names (path and query already canonical)."""
    lowered = sorted((name.lower().strip(), " ".join(value.split()))
                     for name, value in headers.items())
    signed = ";".join(name for name, _ in lowered)
    lines = "".join(f"{name}:{value}\n" for name, value in lowered)
    return f"{method}\n{path}\n{query}\n{lines}\n{signed}\n{payload_hash}", signed


def signing_key(credentials: Credentials, day: str) -> bytes:
    """The day's key for the region and service, derived from the secret."""
    key = f"AWS4{credentials.secret_key.reveal()}".encode()
    for part in (day, credentials.region, credentials.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def authorization(credentials: Credentials, method: str, path: str, query: str,
                  headers: Mapping[str, str], payload_hash: str) -> str:
    """The Authorization header of a request whose headers include host and x-amz-date (and
    every other header to sign); path and query as quote_path and canonical_query give them."""
    stamp = next(value for name, value in headers.items() if name.lower() == "x-amz-date")
    day = stamp[:8]
    scope = f"{day}/{credentials.region}/{credentials.service}/aws4_request"
    request, signed = canonical_request(method, path, query, headers, payload_hash)
    to_sign = "\n".join((ALGORITHM, stamp, scope,
                         hashlib.sha256(request.encode()).hexdigest()))
    signature = hmac.new(signing_key(credentials, day), to_sign.encode(),
                         hashlib.sha256).hexdigest()
    return (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}")
