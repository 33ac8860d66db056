"""server-side sessions: the row behind a session cookie

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('roles', sa.String(length=100), nullable=False),
    sa.Column('loa', sa.String(length=100), nullable=False),
    sa.Column('branch', sa.String(length=20), nullable=True),
    sa.Column('actor_ref', sa.String(length=300), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('mandate_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_web_sessions_party_id_parties'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_web_sessions_staff_id_staff_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mandate_id'], ['mandates.id'], name=op.f('fk_web_sessions_mandate_id_mandates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_party_id', ['party_id'], unique=False)
        batch_op.create_index('ix_web_sessions_staff_id', ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_staff_id')
        batch_op.drop_index('ix_web_sessions_party_id')
    op.drop_table('web_sessions')
