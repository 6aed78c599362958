"""rotation order (顺序轮候), clearings (清退) and the cases that may lead to clearing (issue 15)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:12:34
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clearing_cases',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('supplier_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reference_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('occurred_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', 'kind')
    )
    with op.batch_alter_table('clearing_cases', schema=None) as batch_op:
        batch_op.create_index('ix_clearing_cases_agreement_supplier', ['agreement_id', 'supplier_id'], unique=False)

    op.create_table('supplier_clearings',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('supplier_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('supplier_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('cause_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('cleared_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('cleared_by_org', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('cleared_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supplier_clearings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_clearings_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('rotation_positions',
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('supplier_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('removed_at', servicekit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removed_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], ),
    sa.PrimaryKeyConstraint('agreement_id', 'supplier_id')
    )


def downgrade() -> None:
    op.drop_table('rotation_positions')
    with op.batch_alter_table('supplier_clearings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_clearings_agreement_id'))

    op.drop_table('supplier_clearings')
    with op.batch_alter_table('clearing_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_clearing_cases_agreement_supplier')

    op.drop_table('clearing_cases')
