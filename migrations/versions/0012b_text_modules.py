"""text modules: short named texts per team, typed as ::name in a reply

Revision ID: 0012b
Revises: 0012e
Create Date: 2026-12-04 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012b'
down_revision: str | None = '0012e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by"], ["staff_members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    # One name per team; the contact centre's own modules (no team) count as team 0.
    op.create_index("uq_text_modules_team_name", "text_modules",
                    [sa.text("coalesce(team_id, 0)"), "name"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_text_modules_team_name", table_name="text_modules")
    op.drop_table("text_modules")
