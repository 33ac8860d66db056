"""The sessions table: one row per login, found by the hash of the cookie's random id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime


class WebSession(Base):
    """A logged-in browser: who, how, for whom and until when.

    The cookie holds a random id; only its SHA-256 is stored (token_hash), so a copy of the
    database gives no live cookies. A citizen's or business's row names the party, a staff
    member's the staff member; the roles are the staff member's as their last login gave them.
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        Index("ix_web_sessions_party_id", "party_id"),
        Index("ix_web_sessions_staff_id", "staff_id"),
        Index("ix_web_sessions_expires_at", "expires_at"),  # retention
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    audience: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE")
    )
    roles: Mapped[str] = mapped_column(String(100), default="")  # space-separated
    loa: Mapped[str] = mapped_column(String(100), default="")
    branch: Mapped[str | None] = mapped_column(String(20))
    actor_ref: Mapped[str] = mapped_column(String(300), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    mandate_id: Mapped[int | None] = mapped_column(
        ForeignKey("mandates.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
