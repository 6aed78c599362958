"""合同公告 (contract_announcements) and the announcement and filing (合同备案) deadlines of a contract

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('announced_at', servicekit.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('filing_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('filed_at', servicekit.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('filing_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_table('contract_announcements',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('contract_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('project_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('project_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('purchaser_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('purchaser_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('supplier_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('supplier_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('agreement_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('agreement_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('filing_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('service_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('quantity', servicekit.types.QuantityColumn(), nullable=False),
    sa.Column('unit_price', servicekit.types.MoneyColumn(), nullable=False),
    sa.Column('amount', servicekit.types.MoneyColumn(), nullable=False),
    sa.Column('awarded_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('published_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id')
    )
    with op.batch_alter_table('contract_announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_announcements_published_at'), ['published_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contract_announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_announcements_published_at'))
    op.drop_table('contract_announcements')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        for column in ('filing_reference', 'filed_at', 'filing_due_on', 'announced_at', 'announcement_due_on'):
            batch_op.drop_column(column)
