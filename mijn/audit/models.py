"""The audit table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One access to a party's data: who, whose, what and when."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_party_at", "party_id", "at"),
        Index(  # the rows retention has yet to anonymise (mijn/audit/retention.py)
            "ix_audit_events_retention", "at",
            postgresql_where=text("actor_id <> '-'"), sqlite_where=text("actor_id <> '-'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(20))  # party | staff | system
    actor_id: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id", ondelete="SET NULL"))
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="SET NULL")
    )
    # Acting for another party: the mandate used (actor_id is the acting person or employee,
    # party_id the party acted for).
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id", ondelete="SET NULL"))
    # The question looked at (a question's page, citizen's or staff's).
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    # A look-up that found nobody: an HMAC (under the secret key) of the identifier searched
    # for, never the identifier itself; whoever holds a number can find its searches.
    subject_hash: Mapped[str | None] = mapped_column(String(64))
