"""program-scoped link codes; indexes for finding a member within a program

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('link_codes') as batch:
        batch.add_column(sa.Column('program_id', sa.String(length=40), nullable=True))
    op.create_index('ix_reaction_reactor', 'reactions', ['reactor_member_id', 'program_id'])
    op.create_index('ix_membership_member', 'membership_events', ['member_id', 'program_id'])


def downgrade() -> None:
    op.drop_index('ix_membership_member', table_name='membership_events')
    op.drop_index('ix_reaction_reactor', table_name='reactions')
    with op.batch_alter_table('link_codes') as batch:
        batch.drop_column('program_id')
