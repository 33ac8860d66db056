"""Tables of the questions area: topics, questions, their messages, attachments and state
changes, contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base, UTCDateTime, utcnow
from mijn.documents.keptfiles import SentFileColumns

STATES = ("new", "claimed", "handed_over", "waiting", "answered", "closed")
OPEN_STATES = ("new", "claimed", "handed_over", "waiting")
KINDS = ("question", "callback")
# Messages a citizen reads; notes and handover notes are for staff only.
PUBLIC_MESSAGE_KINDS = ("citizen", "reply")
MESSAGE_KINDS = ("citizen", "reply", "note", "handover", "handback")
# Why staff close a question; "other" needs the staff member's own words.
CLOSE_REASONS = ("phone", "duplicate", "no_answer_needed", "withdrawn", "other")


class Topic(Base):
    """What a question is about, with its service level in working hours."""

    __tablename__ = "question_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    label_nl: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")
    sla_hours: Mapped[int] = mapped_column(Integer, default=16)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Question(Base):
    """A follow-up question of a party (or a callback request), optionally about a dossier."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("party_id", "submit_key", name="uq_questions_party_submit_key"),
        # The queue: unassigned questions, most urgent first ("Volgende vraag").
        Index(
            "ix_questions_queue", "sla_due_at", "id",
            postgresql_where=text("state = 'new'"), sqlite_where=text("state = 'new'"),
        ),
        Index("ix_questions_party_updated", "party_id", "updated_at"),
        Index("ix_questions_assignee_state", "assignee_id", "state"),
        Index("ix_questions_team_state", "team_id", "state"),
        Index("ix_questions_state_due", "state", "sla_due_at"),
        Index("ix_questions_state_updated", "state", "updated_at"),  # retention
        # The monthly report (mijn/insight): a month of questions asked, or answered, with
        # what its figures read, so that PostgreSQL needs the index only.
        # The kind: callback requests are counted apart (0012f).
        Index("ix_questions_created_at", "created_at", "topic_id", "channel", "dossier_id",
              "kind"),
        Index("ix_questions_answered_at", "answered_at", "created_at", "sla_due_at",
              "first_contact_resolution", "dossier_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="question")
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    # The branch (vestiging) it belongs to: the dossier's, or the asking employee's.
    branch: Mapped[str | None] = mapped_column(String(12))
    # Who asked, when not the party itself: an employee, or someone acting on a mandate.
    asked_by_name: Mapped[str | None] = mapped_column(String(200))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("question_topics.id"))
    channel: Mapped[str] = mapped_column(String(20), default="web")
    state: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While waiting on the citizen the clock stands still: the working time that was left.
    sla_remaining_seconds: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over: Mapped[bool] = mapped_column(Boolean, default=False)
    # Answered by the KCC without a handover; None while unanswered.
    first_contact_resolution: Mapped[bool | None] = mapped_column(Boolean)
    party_unread: Mapped[bool] = mapped_column(Boolean, default=False)
    submit_key: Mapped[str | None] = mapped_column(String(64))
    callback_phone: Mapped[str | None] = mapped_column(String(30))
    callback_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Handed over and not yet opened by the team or the specialist it went to.
    handover_unread: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class QuestionMessage(Base):
    """One message in a question's thread: the party's, a public reply or an internal note."""

    __tablename__ = "question_messages"
    __table_args__ = (Index("ix_question_messages_question_created", "question_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # citizen | reply | note | handover
    body: Mapped[str] = mapped_column(Text)
    author_type: Mapped[str] = mapped_column(String(20))  # party | staff
    # The person who wrote it for the party (an employee, a representative); None: the party.
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestionEvent(Base):
    """One state change of a question: who, when, from, to (and to whom it was handed)."""

    __tablename__ = "question_events"
    __table_args__ = (
        Index("ix_question_events_question_at", "question_id", "at"),
        Index("ix_question_events_action_at", "action", "at"),  # handovers per month
        # First-contact resolution: its answers and handovers (mijn/questions/resolution.py).
        Index("ix_question_events_question_action", "question_id", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(20))  # party | staff
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    # Acting for the party: the employee's pseudonym or "party:<id>" of the representative,
    # and the party acted for (both identities are kept with every change).
    actor_ref: Mapped[str | None] = mapped_column(String(100))
    on_behalf_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="SET NULL")
    )
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    target_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # Closed by staff: why (CLOSE_REASONS), and for "other" the staff member's words (internal).
    reason: Mapped[str | None] = mapped_column(String(30))
    reason_text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contact(Base):
    """An interaction through any channel, registered on a party and optionally a dossier."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_party_at", "party_id", "at"),
        Index("ix_contacts_at", "at"),  # contacts per month (the monthly report)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CALLBACK_OUTCOMES = ("reached", "not_reached", "voicemail")


class CallbackAttempt(Base):
    """One try to call a party back: when, by whom, how it went, and the new window when
    the party was not reached and the call is planned again."""

    __tablename__ = "callback_attempts"
    __table_args__ = (Index("ix_callback_attempts_question_at", "question_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(20))  # reached | not_reached | voicemail
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    window_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReplyDraft(Base):
    """What a staff member typed for a question and did not send yet: the reply and the note,
    kept while typing, so that nothing typed is lost (one draft per question and staff member;
    nobody else sees it)."""

    __tablename__ = "reply_drafts"
    __table_args__ = (
        UniqueConstraint("question_id", "staff_id", name="uq_reply_drafts_question_staff"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # The knowledge-base answer the reply was started from (its use is counted on sending).
    answer_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Satisfaction (KTO): the scales, and the scores that count as satisfied.
SATISFACTION_SCALES = ("five", "two")
SATISFIED_FROM = 4  # on the five-point scale; "tevreden" is kept as 5, "niet tevreden" as 1


class SatisfactionResponse(Base):
    """The one satisfaction answer of a question: the score, an optional comment, and
    whether the party had the question reopened because of it. Tied to the question only;
    the figures never show who answered."""

    __tablename__ = "satisfaction_responses"
    __table_args__ = (
        UniqueConstraint("question_id", name="uq_satisfaction_responses_question"),
        Index("ix_satisfaction_responses_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    scale: Mapped[str] = mapped_column(String(5))  # five | two
    score: Mapped[int] = mapped_column(Integer)  # 1..5 (two: 5 tevreden, 1 niet tevreden)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(10))  # portal | email
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SatisfactionInvite(Base):
    """The link in the e-mail that asks for satisfaction: only the SHA-256 of its random
    token is kept; it works once, until `expires_at`, and logs nobody in."""

    __tablename__ = "satisfaction_invites"
    __table_args__ = (
        UniqueConstraint("question_id", name="uq_satisfaction_invites_question"),
        UniqueConstraint("token_hash", name="uq_satisfaction_invites_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DossierSatisfaction(Base):
    """The one satisfaction answer about a closed dossier (KTO): tied to the dossier, never
    to the person in the figures."""

    __tablename__ = "dossier_satisfaction_responses"
    __table_args__ = (
        UniqueConstraint("dossier_id", name="uq_dossier_satisfaction_responses_dossier"),
        Index("ix_dossier_satisfaction_responses_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    scale: Mapped[str] = mapped_column(String(5))  # five | two
    score: Mapped[int] = mapped_column(Integer)  # 1..5 (two: 5 tevreden, 1 niet tevreden)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(10))  # portal | email
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierSatisfactionInvite(Base):
    """The e-mail link that asks for satisfaction with a closed dossier: as
    SatisfactionInvite, one per dossier."""

    __tablename__ = "dossier_satisfaction_invites"
    __table_args__ = (
        UniqueConstraint("dossier_id", name="uq_dossier_satisfaction_invites_dossier"),
        UniqueConstraint("token_hash", name="uq_dossier_satisfaction_invites_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuestionAttachment(SentFileColumns, Base):
    """A file the party sent with a message of its question (its bytes in the documents'
    store under a random key; only clean or unscanned files are ever kept)."""

    __tablename__ = "question_attachments"
    __table_args__ = (Index("ix_question_attachments_question", "question_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("question_messages.id", ondelete="CASCADE"))
