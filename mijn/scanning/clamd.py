"""A client of ClamAV's clamd: streams a file to it with INSTREAM and reads its verdict.

A scan never raises for the scanner's trouble (clamd down, too slow, a stream over its
StreamMaxLength, an answer it does not understand): the result is then UNAVAILABLE with the
reason in a few words, and the caller keeps the file out of reach. What the caller's own
chunks raise is the caller's and passes through.

The protocol (clamd(8)): `zINSTREAM\\0`, then chunks each preceded by its length as 4 bytes in
network order, then a zero length; clamd answers `stream: OK`, `stream: <name> FOUND` or
`<message> ERROR`, ended by `\\0`.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from mijn.scanning.settings import ScannerSettings

CHUNK = 64 * 1024  # bytes per INSTREAM chunk (and per read of a file)
T = TypeVar("T")


class Verdict(enum.Enum):
    """What the scan says about the file."""

    CLEAN = "clean"
    INFECTED = "infected"
    UNAVAILABLE = "unavailable"  # no verdict: treat the file as not scanned


@dataclass(frozen=True)
class ScanResult:
    """A verdict; for INFECTED the signature's name, for UNAVAILABLE why (never content)."""

    verdict: Verdict
    signature: str = ""
    reason: str = ""

    @property
    def clean(self) -> bool:
        """True only when clamd scanned the whole file and found nothing."""
        return self.verdict is Verdict.CLEAN


class ScannerUnavailable(Exception):
    """clamd could not be reached, did not answer in time, or answered something unexpected."""


def unavailable(reason: str) -> ScanResult:
    """A scan without a verdict, and why."""
    return ScanResult(Verdict.UNAVAILABLE, reason=reason)


def parse_reply(reply: bytes) -> ScanResult:
    """clamd's answer to INSTREAM as a result."""
    text = reply.rstrip(b"\0\n").decode("utf-8", "replace").strip()
    if text == "stream: OK":
        return ScanResult(Verdict.CLEAN)
    if text.startswith("stream: ") and text.endswith(" FOUND"):
        return ScanResult(Verdict.INFECTED, signature=text[len("stream: "):-len(" FOUND")])
    if text.endswith(" ERROR"):
        return unavailable(f"clamd: {text.removesuffix(' ERROR')}"[:200])
    return unavailable(f"clamd answered {text[:80]!r}" if text else "clamd closed the connection")


async def file_chunks(path: Path, size: int = CHUNK) -> AsyncIterator[bytes]:
    """A file's bytes, read in chunks in a thread (the event loop does not wait on the disk)."""
    file = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(file.read, size):
            yield chunk
    finally:
        file.close()


class Clamd:
    """clamd at the configured socket; one connection per scan or command."""

    def __init__(self, settings: ScannerSettings) -> None:
        self.settings = settings

    async def scan(self, chunks: AsyncIterable[bytes]) -> ScanResult:
        """Stream the chunks to clamd and return its verdict; UNAVAILABLE for any trouble."""
        try:
            reader, writer = await self._connect()
        except ScannerUnavailable as exc:
            return unavailable(str(exc))
        try:
            return await self._instream(chunks, reader, writer)
        except ScannerUnavailable as exc:
            return unavailable(str(exc))
        finally:
            writer.close()

    async def scan_file(self, path: Path) -> ScanResult:
        """Scan the file at path (streamed; clamd needs no access to it)."""
        return await self.scan(file_chunks(path))

    async def command(self, name: str) -> str:
        """Send one command (PING, VERSION) and return the answer; raises ScannerUnavailable."""
        reader, writer = await self._connect()
        try:
            writer.write(f"z{name}\0".encode())
            await self._within(writer.drain())
            return (await self._reply(reader)).rstrip(b"\0").decode("utf-8", "replace")
        finally:
            writer.close()

    async def _instream(self, chunks: AsyncIterable[bytes], reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> ScanResult:
        limit = self.settings.stream_max_length
        sent = 0
        try:
            writer.write(b"zINSTREAM\0")
            async for chunk in chunks:
                sent += len(chunk)
                if sent > limit:
                    return unavailable(f"larger than the scanner takes ({limit} bytes)")
                view = memoryview(chunk)
                for start in range(0, len(view), CHUNK):
                    piece = view[start:start + CHUNK]
                    writer.write(len(piece).to_bytes(4, "big"))
                    writer.write(piece)
                    await self._within(writer.drain())
            writer.write(b"\0\0\0\0")
            await self._within(writer.drain())
        except ConnectionError:
            # clamd stops reading when a stream exceeds its limit: its answer says so.
            pass
        return parse_reply(await self._reply(reader))

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        path = self.settings.unix_path
        try:
            if path is not None:
                return await self._within(asyncio.open_unix_connection(path))
            host, port = self.settings.host_port
            return await self._within(asyncio.open_connection(host, port))
        except OSError as exc:
            raise ScannerUnavailable(f"clamd cannot be reached ({type(exc).__name__})") from exc

    async def _reply(self, reader: asyncio.StreamReader) -> bytes:
        try:
            return await self._within(reader.readuntil(b"\0"))
        except asyncio.IncompleteReadError as exc:  # closed without the ending \0
            return exc.partial
        except OSError as exc:
            # clamd closed the connection while the stream was still being sent (past its
            # limit): asyncio's reader then raises before it gives what clamd said, which
            # it may already hold.
            said = bytes(getattr(reader, "_buffer", b""))
            if said:
                return said
            raise ScannerUnavailable(f"clamd broke off ({type(exc).__name__})") from exc
        except asyncio.LimitOverrunError as exc:
            raise ScannerUnavailable(f"clamd broke off ({type(exc).__name__})") from exc

    async def _within(self, work: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.settings.timeout):
                return await work
        except TimeoutError:
            raise ScannerUnavailable(
                f"clamd did not answer within {self.settings.timeout:g} s") from None
