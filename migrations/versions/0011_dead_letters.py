"""dead letters: what will never succeed (or gave up) is `dead`, no longer `failed`

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One dead-letter state for every queue (mijn.retry): the KCC's deliveries page lists
    # them with their error and puts one back in the queue.
    op.execute("UPDATE notifications SET email_state = 'dead' WHERE email_state = 'failed'")
    op.execute("UPDATE zgw_notifications SET state = 'dead' WHERE state = 'failed'")
    # The deliveries page lists the dead ones; the queue's own index covers 'pending' only.
    dead = sa.text("email_state = 'dead'")
    op.create_index("ix_notifications_dead", "notifications", ["created_at"],
                    postgresql_where=dead, sqlite_where=dead)


def downgrade() -> None:
    op.drop_index("ix_notifications_dead", table_name="notifications")
    op.execute("UPDATE zgw_notifications SET state = 'failed' WHERE state = 'dead'")
    op.execute("UPDATE notifications SET email_state = 'failed' WHERE email_state = 'dead'")
