"""Fixtures of the plumbing tests: a fresh database (PostgreSQL in CI) with the test world's tables."""

from __future__ import annotations

import pytest

from kit_world import create_tables, metadata
from servicekit.db import Database
from servicekit.testing import temporary_database
@pytest.fixture
async def db_url():
    async with temporary_database("kit") as url:
        await create_tables(url)
        yield url


@pytest.fixture
async def db(db_url):
    database = Database(db_url, metadata=metadata, service="kit")
    yield database
    await database.dispose()
