"""A/B experiments, member assignments, exposures and conversions

Which variant each member got (sticky from the first exposure) and the
exposure and conversion events of each assignment (storage/experiments.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'experiment_assignments',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('experiment_id', sa.String(40), nullable=False),
        sa.Column('member_id', BIG_ID, sa.ForeignKey('members.id'), nullable=False),
        sa.Column('variant', sa.String(40), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('program_id', 'experiment_id', 'member_id', name='uq_experiment_member'),
    )
    op.create_index('ix_experiment_variant', 'experiment_assignments',
                    ['program_id', 'experiment_id', 'variant'])
    op.create_table(
        'experiment_events',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('assignment_id', BIG_ID, sa.ForeignKey('experiment_assignments.id'), nullable=False),
        sa.Column('kind', sa.String(12), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('window_ends_at', sa.DateTime(), nullable=True),
        sa.Column('source', sa.String(64), nullable=True),
        sa.UniqueConstraint('assignment_id', 'kind', name='uq_experiment_event'),
    )


def downgrade() -> None:
    op.drop_table('experiment_events')
    op.drop_index('ix_experiment_variant', 'experiment_assignments')
    op.drop_table('experiment_assignments')
