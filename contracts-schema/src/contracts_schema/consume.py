"""Reading the platform's events as another agency would: a Kafka record in CloudEvents binary mode
(headers + value) becomes its envelope and the event's pydantic model, chosen by `ce_type`; a
redelivery or a replay is recognised by `ce_id`; a missing event by `ce_sequence`, which counts
1, 2, 3... per source, topic and subject (the producing service numbers the events of each aggregate
on each topic: servicekit.outbox).

    reader = EventReader()
    for record in records:                       # aiokafka ConsumerRecords, or any headers + value
        reading = reader.read(record.headers, record.value)
        if reading.duplicate:
            continue                             # seen this ce_id already: apply nothing twice
        if reading.gap:
            alert(reading.gap)                   # events missing before this one
        handle(reading.event)                    # e.g. a contracts_schema.events.bidding.ResultConfirmed

Pure: no broker, no I/O, except `drain`, which reads what a consumer's partitions hold now (it works
around the embedded broker's end offsets, README "The embedded broker")."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts_schema.envelope import Envelope, EnvelopeError, decode_headers
from contracts_schema.events import Event, event_class_for_type

Headers = dict[str, str] | list[tuple[str, bytes]]


class UnknownEventType(EnvelopeError):
    """A `ce_type` this version of the contract does not know (a newer event, another major version)."""


@dataclass(frozen=True)
class Received:
    envelope: Envelope
    event: Event

    @property
    def stream(self) -> tuple[str, str, str]:
        """What `ce_sequence` counts within: (source, topic, subject)."""
        return self.envelope.source, self.event.topic(), self.envelope.subject


def parse(headers: Headers, value: bytes | str) -> Received:
    """The envelope and the typed event of one record. Raises EnvelopeError (not a CloudEvent),
    UnknownEventType, or pydantic's ValidationError (a body its model refuses)."""
    envelope = decode_headers(headers)
    cls = event_class_for_type(envelope.type)
    if cls is None:
        raise UnknownEventType(f"unknown ce_type {envelope.type!r}")
    return Received(envelope, cls.model_validate_json(value))


@dataclass(frozen=True)
class Gap:
    """Events `missing` of one stream did not arrive before sequence `got`."""

    stream: tuple[str, str, str]
    after: int  # the last sequence seen of the stream (0: none)
    got: int

    @property
    def missing(self) -> range:
        return range(self.after + 1, self.got)


class Deduplicator:
    """Remembers the last `capacity` event ids (a redelivery or an outbox replay repeats `ce_id`)."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is seen, False for a repeat."""
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            return False
        self._seen[event_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True


@dataclass
class SequenceCheck:
    """The last sequence seen of each stream. `from_start`: the consumer reads the topics from their
    first record, so a stream must begin at 1; else its first event seen starts it."""

    from_start: bool = True
    last: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def observe(self, stream: tuple[str, str, str], sequence: int) -> Gap | None:
        """The gap before `sequence`, if any; a sequence at or below the last one changes nothing
        (an older event arriving late: not a gap)."""
        previous = self.last.get(stream, 0 if self.from_start else sequence - 1)
        if sequence <= previous:
            return None
        self.last[stream] = sequence
        return Gap(stream, previous, sequence) if sequence > previous + 1 else None


@dataclass(frozen=True)
class Reading:
    envelope: Envelope
    event: Event
    duplicate: bool
    gap: Gap | None = None


class EventReader:
    """`parse` + `Deduplicator` + `SequenceCheck`, in the order a consumer needs them."""

    def __init__(self, *, from_start: bool = True, capacity: int = 1_000_000) -> None:
        self.dedup = Deduplicator(capacity)
        self.sequences = SequenceCheck(from_start=from_start)

    def read(self, headers: Headers, value: bytes | str) -> Reading:
        received = parse(headers, value)
        if not self.dedup.first_time(received.envelope.id):
            return Reading(received.envelope, received.event, duplicate=True)
        gap = self.sequences.observe(received.stream, received.envelope.sequence)
        return Reading(received.envelope, received.event, duplicate=False, gap=gap)


async def drain(consumer: Any, partitions: Iterable[Any], *, timeout_ms: int = 1000) -> AsyncIterator[Any]:
    """Every record an aiokafka consumer's assigned `partitions` hold from its positions on, then
    stops. Never stops at the reported end offset alone: the embedded broker (Tansu 0.6) reports the
    end of a partition as the base offset of its last produce batch + 1, one or more records short
    (README). So it stops only when a poll returned nothing and every position has reached the
    reported end."""
    partitions = list(partitions)
    while True:
        batch = await consumer.getmany(*partitions, timeout_ms=timeout_ms)
        for records in batch.values():
            for record in records:
                yield record
        if batch:
            continue
        ends = await consumer.end_offsets(partitions)
        if all([await consumer.position(tp) >= ends[tp] for tp in partitions]):
            return
