"""CloudEvents 1.0, Kafka protocol binding, binary content mode.

The event's JSON is the message value; its attributes travel as Kafka headers prefixed `ce_`:

    ce_specversion  "1.0"
    ce_id           unique per event (a UUID); consumers deduplicate on it
    ce_source       the producing service, e.g. "/hunan-framework/plans"
    ce_type         e.g. "gov.hunan.framework.bidding.ResultConfirmed.v1"
    ce_time         RFC 3339, UTC
    ce_subject      the aggregate id (also the message key)
    ce_dataschema   the URI of the JSON Schema the value follows, ending in its versioned file:
                    ".../events/ResultConfirmed/1.0.0.json" is `schemas/ResultConfirmed/1.0.0.json`
                    (since contract 1.1.0; absent on events recorded before it)
    ce_sequence     extension: 1, 2, 3... per source, topic and aggregate (key), so a consumer can order
                    events and notice a gap without trusting timestamps; zero-padded to 20 digits
                    ("00000000000000000042", since contract 1.1.0) so the values also order as strings,
                    as the CloudEvents sequence extension asks; an integer parser reads both forms
    ce_sequencetype "Integer"
    content-type    "application/json"
    traceparent     W3C trace context, carried from the request that caused the event
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from uuid import uuid4

SPECVERSION = "1.0"
SOURCE_PREFIX = "/hunan-framework/"
SEQUENCE_WIDTH = 20  # digits: any unsigned 64-bit number


def format_sequence(sequence: int) -> str:
    """`ce_sequence` as sent: zero-padded to SEQUENCE_WIDTH digits, so the values order as strings."""
    if sequence < 0:
        raise ValueError(f"a sequence is not negative: {sequence}")
    return f"{sequence:0{SEQUENCE_WIDTH}d}"


def new_traceparent(trace_id: str | None = None) -> str:
    """A W3C traceparent; keeps `trace_id` when given, so one trace spans the whole flow.

    The ids are random, not secret: drawn as OpenTelemetry's own id generator draws them
    (`random.getrandbits`, never all zeros), without a system call each (os.urandom is one)."""
    return f"00-{trace_id or random_hex(128)}-{random_hex(64)}-01"


def random_hex(bits: int) -> str:
    """`bits` (a multiple of 8) random bits as lower-case hex digits, never all zeros (a W3C id must not
    be). By bytes.hex: half the time of a padded format, and the gateway draws three ids a request."""
    return (random.getrandbits(bits) or 1).to_bytes(bits // 8, "big").hex()


def trace_id_of(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents attributes of one event."""

    type: str
    source: str
    subject: str
    sequence: int
    id: str = field(default_factory=lambda: str(uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    traceparent: str | None = None
    dataschema: str | None = None
    specversion: str = SPECVERSION

    @property
    def trace_id(self) -> str | None:
        return trace_id_of(self.traceparent)


def encode_headers(env: Envelope) -> dict[str, str]:
    headers = {
        "ce_specversion": env.specversion,
        "ce_id": env.id,
        "ce_source": env.source,
        "ce_type": env.type,
        "ce_time": env.time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "ce_subject": env.subject,
        "ce_sequence": format_sequence(env.sequence),
        "ce_sequencetype": "Integer",
        "content-type": "application/json",
    }
    if env.dataschema:
        headers["ce_dataschema"] = env.dataschema
    if env.traceparent:
        headers["traceparent"] = env.traceparent
    return headers


class EnvelopeError(ValueError):
    """The headers are not a CloudEvents 1.0 binary-mode envelope."""


def decode_headers(headers: dict[str, str] | list[tuple[str, bytes]]) -> Envelope:
    """Reads the envelope from Kafka headers (a dict of str, or aiokafka's list of byte pairs)."""
    if not isinstance(headers, dict):
        headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in headers}
    try:
        if headers["ce_specversion"] != SPECVERSION:
            raise EnvelopeError(f"unsupported ce_specversion {headers['ce_specversion']!r}")
        time = datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00"))
        return Envelope(
            id=headers["ce_id"],
            type=headers["ce_type"],
            source=headers["ce_source"],
            subject=headers.get("ce_subject", ""),
            sequence=int(headers.get("ce_sequence") or 0),
            time=time,
            traceparent=headers.get("traceparent"),
            dataschema=headers.get("ce_dataschema"),
        )
    except KeyError as missing:
        raise EnvelopeError(f"missing CloudEvents header {missing.args[0]}") from None
    except ValueError as bad:
        if isinstance(bad, EnvelopeError):
            raise
        raise EnvelopeError(f"malformed CloudEvents header: {bad}") from None
