"""retention: the runs of `mijn retention run`, and indexes on what each period counts from

Revision ID: 0013retention
Revises: 0012b
Create Date: 2026-12-04 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013retention'
down_revision: str | None = '0012b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_notifications_created_at", "notifications", ["created_at"]),
    ("ix_dossiers_closed_on", "dossiers", ["closed_on"]),
    ("ix_questions_state_updated", "questions", ["state", "updated_at"]),
    ("ix_web_sessions_expires_at", "web_sessions", ["expires_at"]),
)


def upgrade() -> None:
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_runs_kind_at", "retention_runs", ["kind", "at"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_audit_events_retention", "audit_events", ["at"],
        postgresql_where=sa.text("actor_id <> '-'"), sqlite_where=sa.text("actor_id <> '-'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_retention", table_name="audit_events")
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_retention_runs_kind_at", table_name="retention_runs")
    op.drop_table("retention_runs")
