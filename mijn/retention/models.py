"""The retention area's table: what each run removed, per kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime


class RetentionRun(Base):
    """One kind in one run of `mijn retention run`: when, from which cutoff, how many rows
    were deleted or anonymised. Holds no personal data (counts only)."""

    __tablename__ = "retention_runs"
    __table_args__ = (Index("ix_retention_runs_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    days: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    removed: Mapped[int] = mapped_column(Integer)
