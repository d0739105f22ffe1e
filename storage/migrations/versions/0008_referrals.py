"""referral links and joins

Personal invite links and every join with its attribution and referral
status (storage/referrals.py); a pending join is its own timer (``due_at``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _ref(column: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(column, BIG_ID, sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'referral_links',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        _ref('member_id', 'members.id'),
        sa.Column('platform', sa.String(16), nullable=False),
        sa.Column('community_id', sa.String(32), nullable=False),
        sa.Column('code', sa.String(100), nullable=False),
        sa.Column('url', sa.String(200), nullable=False),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('platform', 'community_id', 'code', name='uq_referral_link_code'),
    )
    op.create_index('ix_referral_link_member', 'referral_links', ['program_id', 'member_id'])
    op.create_table(
        'referral_joins',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('platform', sa.String(16), nullable=False),
        sa.Column('community_id', sa.String(32), nullable=False),
        _ref('member_id', 'members.id'),
        _ref('membership_event_id', 'membership_events.id'),
        sa.Column('attribution', sa.String(16), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        _ref('link_id', 'referral_links.id', nullable=True),
        _ref('inviter_member_id', 'members.id', nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.String(32), nullable=True),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('points', sa.BigInteger(), nullable=True),
        sa.Column('clawed_back', sa.BigInteger(), nullable=True),
        sa.UniqueConstraint('membership_event_id', name='uq_referral_join_event'),
    )
    op.create_index('ix_referral_join_status', 'referral_joins', ['status', 'due_at'])
    op.create_index('ix_referral_join_inviter', 'referral_joins', ['program_id', 'inviter_member_id'])
    op.create_index('ix_referral_join_member', 'referral_joins',
                    ['program_id', 'platform', 'community_id', 'member_id'])
    op.create_index('ix_referral_join_time', 'referral_joins', ['program_id', 'joined_at'])


def downgrade() -> None:
    op.drop_index('ix_referral_join_time', 'referral_joins')
    op.drop_index('ix_referral_join_member', 'referral_joins')
    op.drop_index('ix_referral_join_inviter', 'referral_joins')
    op.drop_index('ix_referral_join_status', 'referral_joins')
    op.drop_table('referral_joins')
    op.drop_index('ix_referral_link_member', 'referral_links')
    op.drop_table('referral_links')
