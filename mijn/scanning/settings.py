"""Where clamd listens and how long Mijn waits for it: MIJN_CLAMD_SOCKET (a unix socket path,
or host:port), MIJN_CLAMD_TIMEOUT and MIJN_CLAMD_STREAM_MAX_LENGTH.

Domain-free, so that the configuration can read it; used by mijn/scanning/clamd.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mijn.envvalues import ConfigurationError, float_value

# clamd.conf's own default for StreamMaxLength (25M): what clamd takes in one INSTREAM.
DEFAULT_STREAM_MAX_LENGTH = 25 * 1024 * 1024
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_SIZE = re.compile(r"(\d+)\s*([KMG]?)B?", re.IGNORECASE)


@dataclass(frozen=True)
class ScannerSettings:
    """clamd's address (empty: uploads are not scanned), the wait and the largest stream."""

    socket: str = ""
    timeout: float = 30.0
    stream_max_length: int = DEFAULT_STREAM_MAX_LENGTH

    @property
    def enabled(self) -> bool:
        """True when a clamd is configured."""
        return bool(self.socket)

    @property
    def unix_path(self) -> str | None:
        """The unix socket's path, or None when clamd listens on TCP."""
        return self.socket if self.socket.startswith("/") else None

    @property
    def host_port(self) -> tuple[str, int]:
        """The TCP host and port (only when unix_path is None)."""
        host, _, port = self.socket.removeprefix("tcp://").rpartition(":")
        return host.strip("[]"), int(port)


def size_value(env: Mapping[str, str], key: str, default: int) -> int:
    """A number of bytes written as clamd.conf writes it: 26214400, 25M, 1024K or 1G."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    match = _SIZE.fullmatch(raw)
    if not match or int(match[1]) < 1:
        raise ConfigurationError(
            f"{key} must be a size in bytes, or with K, M or G (as in clamd.conf: 25M), "
            f"not {raw!r}."
        )
    return int(match[1]) * _UNITS[match[2].upper()]


def scanner_settings(env: Mapping[str, str]) -> ScannerSettings:
    """Read MIJN_CLAMD_SOCKET, MIJN_CLAMD_TIMEOUT and MIJN_CLAMD_STREAM_MAX_LENGTH."""
    socket = env.get("MIJN_CLAMD_SOCKET", "").strip()
    if socket and not socket.startswith("/"):
        host, _, port = socket.removeprefix("tcp://").rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(
                "MIJN_CLAMD_SOCKET must be clamd's unix socket (/run/clamav/clamd.ctl) or its "
                f"host:port (127.0.0.1:3310), not {socket!r}."
            )
    timeout = float_value(env, "MIJN_CLAMD_TIMEOUT", 30.0)
    if not 0 < timeout <= 600:
        raise ConfigurationError("MIJN_CLAMD_TIMEOUT must be between 0 and 600 seconds.")
    return ScannerSettings(
        socket=socket,
        timeout=timeout,
        stream_max_length=size_value(env, "MIJN_CLAMD_STREAM_MAX_LENGTH",
                                     DEFAULT_STREAM_MAX_LENGTH),
    )
