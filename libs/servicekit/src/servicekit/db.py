"""Async SQLModel sessions on SQLite (aiosqlite, the embedded default) and PostgreSQL (asyncpg).

    async with db.transaction() as session:   # one write transaction: state change + outbox rows
        ...
    async with db.read() as session:          # read-only queries
        ...

On SQLite, write transactions start with BEGIN IMMEDIATE, so two of them never both read and then
collide on write, and they queue on an asyncio lock in the process (SQLite has one writer anyway;
queueing here avoids SQLite's sleeping busy handler, which costs tens of milliseconds a collision);
reads run beside them (WAL). On PostgreSQL, use `SELECT ... FOR UPDATE` where a
rule reads a row before changing it (budgets, quoting windows).

`on_rollback(session, undo)` has a write transaction undo, if it does not commit, what it did
outside the database (the stored file of servicekit.files.store_file)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger("servicekit.db")


class Database:
    def __init__(self, url: str, *, metadata: Any = None, service: str = "service", pool_size: int = 10) -> None:
        self.url = url
        self.metadata = metadata
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgres = url.startswith("postgresql")
        self._after_commit: list[Callable[[AsyncSession], None]] = []
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._lenders = asyncio.Semaphore(pool_size)
        if self.is_sqlite:
            self.engine = create_async_engine(url)
            self.read_engine = create_async_engine(url)
            for engine in (self.engine, self.read_engine):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
            event.listen(self.engine.sync_engine, "checkout", _ping_on_checkout)
            event.listen(self.engine.sync_engine, "checkin", _note_checkin)
            self.read_engine = self.engine
        info = {"metadata": metadata, "service": service}
        self._writes = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False, info=info)
        self._reads = async_sessionmaker(self.read_engine, class_=AsyncSession, expire_on_commit=False, info=info)

    def on_commit(self, callback: Callable[[AsyncSession], None]) -> None:
        """Runs `callback(session)` after every committed write transaction (the outbox relay's wake-up)."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        session: AsyncSession | None = None
        try:
            async with self._writer_turn(), self._writes() as session:
                async with session.begin():
                    yield session
        except BaseException:
            if session is not None:
                await _undo(session)
            raise
        for callback in self._after_commit:
            callback(session)

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
        else:
            async with self._write_lock:
                yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Any]:
        """PostgreSQL: the driver's own connection (asyncpg) of a pooled connection, for statements run
        on it directly — no SQLAlchemy execution, no transaction unless the caller opens one
        (catalog.reads; bidding.quotes does the same by hand). Back to the pool after; after an error,
        closed instead. At most the pool's size at once: the others wait here for one, rather than
        open connections beyond the pool that close again at once (a new PostgreSQL session costs
        more than a read)."""
        async with self._lenders:
            pooled = await self.engine.raw_connection()
            try:
                yield pooled.driver_connection
            except BaseException:
                pooled.invalidate()  # a cancelled statement may leave the connection mid-protocol
                raise
            finally:
                await greenlet_spawn(pooled.close)

    async def ping(self) -> None:
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def on_rollback(session: AsyncSession, undo: Callable[[], Awaitable[Any]]) -> None:
    """Has `await undo()` run if this write transaction does not commit (after its rollback): it
    undoes what the transaction did outside the database (a stored file: servicekit.files.store_file)."""
    session.info.setdefault(_ON_ROLLBACK, []).append(undo)


_ON_ROLLBACK = "servicekit.on_rollback"


async def _undo(session: AsyncSession) -> None:
    for undo in reversed(session.info.pop(_ON_ROLLBACK, [])):
        try:
            await undo()
        except Exception:  # noqa: BLE001 — the transaction's own error is the one to raise
            log.exception("could not undo an effect of a transaction that did not commit")


PING_AFTER_IDLE = 5.0
"""Seconds a pooled PostgreSQL connection may rest before its next checkout pings it first."""
_CHECKED_IN = "servicekit.checked_in"


def _ping_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """`pool_pre_ping`, cheaper: a connection the database closed (a restart: asyncpg has seen it close)
    is replaced, and the pool's other connections with it, before a request uses it; one that rested
    PING_AFTER_IDLE seconds or more is pinged first (`;`, one round trip). SQLAlchemy's own pre-ping
    pings every checkout in three round trips (BEGIN, `;`, ROLLBACK — for pgbouncer's transaction mode,
    not used here): ≈ 0.2 ms of CPU a request (bench/README.md, issue 14)."""
    try:
        if dbapi_connection.driver_connection.is_closed():
            raise ConnectionError("closed by the database")
        if time.monotonic() - record.info.get(_CHECKED_IN, 0.0) >= PING_AFTER_IDLE:
            dbapi_connection.run_async(lambda driver: driver.fetchrow(";"))
    except Exception as lost:
        raise InvalidatePoolError(f"the database connection was lost: {lost!r}") from lost


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own transaction handling would not
    # let us choose IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
