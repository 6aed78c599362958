"""contracts_schema.consume: a CloudEvents binary record → its typed event; repeats by ce_id; gaps by
sequence per (source, topic, subject); ce_sequence orders as a string."""

import asyncio
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts_schema.consume import Deduplicator, EventReader, Gap, SequenceCheck, UnknownEventType, drain, parse
from contracts_schema.envelope import Envelope, EnvelopeError, encode_headers, format_sequence
from contracts_schema.events.catalog import SupplierSuspended

SOURCE = "/hunan-framework/catalog"


def suspended(agreement_id: str = "AG1") -> SupplierSuspended:
    return SupplierSuspended(agreement_id=agreement_id, supplier_id="91430100MA4L1A0011", supplier_name="湖南某公司",
                             reason="违约", suspended_at=datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc))


def record(event: SupplierSuspended, sequence: int, event_id: str | None = None) -> tuple[list, bytes]:
    envelope = Envelope(type=event.ce_type(), source=SOURCE, subject=event.aggregate_id, sequence=sequence,
                        dataschema=event.dataschema(), **({"id": event_id} if event_id else {}))
    return [(k, v.encode()) for k, v in encode_headers(envelope).items()], event.model_dump_json().encode()


def test_a_record_becomes_its_typed_event_with_the_envelope():
    headers, value = record(suspended(), 3)
    received = parse(headers, value)
    assert isinstance(received.event, SupplierSuspended) and received.event == suspended()
    assert received.envelope.sequence == 3 and received.envelope.subject == received.event.aggregate_id
    assert received.envelope.dataschema.endswith("/SupplierSuspended/1.0.0.json")
    assert received.stream == (SOURCE, "catalog.events", received.event.aggregate_id)


def test_unknown_type_missing_header_and_bad_body_are_told_apart():
    headers, value = record(suspended(), 1)
    unknown = [(k, b"gov.hunan.framework.catalog.SomethingNew.v1" if k == "ce_type" else v) for k, v in headers]
    with pytest.raises(UnknownEventType, match="SomethingNew"):
        parse(unknown, value)
    with pytest.raises(EnvelopeError, match="ce_id"):
        parse([(k, v) for k, v in headers if k != "ce_id"], value)
    with pytest.raises(ValidationError):
        parse(headers, b'{"agreement_id": "AG1"}')


def test_an_unpadded_sequence_of_an_event_recorded_before_1_1_0_still_reads():
    headers, value = record(suspended(), 1)
    old = [(k, b"12" if k == "ce_sequence" else v) for k, v in headers if k != "ce_dataschema"]
    received = parse(old, value)
    assert received.envelope.sequence == 12 and received.envelope.dataschema is None


def test_reader_skips_a_redelivery_and_reports_the_gap_before_an_event():
    reader = EventReader()
    first = record(suspended(), 1)
    assert reader.read(*first).duplicate is False
    assert reader.read(*first).duplicate is True  # the same ce_id again
    later = reader.read(*record(suspended(), 4))
    assert later.gap == Gap((SOURCE, "catalog.events", "AG1"), after=1, got=4) and list(later.gap.missing) == [2, 3]
    assert reader.read(*record(suspended("AG2"), 1)).gap is None  # another subject counts on its own


def test_a_reader_joining_late_starts_each_stream_at_its_first_event():
    check = SequenceCheck(from_start=False)
    assert check.observe(("s", "t", "x"), 40) is None and check.observe(("s", "t", "x"), 41) is None
    assert check.observe(("s", "t", "x"), 43) == Gap(("s", "t", "x"), 41, 43)


@given(st.lists(st.integers(min_value=1, max_value=60), min_size=1))
def test_gaps_name_exactly_the_sequences_skipped_as_the_stream_climbs(arrivals):
    """A gap is told as the stream moves forward; what arrives later below the highest is late, not
    new, so the missing ones are every number up to the highest that was not a new high on arrival."""
    check = SequenceCheck()
    missing: set[int] = set()
    for sequence in arrivals:
        if gap := check.observe(("s", "t", "x"), sequence):
            missing |= set(gap.missing)
    highs = {value for index, value in enumerate(arrivals) if value > max(arrivals[:index], default=0)}
    assert missing == set(range(1, max(arrivals) + 1)) - highs
    assert check.last[("s", "t", "x")] == max(arrivals)


@given(st.lists(st.sampled_from("abcdefgh"), max_size=40))
def test_each_id_is_new_exactly_once(ids):
    dedup = Deduplicator()
    assert [i for i in ids if dedup.first_time(i)] == list(dict.fromkeys(ids))


def test_the_deduplicator_forgets_the_oldest_beyond_its_capacity():
    dedup = Deduplicator(capacity=2)
    assert [dedup.first_time(i) for i in "abca"] == [True, True, True, True]


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=2**64 - 1))
def test_sequences_order_as_strings_as_they_order_as_numbers(a, b):
    assert (format_sequence(a) < format_sequence(b)) == (a < b)
    assert len(format_sequence(a)) == 20 and int(format_sequence(a)) == a


class ShortReportingConsumer:
    """An aiokafka consumer's reading calls over a partition of `count` records, answering at most two a
    poll and reporting the end `short` records before the real one (as the embedded broker does)."""

    def __init__(self, count: int, short: int) -> None:
        self.count, self.short, self.at = count, short, 0

    async def getmany(self, *partitions, timeout_ms: int):
        batch = list(range(self.at, min(self.at + 2, self.count)))
        self.at += len(batch)
        return {"p": batch} if batch else {}

    async def end_offsets(self, partitions):
        return {"p": max(0, self.count - self.short)}

    async def position(self, partition):
        return self.at


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=5))
def test_drain_reads_past_a_short_end_offset_report(count, short):
    async def read() -> list[int]:
        return [offset async for offset in drain(ShortReportingConsumer(count, short), ["p"])]

    assert asyncio.run(read()) == list(range(count))
