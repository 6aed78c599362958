"""purchaser evaluations as the library shows them (supplier_ratings, from EvaluationSubmitted)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:40:00
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
    op.create_table('supplier_ratings',
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('agreement_id', sa.String(length=40), nullable=False),
    sa.Column('evaluation_count', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', servicekit.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', 'agreement_id')
    )


def downgrade() -> None:
    op.drop_table('supplier_ratings')
