"""The embedded broker's end-offset report, reproduced exactly (README, "The embedded broker"): Tansu
0.6 answers ListOffsets(latest) with the base offset of the partition's last produce batch + 1, not
the offset after its last record. After records 0–3 (two batches of two) and a batch of two more
(4, 5), it reports the end as 5 while a fetch from 0 returns six records, 0–5, and says high
watermark 6. A batch of one record is reported right; so was any end once a single-record produce
came after. Our readers never stop at the reported end (contracts_schema.consume.drain)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts_schema.consume import drain
from devstack.broker import EmbeddedBroker

TOPIC = "tansu.end-offsets"
TP = TopicPartition(TOPIC, 0)


@pytest.fixture
def tansu(tmp_path) -> Iterator[str]:
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


async def produce_batch(producer: AIOKafkaProducer, count: int) -> list[int]:
    """`count` records in ONE produce batch; returns the offsets the broker answered."""
    batch = producer.create_batch()
    for i in range(count):
        batch.append(key=b"k", value=b"v%d" % i, timestamp=None)
    metadata = await (await producer.send_batch(batch, TOPIC, partition=0))
    return list(range(metadata.offset, metadata.offset + count))


async def reproduce(bootstrap: str) -> dict[str, object]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        seen: dict[str, object] = {}
        for step in ("first", "second", "third"):
            offsets = await produce_batch(producer, 2)
            seen[step] = (offsets, (await consumer.end_offsets([TP]))[TP])
        consumer.assign([TP])
        await consumer.seek_to_beginning(TP)
        seen["read"] = [record.offset async for record in drain(consumer, [TP])]
        seen["highwater"] = consumer.highwater(TP)
        seen["batch of five"] = (await produce_batch(producer, 5), (await consumer.end_offsets([TP]))[TP])
        seen["batch of one"] = (await produce_batch(producer, 1), (await consumer.end_offsets([TP]))[TP])
        return seen
    finally:
        await producer.stop()
        await consumer.stop()


def test_tansu_reports_the_end_of_a_partition_as_its_last_batch_base_offset_plus_one(tansu):
    seen = asyncio.run(reproduce(tansu))
    assert seen["first"] == ([0, 1], 1)
    assert seen["second"] == ([2, 3], 3)
    assert seen["third"] == ([4, 5], 5)  # six records, 0–5, "end offset 5"
    assert seen["read"] == [0, 1, 2, 3, 4, 5] and seen["highwater"] == 6  # drain reads past the report
    assert seen["batch of five"] == ([6, 7, 8, 9, 10], 7)
    assert seen["batch of one"] == ([11], 12)  # right again
