"""Every service's Alembic migrations build exactly the schema its tables declare (its store.py
metadata, plumbing tables included): autogenerate on a freshly migrated database finds nothing to do."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from servicekit.settings import normalize_database_url
from servicekit.testing import migrated_database

PACKAGES = ["plans", "catalog", "bidding", "contracts", "orders", "gateway"]


def _full_text(connection: sa.Connection, difference: tuple) -> bool:
    """A table the database has but the models do not declare, being an FTS5 table or one of its shadows."""
    if connection.dialect.name != "sqlite" or difference[0] != "remove_table":
        return False
    tables = connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
    virtual = [n for n, sql in tables if sql.upper().startswith("CREATE VIRTUAL TABLE") and "fts5" in sql.lower()]
    name = difference[1].name
    return any(name == v or name.startswith(f"{v}_") for v in virtual)


def _other_database_only(connection: sa.Connection, metadata: sa.MetaData, difference: tuple) -> bool:
    if difference[0] != "add_index":
        return False
    declared = [i for t in metadata.tables.values() for i in t.indexes if i.name == difference[1].name]
    ddl_if = getattr(declared[0], "_ddl_if", None) if declared else None
    return ddl_if is not None and ddl_if.dialect not in (None, connection.dialect.name)


@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_match_the_tables(package: str) -> None:
    metadata = importlib.import_module(f"{package}.store").metadata

    def differences(connection: sa.Connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, metadata)
                if not _full_text(connection, d) and not _other_database_only(connection, metadata, d)]

    async with migrated_database(package) as url:
        engine = create_async_engine(normalize_database_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                found = await connection.run_sync(differences)
        finally:
            await engine.dispose()
    assert found == []
