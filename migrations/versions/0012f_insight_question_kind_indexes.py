"""insight: the report's question indexes hold the kind (callback requests apart) and the
events index serves first-contact resolution

Revision ID: 0012f
Revises: 0012d
Create Date: 2026-12-04 14:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012f'
down_revision: str | None = '0012d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The report counts callback requests apart from questions, so its month of questions is
# read by kind: with the kind in the index PostgreSQL still answers from the index alone.
# First-contact resolution looks up each answered question's answers and handovers: by id
# in the answered index, then (question, action) in the events, both without the table.
OLD = (
    ("questions", "ix_questions_created_at", ["created_at", "topic_id", "channel", "dossier_id"]),
    ("questions", "ix_questions_answered_at",
     ["answered_at", "created_at", "sla_due_at", "first_contact_resolution", "dossier_id"]),
)
NEW = (
    ("questions", "ix_questions_created_at",
     ["created_at", "topic_id", "channel", "dossier_id", "kind"]),
    ("questions", "ix_questions_answered_at",
     ["answered_at", "created_at", "sla_due_at", "first_contact_resolution", "dossier_id",
      "kind", "id"]),
)
EVENTS = ("question_events", "ix_question_events_question_action", ["question_id", "action"])


def _replace(old: tuple[tuple[str, str, list[str]], ...],
             new: tuple[tuple[str, str, list[str]], ...]) -> None:
    for (table, name, _), (_, _, columns) in zip(old, new, strict=True):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _replace(OLD, NEW)
    table, name, columns = EVENTS
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    table, name, _ = EVENTS
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(name)
    _replace(NEW, OLD)
