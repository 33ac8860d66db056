"""Where a document's bytes are kept: a small protocol (write a stream, read it back as a
stream, delete it), and its default, a directory on disk.

Another backend (an S3-compatible object store) implements the same three methods:

- `write(chunks, limit)` consumes an async iterator of bytes, never holding more than one
  chunk, and returns a `Stored` (a random key of its own choosing, the size and the sha256);
  over `limit` bytes it removes what it wrote and raises `TooLarge`; a failure of the
  storage raises `StoreError`. Nothing is visible under the key before write returns.
- `read(key, chunk_size)` is an async iterator of the bytes, chunk by chunk; an unknown key
  raises `StoreError` at the first step.
- `delete(key)` removes the bytes; an unknown key is no error.

Keys are made here, never from anything a user sent; a key that is not one of ours is
refused before it touches the storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

CHUNK = 64 * 1024
_KEY = re.compile(r"[0-9a-f]{32}")


class StoreError(Exception):
    """The storage failed (full, unreachable) or holds no such key."""


class TooLarge(Exception):
    """The stream was longer than the limit: nothing was kept."""


@dataclass(frozen=True)
class Stored:
    """What write kept: the key to read it by, its size in bytes and its sha256 (hex)."""

    key: str
    size: int
    sha256: str


class StoredFile(Protocol):
    """What any store's write returns (Stored here; a backend may have its own class)."""

    @property
    def key(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...


class DocumentStore(Protocol):
    """Keeps the bytes of documents by a random key (see the module's docstring)."""

    async def write(self, chunks: AsyncIterator[bytes], limit: int | None = None) -> StoredFile:
        """Keep a stream; its key, size and sha256."""
        ...

    def read(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The bytes kept under key, chunk by chunk."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the bytes kept under key (an unknown key is no error)."""
        ...


def new_key() -> str:
    """A random key: 128 bits, hexadecimal."""
    return secrets.token_hex(16)


def checked_key(key: str) -> str:
    """The key itself when it is one this module made; StoreError otherwise."""
    if not _KEY.fullmatch(key):
        raise StoreError("not a document key")
    return key


class DirectoryStore:
    """Documents as files in a directory (outside every served path), two levels deep by
    key; written under a temporary name and renamed when complete."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        key = checked_key(key)
        return self.directory / key[:2] / key

    async def write(self, chunks: AsyncIterator[bytes], limit: int | None = None) -> Stored:
        """Keep a stream under a new key (see DocumentStore.write)."""
        key = new_key()
        path = self._path(key)
        part = path.with_suffix(".part")
        digest, size = hashlib.sha256(), 0
        try:
            await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
            async with await anyio.open_file(part, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise TooLarge(f"more than {limit} bytes")
                    digest.update(chunk)
                    await out.write(chunk)
            await anyio.to_thread.run_sync(os.replace, part, path)
        except OSError as exc:
            await _remove(part)
            raise StoreError(f"cannot write the document ({type(exc).__name__})") from None
        except BaseException:
            await _remove(part)
            raise
        return Stored(key, size, digest.hexdigest())

    async def read(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The bytes kept under key (see DocumentStore.read)."""
        try:
            source = await anyio.open_file(self._path(key), "rb")
        except OSError:
            raise StoreError("no such document") from None
        async with source:
            while chunk := await source.read(chunk_size):
                yield chunk

    async def delete(self, key: str) -> None:
        """Remove the file of key (see DocumentStore.delete)."""
        await _remove(self._path(key))


async def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # what stays is unreachable without its row
        await anyio.Path(path).unlink(missing_ok=True)
