"""The published event contract of the framework-agreement platform.

Outside agencies consume the Kafka topics with this package (or the JSON Schema files it generates)
alone: `topics` names the topics, `envelope` reads and writes the CloudEvents headers,
`events` holds one pydantic model per event, and `consume` turns a Kafka record into its typed event
(deduplicated by `ce_id`, gaps found by `ce_sequence`). `examples/agency_consumer.py` uses them.
"""

from contracts_schema.envelope import Envelope, decode_headers, encode_headers
from contracts_schema.events import ALL_EVENTS, Event, event_class_for_type
from contracts_schema.types import Money

__all__ = [
    "ALL_EVENTS",
    "Envelope",
    "Event",
    "Money",
    "decode_headers",
    "encode_headers",
    "event_class_for_type",
]
