"""Tables of the staff area: staff members as their login presents them, and teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mijn.access.staff import Staff
from mijn.db import Base, UTCDateTime, utcnow


class StaffMember(Base):
    """An employee who logged in through the staff audience."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(300), unique=True)  # issuer + sub
    name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[str] = mapped_column(String(100), default="")  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def access(self) -> Staff:
        """The member as the access rules know them (roles as the last login gave them)."""
        return Staff(self.id, tuple(self.roles.split()))

    @property
    def is_specialist(self) -> bool:
        """Whether handed-over questions may go to them."""
        return self.access().is_specialist


class Team(Base):
    """A group of specialists that questions are handed over to (a department, a desk)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")


class TeamMember(Base):
    """A staff member's membership of a team (from the login's teams claim)."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
