"""digest schedule rows (one per program, digest kind and period), the delivery record

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Digest aggregates (storage.analytics, helper A) and churn risk (storage.churn): a program's messages
    # and ledger entries by time, covering the columns they read so the scans never visit the table.
    op.create_index('ix_message_program_time', 'messages',
                    ['program_id', 'created_at', 'member_id', 'sentiment_label', 'refusal', 'platform',
                     'community_id', 'language'])
    op.create_index('ix_ledger_program_time', 'ledger_entries',
                    ['program_id', 'created_at', 'member_id', 'reason', 'delta', 'lifetime_delta'])
    # Digest schedule and delivery record.
    op.create_table(
        'digest_runs',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('period_end', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('delivered', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(200), nullable=True),
        sa.UniqueConstraint('program_id', 'kind', 'period_start', name='uq_digest_run_period'),
    )
    op.create_index('ix_digest_run_status', 'digest_runs', ['status', 'due_at'])


def downgrade() -> None:
    # Digest aggregates (storage.analytics, helper A) and churn risk (storage.churn).
    op.drop_index('ix_ledger_program_time', table_name='ledger_entries')
    op.drop_index('ix_message_program_time', table_name='messages')
    # Digest schedule and delivery record.
    op.drop_index('ix_digest_run_status', table_name='digest_runs')
    op.drop_table('digest_runs')
