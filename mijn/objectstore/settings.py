"""The S3-compatible object store files are kept in, when configured: MIJN_S3_ENDPOINT,
MIJN_S3_BUCKET, MIJN_S3_REGION, MIJN_S3_ACCESS_KEY, MIJN_S3_SECRET_KEY and MIJN_S3_TIMEOUT.

Domain-free, so that the configuration can read it; used by mijn/objectstore/s3.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mijn.envvalues import ConfigurationError, Secret, float_value

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class ObjectStoreSettings:
    """Where the bucket is (path-style: endpoint/bucket/key) and Mijn's key pair for it."""

    endpoint: str = ""
    bucket: str = ""
    region: str = "us-east-1"
    access_key: str = ""
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    timeout: float = 30.0  # seconds per step of a request (connect, each read or write)

    @property
    def enabled(self) -> bool:
        """True when an object store is configured (MIJN_S3_ENDPOINT is set)."""
        return bool(self.endpoint)


def _check(settings: ObjectStoreSettings, production: bool) -> None:
    parts = urlsplit(settings.endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigurationError(
            "MIJN_S3_ENDPOINT must be the object store's http(s):// address "
            f"(https://s3.eu-central-1.amazonaws.com), not {settings.endpoint!r}.")
    if production and parts.scheme != "https":
        raise ConfigurationError("MIJN_ENV=production needs an https:// MIJN_S3_ENDPOINT.")
    needed = {"MIJN_S3_BUCKET": settings.bucket, "MIJN_S3_ACCESS_KEY": settings.access_key,
              "MIJN_S3_SECRET_KEY": settings.secret_key.reveal()}
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise ConfigurationError(
            f"MIJN_S3_ENDPOINT is set, so {', '.join(missing)} must be set too.")
    if not _BUCKET.fullmatch(settings.bucket):
        raise ConfigurationError(
            "MIJN_S3_BUCKET must be a bucket name: 3 to 63 lowercase letters, digits, dots "
            f"and hyphens, not {settings.bucket!r}.")
    if not 0 < settings.timeout <= 600:
        raise ConfigurationError("MIJN_S3_TIMEOUT must be between 0 and 600 seconds.")


def object_store_settings(env: Mapping[str, str], production: bool) -> ObjectStoreSettings:
    """Read the MIJN_S3_* settings; with MIJN_S3_ENDPOINT set, the rest must be usable."""
    settings = ObjectStoreSettings(
        endpoint=env.get("MIJN_S3_ENDPOINT", "").strip().rstrip("/"),
        bucket=env.get("MIJN_S3_BUCKET", "").strip(),
        region=env.get("MIJN_S3_REGION", "").strip() or "us-east-1",
        access_key=env.get("MIJN_S3_ACCESS_KEY", "").strip(),
        secret_key=Secret(env.get("MIJN_S3_SECRET_KEY", "")),
        timeout=float_value(env, "MIJN_S3_TIMEOUT", 30.0),
    )
    if settings.enabled:
        _check(settings, production)
    return settings
