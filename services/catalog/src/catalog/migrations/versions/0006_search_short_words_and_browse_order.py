"""keyword search at a province's size: an index for words of one and two characters, and an index in
each browse order (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:50:00

Short words: a trigram index cannot look up a word of one or two characters. PostgreSQL: a GIN index on
the characters of search_text (`string_to_array(search_text, NULL)`, built in and immutable) answers
"holds every character of the word" (`@>`), which the LIKE then checks. Both GIN indexes without
fastupdate (no pending list every search would read). SQLite: an FTS5 table
`services_chars` (unicode61 tokenizer) holding search_text with a space between every character, so
that each character is a token and a word is a phrase of its characters; kept by triggers (the spaced
text is built in SQL: json_each over a counting array, group_concat). `services_fts` (trigram) is made
again contentless with the services' own rowid, like `services_chars`, so a search joins either on
the rowid instead of looking up a service id.

Browse order: one index per order of the list (category, name, price; highest price first reads the price index
backwards), so the first
page of a common word reads the services in that order and stops at the page instead of sorting
every match (catalog.store.services_page); `category_grams` says which categories hold which
characters and pairs of characters, so the category order starts at the first category that can hold
the words (filled here from the services there are, then by catalog.store.service_ids_for).
"""
import importlib
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def spaced(text: str) -> str:
    """SQL: `text` with a space between every character (NULL for an empty text, which FTS5 skips)."""
    return (f"(SELECT group_concat(substr({text}, key + 1, 1), ' ') FROM json_each("
            f"'[' || replace(printf('%.*c', length({text}), '0'), '0', '0,') || '0]') WHERE key < length({text}))")


def _index_rows(new: str) -> list[str]:
    return [f"INSERT INTO services_fts (rowid, search_text) VALUES ({new}.rowid, {new}.search_text);",
            f"INSERT INTO services_chars (rowid, chars) VALUES ({new}.rowid, {spaced(new + '.search_text')});"]


def _unindex_rows(old: str) -> list[str]:
    return [f"INSERT INTO services_fts (services_fts, rowid, search_text) VALUES ('delete', {old}.rowid, "
            f"{old}.search_text);",
            f"INSERT INTO services_chars (services_chars, rowid, chars) VALUES ('delete', {old}.rowid, "
            f"{spaced(old + '.search_text')});"]


SQLITE_UP = [
    "DROP TRIGGER services_fts_delete", "DROP TRIGGER services_fts_update", "DROP TRIGGER services_fts_insert",
    "DROP TABLE services_fts",
    "CREATE VIRTUAL TABLE services_fts USING fts5(search_text, content='', tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE services_chars USING fts5(chars, content='', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO services_fts (rowid, search_text) SELECT rowid, search_text FROM services",
    f"INSERT INTO services_chars (rowid, chars) SELECT rowid, {spaced('search_text')} FROM services",
    "CREATE TRIGGER services_search_insert AFTER INSERT ON services BEGIN " + " ".join(_index_rows("new")) + " END",
    "CREATE TRIGGER services_search_update AFTER UPDATE OF search_text ON services BEGIN "
    + " ".join(_unindex_rows("old") + _index_rows("new")) + " END",
    "CREATE TRIGGER services_search_delete AFTER DELETE ON services BEGIN " + " ".join(_unindex_rows("old")) + " END",
]
SQLITE_DOWN = [
    "DROP TRIGGER services_search_delete", "DROP TRIGGER services_search_update", "DROP TRIGGER services_search_insert",
    "DROP TABLE services_chars", "DROP TABLE services_fts",
    *importlib.import_module("catalog.migrations.versions.0002_search_indexes").SQLITE_UP,  # 0002's table again
]
BROWSE_INDEXES = {
    "ix_services_browse_category": ["category_code", "name", "id"],
    "ix_services_browse_name": ["name", "id"],
    "ix_services_browse_price": ["min_price", "id"],
}


def upgrade() -> None:
    grams = op.create_table('category_grams',
    sa.Column('gram', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.PrimaryKeyConstraint('gram', 'category_code')
    )
    pairs: set[tuple[str, str]] = set()
    for code, text in op.get_bind().execute(sa.text("SELECT category_code, search_text FROM services")):
        pairs |= {(text[i:i + 2], code) for i in range(len(text))} | {(c, code) for c in text}
    if pairs:
        op.bulk_insert(grams, [{"gram": gram, "category_code": code} for gram, code in sorted(pairs)])
    with op.batch_alter_table('services', schema=None) as batch_op:
        for name, columns in BROWSE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # fastupdate off: a GIN index's pending list (up to 4 MB of new entries, read in full by every
        # search until a vacuum merges it) made a freshly filled library's searches ~5× slower
        op.execute("CREATE INDEX ix_services_search_chars ON services USING gin (string_to_array(search_text, NULL)) "
                   "WITH (fastupdate = off)")
        op.execute("ALTER INDEX ix_services_search_trgm SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_services_search_trgm'::regclass)")
    else:
        for statement in SQLITE_UP:
            op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_services_search_chars", table_name="services")
        op.execute("ALTER INDEX ix_services_search_trgm RESET (fastupdate)")
    else:
        for statement in SQLITE_DOWN:
            op.execute(sa.text(statement))
    with op.batch_alter_table('services', schema=None) as batch_op:
        for name in BROWSE_INDEXES:
            batch_op.drop_index(name)
    op.drop_table('category_grams')
