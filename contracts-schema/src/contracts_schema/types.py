"""Value types shared by every event: money and timestamps."""

import re
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MAX_WHOLE_DIGITS = 16
"""No amount or quantity the platform stores has more: fen and thousandths fit a BIGINT."""

_MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
QUANTITY_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,3})?")


def decimal_text(value: Any, pattern: re.Pattern[str], what: str) -> Any:
    """Text on the wire is read by the documented pattern only (ASCII digits, no sign unless the
    pattern has one, no exponent, no spaces); a Decimal or an int from Python code passes on.
    `what` says the rule to a person, e.g. 金额，如 "1280.50"（至多两位小数）."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"须为文本形式的{what}")
    if isinstance(value, str):
        if not pattern.fullmatch(value):
            raise ValueError(f"须为半角数字写成的{what}，不带空格、正负号或指数")
        value = Decimal(value)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(f"整数部分至多 {MAX_WHOLE_DIGITS} 位")
    return value


MONEY_RULE = '金额，如 "1280.50"（至多两位小数）'
QUANTITY_RULE = '数量，如 "12" 或 "0.5"（至多三位小数）'


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("须为有限的金额")
    if value.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(f"整数部分至多 {MAX_WHOLE_DIGITS} 位")
    if value != value.quantize(CENT):
        raise ValueError("至多两位小数")
    return value.quantize(CENT)


def money(value: Decimal | int | str) -> Decimal:
    """An exact amount of yuan with two places; refuses more places rather than rounding silently."""
    return _two_places(Decimal(str(value)))


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (a unit price times a quantity, say) to fen, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


Money = Annotated[
    Decimal,
    BeforeValidator(lambda v: decimal_text(v, _MONEY_TEXT, MONEY_RULE)),
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
    BeforeValidator(lambda v: decimal_text(v, QUANTITY_TEXT, QUANTITY_RULE)),
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
