"""contract numbers from an atomic counter (servicekit.numbering)

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
    # The numbers given so far: HT<year><6 digits> → series contract:<year> at its highest number.
    op.execute("INSERT INTO counters (name, last) "
               "SELECT 'contract:' || substr(contract_no, 3, 4), max(CAST(substr(contract_no, 7) AS BIGINT)) "
               "FROM contracts WHERE contract_no LIKE 'HT%' GROUP BY substr(contract_no, 3, 4)")


def downgrade() -> None:
    op.drop_table('counters')
