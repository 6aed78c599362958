"""how many services of each category hold each character and pair of characters, and how many
services each category offers (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00

`category_grams.services`: how many services of the category hold the gram, and the empty gram for
every category with services (how many it has). The search tells from them whether the words are
common enough to count their first 1,001 matches in browse order rather than through the keyword
indexes, whose bitmap reads every match of a common word first (catalog.store.services_page).
Filled here from the services there are, then kept by catalog.store.service_ids_for.

PostgreSQL: `ix_services_search_category` and `ix_services_search_price`, the category and price
orders' indexes again with the search text (and the category), of the offered services only: that
count, and the page of a common word, read the index alone (an index-only scan), not a service at a
random place of the table for every row checked.

`category_counts`: how many offered services each category has (without its sub-categories), kept by
catalog.store.refresh_services; the category tree read them by counting the library (GROUP BY over
every offered service).
"""
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # first: PostgreSQL will not build it past the cursor reading the services below
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_services_search_category", "services", ["category_code", "name", "id"],
                        postgresql_include=["search_text"], postgresql_where=sa.text("offered"))
        op.create_index("ix_services_search_price", "services", ["min_price", "id"],
                        postgresql_include=["category_code", "search_text"], postgresql_where=sa.text("offered"))
    with op.batch_alter_table('category_grams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('services', sa.Integer(), nullable=False, server_default='0'))
    counts: Counter[tuple[str, str]] = Counter()
    with op.get_bind().execute(sa.text("SELECT category_code, search_text FROM services")
                               .execution_options(yield_per=10000)) as services:
        for code, text in services:
            counts.update((gram, code) for gram in {text[i:i + 2] for i in range(len(text))} | set(text) | {""})
    grams = sa.table("category_grams", sa.column("gram"), sa.column("category_code"), sa.column("services"))
    op.execute(grams.delete())
    rows = [{"gram": gram, "category_code": code, "services": n} for (gram, code), n in sorted(counts.items())]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(grams, rows[start:start + 5000])
    op.create_table('category_counts',
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('offered_services', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category_code')
    )
    op.execute(sa.text("INSERT INTO category_counts (category_code, offered_services) "
                       "SELECT category_code, count(*) FROM services WHERE offered GROUP BY category_code"))


def downgrade() -> None:
    op.drop_table('category_counts')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_services_search_category", table_name="services")
        op.drop_index("ix_services_search_price", table_name="services")
    op.execute(sa.text("DELETE FROM category_grams WHERE gram = ''"))
    with op.batch_alter_table('category_grams', schema=None) as batch_op:
        batch_op.drop_column('services')
