"""dossier types belong to the source that made them (or to configuration)

Revision ID: 0008b
Revises: 0008
Create Date: 2026-12-04 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008b'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_types") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=80), nullable=True))
    # A type whose dossiers all come from one source belongs to that source (the ZGW
    # intake's types to "zgw"); any other type stays with the configuration (NULL).
    op.execute(
        "UPDATE dossier_types SET owner = (SELECT MIN(d.source) FROM dossiers d "
        "WHERE d.dossier_type_id = dossier_types.id "
        "HAVING COUNT(DISTINCT d.source) = 1 AND COUNT(*) = COUNT(d.source))"
    )
    op.execute("UPDATE dossier_types SET owner = 'zgw' WHERE code LIKE 'zgw-%'")


def downgrade() -> None:
    with op.batch_alter_table("dossier_types") as batch:
        batch.drop_column("owner")
