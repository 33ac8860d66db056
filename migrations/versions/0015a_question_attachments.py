"""question_attachments: files a party sends with a question or a reply

Revision ID: 0015a
Revises: 0015b
Create Date: 2026-12-05 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015a'
down_revision: str | None = '0015b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("scan_status", sa.String(length=20), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE",
                                name="fk_question_attachments_question_id_questions"),
        sa.ForeignKeyConstraint(["message_id"], ["question_messages.id"], ondelete="CASCADE",
                                name="fk_question_attachments_message_id_question_messages"),
        sa.PrimaryKeyConstraint("id", name="pk_question_attachments"),
    )
    op.create_index("ix_question_attachments_question", "question_attachments",
                    ["question_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_question_attachments_question", table_name="question_attachments")
    op.drop_table("question_attachments")
