"""ledger tamper evidence (append-only triggers)

Adds ``ledger_entries.scheme`` (how each entry's hash was made; entries
written before this revision are ``sha256-v1``, whose hash covers neither id
nor scheme) and the triggers that refuse UPDATE and DELETE on ledger entries
(SQL shared with the models: ``storage.append_only``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.append_only import CREATE, DROP
from storage.ledger import LEGACY_SHA256

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=16), nullable=False, server_default=LEGACY_SHA256))
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('scheme', server_default=None)
    for sql in CREATE[op.get_bind().dialect.name]:
        op.execute(sa.DDL(sql))


def downgrade() -> None:
    for sql in DROP[op.get_bind().dialect.name]:
        op.execute(sa.DDL(sql))
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_column('scheme')
