"""multiplier windows and member days, the campaign applied to ledger entries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('title', sa.String(100), nullable=False),
        sa.Column('multiplier_hundredths', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(12), nullable=False),
        sa.Column('start_at', sa.DateTime(), nullable=False),
        sa.Column('end_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('created_by', sa.String(64), nullable=False),
        sa.Column('source_event', sa.String(100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ended_by', sa.String(64), nullable=True),
        sa.UniqueConstraint('program_id', 'source_event', name='uq_campaign_source_event'),
        sa.CheckConstraint('end_at >= start_at', name='ck_campaign_window'),
        sa.CheckConstraint('multiplier_hundredths > 0', name='ck_campaign_multiplier_positive'),
    )
    op.create_index('ix_campaign_program_end', 'campaigns', ['program_id', 'end_at'])
    op.create_index('ix_campaign_status', 'campaigns', ['status', 'id'])
    op.create_table(
        'member_day_runs',
        sa.Column('program_id', sa.String(40), primary_key=True),
        sa.Column('name', sa.String(60), primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('member_day_runs')
    op.drop_index('ix_campaign_status', 'campaigns')
    op.drop_index('ix_campaign_program_end', 'campaigns')
    op.drop_table('campaigns')
