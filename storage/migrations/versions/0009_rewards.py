"""rewards catalog, redemptions and points-expiry warnings

The catalog and its stock counter (storage/rewards.py), redemptions with
their status and ledger entries, and the expiry warnings already sent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _ref(column: str, target: str, nullable: bool = False, primary_key: bool = False) -> sa.Column:
    return sa.Column(column, BIG_ID, sa.ForeignKey(target), nullable=nullable, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        'rewards',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('slug', sa.String(40), nullable=True),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('description', sa.String(300), nullable=False),
        sa.Column('cost', sa.BigInteger(), nullable=False),
        sa.Column('stock', sa.BigInteger(), nullable=True),
        sa.Column('seeded_stock', sa.BigInteger(), nullable=True),
        sa.Column('min_tier', sa.String(40), nullable=True),
        sa.Column('per_member_limit', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(12), nullable=False),
        sa.Column('source_event', sa.String(100), nullable=True),
        sa.Column('created_by', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('program_id', 'slug', name='uq_reward_slug'),
        sa.UniqueConstraint('program_id', 'source_event', name='uq_reward_source_event'),
        sa.CheckConstraint('cost > 0', name='ck_reward_cost_positive'),
        sa.CheckConstraint('stock IS NULL OR stock >= 0', name='ck_reward_stock_non_negative'),
    )
    op.create_index('ix_reward_program', 'rewards', ['program_id', 'id'])
    op.create_table(
        'reward_redemptions',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        _ref('reward_id', 'rewards.id'),
        _ref('member_id', 'members.id'),
        sa.Column('cost', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        _ref('spend_entry_id', 'ledger_entries.id'),
        _ref('refund_entry_id', 'ledger_entries.id', nullable=True),
        sa.Column('note', sa.String(500), nullable=True),
        sa.Column('reason', sa.String(200), nullable=True),
        sa.Column('idempotency_key', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by', sa.String(64), nullable=True),
        sa.UniqueConstraint('idempotency_key', name='uq_redemption_key'),
    )
    op.create_index('ix_redemption_status', 'reward_redemptions', ['program_id', 'status', 'id'])
    op.create_index('ix_redemption_member', 'reward_redemptions', ['reward_id', 'member_id'])
    op.create_table(
        'points_expiry_warnings',
        sa.Column('program_id', sa.String(40), primary_key=True),
        _ref('member_id', 'members.id', primary_key=True),
        sa.Column('expires_on', sa.Date(), primary_key=True),
        sa.Column('kind', sa.String(4), primary_key=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('points_expiry_warnings')
    op.drop_index('ix_redemption_member', 'reward_redemptions')
    op.drop_index('ix_redemption_status', 'reward_redemptions')
    op.drop_table('reward_redemptions')
    op.drop_index('ix_reward_program', 'rewards')
    op.drop_table('rewards')
