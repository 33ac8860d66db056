"""The columns of a row that stands for a file a party sent (with a question, a reply or an
upload task), kept by this area's store: one mixin for each owning area's table, and the
values of such a row made of what keep_upload kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import UTCDateTime, utcnow
from mijn.documents.service import Kept


class SentFileColumns:
    """A sent file: its bytes in the documents' store under a random key; only clean or
    unscanned files are ever kept."""

    title: Mapped[str] = mapped_column(String(200))  # the file's name as the sender named it
    content_type: Mapped[str] = mapped_column(String(100))  # decided by content
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100))
    scan_status: Mapped[str] = mapped_column(String(20))  # clean | unscanned
    uploaded_by: Mapped[str] = mapped_column(String(100))  # party:<id> or the actor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def sent_file_values(title: str, kept: Kept, uploaded_by: str, now: datetime | None = None
                     ) -> dict[str, Any]:
    """The SentFileColumns of a kept file (names and actors cut to their columns)."""
    return {"title": title[:200], "content_type": kept.content_type, "size": kept.stored.size,
            "sha256": kept.stored.sha256, "storage_key": kept.stored.key,
            "scan_status": kept.scan_status, "uploaded_by": uploaded_by[:100],
            "created_at": now or utcnow()}
