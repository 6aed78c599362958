"""rotation (顺序轮候): the order, the current period, each supplier's turn per period (issue 15)

The primary key of rotation_turns (agreement_id, period, supplier_id) is the rule "at most one turn per
supplier and period", enforced by the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:15:37
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
    op.create_table('rotation_slots',
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('supplier_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('agreement_id', 'supplier_id')
    )
    op.create_table('rotation_states',
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('updated_at', servicekit.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('agreement_id')
    )
    op.create_table('rotation_turns',
    sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('project_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount', servicekit.types.MoneyColumn(), nullable=False),
    sa.Column('offered_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', servicekit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('valid_reason', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('agreement_id', 'period', 'supplier_id')
    )
    with op.batch_alter_table('rotation_turns', schema=None) as batch_op:
        batch_op.create_index('ix_rotation_turns_project', ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rotation_turns', schema=None) as batch_op:
        batch_op.drop_index('ix_rotation_turns_project')

    op.drop_table('rotation_turns')
    op.drop_table('rotation_states')
    op.drop_table('rotation_slots')
