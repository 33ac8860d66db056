"""The documents' settings: where the files are kept, how large an upload may be and where
the ZGW Documenten API is, read from MIJN_DOCUMENTS_* and MIJN_ZGW_DOCUMENTEN_URL.

Apart from `mijn.settings` (configuration knows no area); `mijn.documents` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mijn.envvalues import ConfigurationError, int_value

DEFAULT_MAX_MB = 20
MAX_MAX_MB = 2048


@dataclass(frozen=True)
class DocumentSettings:
    """Where documents are stored and what an upload may be."""

    # Outside every served path: files are only ever streamed by the download routes.
    directory: Path = Path("var/documents")
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024
    # The ZGW Documenten API whose enkelvoudiginformatieobjecten may be referred to (with the
    # ZGW intake's client id and secret); "": references are refused.
    zgw_url: str = ""


def document_settings(env: Mapping[str, str]) -> DocumentSettings:
    """Read MIJN_DOCUMENTS_DIR (default: MIJN_DATA_DIR/documents), MIJN_DOCUMENTS_MAX_MB
    (default 20) and MIJN_ZGW_DOCUMENTEN_URL."""
    directory = env.get("MIJN_DOCUMENTS_DIR", "").strip()
    megabytes = int_value(env, "MIJN_DOCUMENTS_MAX_MB", DEFAULT_MAX_MB)
    if not 1 <= megabytes <= MAX_MAX_MB:
        raise ConfigurationError(
            f"MIJN_DOCUMENTS_MAX_MB must be from 1 to {MAX_MAX_MB} megabytes, not {megabytes}."
        )
    url = env.get("MIJN_ZGW_DOCUMENTEN_URL", "").strip().rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"MIJN_ZGW_DOCUMENTEN_URL must be an http(s):// URL, not {url!r}.")
    if url and env.get("MIJN_ENV") == "production" and not url.startswith("https://"):
        raise ConfigurationError("MIJN_ENV=production needs an https:// MIJN_ZGW_DOCUMENTEN_URL.")
    default = Path(env.get("MIJN_DATA_DIR", "var")) / "documents"
    return DocumentSettings(
        directory=Path(directory) if directory else default,
        max_bytes=megabytes * 1024 * 1024, zgw_url=url,
    )
