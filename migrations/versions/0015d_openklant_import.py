"""openklant import: look-ups by an object's uuid and by a klantcontact's referentienummer

Revision ID: 0015d
Revises: 0014e
Create Date: 2026-12-04 23:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015d'
down_revision: str | None = '0014e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_openklant_links_uuid", "openklant_links", ["uuid"])
    op.create_index("ix_openklant_exports_reference", "openklant_exports", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_openklant_exports_reference", table_name="openklant_exports")
    op.drop_index("ix_openklant_links_uuid", table_name="openklant_links")
