"""keyword search served by the databases' own indexes: pg_trgm on PostgreSQL, FTS5 (trigram) on SQLite

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:10:00

PostgreSQL: a GIN trigram index on services.search_text serves `search_text LIKE '%word%'` as it is
(the query does not change). SQLite: an FTS5 table with the trigram tokenizer holding each service's
search text, kept current by triggers; the search asks it for the services containing every word of
three characters or more (catalog.store.keyword_filter), and still checks each word with LIKE.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE services_fts USING fts5(service_id UNINDEXED, search_text, "
    "tokenize='trigram case_sensitive 1')",
    "INSERT INTO services_fts (service_id, search_text) SELECT id, search_text FROM services",
    "CREATE TRIGGER services_fts_insert AFTER INSERT ON services BEGIN "
    "INSERT INTO services_fts (service_id, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER services_fts_update AFTER UPDATE OF id, search_text ON services BEGIN "
    "DELETE FROM services_fts WHERE service_id = old.id; "
    "INSERT INTO services_fts (service_id, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER services_fts_delete AFTER DELETE ON services BEGIN "
    "DELETE FROM services_fts WHERE service_id = old.id; END",
]
SQLITE_DOWN = ["DROP TRIGGER services_fts_delete", "DROP TRIGGER services_fts_update",
               "DROP TRIGGER services_fts_insert", "DROP TABLE services_fts"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_services_search_trgm", "services", ["search_text"], postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})
    else:
        for statement in SQLITE_UP:
            op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_services_search_trgm", table_name="services")
    else:
        for statement in SQLITE_DOWN:
            op.execute(sa.text(statement))
