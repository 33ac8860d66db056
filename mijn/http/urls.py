"""Which side of the house a path belongs to, and which addresses are safe to return to."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_staff_path(path: str) -> bool:
    """Whether a path belongs to the staff side (its own session cookie and layout)."""
    return path == "/kcc" or path.startswith(("/kcc/", "/auth/staff/"))


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another host, //x) becomes the default."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
