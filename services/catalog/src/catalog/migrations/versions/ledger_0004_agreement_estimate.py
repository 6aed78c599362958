"""the agreement's optional estimate (预估采购金额 / 数量): the ledger of its awards is measured against it

Revision ID: ledger_0004_agreement_estimate
Revises: ledger_0003_supplier_ratings
Create Date: 2026-12-01 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicekit.types

revision: str = 'ledger_0004_agreement_estimate'
down_revision: str | None = 'ledger_0003_supplier_ratings'
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
