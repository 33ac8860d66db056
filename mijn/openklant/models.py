"""Tables of the Open Klant area: the export outbox, and what each exported object is called
in Open Klant (its uuid and url)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow

# question: a klantcontact (maak-klantcontact) with its betrokkene and onderwerpobject;
# reply: a klantcontact linked to the question, with an actorklantcontact for the employee;
# handover: a klantcontact of the handover note and an internetaak (te_verwerken);
# done: the question's internetaken become verwerkt; contact: a contact an agent registered;
# mandate: a vertegenwoordiging (made while the mandate holds, removed when it is revoked).
KINDS = ("question", "reply", "handover", "done", "contact", "mandate")
STATES = ("pending", "done", "dead")  # dead: see mijn.retry


class OpenKlantExport(Base):
    """One thing to tell Open Klant: written in the same transaction as the change, so that a
    crash cannot lose it and a rolled-back change never travels; delivered by the worker."""

    __tablename__ = "openklant_exports"
    __table_args__ = (
        # How the import knows a klantcontact of Mijn's own that comes back (mijn.openklant.
        # imports): by its referentienummer.
        Index("ix_openklant_exports_reference", "reference"),
        Index("ix_openklant_exports_due", "next_attempt_at", "id",
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
        Index("ix_openklant_exports_dead", "created_at",
              postgresql_where=text("state = 'dead'"), sqlite_where=text("state = 'dead'")),
        # The claim's order (oldest pending first) without walking the done ones (0015e).
        Index("ix_openklant_exports_pending", "id", postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_messages.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id", ondelete="CASCADE"))
    # The klantcontact's referentienummer (10 characters): how a retry finds what an attempt
    # that timed out created after all.
    reference: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OpenKlantLink(Base):
    """A local thing ("party:5", "question:12", "message:40", "staff:3", "team:2") and the
    object Open Klant keeps for it in one role (partij, klantcontact, betrokkene, ...)."""

    __tablename__ = "openklant_links"
    __table_args__ = (
        UniqueConstraint("subject", "role", name="uq_openklant_links_subject_role"),
        Index("ix_openklant_links_uuid", "uuid"),  # the import: whether a uuid is known
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(30))
    uuid: Mapped[str] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
