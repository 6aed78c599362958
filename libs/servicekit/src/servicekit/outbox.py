"""Transactional outbox.

A state change and the events it causes commit in one transaction (`emit` inserts the outbox row in
the caller's session). The relay publishes unsent rows in id order with acks=all and marks them
sent. It is woken right after a commit that added rows (low latency) and polls as a fallback (rows
left by a crash). A crash after commit and before publish loses nothing: the row is still unsent. A
crash after publish and before marking sends the event again; consumers deduplicate on `ce_id`.

With two replicas on PostgreSQL, a transaction-scoped advisory lock lets one relay publish at a
time, which also keeps events of one aggregate in order; the others wait for their next turn.

The outbox is the source of truth; the broker can be rebuilt from it. Sent rows are kept for
OUTBOX_RETENTION_DAYS (`prune` deletes older ones) and are what `replay` publishes again, in id
order, when the broker lost what it had (see `Positions` and `servicekit.bus.BrokerWatch`): the
embedded broker keeps nothing on disk, and a topic may be deleted and created again. Consumers'
inboxes make the repeats harmless."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contracts_schema.envelope import SOURCE_PREFIX, Envelope, encode_headers, new_traceparent, trace_id_of
from contracts_schema.events import Event
from contracts_schema.types import utcnow
from servicekit import tracing
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


@dataclass(frozen=True)
class Placed:
    """Where the broker put one published record (its produce answer)."""
    topic: str
    partition: int
    offset: int


Publish = Callable[[list[OutboxMessage]], Awaitable[list[Placed]]]


class Positions:
    """Per topic-partition, the offset of the last record this relay published, and the rules that
    say, from offsets alone, that the broker lost records it had acknowledged:

    - a produce answer at or below an offset already given out on that partition (offsets only grow:
      the partition is a new one);
    - the partition's end offset now below the offset of our last record there *a while ago* (the
      watch passes the positions of its previous look, a second old), and a fetch at that record's
      offset not finding it (the watch's part). A healthy partition ends at last + 1; Tansu (0.6)
      reports the end as the base offset of the partition's last produce batch + 1, so after a batch
      of n records it is n - 1 short (README, "The embedded broker"): the report alone is only a
      suspicion.

    A partition of which we published only offset 0 cannot tell a new empty partition from Tansu's
    off-by-one by its end offset; the marker topic (BrokerWatch) and the next produce answer cover it."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}

    def record(self, placed: list[Placed]) -> set[str]:
        """Remembers the produce answers; returns the topics whose partition went back."""
        lost: set[str] = set()
        for p in placed:
            previous = self.last.get((p.topic, p.partition))
            if previous is not None and p.offset <= previous:
                lost.add(p.topic)
            self.last[(p.topic, p.partition)] = p.offset  # within a batch, offsets of a partition grow
        return lost

    def below_end_offsets(self, end_offsets: dict[tuple[str, int], int],
                          last: dict[tuple[str, int], int] | None = None) -> dict[tuple[str, int], int]:
        """The partitions that are missing or end below our last record on them, with that record's
        offset. Pass as `last` the copy of `self.last` taken before asking for the end offsets: a record
        produced meanwhile is not a loss."""
        return {tp: offset for tp, offset in (self.last if last is None else last).items()
                if end_offsets.get(tp, -1) < offset}

    def lost_by_end_offsets(self, end_offsets: dict[tuple[str, int], int],
                            last: dict[tuple[str, int], int] | None = None) -> set[str]:
        """The topics of `below_end_offsets` (what the end offsets alone say)."""
        return {topic for topic, _ in self.below_end_offsets(end_offsets, last)}

    def forget(self, topics: set[str] | None = None) -> None:
        """After a replay: what we knew of these topics' (or all) partitions no longer holds."""
        self.last = {} if topics is None else {tp: o for tp, o in self.last.items() if tp[0] not in topics}


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
    if tracing.enabled():  # the record's traceparent is a send span, child of the request's or event's
        send_span = tracing.start(f"send {event.ce_type()}", tracing.PRODUCER, context.get("traceparent"), {
            "messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation.type": "send",
            "messaging.kafka.message.key": key})
        traceparent = tracing.traceparent_of(send_span)
        tracing.finish(send_span)
    else:
        traceparent = new_traceparent(trace_id_of(context.get("traceparent")) or context.get("trace_id"))
    envelope = Envelope(
        type=event.ce_type(),
        source=source or SOURCE_PREFIX + session.info.get("service", "unknown"),
        subject=key,
        sequence=sequence,
        dataschema=event.dataschema(),
        traceparent=traceparent,
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
                 batch_size: int = 200, lock_name: str = "outbox", retention: timedelta = timedelta(days=7),
                 on_published: Callable[[list[OutboxMessage]], None] | None = None) -> None:
        self.db = db
        self.on_published = on_published  # metrics: counts what was published
        self.retention = retention
        self.positions = Positions()
        self.lost: set[str] = set()  # topics a produce answer showed lost; BrokerWatch replays them
        self.publish_error: str | None = None  # why the last round could not publish (readiness)
        # Set by BrokerWatch: looks at the broker (and rebuilds it) before the first round and after a
        # failed one, so nothing new is published into a broker that lost the older records.
        self.verify: Callable[[], Awaitable[None]] | None = None
        self.verified = False
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
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if error != self.publish_error:
                    log.exception("outbox relay round failed; retrying")
                self.publish_error = error
                self.verified = False
                await asyncio.sleep(min(self.poll_interval, 1.0))
            else:
                if self.publish_error:
                    log.info("outbox relay publishes again (%s)", self.publish_error)
                self.publish_error = None
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_pending(self) -> int:
        """One round: publish up to `batch_size` unsent rows in order and mark them sent."""
        if self.verify is not None and not self.verified:
            await self.verify()
        async with self._local_lock:
            if self.db.is_postgres:
                # The advisory lock lives as long as this transaction: one replica publishes at a time.
                async with self.db.transaction() as session:
                    got = (await session.exec(sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key)))).scalar()
                    if not got:
                        return 0
                    messages = await self._unsent(session)
                    if messages:
                        await self._publish(messages)
                        await self._mark_sent(session, messages)
            else:
                # SQLite: one process per database, so the local lock suffices; do not hold the write
                # lock while the broker answers.
                async with self.db.read() as session:
                    messages = await self._unsent(session)
                if messages:
                    await self._publish(messages)
                    async with self.db.transaction() as session:
                        await self._mark_sent(session, messages)
        self.published += len(messages)
        return len(messages)

    async def _publish(self, messages: list[OutboxMessage]) -> None:
        lost = self.positions.record(await self.publish(messages) or [])
        if self.on_published is not None:
            self.on_published(messages)
        if lost:
            log.warning("the broker lost records of %s (a produce answer went back); replaying them",
                        ", ".join(sorted(lost)))
            self.lost |= lost

    async def replay(self, topics: set[str] | None = None) -> int:
        """Publishes again, in id order, every retained row (sent within the retention period, or not
        sent yet) of `topics` (None: all), and marks the unsent ones sent. Returns how many."""
        replayed, after = 0, 0
        cutoff = utcnow() - self.retention
        async with self._local_lock:
            while True:
                query = sa.select(self.table).where(
                    self.table.c.id > after, sa.or_(self.table.c.sent_at.is_(None), self.table.c.sent_at >= cutoff))
                if topics is not None:
                    query = query.where(self.table.c.topic.in_(sorted(topics)))
                async with self.db.read() as session:
                    messages = await self._messages(session, query.order_by(self.table.c.id).limit(self.batch_size))
                if not messages:
                    break
                self.positions.record(await self.publish(messages) or [])
                if self.on_published is not None:  # a replayed record is published too (events_published_total)
                    self.on_published(messages)
                async with self.db.transaction() as session:
                    await session.exec(sa.update(self.table).where(
                        self.table.c.id.in_([m.id for m in messages]), self.table.c.sent_at.is_(None))
                        .values(sent_at=utcnow()))
                replayed += len(messages)
                after = messages[-1].id
        self.lost -= topics if topics is not None else self.lost
        return replayed

    async def prune(self) -> int:
        """Deletes the sent rows older than the retention period; returns how many."""
        async with self.db.transaction() as session:
            result = await session.exec(sa.delete(self.table).where(
                self.table.c.sent_at.is_not(None), self.table.c.sent_at < utcnow() - self.retention))
        return int(result.rowcount or 0)

    async def _unsent(self, session: AsyncSession) -> list[OutboxMessage]:
        return await self._messages(session, sa.select(self.table).where(self.table.c.sent_at.is_(None))
                                    .order_by(self.table.c.id).limit(self.batch_size))

    async def _messages(self, session: AsyncSession, query: Any) -> list[OutboxMessage]:
        rows = (await session.exec(query)).mappings().all()
        return [OutboxMessage(id=r["id"], event_id=r["event_id"], topic=r["topic"], key=r["key"], type=r["type"],
                              headers=dict(r["headers"]), body=r["body"].encode()) for r in rows]

    async def _mark_sent(self, session: AsyncSession, messages: list[OutboxMessage]) -> None:
        await session.exec(sa.update(self.table).where(self.table.c.id.in_([m.id for m in messages]))
                              .values(sent_at=utcnow()))

    async def unsent_count(self) -> int:
        return (await self.waiting())[0]

    async def waiting(self) -> tuple[int, float]:
        """How many rows wait to be published, and the age in seconds of the oldest (0 when none)."""
        async with self.db.read() as session:
            count, oldest = (await session.exec(
                sa.select(sa.func.count(), sa.func.min(self.table.c.created_at)).select_from(self.table)
                .where(self.table.c.sent_at.is_(None)))).one()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:  # SQLite gives the stored UTC time back without its zone
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        return int(count), max(0.0, (utcnow() - oldest).total_seconds())
