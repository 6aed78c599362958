"""Column types that keep the rules of the platform on SQLite and PostgreSQL alike:
money is an exact Decimal with two places (stored as integer fen), instants are timezone-aware UTC.
And the response type that shows an instant in Asia/Shanghai."""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import PlainSerializer
from sqlalchemy.types import TypeDecorator

from contracts_schema.types import money

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MoneyColumn(TypeDecorator[Decimal]):
    """Yuan as `Decimal('1280.50')` in Python, 128050 (fen, BIGINT) in the database: exact sums and
    comparisons in SQL on both databases."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return int(money(value) * 100)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class QuantityColumn(TypeDecorator[Decimal]):
    """A quantity with up to three decimal places, stored exactly as thousandths (BIGINT)."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        thousandths = Decimal(str(value)) * 1000
        if thousandths != thousandths.to_integral_value():
            raise ValueError("a quantity has at most three decimal places")
        return int(thousandths)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        quantity = Decimal(int(value)) / 1000
        return quantity.quantize(Decimal(1)) if quantity == quantity.to_integral_value() else quantity.normalize()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite's naive values are read back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware instants only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def shanghai(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


ShanghaiTime = Annotated[
    datetime, PlainSerializer(lambda v: v.astimezone(SHANGHAI).isoformat(), return_type=str, when_used="json")
]
"""For response models: an instant shown in Asia/Shanghai, e.g. 2026-11-25T22:00:00+08:00."""
