"""CloudEvents headers round-trip; money is exact with two places."""

import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts_schema.envelope import (Envelope, EnvelopeError, decode_headers, encode_headers, new_traceparent,
                                       trace_id_of)
from contracts_schema.events import event_class_for_type
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.types import Money, money, round_money


def test_envelope_round_trips_through_kafka_headers():
    env = Envelope(type=ResultConfirmed.ce_type(), source="/hunan-framework/bidding", subject="PJ1", sequence=7,
                   traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    headers = encode_headers(env)
    assert headers["ce_type"] == "gov.hunan.framework.bidding.ResultConfirmed.v1"
    assert headers["content-type"] == "application/json"
    as_kafka = [(k, v.encode()) for k, v in headers.items()]
    assert decode_headers(as_kafka) == env
    assert event_class_for_type(headers["ce_type"]) is ResultConfirmed


def test_a_new_traceparent_is_w3c_and_keeps_the_trace_it_is_given(monkeypatch):
    made = {new_traceparent() for _ in range(1000)}
    assert len(made) == 1000 and len({trace_id_of(t) for t in made}) == 1000
    assert all(re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", t) for t in made)
    assert new_traceparent("4bf92f3577b34da6a3ce929d0e0e4736").startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    monkeypatch.setattr("random.getrandbits", lambda bits: 0)  # an all-zero id is invalid in W3C trace context
    assert new_traceparent() == f"00-{'0' * 31}1-{'0' * 15}1-01"


def test_missing_header_is_a_clear_error():
    headers = encode_headers(Envelope(type="t", source="s", subject="x", sequence=1))
    del headers["ce_id"]
    with pytest.raises(EnvelopeError, match="ce_id"):
        decode_headers(headers)


class Priced(BaseModel):
    amount: Money


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_money_with_two_places_round_trips_json(value):
    parsed = Priced.model_validate_json(Priced(amount=value).model_dump_json())
    assert parsed.amount == value
    assert parsed.model_dump(mode="json")["amount"] == f"{value:.2f}"


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3, allow_nan=False))
def test_money_refuses_more_than_two_places(value):
    if value == value.quantize(Decimal("0.01")):
        assert money(value) == value
    else:
        with pytest.raises(ValidationError):
            Priced(amount=value)


def test_round_money_is_half_up_to_fen():
    assert round_money(Decimal("1.005")) == Decimal("1.01")
    assert round_money(Decimal("1.004")) == Decimal("1.00")
    assert money("1280.5") == Decimal("1280.50")
    assert datetime.now(timezone.utc).tzinfo is not None
