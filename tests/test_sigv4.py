"""The SigV4 signer against AWS's published test vectors: the Signature Version 4 test suite
(get-vanilla, get-vanilla-query-order-key-case, post-vanilla: AKIDEXAMPLE, 2015-08-30,
us-east-1, service `service`) and the S3 API Reference's worked examples for the
Authorization header (GET Object with a range, PUT Object, GET Bucket lifecycle, List
Objects: AKIAIOSFODNN7EXAMPLE, 2013-05-24, examplebucket)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from mijn.envvalues import Secret
from mijn.objectstore.sigv4 import (
    EMPTY_SHA256,
    Credentials,
    amz_date,
    authorization,
    canonical_query,
    canonical_request,
    quote_path,
)

SUITE = Credentials("AKIDEXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                    "us-east-1", "service")
S3_DOCS = Credentials("AKIAIOSFODNN7EXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                      "us-east-1", "s3")
SUITE_HEADERS = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
S3_HOST = "examplebucket.s3.amazonaws.com"


def _signature(header: str) -> str:
    return header.rsplit("Signature=", 1)[1]


@pytest.mark.parametrize(("method", "query", "expected"), [
    ("GET", [], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("GET", [("Param2", "value2"), ("Param1", "value1")],
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("POST", [], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
])
def test_the_signature_v4_test_suite(method: str, query: list[tuple[str, str]],
                                     expected: str) -> None:
    header = authorization(SUITE, method, "/", canonical_query(query), SUITE_HEADERS,
                           EMPTY_SHA256)
    assert header == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={expected}")


def test_the_suites_canonical_request_for_get_vanilla() -> None:
    request, signed = canonical_request("GET", "/", "", SUITE_HEADERS, EMPTY_SHA256)
    assert signed == "host;x-amz-date"
    assert request == ("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                       f"host;x-amz-date\n{EMPTY_SHA256}")
    assert amz_date(datetime(2015, 8, 30, 12, 36, tzinfo=UTC)) == "20150830T123600Z"


def _s3(method: str, path: str, query: str, payload: str, **extra: str) -> str:
    headers = {"Host": S3_HOST, "x-amz-content-sha256": payload,
               "x-amz-date": "20130524T000000Z", **extra}
    return _signature(authorization(S3_DOCS, method, path, query, headers, payload))


def test_the_s3_reference_examples() -> None:
    assert _s3("GET", "/test.txt", "", EMPTY_SHA256, Range="bytes=0-9") == (
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

    body = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    assert body == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    assert quote_path("/test$file.text") == "/test%24file.text"
    put = _s3("PUT", quote_path("/test$file.text"), "", body,
              Date="Fri, 24 May 2013 00:00:00 GMT", **{"x-amz-storage-class": "REDUCED_REDUNDANCY"})
    assert put == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"

    assert canonical_query([("lifecycle", "")]) == "lifecycle="
    assert _s3("GET", "/", "lifecycle=", EMPTY_SHA256) == (
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    assert _s3("GET", "/", canonical_query([("prefix", "J"), ("max-keys", "2")]),
               EMPTY_SHA256) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"


def test_another_secret_or_day_gives_another_signature() -> None:
    wrong = Credentials(S3_DOCS.access_key, Secret("not-the-secret"), "us-east-1")
    headers = {"Host": S3_HOST, "x-amz-date": "20130524T000000Z"}
    right = authorization(S3_DOCS, "GET", "/k", "", headers, EMPTY_SHA256)
    assert authorization(wrong, "GET", "/k", "", headers, EMPTY_SHA256) != right
    later = {**headers, "x-amz-date": "20130525T000000Z"}
    assert "/20130525/" in authorization(S3_DOCS, "GET", "/k", "", later, EMPTY_SHA256)
    assert "not-the-secret" not in repr(wrong)
