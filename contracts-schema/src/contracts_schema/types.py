"""Value types shared by every event: money and timestamps."""

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite amount")
    if value != value.quantize(CENT):
        raise ValueError("money has at most two decimal places")
    return value.quantize(CENT)


def money(value: Decimal | int | str) -> Decimal:
    """An exact amount of yuan with two places; refuses more places rather than rounding silently."""
    return _two_places(Decimal(str(value)))


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (a unit price times a quantity, say) to fen, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


Money = Annotated[
    Decimal,
    AfterValidator(_two_places),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+(\.\d{1,2})?$",
            "description": "Amount in yuan (CNY) as a decimal string with at most two places, e.g. \"1280.50\"",
        }
    ),
]
"""Yuan as a decimal string with two places on the wire ("1280.50"); `Decimal` in Python."""

Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=3),
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,3})?$",
                    "description": "A positive quantity, at most three decimal places"}),
]

UtcDateTime = Annotated[
    AwareDatetime,
    AfterValidator(lambda v: v.astimezone(timezone.utc)),
]
"""A timezone-aware instant; events always carry it in UTC (RFC 3339)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
