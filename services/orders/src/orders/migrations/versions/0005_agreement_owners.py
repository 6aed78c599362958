"""which agency published each agreement (from AgreementPublished): only it sets the agreement's
evaluation dimensions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreement_owners',
    sa.Column('agreement_id', sa.String(length=40), nullable=False),
    sa.Column('agency_org_id', sa.String(length=40), nullable=False),
    sa.Column('agency_name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('agreement_id')
    )


def downgrade() -> None:
    op.drop_table('agreement_owners')
