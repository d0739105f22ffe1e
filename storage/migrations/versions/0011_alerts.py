"""channel spike incidents (negative share and volume), one row per incident with its recovery

``alert_checks`` is each program's last check (the check's timed row, moved
by a compare-and-set); ``alert_incidents`` one row per incident, its unique
``open_key`` set while it is open; ``alert_hours`` the rollup of completed
clock hours per channel the baseline is read from, ``alert_rollups`` how far
it reaches per program, and a partial index of messages by ``scored_at`` for
finding hours scored after they were rolled up (storage/alerts.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'alert_checks',
        sa.Column('program_id', sa.String(40), primary_key=True),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'alert_incidents',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('platform', sa.String(16), nullable=False),
        sa.Column('community_id', sa.String(32), nullable=False),
        sa.Column('channel_id', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(12), nullable=False),
        sa.Column('open_key', sa.String(200), nullable=True),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('mean', sa.Float(), nullable=False),
        sa.Column('std', sa.Float(), nullable=False),
        sa.Column('z', sa.Float(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closing_value', sa.Float(), nullable=True),
        sa.Column('closing_z', sa.Float(), nullable=True),
        sa.UniqueConstraint('open_key'),
    )
    op.create_index('ix_alert_incident_opened', 'alert_incidents', ['program_id', 'opened_at'])
    op.create_table(
        'alert_hours',
        sa.Column('program_id', sa.String(40), primary_key=True),
        sa.Column('hour', sa.DateTime(), primary_key=True),
        sa.Column('platform', sa.String(16), primary_key=True),
        sa.Column('community_id', sa.String(32), primary_key=True),
        sa.Column('channel_id', sa.String(32), primary_key=True),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('scored', sa.Integer(), nullable=False),
        sa.Column('negative', sa.Integer(), nullable=False),
    )
    op.create_table(
        'alert_rollups',
        sa.Column('program_id', sa.String(40), primary_key=True),
        sa.Column('rolled_from', sa.DateTime(), nullable=False),
        sa.Column('rolled_until', sa.DateTime(), nullable=False),
        sa.Column('scan_from_id', sa.BigInteger(), nullable=False),
        sa.Column('max_id', sa.BigInteger(), nullable=False),
        sa.Column('scanned_at', sa.DateTime(), nullable=False),
    )
    scored = sa.text('scored_at IS NOT NULL')
    op.create_index('ix_message_scored', 'messages', ['scored_at'], sqlite_where=scored, postgresql_where=scored)


def downgrade() -> None:
    op.drop_index('ix_message_scored', table_name='messages')
    op.drop_table('alert_rollups')
    op.drop_table('alert_hours')
    op.drop_index('ix_alert_incident_opened', table_name='alert_incidents')
    op.drop_table('alert_incidents')
    op.drop_table('alert_checks')
