"""satisfaction (KTO) after a dossier is closed: one answer per dossier, and its e-mail links

Revision ID: 0015c
Revises: 0015e
Create Date: 2026-12-04 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015c'
down_revision: str | None = '0015e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dossier_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["dossier_id"], ["dossiers.id"], name=op.f(f"fk_{table}_dossier_id_dossiers"),
        ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "dossier_satisfaction_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=5), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _dossier_fk("dossier_satisfaction_responses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_satisfaction_responses")),
        sa.UniqueConstraint("dossier_id", name="uq_dossier_satisfaction_responses_dossier"),
    )
    op.create_index("ix_dossier_satisfaction_responses_created_at",
                    "dossier_satisfaction_responses", ["created_at"])
    op.create_table(
        "dossier_satisfaction_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _dossier_fk("dossier_satisfaction_invites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_satisfaction_invites")),
        sa.UniqueConstraint("dossier_id", name="uq_dossier_satisfaction_invites_dossier"),
        sa.UniqueConstraint("token_hash", name="uq_dossier_satisfaction_invites_token"),
    )


def downgrade() -> None:
    op.drop_table("dossier_satisfaction_invites")
    op.drop_index("ix_dossier_satisfaction_responses_created_at",
                  table_name="dossier_satisfaction_responses")
    op.drop_table("dossier_satisfaction_responses")
