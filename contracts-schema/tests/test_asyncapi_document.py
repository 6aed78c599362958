"""The AsyncAPI document (`make schemas` writes asyncapi.json) is valid against the AsyncAPI 3.0.0
specification's own JSON Schema (tests/specs/, from the npm package @asyncapi/specs), and tells an
integrator what it must: the brokers, that the platform sends, the Kafka key and the CloudEvents
headers, and which schema file each message's payload is."""

import json
from pathlib import Path

from jsonschema import Draft7Validator

from contracts_schema.events import ALL_EVENTS
from contracts_schema.generate import ASYNCAPI, ROOT, asyncapi

SPEC = Path(__file__).parent / "specs" / "asyncapi-3.0.0-without-id.json"


def errors_of(document: dict) -> list[str]:
    # The bundled variant without $id has only local references (#/definitions/...): no registry needed.
    validator = Draft7Validator(json.loads(SPEC.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_document_is_valid_asyncapi_3():
    assert json.loads(ASYNCAPI.read_text(encoding="utf-8")) == asyncapi()  # the committed file is current
    assert errors_of(asyncapi()) == []


def test_the_specification_schema_refuses_what_asyncapi_3_does_not_allow():
    wrong = asyncapi()
    wrong["operations"]["send_plans_events"]["action"] = "publish"  # AsyncAPI 2's word
    del wrong["servers"]["production"]["protocol"]
    problems = errors_of(wrong)
    assert problems and any("operations/send_plans_events" in p for p in problems)
    assert any("servers/production" in p for p in problems)


def test_servers_operations_and_kafka_bindings_say_what_an_integrator_needs():
    doc = asyncapi()
    production, embedded = doc["servers"]["production"], doc["servers"]["embedded"]
    assert production["protocol"] == embedded["protocol"] == "kafka"
    assert production["host"] == "{bootstrap}" and production["variables"]["bootstrap"]["description"]
    assert embedded["host"] == "127.0.0.1:19092"  # devstack's BROKER_PORT default
    assert {op["action"] for op in doc["operations"].values()} == {"send"}
    assert len(doc["operations"]) == len(doc["channels"])
    headers = doc["components"]["schemas"]["CloudEventsHeaders"]["properties"]
    assert {"ce_id", "ce_type", "ce_subject", "ce_sequence", "ce_dataschema", "traceparent"} <= set(headers)
    for cls in ALL_EVENTS:
        message = doc["components"]["messages"][cls.__name__]
        assert cls.key_field in message["bindings"]["kafka"]["key"]["description"]
        assert message["headers"]["allOf"][1]["properties"]["ce_type"] == {"const": cls.ce_type()}
        assert (ROOT / message["payload"]["$ref"]).exists()
        assert json.loads((ROOT / message["payload"]["$ref"]).read_text())["$id"] == cls.dataschema()
