"""close reasons and handover news: why a question was closed (on its close event), and
whether the team or specialist it was handed to has opened it yet

Revision ID: 0012c
Revises: 0012a
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012c'
down_revision: str | None = '0012a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why staff closed a question (a code), and the staff member's own words for "other".
    op.add_column("question_events", sa.Column("reason", sa.String(30), nullable=True))
    op.add_column("question_events", sa.Column("reason_text", sa.Text(), nullable=True))
    # A handed-over question is news for its team or specialist until they open it.
    op.add_column(
        "questions",
        sa.Column("handover_unread", sa.Boolean(), nullable=False,
                  server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("questions", "handover_unread")
    op.drop_column("question_events", "reason_text")
    op.drop_column("question_events", "reason")
