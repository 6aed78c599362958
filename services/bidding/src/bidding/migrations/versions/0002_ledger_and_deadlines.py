"""the agreement's estimate in bidding's read model (the ledger measures awards against it); the
announcements' deadlines (award: 2 working days; direct-selection summary: 10 working days after expiry)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicekit.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreement_refs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_amount', servicekit.types.MoneyColumn(), nullable=True))
        batch_op.add_column(sa.Column('estimated_quantity', servicekit.types.QuantityColumn(), nullable=True))
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreement_id', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('due_at', servicekit.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deadline_provisional', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_announcements_agreement_id'), ['agreement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcements_agreement_id'))
        batch_op.drop_column('deadline_provisional')
        batch_op.drop_column('due_at')
        batch_op.drop_column('agreement_id')
    with op.batch_alter_table('agreement_refs', schema=None) as batch_op:
        batch_op.drop_column('estimated_quantity')
        batch_op.drop_column('estimated_amount')
