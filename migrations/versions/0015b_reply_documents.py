"""reply_documents: a dossier's documents sent along with a KCC reply

Revision ID: 0015b
Revises: 0015c
Create Date: 2026-12-04 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015b'
down_revision: str | None = '0015c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_documents",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["question_messages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "document_id"),
    )
    op.create_index("ix_reply_documents_document", "reply_documents", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_reply_documents_document", table_name="reply_documents")
    op.drop_table("reply_documents")
