"""tasks: what a back-office asks a party to do ("Te doen"), with reminders and the push of
a completion to the back-office's webhook

Revision ID: 0014c
Revises: 0014g
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014c'
down_revision: str | None = '0014g'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=12), nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("fields", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answers", sa.Text(), nullable=True),
        sa.Column("completed_by_type", sa.String(length=20), nullable=True),
        sa.Column("completed_by_id", sa.String(length=100), nullable=True),
        sa.Column("completed_by_name", sa.String(length=200), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reminded_before", sa.Date(), nullable=True),
        sa.Column("reminded_on_day", sa.Date(), nullable=True),
        sa.Column("push_state", sa.String(length=10), nullable=True),
        sa.Column("push_attempts", sa.Integer(), nullable=False),
        sa.Column("push_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("push_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_tasks_source_external_id"),
    )
    op.create_index("ix_tasks_party_status_deadline", "tasks",
                    ["party_id", "status", "deadline"])
    op.create_index("ix_tasks_dossier", "tasks", ["dossier_id"])
    op.create_index("ix_tasks_status_deadline", "tasks", ["status", "deadline"])
    op.create_index(
        "ix_tasks_push_due", "tasks", ["push_next_at", "id"],
        postgresql_where=sa.text("push_state = 'pending'"),
        sqlite_where=sa.text("push_state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_push_due", table_name="tasks")
    op.drop_index("ix_tasks_status_deadline", table_name="tasks")
    op.drop_index("ix_tasks_dossier", table_name="tasks")
    op.drop_index("ix_tasks_party_status_deadline", table_name="tasks")
    op.drop_table("tasks")
