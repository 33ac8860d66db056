"""The one seam for virus scanning: a stored document is scanned (when a scanner is
configured) before its row says whether it may be served (models.SERVABLE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from mijn.documents.store import DocumentStore


class Scanner(Protocol):
    """A virus scanner reading a stream (e.g. clamd over its socket)."""

    async def scan(self, chunks: AsyncIterator[bytes]) -> bool:
        """True when the stream is clean, False when it is infected; raises when it cannot
        tell (the scanner is down, the stream too large for it)."""
        ...


async def scan_stored(store: DocumentStore, key: str, scanner: Scanner | None) -> str:
    """The scan state of the bytes under key: 'unscanned' without a scanner, else 'clean',
    'infected' or 'failed' (not served, like 'infected')."""
    if scanner is None:
        return "unscanned"
    try:
        clean = await scanner.scan(store.read(key))
    except Exception:  # noqa: BLE001 -- whatever went wrong, the file is not known clean
        return "failed"
    return "clean" if clean else "infected"
