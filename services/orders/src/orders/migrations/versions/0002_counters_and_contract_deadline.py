"""order numbers from an atomic counter (servicekit.numbering); the contract's signing deadline

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # The numbers given so far: DD<year><6 digits> → series order:<year> at its highest number.
    op.execute("INSERT INTO counters (name, last) "
               "SELECT 'order:' || substr(order_no, 3, 4), max(CAST(substr(order_no, 7) AS BIGINT)) "
               "FROM orders WHERE order_no LIKE 'DD%' GROUP BY substr(order_no, 3, 4)")
    with op.batch_alter_table('contract_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_due_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contract_progress', schema=None) as batch_op:
        batch_op.drop_column('sign_due_on')
    op.drop_table('counters')
