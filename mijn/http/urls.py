"""Which side of the house a path belongs to, and which addresses are safe to return to."""

from __future__ import annotations

from urllib.parse import urlsplit

# Everything of the staff side lives under this path, their login too: the browser sends the
# staff cookies (set with this Path) nowhere else.
STAFF_ROOT = "/kcc"


def is_staff_path(path: str) -> bool:
    """Whether a path belongs to the staff side (its own session cookie and layout)."""
    return path == STAFF_ROOT or path.startswith(STAFF_ROOT + "/")


def callback_route(audience: str) -> tuple[str, dict[str, str]]:
    """The route (name, parameters) a provider sends this audience back to after login:
    the staff's under /kcc, the others' under /auth."""
    if audience == "staff":
        return "kcc:auth_callback", {}
    return "auth:callback", {"audience": audience}


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
