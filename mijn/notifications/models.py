"""Tables of the notifications area: the outbox/inbox and the e-mail throttle per subject."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow

KINDS = ("status", "reply", "handover", "close", "verify", "task", "document", "survey")
EMAIL_STATES = ("pending", "sent", "dead", "skipped")  # dead: see mijn.retry


class Notification(Base):
    """News for a party: a message in their inbox, and an e-mail to deliver (the outbox).

    Written in the same transaction as the change it tells of, so a crash after the change
    cannot lose it and a rolled-back change cannot send it.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_due", "next_attempt_at", "id",
            postgresql_where=text("email_state = 'pending'"),
            sqlite_where=text("email_state = 'pending'"),
        ),
        Index("ix_notifications_party_created", "party_id", "created_at"),
        Index("ix_notifications_created_at", "created_at"),  # retention
        Index(  # the dead ones, for the KCC's deliveries page
            "ix_notifications_dead", "created_at",
            postgresql_where=text("email_state = 'dead'"),
            sqlite_where=text("email_state = 'dead'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    # E-mails are bundled per party and subject: "dossier:12", "question:5".
    bundle_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Only for kinds "verify" and "survey": the link, until it is sent (then cleared).
    payload: Mapped[str | None] = mapped_column(Text)


class NotificationThrottle(Base):
    """When a party last got an e-mail about a subject: at most one per bundling window."""

    __tablename__ = "notification_throttles"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True
    )
    bundle_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
