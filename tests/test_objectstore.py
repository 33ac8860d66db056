"""The S3-compatible object store against a real S3 server process that checks every
request's SigV4 signature: moto's server (PyPI `moto[s3]`, pinned in requirements.lock), started
by this module on 127.0.0.1 with its IAM checks on (INITIAL_NO_AUTH_ACTION_COUNT): the test
makes a user, its key pair and an s3:* policy in its first three requests, and from then on
moto recomputes each request's signature with botocore and refuses a mismatch.

A round trip, a 52 MiB object streamed in and out (multipart) with memory far below its size,
a wrong secret or key refused by the server, a missing bucket, a server that is down, and
keys Mijn did not make.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest

from mijn.check import object_store_check
from mijn.envvalues import ConfigurationError, Secret
from mijn.objectstore.s3 import (
    MIN_PART_SIZE,
    ObjectNotFound,
    ObjectStoreError,
    ObjectStoreRefused,
    ObjectStoreUnavailable,
    S3Store,
    Stored,
    TooLarge,
)
from mijn.objectstore.settings import ObjectStoreSettings, object_store_settings
from mijn.objectstore.sigv4 import EMPTY_SHA256, Credentials, amz_date, authorization

BUCKET = "mijn-documenten"
MIB = 1024 * 1024
S3_ALL = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class Server:
    """moto's address and the key pair its IAM made for the test."""

    endpoint: str
    access_key: str
    secret_key: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed(endpoint: str, credentials: Credentials, method: str, path: str,
            body: bytes = b"", query: str = "", **headers: str) -> httpx.Response:
    """One request signed with credentials (the test's own, outside the store)."""
    payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    signed = {"host": endpoint.removeprefix("http://"), "x-amz-date": amz_date(datetime.now(UTC)),
              "x-amz-content-sha256": payload, **headers}
    signed["authorization"] = authorization(credentials, method, path, query, signed, payload)
    url = f"{endpoint}{path}{'?' + query if query else ''}"
    return httpx.request(method, url, content=body, headers=signed, timeout=10)


def _open_uploads(server: Server) -> int:
    """How many multipart uploads the bucket holds unfinished (ListMultipartUploads)."""
    credentials = Credentials(server.access_key, Secret(server.secret_key), "us-east-1")
    listed = _signed(server.endpoint, credentials, "GET", f"/{BUCKET}", query="uploads=")
    assert listed.status_code == 200, listed.text
    return listed.text.count("<Upload>")


def _iam(endpoint: str, action: str, **params: str) -> str:
    """An IAM action, in moto's first requests (not yet checked: any key routes it)."""
    body = urlencode({"Action": action, "Version": "2010-05-08", **params}).encode()
    anyone = Credentials("AKIAIOSFODNN7EXAMPLE", Secret("-"), "us-east-1", "iam")
    response = _signed(endpoint, anyone, "POST", "/", body,
                       **{"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    return response.text


def _set_up(endpoint: str) -> Server:
    """A user with a key pair that may do everything in S3, and the bucket, made with it."""
    _iam(endpoint, "CreateUser", UserName="mijn")
    made = _iam(endpoint, "CreateAccessKey", UserName="mijn")
    _iam(endpoint, "PutUserPolicy", UserName="mijn", PolicyName="s3",
         PolicyDocument=json.dumps(S3_ALL))
    key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", made)
    secret = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", made)
    assert key and secret
    server = Server(endpoint, key[1], secret[1])
    credentials = Credentials(server.access_key, Secret(server.secret_key), "us-east-1")
    assert _signed(endpoint, credentials, "PUT", f"/{BUCKET}").status_code == 200
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """moto's S3 on a free port of 127.0.0.1, its IAM checking every request after the
    test's three set-up requests."""
    port, log = _free_port(), tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    if process.poll() is not None or time.monotonic() > deadline:
        process.kill()
        pytest.fail(f"moto's server did not start (run scripts/setup.sh: requirements.lock "
                    f"pins moto): {log.read_text()[-2000:]}")
    try:
        yield _set_up(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(10)


def _settings(server: Server, **overrides: str) -> ObjectStoreSettings:
    secret = overrides.pop("secret", server.secret_key)
    fields = {"endpoint": server.endpoint, "bucket": BUCKET, "access_key": server.access_key,
              **overrides}
    return ObjectStoreSettings(secret_key=Secret(secret), timeout=10.0, **fields)


async def _chunks(size: int, chunk: int = 64 * 1024, seed: int = 19) -> AsyncIterator[bytes]:
    """size bytes of random content, each chunk a new object (as from a network)."""
    draw = random.Random(seed)
    for start in range(0, size, chunk):
        yield draw.randbytes(min(chunk, size - start))


def _expected(size: int, chunk_size: int) -> str:
    async def digest() -> str:
        sha = hashlib.sha256()
        async for chunk in _chunks(size, chunk_size):
            sha.update(chunk)
        return sha.hexdigest()
    return asyncio.run(digest())


async def _read_all(store: S3Store, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


def test_write_read_delete_round_trip(server: Server) -> None:
    async def scenario() -> tuple[Stored, Stored, bytes, bytes]:
        store = S3Store(_settings(server))
        try:
            stored = await store.write(_replay([b"Besluit op uw aanvraag\n", b"", b"%PDF" * 10]))
            empty = await store.write(_replay([]))
            content, nothing = await _read_all(store, stored.key), await _read_all(store, empty.key)
            await store.delete(stored.key)
            with pytest.raises(ObjectNotFound):
                await anext(store.read(stored.key))
            with pytest.raises(ObjectNotFound):  # never a key Mijn did not make
                await anext(store.read("../../etc/passwd"))
            with pytest.raises(TooLarge):
                await store.write(_chunks(MIB), limit=MIB - 1)
            return stored, empty, content, nothing
        finally:
            await store.aclose()

    stored, empty, content, nothing = asyncio.run(scenario())
    assert content == b"Besluit op uw aanvraag\n" + b"%PDF" * 10
    assert stored.size == len(content) and stored.sha256 == hashlib.sha256(content).hexdigest()
    assert len(stored.key) == 32 and stored.key != empty.key
    assert (empty.size, nothing) == (0, b"")


async def _replay(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_a_big_object_streams_both_ways_in_flat_memory(server: Server) -> None:
    size = 52 * MIB  # 11 parts of 5 MiB (the last 2 MiB)

    async def scenario() -> tuple[Stored, str, int, int]:
        store = S3Store(_settings(server), part_size=MIN_PART_SIZE)
        try:
            tracemalloc.start()
            stored = await store.write(_chunks(size, chunk=100_003))  # parts split chunks
            written_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            sha, read = hashlib.sha256(), 0
            async for chunk in store.read(stored.key):
                sha.update(chunk)
                read += len(chunk)
            read_peak = tracemalloc.get_traced_memory()[1]
            await store.delete(stored.key)
            assert read == size
            return stored, sha.hexdigest(), written_peak, read_peak
        finally:
            tracemalloc.stop()
            await store.aclose()

    stored, read_sha, written_peak, read_peak = asyncio.run(scenario())
    assert stored.size == size and stored.sha256 == read_sha == _expected(size, 100_003)
    assert written_peak < 12 * MIB, f"writing held {written_peak / MIB:.1f} MiB"
    assert read_peak < 4 * MIB, f"reading held {read_peak / MIB:.1f} MiB"


def test_the_server_refuses_a_wrong_secret_or_key(server: Server) -> None:
    async def scenario() -> list[str]:
        right = S3Store(_settings(server))
        stored = await right.write(_replay([b"vertrouwelijk"]))
        refusals: list[str] = []
        for settings in (_settings(server, secret="niet-het-geheim"),
                         _settings(server, access_key="ONBEKEND")):
            wrong = S3Store(settings, part_size=MIN_PART_SIZE)
            for attempt in (wrong.write(_replay([b"x"])), anext(wrong.read(stored.key)),
                            wrong.write(_chunks(6 * MIB)), wrong.delete(stored.key)):
                with pytest.raises(ObjectStoreRefused) as refused:
                    await attempt
                refusals.append(str(refused.value))
            await wrong.aclose()
        assert await _read_all(right, stored.key) == b"vertrouwelijk"  # not deleted
        await right.aclose()
        return refusals

    refusals = asyncio.run(scenario())
    assert all("MIJN_S3_SECRET_KEY" in message for message in refusals)
    assert "SignatureDoesNotMatch" in refusals[0] and "InvalidAccessKeyId" in refusals[-1]


def test_a_missing_bucket_a_server_that_is_down_and_a_failing_source(server: Server) -> None:
    async def scenario() -> None:
        missing = S3Store(_settings(server, bucket="bestaat-niet"))
        with pytest.raises(ObjectStoreError, match="the bucket bestaat-niet does not exist"):
            await missing.write(_replay([b"x"]))
        down_at = f"http://127.0.0.1:{_free_port()}"
        down = S3Store(_settings(server, endpoint=down_at))
        for attempt in (down.write(_replay([b"x"])), anext(down.read("0" * 32)),
                        down.delete("0" * 32)):
            with pytest.raises(ObjectStoreUnavailable,
                               match=f"the object store at {down_at} cannot be reached"):
                await attempt

        with socket.socket() as silent:  # takes the connection, never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            slow_at = f"http://127.0.0.1:{silent.getsockname()[1]}"
            slow = S3Store(ObjectStoreSettings(slow_at, BUCKET, "us-east-1", server.access_key,
                                               Secret(server.secret_key), timeout=0.3))
            with pytest.raises(ObjectStoreUnavailable, match="did not answer within 0.3 s"):
                await slow.delete("0" * 32)
            await slow.aclose()

        async def broken() -> AsyncIterator[bytes]:
            async for chunk in _chunks(7 * MIB):
                yield chunk
            raise OSError("de upload brak af")

        store = S3Store(_settings(server), part_size=MIN_PART_SIZE)
        with pytest.raises(OSError, match="de upload brak af"):  # the caller's, unchanged
            await store.write(broken())
        with pytest.raises(TooLarge):  # past the first part: the upload is dropped
            await store.write(_chunks(7 * MIB), limit=6 * MIB)
        assert _open_uploads(server) == 0  # both uploads were aborted
        for closing in (missing, down, store):
            await closing.aclose()

    asyncio.run(scenario())


def test_settings_and_mijn_check(server: Server) -> None:
    assert not object_store_settings({}, production=True).enabled
    env = {"MIJN_S3_ENDPOINT": "https://s3.example.nl/", "MIJN_S3_BUCKET": BUCKET,
           "MIJN_S3_ACCESS_KEY": "mijn", "MIJN_S3_SECRET_KEY": "geheim", "MIJN_S3_REGION": "nl"}
    read = object_store_settings(env, production=True)
    assert (read.endpoint, read.region, read.secret_key.reveal()) == (
        "https://s3.example.nl", "nl", "geheim")
    assert "geheim" not in repr(read)
    for changed, named in (({"MIJN_S3_ENDPOINT": "http://s3.example.nl"}, "https://"),
                           ({"MIJN_S3_ENDPOINT": "s3.example.nl"}, "MIJN_S3_ENDPOINT"),
                           ({"MIJN_S3_SECRET_KEY": ""}, "MIJN_S3_SECRET_KEY must be set"),
                           ({"MIJN_S3_BUCKET": "Mijn_Bucket"}, "MIJN_S3_BUCKET must be"),
                           ({"MIJN_S3_TIMEOUT": "0"}, "MIJN_S3_TIMEOUT")):
        with pytest.raises(ConfigurationError, match=named):
            object_store_settings({**env, **changed}, production=True)

    found = asyncio.run(object_store_check(_settings(server), 5))
    assert found.ok and found.detail == f"{server.endpoint}/{BUCKET} answers (200)"
    refused = asyncio.run(object_store_check(_settings(server, secret="fout"), 5))
    assert not refused.ok and "refused Mijn's request" in refused.detail
    assert asyncio.run(object_store_check(ObjectStoreSettings(), 5)).detail.startswith(
        "not configured")
