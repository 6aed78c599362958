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


@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_match_the_tables(package: str) -> None:
    metadata = importlib.import_module(f"{package}.store").metadata

    def differences(connection: sa.Connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with migrated_database(package) as url:
        engine = create_async_engine(normalize_database_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                found = await connection.run_sync(differences)
        finally:
            await engine.dispose()
    assert found == []
