"""The documents' settings: where the files are kept, how large an upload may be, and which
kinds of file a citizen may upload (per dossier type), read from MIJN_DOCUMENTS_* and
MIJN_UPLOAD_* (the ZGW Documenten API is one of the ZGW settings).

Apart from `mijn.settings` (configuration knows no area); `mijn.documents` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mijn.envvalues import ConfigurationError, int_value

DEFAULT_MAX_MB = 20
MAX_MAX_MB = 2048
# A kind's name in the settings -> the media types the sniffer tells (mijn.documents.sniff).
UPLOAD_KINDS = {"pdf": ("application/pdf",), "jpeg": ("image/jpeg",), "png": ("image/png",),
                "heic": ("image/heic", "image/heif")}
DEFAULT_UPLOAD_KINDS = ("pdf", "jpeg", "png", "heic")


@dataclass(frozen=True)
class DocumentSettings:
    """Where documents are stored and what an upload may be."""

    # Outside every served path: files are only ever streamed by the download routes.
    directory: Path = Path("var/documents")
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024
    # What a citizen may upload with a question or reply: kind names (UPLOAD_KINDS), and per
    # dossier type code other kinds; at most max_files files at once.
    upload_kinds: tuple[str, ...] = DEFAULT_UPLOAD_KINDS
    upload_kinds_by_type: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_files: int = 5

    def kinds_for(self, dossier_type: str | None) -> tuple[str, ...]:
        """The kind names a citizen may upload about a dossier of this type (None: none)."""
        return self.upload_kinds_by_type.get(dossier_type or "", self.upload_kinds)

    def any_media_types(self) -> tuple[str, ...]:
        """Every media type a citizen may upload about some dossier (the file picker's
        choice where the dossier is not known yet)."""
        kinds = dict.fromkeys([*self.upload_kinds, *(k for ks in self.upload_kinds_by_type.values()
                                                      for k in ks)])
        return tuple(dict.fromkeys(m for kind in kinds for m in UPLOAD_KINDS[kind]))

    def media_types_for(self, dossier_type: str | None) -> tuple[str, ...]:
        """The media types (by content) a citizen may upload about this dossier type."""
        return tuple(m for kind in self.kinds_for(dossier_type) for m in UPLOAD_KINDS[kind])


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
    files = int_value(env, "MIJN_UPLOAD_MAX_FILES", 5)
    if not 1 <= files <= 20:
        raise ConfigurationError(f"MIJN_UPLOAD_MAX_FILES must be from 1 to 20, not {files}.")
    by_type = {}
    for entry in filter(None, env.get("MIJN_UPLOAD_KINDS_BY_TYPE", "").split(";")):
        code, _, kinds = entry.partition("=")
        by_type[code.strip()] = _kinds("MIJN_UPLOAD_KINDS_BY_TYPE", kinds)
    return DocumentSettings(
        directory=Path(directory) if directory else default,
        max_bytes=megabytes * 1024 * 1024,
        upload_kinds=_kinds("MIJN_UPLOAD_KINDS", env.get("MIJN_UPLOAD_KINDS", "pdf,jpeg,png,heic")),
        upload_kinds_by_type=by_type, max_files=files,
    )


def _kinds(key: str, value: str) -> tuple[str, ...]:
    """Kind names from a comma-separated list: each one of UPLOAD_KINDS, at least one."""
    kinds = tuple(k.strip().lower() for k in value.split(",") if k.strip())
    unknown = [k for k in kinds if k not in UPLOAD_KINDS]
    if unknown or not kinds:
        raise ConfigurationError(f"{key} takes kinds from {', '.join(UPLOAD_KINDS)} "
                                 f"(comma-separated), not {value.strip()!r}.")
    return kinds
