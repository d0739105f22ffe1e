"""discord catch-up state

Index messages by (platform, community, channel, created_at), so finding the
newest stored message of a channel, where a Discord catch-up starts after a
restart, is one index probe instead of a scan of the community's messages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_message_channel', ['platform', 'community_id', 'channel_id', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_message_channel')
