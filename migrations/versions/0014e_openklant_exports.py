"""openklant: the export outbox to Open Klant, and the uuid and url of every exported object

Revision ID: 0014e
Revises: 0014d
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014e'
down_revision: str | None = '0014d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openklant_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("mandate_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE",
                                name="fk_openklant_exports_question_id_questions"),
        sa.ForeignKeyConstraint(["message_id"], ["question_messages.id"], ondelete="CASCADE",
                                name="fk_openklant_exports_message_id_question_messages"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE",
                                name="fk_openklant_exports_contact_id_contacts"),
        sa.ForeignKeyConstraint(["mandate_id"], ["mandates.id"], ondelete="CASCADE",
                                name="fk_openklant_exports_mandate_id_mandates"),
        sa.PrimaryKeyConstraint("id", name="pk_openklant_exports"),
    )
    pending, dead = sa.text("state = 'pending'"), sa.text("state = 'dead'")
    op.create_index("ix_openklant_exports_due", "openklant_exports", ["next_attempt_at", "id"],
                    postgresql_where=pending, sqlite_where=pending)
    op.create_index("ix_openklant_exports_dead", "openklant_exports", ["created_at"],
                    postgresql_where=dead, sqlite_where=dead)
    op.create_table(
        "openklant_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_openklant_links"),
        sa.UniqueConstraint("subject", "role", name="uq_openklant_links_subject_role"),
    )


def downgrade() -> None:
    op.drop_table("openklant_links")
    op.drop_index("ix_openklant_exports_dead", table_name="openklant_exports")
    op.drop_index("ix_openklant_exports_due", table_name="openklant_exports")
    op.drop_table("openklant_exports")
