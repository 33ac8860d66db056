"""What a file is, by its first bytes (magic numbers), never by its name or the type a
sender claims: PDF, JPEG, PNG and HEIC/HEIF."""

from __future__ import annotations

from collections.abc import AsyncIterator

HEAD = 16  # bytes needed to tell the kinds apart
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/heic": "heic", "image/heif": "heif"}
ALLOWED = tuple(EXTENSIONS)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}


class WrongKind(Exception):
    """The content is none of the allowed kinds (whatever its name says)."""


class Empty(Exception):
    """The file holds no bytes at all."""


def content_type(head: bytes) -> str | None:
    """The media type the first bytes show, or None for none of the known kinds."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIC_BRANDS:
            return "image/heic"
        if head[8:12] in _HEIF_BRANDS:
            return "image/heif"
    return None


class Sniffed:
    """Passes a stream through, deciding its media type from its first bytes: WrongKind
    (before anything is passed on) when they show no allowed kind, Empty for no bytes."""

    def __init__(self, chunks: AsyncIterator[bytes], allowed: tuple[str, ...] = ALLOWED) -> None:
        self.chunks, self.allowed = chunks, allowed
        self.content_type = ""

    async def stream(self) -> AsyncIterator[bytes]:
        """The same bytes, once their kind is known and allowed."""
        head = b""
        async for chunk in self.chunks:
            if self.content_type:
                yield chunk
                continue
            head += chunk
            if len(head) >= HEAD:
                self._decide(head)
                yield head
        if not self.content_type:
            if not head:
                raise Empty("no bytes")
            self._decide(head)
            yield head

    def _decide(self, head: bytes) -> None:
        found = content_type(head)
        if found is None or found not in self.allowed:
            raise WrongKind("not an allowed kind of file")
        self.content_type = found
