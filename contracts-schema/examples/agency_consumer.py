"""An outside agency's consumer of the platform's events — a complete example to start from.

    python contracts-schema/examples/agency_consumer.py                       # the embedded broker: read all, stop
    python contracts-schema/examples/agency_consumer.py --bootstrap kafka:9092 --follow

Needs Python 3.11 and `pip install aiokafka jsonschema contracts-schema` (this package: the models and
`contracts_schema.consume`); the JSON Schema files are `contracts-schema/schemas/` (--schemas).

For every record of the five event topics (from the first one) it
- reads the CloudEvents binary envelope and the typed pydantic event by `ce_type`;
- skips a repeat of an event it already saw (`ce_id`: delivery is at least once; the platform may
  publish its retained events again after a broker loss);
- checks `ce_sequence` per source, topic and subject, and reports a gap (an event it never got);
- validates the body against the JSON Schema file that `ce_dataschema` names (its `$id`);
- prints one line per event, then (without --follow) a JSON summary as the last line, and exits 1
  when a body was invalid or an event is missing.

Without --follow it reads what the topics hold and stops: it never trusts the reported end offset
alone (the embedded broker reports it short after a multi-record produce; see the README), it stops
when a poll returns nothing once every position reached the reported end (`contracts_schema.consume.drain`).

A production consumer would use its own consumer group (`group_id`), commit offsets after its own
transaction and keep the ids it applied in its database instead of in memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from contracts_schema import topics
from contracts_schema.consume import EventReader, UnknownEventType, drain
from contracts_schema.envelope import EnvelopeError

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


class SchemaFiles:
    """The committed JSON Schema files by their `$id` (what `ce_dataschema` names), and by `x-ce-type`
    for events recorded before `ce_dataschema` existed."""

    def __init__(self, folder: Path) -> None:
        self.by_id: dict[str, Draft202012Validator] = {}
        self.by_type: dict[str, Draft202012Validator] = {}
        for path in sorted(folder.glob("*/*.json")):  # version order within an event: the newest last
            schema = json.loads(path.read_text(encoding="utf-8"))
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
            self.by_id[schema["$id"]] = validator
            self.by_type[schema["x-ce-type"]] = validator

    def problems(self, dataschema: str | None, ce_type: str, body: Any) -> list[str]:
        validator = self.by_id.get(dataschema) if dataschema else self.by_type.get(ce_type)
        if validator is None:
            return [f"no schema file for {dataschema or ce_type}"]
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in validator.iter_errors(body)]


class AgencyConsumer:
    def __init__(self, schemas: SchemaFiles, out: Any = print) -> None:
        self.schemas = schemas
        self.reader = EventReader()
        self.out = out
        self.summary: dict[str, Any] = {"events": 0, "duplicates": 0, "gaps": [], "invalid": [], "not_events": 0,
                                        "unknown_types": 0, "without_dataschema": 0, "types": Counter(), "ids": []}

    def handle(self, record: Any) -> None:
        s = self.summary
        try:
            reading = self.reader.read(record.headers, record.value)
        except UnknownEventType:
            s["unknown_types"] += 1  # a newer event than this package knows: skip it, upgrade later
            return
        except (EnvelopeError, ValidationError) as bad:
            s["not_events"] += 1
            self.out(f"! {record.topic}[{record.partition}]@{record.offset} is not a valid event: {bad}")
            return
        envelope = reading.envelope
        if reading.duplicate:
            s["duplicates"] += 1
            self.out(f"= {envelope.id} again ({envelope.type}), skipped")
            return
        if reading.gap:
            gap = reading.gap
            s["gaps"].append({"stream": list(gap.stream), "missing": list(gap.missing)})
            self.out(f"! gap: {' '.join(gap.stream)} sequence {gap.got} arrived after {gap.after}")
        if envelope.dataschema is None:
            s["without_dataschema"] += 1
        problems = self.schemas.problems(envelope.dataschema, envelope.type, json.loads(record.value))
        if problems:
            s["invalid"].append({"id": envelope.id, "type": envelope.type, "problems": problems})
        s["events"] += 1
        s["types"][envelope.type.split(".")[-2]] += 1
        s["ids"].append(envelope.id)
        self.out(f"{envelope.time:%Y-%m-%dT%H:%M:%SZ} {envelope.type} {envelope.subject} #{envelope.sequence}"
                 f"{'  INVALID: ' + '; '.join(problems) if problems else ''}")

    @property
    def healthy(self) -> bool:
        return not self.summary["gaps"] and not self.summary["invalid"]


async def consume(bootstrap: str, schemas: SchemaFiles, *, follow: bool, out: Any = print) -> AgencyConsumer:
    agency = AgencyConsumer(schemas, out)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        await consumer.topics()  # the cluster's metadata
        partitions = [TopicPartition(topic, p) for topic in topics.ALL_TOPICS
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async for record in drain(consumer, partitions):
            agency.handle(record)
        while follow:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    agency.handle(record)
    finally:
        await consumer.stop()
    return agency


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092", help="Kafka bootstrap servers (default: the "
                        "embedded broker of `make run`)")
    parser.add_argument("--schemas", type=Path, default=SCHEMAS, help="the folder of the JSON Schema files")
    parser.add_argument("--follow", action="store_true", help="keep reading new events (Ctrl-C stops)")
    args = parser.parse_args(argv)
    try:
        agency = asyncio.run(consume(args.bootstrap, SchemaFiles(args.schemas), follow=args.follow))
    except KeyboardInterrupt:
        return 0
    print(json.dumps(agency.summary, ensure_ascii=False))
    return 0 if agency.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
