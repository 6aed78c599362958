"""Transactional outbox.

A state change and the events it causes commit in one transaction (`emit` inserts the outbox row in
the caller's session). The relay publishes unsent rows in id order with acks=all and marks them
sent. It is woken right after a commit that added rows (low latency) and polls as a fallback (rows
left by a crash). A crash after commit and before publish loses nothing: the row is still unsent. A
crash after publish and before marking sends the event again; consumers deduplicate on `ce_id`.

With two replicas on PostgreSQL, a transaction-scoped advisory lock lets one relay publish at a
time, which also keeps events of one aggregate in order; the others wait for their next turn."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contracts_schema.envelope import SOURCE_PREFIX, Envelope, encode_headers, new_traceparent, trace_id_of
from contracts_schema.events import Event
from contracts_schema.types import utcnow
from servicekit.logging import current_context

log = logging.getLogger("servicekit.outbox")
PENDING = "servicekit.outbox_pending"


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    event_id: str
    topic: str
    key: str
    type: str
    headers: dict[str, str]
    body: bytes


Publish = Callable[[list[OutboxMessage]], Awaitable[None]]


def _tables(session: AsyncSession) -> tuple[sa.Table, sa.Table]:
    metadata: sa.MetaData = session.info["metadata"]
    return metadata.tables["outbox"], metadata.tables["aggregate_sequences"]


async def _next_sequence(session: AsyncSession, table: sa.Table, topic: str, key: str) -> int:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(topic=topic, key=key, last_sequence=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.topic, table.c.key],
        set_={"last_sequence": table.c.last_sequence + 1},
    ).returning(table.c.last_sequence)
    return int((await session.exec(stmt)).scalar_one())


async def emit(session: AsyncSession, event: Event, *, source: str | None = None) -> Envelope:
    """Records `event` in the outbox, in the caller's transaction. Returns its envelope."""
    outbox, sequences = _tables(session)
    topic, key = event.topic(), event.aggregate_id
    sequence = await _next_sequence(session, sequences, topic, key)
    context = current_context()
    envelope = Envelope(
        type=event.ce_type(),
        source=source or SOURCE_PREFIX + session.info.get("service", "unknown"),
        subject=key,
        sequence=sequence,
        traceparent=new_traceparent(trace_id_of(context.get("traceparent")) or context.get("trace_id")),
    )
    await session.exec(sa.insert(outbox).values(
        event_id=envelope.id, topic=topic, key=key, type=envelope.type, sequence=sequence,
        headers=encode_headers(envelope), body=event.model_dump_json(), created_at=envelope.time,
    ))
    session.info[PENDING] = True
    log.debug("event recorded", extra={"event_type": envelope.type, "event_id": envelope.id, "key": key})
    return envelope


class OutboxRelay:
    def __init__(self, db: Any, metadata: sa.MetaData, publish: Publish, *, poll_interval: float = 1.0,
                 batch_size: int = 200, lock_name: str = "outbox") -> None:
        self.db = db
        self.table = metadata.tables["outbox"]
        self.publish = publish
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._lock_key = zlib.crc32(lock_name.encode()) & 0x7FFFFFFF
        self._wake = asyncio.Event()
        self._local_lock = asyncio.Lock()
        self.published = 0
        db.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(PENDING, False):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publishes until cancelled; a failed round is logged and retried at the next wake or poll."""
        while True:
            try:
                while await self.publish_pending() == self.batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay round failed; retrying")
                await asyncio.sleep(min(self.poll_interval, 1.0))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_pending(self) -> int:
        """One round: publish up to `batch_size` unsent rows in order and mark them sent."""
        async with self._local_lock:
            if self.db.is_postgres:
                # The advisory lock lives as long as this transaction: one replica publishes at a time.
                async with self.db.transaction() as session:
                    got = (await session.exec(sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key)))).scalar()
                    if not got:
                        return 0
                    messages = await self._unsent(session)
                    if messages:
                        await self.publish(messages)
                        await self._mark_sent(session, messages)
            else:
                # SQLite: one process per database, so the local lock suffices; do not hold the write
                # lock while the broker answers.
                async with self.db.read() as session:
                    messages = await self._unsent(session)
                if messages:
                    await self.publish(messages)
                    async with self.db.transaction() as session:
                        await self._mark_sent(session, messages)
        self.published += len(messages)
        return len(messages)

    async def _unsent(self, session: AsyncSession) -> list[OutboxMessage]:
        rows = (await session.exec(
            sa.select(self.table).where(self.table.c.sent_at.is_(None)).order_by(self.table.c.id).limit(self.batch_size)
        )).mappings().all()
        return [OutboxMessage(id=r["id"], event_id=r["event_id"], topic=r["topic"], key=r["key"], type=r["type"],
                              headers=dict(r["headers"]), body=r["body"].encode()) for r in rows]

    async def _mark_sent(self, session: AsyncSession, messages: list[OutboxMessage]) -> None:
        await session.exec(sa.update(self.table).where(self.table.c.id.in_([m.id for m in messages]))
                              .values(sent_at=utcnow()))

    async def unsent_count(self) -> int:
        async with self.db.read() as session:
            return int((await session.exec(
                sa.select(sa.func.count()).select_from(self.table).where(self.table.c.sent_at.is_(None))
            )).scalar_one())
