"""servicekit.numbering.next_number: many transactions at once, on one database, from two service
replicas, each get a different number, and together the numbers are 1..N with no gap."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from servicekit.db import Database
from servicekit.numbering import next_number
from servicekit.tables import add_numbering_table, table_base
from servicekit.testing import temporary_database

Table = table_base()
metadata = Table.metadata
add_numbering_table(metadata)
TAKERS = 16


async def replicas(url: str) -> AsyncIterator[tuple[Database, Database]]:
    first, second = Database(url, metadata=metadata), Database(url, metadata=metadata)
    async with first.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


@pytest.fixture
async def postgres() -> AsyncIterator[tuple[Database, Database]]:
    async with temporary_database("numbering") as url:
        async for pair in replicas(url):
            yield pair


@pytest.fixture
async def sqlite() -> AsyncIterator[tuple[Database, Database]]:
    with tempfile.TemporaryDirectory(prefix="numbering-") as folder:
        async for pair in replicas(f"sqlite+aiosqlite:///{Path(folder) / 'numbering.db'}"):
            yield pair


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL: TEST_DATABASE_URL is unset")
async def test_concurrent_transactions_on_postgresql_get_distinct_consecutive_numbers(postgres):
    all_open = asyncio.Barrier(TAKERS)

    async def take(db: Database) -> int:
        async with db.transaction() as session:
            await session.exec(sa.text("SELECT 1"))  # this transaction is open on the server now
            await all_open.wait()  # every transaction is open before any of them takes a number
            return await next_number(session, "order:2026")

    numbers = await asyncio.gather(*(take(postgres[i % 2]) for i in range(TAKERS)))
    assert sorted(numbers) == list(range(1, TAKERS + 1))


async def test_concurrent_transactions_on_sqlite_get_distinct_consecutive_numbers(sqlite):
    async def take(db: Database) -> int:
        async with db.transaction() as session:
            return await next_number(session, "order:2026")

    numbers = await asyncio.gather(*(take(sqlite[i % 2]) for i in range(TAKERS)))
    assert sorted(numbers) == list(range(1, TAKERS + 1))


async def test_series_are_apart_and_a_rolled_back_number_is_given_again():
    async with temporary_database("numbering") as url:
        async for db, _ in replicas(url):
            async with db.transaction() as session:
                assert [await next_number(session, "order:2026") for _ in range(3)] == [1, 2, 3]
                assert await next_number(session, "contract:2026") == 1
            with pytest.raises(RuntimeError):
                async with db.transaction() as session:
                    assert await next_number(session, "order:2026") == 4
                    raise RuntimeError("the transaction fails after taking a number")
            async with db.transaction() as session:
                assert await next_number(session, "order:2026") == 4
