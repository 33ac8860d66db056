"""The documents' settings: where the files are kept and how large an upload may be, read
from MIJN_DOCUMENTS_* (the ZGW Documenten API is one of the ZGW settings).

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


def document_settings(env: Mapping[str, str]) -> DocumentSettings:
    """Read MIJN_DOCUMENTS_DIR (default: MIJN_DATA_DIR/documents) and MIJN_DOCUMENTS_MAX_MB
    (default 20)."""
    directory = env.get("MIJN_DOCUMENTS_DIR", "").strip()
    megabytes = int_value(env, "MIJN_DOCUMENTS_MAX_MB", DEFAULT_MAX_MB)
    if not 1 <= megabytes <= MAX_MAX_MB:
        raise ConfigurationError(
            f"MIJN_DOCUMENTS_MAX_MB must be from 1 to {MAX_MAX_MB} megabytes, not {megabytes}."
        )
    default = Path(env.get("MIJN_DATA_DIR", "var")) / "documents"
    return DocumentSettings(
        directory=Path(directory) if directory else default,
        max_bytes=megabytes * 1024 * 1024,
    )
