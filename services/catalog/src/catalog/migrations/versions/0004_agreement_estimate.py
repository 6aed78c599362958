"""the agreement's optional estimate (预估采购金额 / 数量): the ledger of its awards is measured against it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicekit.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_amount', servicekit.types.MoneyColumn(), nullable=True))
        batch_op.add_column(sa.Column('estimated_quantity', servicekit.types.QuantityColumn(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('estimated_quantity')
        batch_op.drop_column('estimated_amount')
