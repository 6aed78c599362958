"""purchaser evaluations (用户评价) and the evaluation dimensions the agency sets

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:30:00
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
    op.create_table('evaluation_dimensions',
    sa.Column('agreement_id', sa.String(length=40), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.String(length=60), nullable=False),
    sa.Column('set_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('agreement_id')
    )
    op.create_table('evaluations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('agreement_id', sa.String(length=40), nullable=False),
    sa.Column('purchaser_org_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('submitted_by', sa.String(length=60), nullable=False),
    sa.Column('submitted_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.String(length=1000), nullable=True),
    sa.Column('answered_by', sa.String(length=60), nullable=True),
    sa.Column('answered_at', servicekit.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id')
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_supplier_id'), ['supplier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_supplier_id'))
    op.drop_table('evaluations')
    op.drop_table('evaluation_dimensions')
