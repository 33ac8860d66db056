"""audit rows name the question looked at, and a look-up that found nobody (hashed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("subject_hash", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_audit_events_question_id_questions"), "questions", ["question_id"],
            ["id"], ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(batch.f("fk_audit_events_question_id_questions"), type_="foreignkey")
        batch.drop_column("subject_hash")
        batch.drop_column("question_id")
