"""ugc submissions and consents

User-generated content and the content-terms consent that must precede it
(storage/ugc.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'ugc_submissions',
        sa.Column('id', BIG_ID, primary_key=True, autoincrement=True),
        sa.Column('program_id', sa.String(40), nullable=False),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.ForeignKey('members.id'),
                  nullable=False),
        sa.Column('platform', sa.String(16), nullable=False),
        sa.Column('community_id', sa.String(32), nullable=False),
        sa.Column('channel_id', sa.String(32), nullable=False),
        sa.Column('platform_message_id', sa.String(64), nullable=False),
        sa.Column('permalink', sa.String(300), nullable=True),
        sa.Column('contest_id', sa.BigInteger(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('text_hash', sa.String(64), nullable=True),
        sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.ForeignKey('messages.id'),
                  nullable=True),
        sa.Column('media_sha256', sa.String(64), nullable=True),
        sa.Column('media_type', sa.String(16), nullable=True),
        sa.Column('media_mime', sa.String(100), nullable=True),
        sa.Column('media_size', sa.Integer(), nullable=True),
        sa.Column('media_filename', sa.String(255), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reviewer', sa.String(64), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('reject_reason', sa.String(200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('platform', 'community_id', 'platform_message_id', name='uq_ugc_platform_message'),
    )
    op.create_index('ix_ugc_queue', 'ugc_submissions', ['program_id', 'status', 'id'])
    op.create_index('ix_ugc_member_day', 'ugc_submissions', ['program_id', 'member_id', 'created_at'])
    op.create_index('ix_ugc_media', 'ugc_submissions', ['program_id', 'media_sha256'])
    op.create_index('ix_ugc_text', 'ugc_submissions', ['program_id', 'text_hash'])
    op.create_index('ix_ugc_contest', 'ugc_submissions', ['contest_id'])
    op.create_table(
        'ugc_consents',
        sa.Column('program_id', sa.String(40), primary_key=True),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.ForeignKey('members.id'),
                  primary_key=True),
        sa.Column('terms_hash', sa.String(64), nullable=False),
        sa.Column('consented_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('ugc_consents')
    op.drop_table('ugc_submissions')
