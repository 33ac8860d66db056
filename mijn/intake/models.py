"""Tables of the intake: API clients, partner links of dossiers, and the ZGW inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow


class ApiClient(Base):
    """A back-office system allowed to write the dossiers of one source."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[str] = mapped_column(String(200), default="dossiers")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DossierLink(Base):
    """A partner organisation's own id for a dossier that was forwarded to it."""

    __tablename__ = "dossier_links"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_dossier_links_source_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str] = mapped_column(String(200))
    partner_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ZgwNotification(Base):
    """A received ZGW notification: kept until it is processed, retried when a remote API fails."""

    __tablename__ = "zgw_notifications"
    __table_args__ = (Index("ix_zgw_notifications_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|ignored|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
