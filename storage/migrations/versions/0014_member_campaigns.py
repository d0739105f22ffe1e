"""birthdays, tier perks (monthly bonus, downgrade warnings) and win-back nudges

Birthdays per program and member, the once-only log of what the timed runs
gave (birthday, tier bonus, tier warning), tiers held below the lifetime
tier by the rolling rule, win-back nudges and opt-outs (storage/member_campaigns.py);
and the campaign a UGC submission is tagged to.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _member(primary_key: bool = True) -> sa.Column:
    return sa.Column('member_id', BIG_ID, sa.ForeignKey('members.id'), nullable=False, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        'member_birthdays',
        sa.Column('program_id', sa.String(40), primary_key=True),
        _member(),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_birthday_day', 'member_birthdays', ['program_id', 'month', 'day'])
    op.create_table(
        'member_campaign_sends',
        sa.Column('program_id', sa.String(40), primary_key=True),
        _member(),
        sa.Column('kind', sa.String(16), primary_key=True),
        sa.Column('period', sa.String(10), primary_key=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('detail', sa.String(80), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'member_tiers',
        sa.Column('program_id', sa.String(40), primary_key=True),
        _member(),
        sa.Column('tier', sa.String(40), nullable=False),
        sa.Column('lifetime_at', sa.BigInteger(), nullable=False),
        sa.Column('since', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'winback_nudges',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        _member(primary_key=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('deadline', sa.DateTime(), nullable=False),
        sa.Column('bonus', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('settled_at', sa.DateTime(), nullable=True),
        sa.Column('usual_gap_days', sa.Float(), nullable=False),
        sa.Column('quiet_days', sa.Integer(), nullable=False),
    )
    op.create_index('ix_winback_member', 'winback_nudges', ['program_id', 'member_id', 'sent_at'])
    op.create_index('ix_winback_status', 'winback_nudges', ['program_id', 'status'])
    op.create_table(
        'winback_optouts',
        sa.Column('program_id', sa.String(40), primary_key=True),
        _member(),
        sa.Column('opted_out_at', sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table('ugc_submissions') as batch:
        batch.add_column(sa.Column('campaign', sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ugc_submissions') as batch:
        batch.drop_column('campaign')
    op.drop_table('winback_optouts')
    op.drop_index('ix_winback_status', 'winback_nudges')
    op.drop_index('ix_winback_member', 'winback_nudges')
    op.drop_table('winback_nudges')
    op.drop_table('member_tiers')
    op.drop_table('member_campaign_sends')
    op.drop_index('ix_birthday_day', 'member_birthdays')
    op.drop_table('member_birthdays')
