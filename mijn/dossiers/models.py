"""Tables of the dossiers area: types, status types, dossiers and their status events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow

KINDS = ("case", "report")


class DossierType(Base):
    """A kind of case or report (zaaktype), with an ordered list of status types."""

    __tablename__ = "dossier_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="case")
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # The lowest level of assurance (basis, midden, substantieel, hoog) that opens it.
    min_loa: Mapped[str | None] = mapped_column(String(20))
    # The source whose API client made it ("zgw": the ZGW intake); None: configuration/demo.
    owner: Mapped[str | None] = mapped_column(String(80))


class StatusType(Base):
    """One status of a dossier type, with the text a citizen reads."""

    __tablename__ = "status_types"
    __table_args__ = (
        UniqueConstraint("dossier_type_id", "code", name="uq_status_types_type_code"),
        Index("ix_status_types_type_position", "dossier_type_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_type_id: Mapped[int] = mapped_column(ForeignKey("dossier_types.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    label_nl: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")
    text_nl: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)


class Dossier(Base):
    """A case (zaak) or a report (melding) of one party."""

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_dossiers_source_external_id"),
        Index("ix_dossiers_party_open_changed", "party_id", "closed_on", "last_changed_at"),
        # The monthly report (mijn/insight): a month of dossiers opened; its department filter.
        Index("ix_dossiers_opened_on", "opened_on", "kind", "department"),
        Index("ix_dossiers_department", "department", "id"),
        Index("ix_dossiers_closed_on", "closed_on"),  # retention
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    dossier_type_id: Mapped[int] = mapped_column(ForeignKey("dossier_types.id"))
    title: Mapped[str] = mapped_column(String(300))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    branch: Mapped[str | None] = mapped_column(String(12))  # vestigingsnummer, organisations
    channel: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(200), default="")
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    expected_end: Mapped[date | None] = mapped_column(Date)
    current_status_id: Mapped[int | None] = mapped_column(ForeignKey("status_types.id"))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(80))
    external_id: Mapped[str | None] = mapped_column(String(200))
    zgw_url: Mapped[str | None] = mapped_column(String(500))


class StatusEvent(Base):
    """One status a dossier reached, or its forwarding to a partner: append-only history."""

    __tablename__ = "status_events"
    __table_args__ = (
        UniqueConstraint("dossier_id", "source_event_id", name="uq_status_events_source_event"),
        Index("ix_status_events_dossier_occurred", "dossier_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="status")  # status | forwarded
    status_type_id: Mapped[int | None] = mapped_column(ForeignKey("status_types.id"))
    partner_name: Mapped[str | None] = mapped_column(String(200))  # forwarded: to whom
    explanation: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str] = mapped_column(String(20), default="system")  # system | agent
    channel: Mapped[str | None] = mapped_column(String(20))
    source_event_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
