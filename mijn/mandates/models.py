"""Tables of the mandates area."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow
from mijn.i18n import N_

# ouder, voogd, bewindvoerder, mentor, curator, gemachtigde (of a person or a company)
ROLES = ("parent", "guardian", "bewindvoerder", "mentor", "curator", "authorised")


class Mandate(Base):
    """A person may act for another party: for some dossier types, reading or also asking."""

    __tablename__ = "mandates"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_mandates_source_external_id"),
        Index("ix_mandates_representative", "representative_id", "valid_from"),
        Index("ix_mandates_represented", "represented_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    represented_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(30))
    # Space-separated dossier type codes; empty: every type.
    dossier_types: Mapped[str] = mapped_column(Text, default="")
    can_ask: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # the last day it holds
    source: Mapped[str] = mapped_column(String(80))  # the API client's source, or "claim"
    external_id: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The relation of a representative to the party they act for (mandates).
ROLE_LABELS = {
    "parent": N_("ouder"),
    "guardian": N_("voogd"),
    "bewindvoerder": N_("bewindvoerder"),
    "mentor": N_("mentor"),
    "curator": N_("curator"),
    "authorised": N_("gemachtigde"),
}
