"""NPS surveys, responses and the optional why, survey completion points

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'nps_surveys',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('asked', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('program_id', 'due_at', name='uq_nps_survey_due'),
    )
    op.create_table(
        'nps_responses',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('survey_id', BIG_ID, sa.ForeignKey('nps_surveys.id'), nullable=True),
        sa.Column('member_id', BIG_ID, sa.ForeignKey('members.id'), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('why_message_id', BIG_ID, sa.ForeignKey('messages.id'), nullable=True),
        sa.UniqueConstraint('survey_id', 'member_id', name='uq_nps_response_once'),
    )
    op.create_index('ix_nps_response_member', 'nps_responses', ['program_id', 'member_id', 'asked_at'])
    op.create_index('ix_nps_response_answered', 'nps_responses', ['program_id', 'answered_at'])


def downgrade() -> None:
    op.drop_index('ix_nps_response_answered', table_name='nps_responses')
    op.drop_index('ix_nps_response_member', table_name='nps_responses')
    op.drop_table('nps_responses')
    op.drop_table('nps_surveys')
