"""`devstack events`: the events on the five topics, one line each — time (北京时间), type, subject,
sequence — from the first record on. Without --follow it prints what the topics hold now and stops
(read to the real end: the embedded broker reports end offsets short, see contracts_schema.consume.drain);
with --follow it goes on printing new events as they pass, until Ctrl-C."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts_schema import topics
from contracts_schema.consume import drain
from contracts_schema.envelope import EnvelopeError, decode_headers
from contracts_schema.events.base import TYPE_PREFIX

SHANGHAI = ZoneInfo("Asia/Shanghai")


def default_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{os.environ.get('BROKER_PORT', '19092')}"


def line(record: Any) -> str:
    """`2026-12-01 12:03:04  bidding.ResultConfirmed.v1  PJ0123  3`, or what the record is if not an event."""
    try:
        envelope = decode_headers(record.headers or [])
    except EnvelopeError as bad:
        return f"(not an event: {bad})  {record.topic}[{record.partition}]@{record.offset}"
    kind = envelope.type.removeprefix(TYPE_PREFIX + ".")
    return f"{envelope.time.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}  {kind}  {envelope.subject}  {envelope.sequence}"


async def watch(bootstrap: str, *, follow: bool, out: Callable[[str], None]) -> int:
    """Prints every event from the first; returns how many records it printed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                                request_timeout_ms=10000)
    printed = 0
    try:
        await asyncio.wait_for(consumer.start(), timeout=15)
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in topics.ALL_TOPICS
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async for record in drain(consumer, partitions):
            out(line(record))
            printed += 1
        while follow:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    out(line(record))
                    printed += 1
    finally:
        await consumer.stop()
    return printed
