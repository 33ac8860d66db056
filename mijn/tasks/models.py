"""Tables of the tasks area: a task a back-office system set for a party."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow
from mijn.documents.keptfiles import SentFileColumns

# form: answer a few typed fields; confirm: say yes to something; link: go to an address
# (a payment page); upload: send one or more documents (kept as TaskFile rows).
KINDS = ("form", "confirm", "link", "upload")
STATUSES = ("open", "done", "cancelled")


class Task(Base):
    """Something a party should do before a deadline, optionally about one of its dossiers.

    version counts every change (the back-office's updates and the completion): a form sent
    from a page of an older version is refused, so a second tab or a double click cannot
    complete a task twice or answer a task that changed meanwhile.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_tasks_source_external_id"),
        Index("ix_tasks_party_status_deadline", "party_id", "status", "deadline"),
        Index("ix_tasks_dossier", "dossier_id"),
        Index("ix_tasks_status_deadline", "status", "deadline"),  # reminders
        Index(  # the completions still to push to the back-office's webhook
            "ix_tasks_push_due", "push_next_at", "id",
            postgresql_where=text("push_state = 'pending'"),
            sqlite_where=text("push_state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80))  # the API client's source
    external_id: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    branch: Mapped[str | None] = mapped_column(String(12))  # vestigingsnummer, organisations
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text, default="")  # plain words (B1)
    url: Mapped[str | None] = mapped_column(String(2000))  # kind link: where to go
    fields: Mapped[str | None] = mapped_column(Text)  # kind form: the JSON definition
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    answers: Mapped[str | None] = mapped_column(Text)  # kind form: JSON, field name -> value
    # Who completed it: party | representative | employee (of a company), their id for the
    # audit log (a party id or an employee's pseudonym) and their name.
    completed_by_type: Mapped[str | None] = mapped_column(String(20))
    completed_by_id: Mapped[str | None] = mapped_column(String(100))
    completed_by_name: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The deadline a reminder was sent for, N days before and on the day: once each (a new
    # deadline is reminded of anew).
    reminded_before: Mapped[date | None] = mapped_column(Date)
    reminded_on_day: Mapped[date | None] = mapped_column(Date)
    # The completion's push to the back-office's webhook (an outbox in this row, written with
    # the completion): None (no webhook, or not completed), pending, sent or dead.
    push_state: Mapped[str | None] = mapped_column(String(10))
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    push_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskFile(SentFileColumns, Base):
    """A file the party sent to do an upload task (its bytes in the documents' store under a
    random key; only clean or unscanned files are ever kept). Written in the completion's
    transaction: a done upload task has its files, an open one none."""

    __tablename__ = "task_files"
    __table_args__ = (Index("ix_task_files_task", "task_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
