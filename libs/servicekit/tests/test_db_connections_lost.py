"""servicekit.db without SQLAlchemy's pre-ping: when PostgreSQL ends every session of the service (a
restart, a failover, an operator's pg_terminate_backend), the pooled connections are replaced before
the next request uses them — a read, a read on the driver's own connection and a write transaction
each succeed at the first try, however recently the connections were used."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
import sqlalchemy as sa

from servicekit.db import Database
from servicekit.tables import table_base
from servicekit.testing import temporary_database

Table = table_base()
metadata = Table.metadata
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL: TEST_DATABASE_URL is unset")


async def terminate_sessions(url: str) -> int:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    name = dsn.rsplit("/", 1)[1].split("?")[0]
    conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        return len(await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = $1 AND pid <> pg_backend_pid()", name))
    finally:
        await conn.close()


async def test_every_session_ended_by_the_database_is_replaced_before_the_next_request():
    async with temporary_database("dblost") as url:
        db = Database(url, metadata=metadata, pool_size=4)
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            # several pooled connections, all just used (within the idle-ping time)
            async def use() -> None:
                async with db.read() as session:
                    await session.exec(sa.text("SELECT pg_sleep(0.05)"))
            await asyncio.gather(*(use() for _ in range(4)))
            for ended in range(2):
                assert await terminate_sessions(url) >= 1
                await asyncio.sleep(0.2)  # the terminations reach the client's sockets
                async with db.read() as session:
                    assert (await session.exec(sa.text("SELECT 1"))).scalar() == 1
                async with db.driver() as driver:
                    assert await driver.fetchval("SELECT 2") == 2
                async with db.transaction() as session:
                    await session.exec(notes.insert().values(id=ended))
            async with db.read() as session:
                assert (await session.exec(sa.select(sa.func.count()).select_from(notes))).scalar() == 2
        finally:
            await db.dispose()
