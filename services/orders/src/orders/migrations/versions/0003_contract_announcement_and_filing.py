"""the contract's announcement (合同公告) and filing (合同备案) deadlines, as contracts.events tell them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicekit.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contract_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('announced_at', servicekit.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('filing_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('filed_at', servicekit.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contract_progress', schema=None) as batch_op:
        for column in ('filed_at', 'filing_due_on', 'announced_at', 'announcement_due_on'):
            batch_op.drop_column(column)
