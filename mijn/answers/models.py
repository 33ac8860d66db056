"""Tables of the answers area: the knowledge base, its versions, search index, feedback,
agents' flags and the events that measure deflection."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow

AUDIENCES = ("all", "citizens", "businesses")
VERSION_STATES = ("draft", "published", "superseded")
FLAG_KINDS = ("wrong", "missing")
# What is counted: a published answer read, suggestions shown and opened (with the form they
# were shown in), an answer put into a reply by an agent, a question sent after suggestions.
EVENT_KINDS = ("view", "suggested", "opened", "used", "asked")


class Answer(Base):
    """A knowledge-base article; its columns hold the published version (if any)."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_published_review", "published", "review_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the published version's number
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    summary: Mapped[str] = mapped_column(String(300), default="")  # its first words, as text
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(12), default="all")
    review_by: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Feedback on the published version (reset when a new version is published); views ever.
    yes_count: Mapped[int] = mapped_column(Integer, default=0)
    no_count: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnswerVersion(Base):
    """One version of an answer: the draft being written, or one that was published."""

    __tablename__ = "answer_versions"
    __table_args__ = (UniqueConstraint("answer_id", "number", name="uq_answer_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(12), default="all")
    review_by: Mapped[date | None] = mapped_column(Date)
    topics: Mapped[str] = mapped_column(Text, default="")  # topic codes, space-separated
    targets: Mapped[str] = mapped_column(Text, default="")  # "type" or "type/status" codes
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )


class AnswerTarget(Base):
    """A dossier type (and optionally one of its statuses) a published answer applies to."""

    __tablename__ = "answer_targets"
    __table_args__ = (
        Index("ix_answer_targets_type_status", "dossier_type_id", "status_type_id"),
        Index("ix_answer_targets_answer", "answer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    dossier_type_id: Mapped[int] = mapped_column(
        ForeignKey("dossier_types.id", ondelete="CASCADE")
    )
    status_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_types.id", ondelete="CASCADE")
    )


class AnswerTopic(Base):
    """A question topic a published answer is about."""

    __tablename__ = "answer_topics"
    __table_args__ = (Index("ix_answer_topics_topic", "topic_id"),)

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("question_topics.id", ondelete="CASCADE"), primary_key=True
    )


class AnswerTerm(Base):
    """The search index: a stemmed term of a published answer and its weight there."""

    __tablename__ = "answer_terms"
    __table_args__ = (
        Index("ix_answer_terms_answer", "answer_id"),
        # A term's heaviest entries first, without reading the table (search caps per term).
        Index("ix_answer_terms_term_weight", "term", "weight", "answer_id", "audience"),
    )

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[float] = mapped_column(Float)
    audience: Mapped[str] = mapped_column(String(12), default="all")  # the answer's


class SearchTerm(Base):
    """A term of the index with the number of published answers that hold it."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class SearchVariant(Base):
    """A way to reach a term: one letter left out (typos), or its tail (compounds)."""

    __tablename__ = "search_variants"

    variant: Mapped[str] = mapped_column(String(60), primary_key=True)
    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # delete | tail


class AnswerFeedback(Base):
    """'Heeft dit antwoord u geholpen?': yes or no, and an optional comment (anonymous)."""

    __tablename__ = "answer_feedback"
    __table_args__ = (Index("ix_answer_feedback_answer_version", "answer_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnswerFlag(Base):
    """An agent's signal to the editors: this answer is wrong, or an answer is missing."""

    __tablename__ = "answer_flags"
    __table_args__ = (Index("ix_answer_flags_open", "resolved_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    comment: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )


class AnswerEvent(Base):
    """One counted moment (see EVENT_KINDS); form_key ties suggestions to the form they were
    shown in, so that a form whose question was never sent counts as deflected."""

    __tablename__ = "answer_events"
    __table_args__ = (
        Index("ix_answer_events_kind_at", "kind", "at"),
        Index("ix_answer_events_answer_kind", "answer_id", "kind"),
        Index("ix_answer_events_form_key", "form_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    context: Mapped[str] = mapped_column(String(12), default="")  # search|dossier|ask|kcc|link
    form_key: Mapped[str | None] = mapped_column(String(64))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnswerProposal(Base):
    """An answer proposed by an agent or editor from a well-answered question: its first
    draft, prefilled from the question and the reply with personal data masked. Never
    published by proposing: an editor reads it, changes it and publishes it (or not)."""

    __tablename__ = "answer_proposals"
    __table_args__ = (Index("ix_answer_proposals_answer", "answer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
