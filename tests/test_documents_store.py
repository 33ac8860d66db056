"""The document store and its seams, without a database: the directory store streams both
ways under random keys and refuses keys it did not make; kinds are decided by content; the
scan seam says 'unscanned' without a scanner and never 'clean' when a scanner fails."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mijn.documents.scanning import scan_stored
from mijn.documents.sniff import Empty, Sniffed, WrongKind, content_type
from mijn.documents.store import DirectoryStore, StoreError, TooLarge


async def _stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _read(store: DirectoryStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


def test_write_read_delete(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "docs")

    async def scenario() -> None:
        stored = await store.write(_stream(b"%PDF-", b"1.7 ", b"inhoud"))
        assert stored.size == 15 and len(stored.sha256) == 64
        assert await _read(store, stored.key) == b"%PDF-1.7 inhoud"
        assert [p.name for p in (tmp_path / "docs").rglob("*") if p.is_file()] == [stored.key]
        other = await store.write(_stream(b"x"))
        assert other.key != stored.key
        await store.delete(stored.key)
        await store.delete(stored.key)  # gone already: no error
        with pytest.raises(StoreError):
            await _read(store, stored.key)
        for foreign in ("../../etc/passwd", other.key.upper(), other.key + "/..", ""):
            with pytest.raises(StoreError):
                await _read(store, foreign)
        with pytest.raises(TooLarge):
            await store.write(_stream(b"12345", b"678"), limit=7)
        assert [p.name for p in (tmp_path / "docs").rglob("*") if p.is_file()] == [other.key]

    asyncio.run(scenario())


@pytest.mark.parametrize(("head", "expected"), [
    (b"%PDF-1.4\n", "application/pdf"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"), (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00", "image/heif"), (b"MZ\x90\x00", None),
    (b"<html><script>", None), (b"\x00\x00\x00\x18ftypisom", None),  # an MP4
])
def test_kinds_by_content(head: bytes, expected: str | None) -> None:
    assert content_type(head) == expected


def test_sniffing_refuses_before_passing_anything_on() -> None:
    async def scenario() -> None:
        passed: list[bytes] = []
        sniffed = Sniffed(_stream(b"MZ", b"\x90\x00" * 20))
        with pytest.raises(WrongKind):
            async for chunk in sniffed.stream():
                passed.append(chunk)
        assert passed == []
        with pytest.raises(Empty):
            async for _chunk in Sniffed(_stream()).stream():
                pass
        png = Sniffed(_stream(b"\x89P", b"NG\r\n\x1a\n", b"\x00" * 20), ("image/png",))
        assert b"".join([c async for c in png.stream()]).startswith(b"\x89PNG")
        assert png.content_type == "image/png"
        with pytest.raises(WrongKind):  # a PDF where only PNG is allowed
            async for _chunk in Sniffed(_stream(b"%PDF-1.7" * 4), ("image/png",)).stream():
                pass

    asyncio.run(scenario())


class _Verdict(enum.Enum):
    CLEAN = "clean"
    INFECTED = "infected"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class _Result:
    verdict: _Verdict


class _Scanner:
    """A scanner that reads the whole stream, then says what it was told to (None: it
    fails), in the shape of mijn.scanning.clamd.Clamd."""

    def __init__(self, verdict: _Verdict | None) -> None:
        self.verdict, self.read = verdict, 0

    async def scan(self, chunks: AsyncIterable[bytes]) -> _Result:
        async for chunk in chunks:
            self.read += len(chunk)
        if self.verdict is None:
            raise ConnectionError("clamd is down")
        return _Result(self.verdict)


def test_the_scan_seam(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)

    async def scenario() -> list[str]:
        stored = await store.write(_stream(b"%PDF-1.7 " * 100))
        states = [await scan_stored(store, stored.key, None)]
        for verdict in (*_Verdict, None):
            scanner = _Scanner(verdict)
            states.append(await scan_stored(store, stored.key, scanner))
            assert scanner.read == stored.size
        return states

    assert asyncio.run(scenario()) == ["unscanned", "clean", "infected", "failed", "failed"]
