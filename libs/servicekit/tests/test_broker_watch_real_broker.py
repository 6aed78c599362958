"""The broker lost everything (the embedded Tansu killed and started again on the same port, memory
storage) under two running services: an event committed while it was away reaches the consumer, the
one published before it is not applied twice, readiness says what is wrong meanwhile and is whole
again after."""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlmodel import func, select

from devstack.broker import EmbeddedBroker
from kit_world import Effect, create_tables, plan_created
from servicekit.app import Service
from contracts_schema.topics import PLANS
from servicekit.outbox import emit
from servicekit.testing import eventually, temporary_database
from test_bus_real_broker import consumer_handlers, make_service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def effects(service: Service, plan_id: str) -> int:
    async with service.db.read() as session:
        return (await session.exec(select(func.count()).select_from(Effect).where(Effect.plan_id == plan_id))).one()


async def problems(service: Service) -> dict[str, str]:
    return {name: problem for name, problem in (await service.readiness()).items() if problem}


async def created(service: Service, plan_id: str) -> None:
    async with service.db.transaction() as session:
        await emit(session, plan_created(plan_id))


async def test_a_broker_restarted_empty_is_rebuilt_from_the_outbox(tmp_path):
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    suffix = uuid.uuid4().hex[:6]
    try:
        async with temporary_database("alpha") as alpha_url, temporary_database("beta") as beta_url:
            await create_tables(alpha_url)
            await create_tables(beta_url)
            alpha = make_service(f"alpha-{suffix}", alpha_url, broker.bootstrap)
            beta = make_service(f"beta-{suffix}", beta_url, broker.bootstrap, consumer_handlers())
            await alpha.start()
            await beta.start()
            try:
                await created(alpha, "PL-BEFORE")
                await eventually(lambda: effects(beta, "PL-BEFORE"), timeout=30)
                await eventually(lambda: _empty(problems(beta)), timeout=30)

                broker.process.send_signal(signal.SIGKILL)
                broker.process.wait(timeout=10)
                away = await eventually(lambda: problems(alpha), timeout=30)
                assert "relay" in away and "消息代理" in away["relay"], away
                await created(alpha, "PL-DURING")

                broker.start()  # the same port, nothing in it
                await eventually(lambda: effects(beta, "PL-DURING"), timeout=60)
                await eventually(lambda: _empty(problems(alpha)), timeout=30)
                await eventually(lambda: _empty(problems(beta)), timeout=30)
                assert await effects(beta, "PL-BEFORE") == 1  # replayed, not applied again
                assert alpha.watch.recoveries >= 2  # the first start on an empty broker, then the restart
                assert beta.bus.consumer().assignment()
            finally:
                await alpha.stop()
                await beta.stop()
    finally:
        broker.stop()


async def _empty(pending) -> bool:
    return not await pending


async def test_a_batch_of_several_records_on_one_partition_is_not_taken_for_a_loss(tmp_path):
    """Tansu reports a partition's end as the base offset of its last produce batch + 1 (README): after
    five events of one plan published together, the end offset is four below the relay's last record.
    The watch confirms with a fetch before it calls that a loss: no replay."""
    async with alone(tmp_path) as (broker, alpha):
        before = alpha.watch.recoveries
        async with alpha.db.transaction() as session:
            for _ in range(5):
                await emit(session, plan_created("PL-BATCH"))
        await eventually(lambda: _empty(_unsent(alpha)), timeout=30)
        [(partition, last)] = [(tp, o) for tp, o in alpha.relay.positions.last.items() if tp[0] == PLANS]
        ends = await alpha.watch._end_offsets([partition])
        assert ends[partition] <= last  # the broker's report is short: what the watch must not believe
        for _ in range(3):  # the second look compares with the first one's positions
            await alpha.watch.check()
        assert alpha.watch.recoveries == before and not alpha.relay.lost

        # A real loss still is one: the topic deleted and created again, empty.
        await recreated(broker, PLANS, partitions=3)
        await alpha.watch.check()
        await alpha.watch.check()
        assert alpha.watch.recoveries > before
        ends = await eventually(lambda: _ends_at_least(alpha, partition, last + 1), timeout=30)
        assert ends  # the five events were published again


@asynccontextmanager
async def alone(tmp_path) -> AsyncIterator[tuple[EmbeddedBroker, Service]]:
    """A broker of its own and one service relaying to it, ready."""
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    try:
        async with temporary_database("alpha") as url:
            await create_tables(url)
            alpha = make_service(f"alpha-{uuid.uuid4().hex[:6]}", url, broker.bootstrap)
            await alpha.start()
            try:
                await eventually(lambda: _empty(problems(alpha)), timeout=30)
                yield broker, alpha
            finally:
                await alpha.stop()
    finally:
        broker.stop()


async def recreated(broker: EmbeddedBroker, topic: str, partitions: int) -> None:
    """The topic deleted and created again, empty, with this many partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _ends_at_least(service: Service, partition: tuple[str, int], offset: int) -> bool:
    """The partition holds a record at offset - 1 (a fetch, not the end offset Tansu reports). Under the
    watch's lock: its own looks, every second, use the same client."""
    async with service.watch._lock:
        return not await service.watch._not_found({partition: offset - 1})


async def _unsent(service: Service) -> int:
    return await service.relay.unsent_count()


async def test_a_topic_recreated_with_fewer_partitions_is_a_loss_not_a_stuck_watch(tmp_path):
    """Seen in the chaos matrix: after broker restarts a service's topic came back with fewer partitions
    than the relay had written to; the watch asked the end offset of a partition that no longer exists,
    the client waited for it until its timeout, and every look failed the same way (catalog stuck for
    minutes). Such a partition is a loss: the topic's retained rows are published again."""
    async with alone(tmp_path) as (broker, alpha):
        async with alpha.db.transaction() as session:
            for n in range(12):  # keys spread over the three partitions
                await emit(session, plan_created(f"PL-SPREAD-{n}"))
        await eventually(lambda: _empty(_unsent(alpha)), timeout=30)
        await alpha.watch.check()
        assert {p for t, p in alpha.relay.positions.last if t == PLANS} - {0}, "no record beyond partition 0"
        before = alpha.watch.recoveries

        await recreated(broker, PLANS, partitions=1)
        await alpha.watch.check()  # before: KafkaTimeoutError, at every look
        await alpha.watch.check()
        assert alpha.watch.recoveries > before and alpha.watch.problem is None
        assert await eventually(lambda: _ends_at_least(alpha, (PLANS, 0), 12), timeout=30)
