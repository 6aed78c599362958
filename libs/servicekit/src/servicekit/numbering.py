"""Human-readable document numbers (order, contract and project numbers) from an atomic counter.

    number = await next_number(session, f"order:{year}")     # 1, 2, 3, ... per series

The counter is one row per series in the service's `counters` table (`add_numbering_table` in
servicekit.tables), moved on by a single upsert: two transactions never get the same number, on
PostgreSQL (the second waits on the row until the first commits or rolls back) and on SQLite (write
transactions are serialized). A rolled-back transaction gives its number back, so the numbers of a
series stay consecutive."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def _counters(session: AsyncSession) -> sa.Table:
    metadata: sa.MetaData = session.info["metadata"]
    table = metadata.tables.get("counters")
    if table is None:
        raise RuntimeError("the service's metadata has no counters table: call add_numbering_table(metadata)")
    return table


async def next_number(session: AsyncSession, series: str) -> int:
    """The next number of `series` (1 for a new series), taken in the caller's transaction."""
    table = _counters(session)
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(name=series, last=1).on_conflict_do_update(
        index_elements=[table.c.name], set_={"last": table.c.last + 1}).returning(table.c.last)
    return int((await session.exec(stmt)).scalar_one())
