"""Tables of the staff area: staff members as their login presents them, and teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
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


class TextModule(Base):
    """A short named text a team types as ::name in a reply (a greeting, a closing line, a
    standard sentence), with placeholders filled in for the question at hand. Without a team
    it belongs to the contact centre: every agent and team lead has it."""

    __tablename__ = "text_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# One name per team (and one among the contact centre's own, whose team is NULL).
Index("uq_text_modules_team_name", func.coalesce(TextModule.team_id, 0), TextModule.name,
      unique=True)
