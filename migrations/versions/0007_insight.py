"""insight: indexes for the monthly report's aggregations

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 22:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index, columns): each report figure reads one month (or the trend's months) of a
# table by its date; without these, every figure is a scan of the whole table. The columns
# after the date are those the figures group or filter by, so that PostgreSQL answers from
# the index alone (an index-only scan) rather than fetching every row of the month.
INDEXES = (
    ("questions", "ix_questions_created_at", ["created_at", "topic_id", "channel", "dossier_id"]),
    ("questions", "ix_questions_answered_at",
     ["answered_at", "created_at", "sla_due_at", "first_contact_resolution", "dossier_id"]),
    ("question_events", "ix_question_events_action_at", ["action", "at"]),
    ("contacts", "ix_contacts_at", ["at"]),
    ("dossiers", "ix_dossiers_opened_on", ["opened_on", "kind", "department"]),
    ("dossiers", "ix_dossiers_department", ["department", "id"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
