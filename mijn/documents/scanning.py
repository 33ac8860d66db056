"""The one seam for virus scanning: a stored document is scanned (when a scanner is
configured) before its row says whether it may be served (models.SERVABLE).

A scanner is anything with `async scan(chunks) -> result` whose result has a `verdict`
with a `value` of "clean", "infected" or "unavailable" (mijn.scanning.clamd.Clamd has that
shape); a scanner that raises counts as unavailable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from mijn.documents.store import DocumentStore


class Verdict(Protocol):
    """What a scan concluded: its value is 'clean', 'infected' or 'unavailable'."""

    @property
    def value(self) -> str: ...


class ScanOutcome(Protocol):
    """A scan's result."""

    @property
    def verdict(self) -> Verdict: ...


class Scanner(Protocol):
    """A virus scanner reading a stream (e.g. clamd over its socket)."""

    async def scan(self, chunks: AsyncIterator[bytes]) -> ScanOutcome:
        """The verdict on the stream ('unavailable' when it cannot tell)."""
        ...


async def scan_stored(store: DocumentStore, key: str, scanner: Scanner | None) -> str:
    """The scan state of the bytes under key: 'unscanned' without a scanner, else 'clean',
    'infected' or 'failed' (no verdict: not served, like 'infected')."""
    if scanner is None:
        return "unscanned"
    try:
        verdict = (await scanner.scan(store.read(key))).verdict.value
    except Exception:  # noqa: BLE001 -- whatever went wrong, the file is not known clean
        return "failed"
    return verdict if verdict in ("clean", "infected") else "failed"
