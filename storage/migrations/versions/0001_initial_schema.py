"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merged_into', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['merged_into'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('programs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('runtime_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('score_counts',
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('score', sa.BigInteger(), nullable=False),
    sa.Column('members', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program_id', 'score')
    )
    op.create_table('balances',
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('lifetime', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('balance >= 0', name='ck_balance_non_negative'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], ),
    sa.PrimaryKeyConstraint('program_id', 'member_id')
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.create_index('ix_balance_rank', ['program_id', 'lifetime', 'member_id'], unique=False)

    op.create_table('engagement_state',
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_earned_at', sa.DateTime(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('day_points', sa.Integer(), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('streak_day', sa.Date(), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('program_id', 'member_id')
    )
    op.create_table('identities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('platform_user_id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'platform_user_id', name='uq_identity_platform_user')
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_identity_username', ['platform', 'username'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delta', sa.BigInteger(), nullable=False),
    sa.Column('lifetime_delta', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('program_id', 'seq', name='uq_ledger_program_seq')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_member', ['program_id', 'member_id', 'created_at'], unique=False)

    op.create_table('link_codes',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('membership_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('invite', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_events_created_at'), ['created_at'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('platform_message_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('refusal', sa.String(length=32), nullable=True),
    sa.Column('sentiment_status', sa.String(length=16), nullable=False),
    sa.Column('sentiment_label', sa.String(length=16), nullable=True),
    sa.Column('p_negative', sa.Float(), nullable=True),
    sa.Column('p_neutral', sa.Float(), nullable=True),
    sa.Column('p_positive', sa.Float(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.Column('scored_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'community_id', 'platform_message_id', name='uq_message_platform')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_message_dupe', ['member_id', 'text_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_message_sentiment', ['sentiment_status', 'id'], unique=False)

    op.create_table('reactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.String(length=32), nullable=False),
    sa.Column('platform_message_id', sa.String(length=64), nullable=False),
    sa.Column('author_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reactor_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('emojis', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['reactor_member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'community_id', 'platform_message_id', 'reactor_member_id', name='uq_reaction_once')
    )


def downgrade() -> None:
    op.drop_table('reactions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_message_sentiment')
        batch_op.drop_index('ix_message_dupe')

    op.drop_table('messages')
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_events_created_at'))

    op.drop_table('membership_events')
    op.drop_table('link_codes')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_member')

    op.drop_table('ledger_entries')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_username')
        batch_op.drop_index(batch_op.f('ix_identities_member_id'))

    op.drop_table('identities')
    op.drop_table('engagement_state')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balance_rank')

    op.drop_table('balances')
    op.drop_table('score_counts')
    op.drop_table('runtime_state')
    op.drop_table('programs')
    op.drop_table('members')
