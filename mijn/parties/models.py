"""Tables of the parties area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow


class Party(Base):
    """A person (BSN, rijksregisternummer) or an organisation (KvK, KBO)."""

    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("identifier_type", "identifier", name="uq_parties_identifier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # person | organisation
    identifier_type: Mapped[str] = mapped_column(String(20))  # bsn | national_number | kvk | kbo
    identifier: Mapped[str] = mapped_column(String(20))
    branch: Mapped[str | None] = mapped_column(String(12))  # vestigingsnummer, organisations
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(5), default="nl")
    # Notification preferences: e-mail (to a verified address) and the portal, or portal only.
    notify_by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    email_token_hash: Mapped[str | None] = mapped_column(String(64))
    email_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
