"""The documents table: a file on a dossier, its metadata and where its bytes are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow
from mijn.i18n import N_

KINDS = ("besluit", "brief", "bijlage", "aanvraag", "overig")
KIND_LABELS = {"besluit": N_("Besluit"), "brief": N_("Brief"), "bijlage": N_("Bijlage"),
               "aanvraag": N_("Aanvraag"), "overig": N_("Document")}
SOURCES = ("api", "zgw", "citizen", "kcc")
SCAN_STATES = ("clean", "unscanned", "infected", "failed")
SERVABLE = ("clean", "unscanned")  # any other scan state is never served


class Document(Base):
    """A document on a dossier: stored by Mijn (storage_key) or read from a ZGW Documenten
    API on request (zgw_url)."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_dossier_created", "dossier_id", "created_at"),
        UniqueConstraint("dossier_id", "zgw_url", name="uq_documents_dossier_zgw_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    # Sent with a question or a reply about the dossier (citizen or KCC uploads).
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # KINDS
    confidentiality: Mapped[str] = mapped_column(String(30), default="openbaar")
    visible: Mapped[bool] = mapped_column(Boolean, default=True)  # the citizen may see it
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(100))  # decided by content, not by name
    sha256: Mapped[str | None] = mapped_column(String(64))  # None: a ZGW reference
    # Random (mijn.documents.store), never derived from anything a user sent.
    storage_key: Mapped[str | None] = mapped_column(String(100))
    zgw_url: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20))  # SOURCES
    uploaded_by: Mapped[str] = mapped_column(String(100))  # API client, party, staff id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scan_status: Mapped[str] = mapped_column(String(20), default="unscanned")  # SCAN_STATES
    # When the party itself first opened it (not a representative): until then "new".
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReplyDocument(Base):
    """A document of the question's dossier that staff sent along with a reply: the citizen
    finds it under that reply (while it stays visible to them and servable)."""

    __tablename__ = "reply_documents"
    __table_args__ = (Index("ix_reply_documents_document", "document_id"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("question_messages.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
