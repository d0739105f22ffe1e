"""contests, entries, votes and winners

Contests run from their rows (storage/contests.py): the scheduler re-arms
from ``start_at``/``end_at`` and ``status`` at start-up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _ref(column: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(column, BIG_ID, sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'contests',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('title', sa.String(100), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('entry_type', sa.String(8), nullable=False),
        sa.Column('voting', sa.String(12), nullable=False),
        sa.Column('winners', sa.Integer(), nullable=False),
        sa.Column('prize', sa.BigInteger(), nullable=False),
        sa.Column('start_at', sa.DateTime(), nullable=False),
        sa.Column('end_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('seed', sa.String(64), nullable=True),
        sa.Column('commitment', sa.String(64), nullable=True),
        sa.Column('created_by', sa.String(64), nullable=False),
        sa.Column('source_event', sa.String(100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('program_id', 'source_event', name='uq_contest_source_event'),
    )
    op.create_index('ix_contest_program', 'contests', ['program_id', 'id'])
    op.create_index('ix_contest_status', 'contests', ['status', 'id'])
    op.create_table(
        'contest_entries',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        _ref('contest_id', 'contests.id'),
        _ref('member_id', 'members.id'),
        _ref('submission_id', 'ugc_submissions.id', nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('draw_rank', sa.Integer(), nullable=True),
        sa.Column('votes', sa.Integer(), nullable=True),
        sa.UniqueConstraint('submission_id', name='uq_contest_entry_submission'),
    )
    op.create_index('ix_contest_entry_member', 'contest_entries', ['contest_id', 'member_id'])
    op.create_table(
        'contest_votes',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        _ref('contest_id', 'contests.id'),
        _ref('entry_id', 'contest_entries.id'),
        _ref('member_id', 'members.id'),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('entry_id', 'member_id', name='uq_contest_vote_once'),
    )
    op.create_index('ix_contest_vote_contest', 'contest_votes', ['contest_id', 'entry_id'])
    op.create_table(
        'contest_winners',
        sa.Column('contest_id', BIG_ID, sa.ForeignKey('contests.id'), primary_key=True),
        sa.Column('place', sa.Integer(), primary_key=True),
        _ref('entry_id', 'contest_entries.id'),
        sa.Column('how', sa.String(12), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('entry_id', name='uq_contest_winner_entry'),
    )


def downgrade() -> None:
    op.drop_table('contest_winners')
    op.drop_table('contest_votes')
    op.drop_table('contest_entries')
    op.drop_index('ix_contest_status', 'contests')
    op.drop_index('ix_contest_program', 'contests')
    op.drop_table('contests')
