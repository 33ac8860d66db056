"""satisfaction (KTO): one answer per question, and the e-mail links that ask for it

Revision ID: 0014d
Revises: 0014a
Create Date: 2026-12-04 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014d'
down_revision: str | None = '0014a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _question_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["question_id"], ["questions.id"], name=op.f(f"fk_{table}_question_id_questions"),
        ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "satisfaction_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=5), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        _question_fk("satisfaction_responses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_responses")),
        sa.UniqueConstraint("question_id", name="uq_satisfaction_responses_question"),
    )
    op.create_index("ix_satisfaction_responses_created_at", "satisfaction_responses",
                    ["created_at"])
    op.create_table(
        "satisfaction_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _question_fk("satisfaction_invites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_invites")),
        sa.UniqueConstraint("question_id", name="uq_satisfaction_invites_question"),
        sa.UniqueConstraint("token_hash", name="uq_satisfaction_invites_token"),
    )


def downgrade() -> None:
    op.drop_table("satisfaction_invites")
    op.drop_index("ix_satisfaction_responses_created_at", table_name="satisfaction_responses")
    op.drop_table("satisfaction_responses")
