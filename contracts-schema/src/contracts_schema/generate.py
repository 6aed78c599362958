"""Generates the committed JSON Schema files (`schemas/<Event>/<version>.json`) and the AsyncAPI
document (`asyncapi.json`) from the models.

    uv run contracts-schema-generate          # write what changed
    uv run contracts-schema-generate --check  # exit 1 if a committed file is stale
    uv run contracts-schema-generate --force  # rewrite a version that never left a branch

A published version is never rewritten: changing a model means bumping its `version` (a minor
version for added optional fields), which writes a new file beside the old ones."""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from contracts_schema import topics
from contracts_schema.events import ALL_EVENTS, Event

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
ASYNCAPI = ROOT / "asyncapi.json"

KAFKA_BINDING = "0.5.0"  # the AsyncAPI Kafka bindings version the document follows
EMBEDDED_BROKER = "127.0.0.1:19092"  # what `make run` (devstack up) starts; BROKER_PORT moves it

CE_HEADERS_SCHEMA = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes, Kafka protocol binding, binary content mode: each attribute is a "
    "header `ce_<name>`; the event's JSON is the record value",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_sequence"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique event id; deduplicate on it (a redelivery or an outbox "
                  "replay repeats it)"},
        "ce_source": {"type": "string", "description": "Producing service, e.g. /hunan-framework/bidding"},
        "ce_type": {"type": "string", "description": "e.g. gov.hunan.framework.bidding.ResultConfirmed.v1 (the major "
                    "version)"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "Aggregate id, equal to the message key"},
        "ce_dataschema": {"type": "string", "format": "uri", "description": "The `$id` of the JSON Schema the value "
                          "follows, ending in its versioned file (`.../events/<Event>/<version>.json` is "
                          "`schemas/<Event>/<version>.json`). Since 1.1.0; absent on events recorded before"},
        "ce_sequence": {"type": "string", "pattern": "^[0-9]+$", "description": "1, 2, 3... per source, topic and "
                        "aggregate: order and gap detection. Zero-padded to 20 digits since 1.1.0, so values order "
                        "as strings (CloudEvents sequence extension); an integer parser reads both forms",
                        "examples": ["00000000000000000001"]},
        "ce_sequencetype": {"type": "string", "const": "Integer"},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}

SERVERS = {
    "production": {
        "host": "{bootstrap}",
        "protocol": "kafka",
        "protocolVersion": "3.9",
        "title": "Production Kafka",
        "description": "The platform's Apache Kafka cluster (KRaft). Topics are created by the services "
        "(KAFKA_PARTITIONS partitions each, no auto-creation); consumers use a consumer group of their own.",
        "variables": {"bootstrap": {
            "description": "The bootstrap host:port of the platform's Kafka cluster, as given to each agency "
            "(KAFKA_BOOTSTRAP_SERVERS of the deployment; docker-compose.yml names it kafka:9092 inside its network)",
            "default": "kafka:9092",
        }},
        "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
    },
    "embedded": {
        "host": EMBEDDED_BROKER,
        "protocol": "kafka",
        "title": "Embedded broker (development)",
        "description": "The Tansu broker `make run` starts on this machine (memory storage: a restart forgets "
        "everything, the services publish it again from their outboxes). Its differences from Apache Kafka are "
        "listed in the README (\"The embedded broker\"): among them, the end offset it reports after a produce "
        "of several records is short, so read until a poll returns nothing.",
        "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
    },
}


def schema_of(cls: type[Event]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": cls.dataschema(),
        "x-ce-type": cls.ce_type(),
        "x-topic": cls.topic(),
        "x-key": cls.key_field,
        "x-version": cls.version,
        **schema,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _message(cls: type[Event]) -> dict[str, Any]:
    return {
        "name": cls.ce_type(),
        "title": cls.__name__,
        "summary": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.__name__,
        "contentType": "application/json",
        "headers": {"allOf": [
            {"$ref": "#/components/schemas/CloudEventsHeaders"},
            {"properties": {"ce_type": {"const": cls.ce_type()},
                            "ce_dataschema": {"examples": [cls.dataschema()]}}},
        ]},
        "payload": {"$ref": f"schemas/{cls.__name__}/{cls.version}.json"},
        "bindings": {"kafka": {
            "key": {"type": "string", "description": f"The aggregate id `{cls.key_field}`, equal to ce_subject"},
            "bindingVersion": KAFKA_BINDING,
        }},
    }


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in topics.ALL_TOPICS:
        events = [cls for cls in ALL_EVENTS if cls.topic() == topic]
        channel_id = topic.replace(".", "_")
        context = topic.split(".")[0]
        channels[channel_id] = {
            "address": topic,
            "description": f"Events of the {context} context; key = aggregate id",
            "messages": {cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"} for cls in events},
        }
        operations[f"send_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"The {context} service publishes its events on {topic}",
            "description": "The platform is the sender: each event is published by the service's outbox relay after "
            "the transaction that caused it (at least once, in order per aggregate). Consume with a group of your "
            "own; deduplicate on ce_id and check ce_sequence per source and subject (contracts_schema.consume).",
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{cls.__name__}"} for cls in events],
        }
        for cls in events:
            messages[cls.__name__] = _message(cls)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hunan framework-agreement procurement platform — events",
            "version": "1.1.0",
            "description": "Stage-2 framework-agreement procurement events. CloudEvents 1.0 in binary mode "
            "over Kafka headers; one topic per bounded context; the key is the aggregate id. Each message names "
            "its JSON Schema in ce_dataschema. Changes: contracts-schema/CHANGELOG.md.",
        },
        "defaultContentType": "application/json",
        "servers": copy.deepcopy(SERVERS),
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {"CloudEventsHeaders": CE_HEADERS_SCHEMA}, "messages": messages},
    }


def expected_files() -> dict[Path, str]:
    files = {SCHEMAS / cls.__name__ / f"{cls.version}.json": render(schema_of(cls)) for cls in ALL_EVENTS}
    files[ASYNCAPI] = render(asyncapi())
    return files


def stale_files() -> list[Path]:
    return [path for path, text in expected_files().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--force", action="store_true",
                        help="rewrite a version that was never released (not yet on main); never a released one")
    args = parser.parse_args(argv)
    stale = stale_files()
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    expected = expected_files()
    for path in stale:
        if path.exists() and path.parent.parent == SCHEMAS and not args.force:
            print(f"refusing to rewrite published {path.relative_to(ROOT)}: bump the event's `version`",
                  file=sys.stderr)
            return 1
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
