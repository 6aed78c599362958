"""Column types that keep the rules of the platform on SQLite and PostgreSQL alike:
money is an exact Decimal with two places (stored as integer fen), instants are timezone-aware UTC.
The response type that shows an instant in Asia/Shanghai. And the request types every service's
request models use, so that no input is a 500: `MoneyIn`, `QuantityIn` (strict text, bounded), `Page`,
`PageSize`, `Limit`, `Offset` (bounded query integers), `Name`, `Id`, `line()`, `paragraphs()` (text
with no control, bidi-override or zero-width character)."""

import re
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import (AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      StringConstraints, WithJsonSchema, model_validator)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.types import TypeDecorator

from contracts_schema import categories
from contracts_schema.types import MONEY_RULE, QUANTITY_RULE, QUANTITY_TEXT, Money, Quantity, decimal_text, money

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


# ── Request types: what a caller may send (DESIGN: bad input is a 422 naming the field, never a 500) ──────


class InputLimits(BaseSettings):
    """Upper bounds of what a request may carry, from the environment (MONEY_MAX_YUAN, QUANTITY_MAX)."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    money_max_yuan: Decimal = Field(Decimal(10**12), gt=0, le=Decimal(10**15),
                                    description="Largest amount of yuan any request may carry")
    quantity_max: Decimal = Field(Decimal(10**6), gt=0, le=Decimal(10**9),
                                  description="Largest quantity any request may carry")


LIMITS = InputLimits()

MONEY_PATTERN = r"^\d+(\.\d{1,2})?$"
_MONEY_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


def _text_only(value: Any, pattern: re.Pattern[str], what: str) -> Any:
    """A request's number is text written by the documented pattern; a Decimal from Python code passes."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(f"须为文本形式的{what}")
    return decimal_text(value, pattern, what)


def _at_most(limit: Decimal, unit: str) -> Any:
    def check(value: Decimal) -> Decimal:
        if value > limit:
            raise ValueError(f"不得超过 {limit:,}{unit}")
        return value
    return AfterValidator(check)


def _above_zero(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("须大于 0")
    return value


def decimal_pattern(places: int, *, positive: bool, at_most: Decimal) -> str:
    """The JSON-schema pattern of a decimal text the server accepts: ASCII digits, at most `places`
    decimals, no sign, exponent or space, and as many whole digits as keep every match at most
    `at_most` (so a value the document allows is never refused; leading zeros are left out)."""
    whole = len(str(int(at_most + Decimal(1).scaleb(-places)))) - 1  # 10**whole - 1 ulp <= at_most
    digits = f"[1-9][0-9]{{0,{whole - 1}}}" if whole > 1 else "[1-9]"
    fraction = f"(\\.[0-9]{{1,{places}}})?"
    if not positive:
        return f"^(0|{digits}){fraction}$"
    # 0.x above zero: some decimal digit is not 0
    small = "|".join("0" * zeros + "[1-9]" + (f"[0-9]{{0,{places - zeros - 1}}}" if places - zeros > 1 else "")
                     for zeros in range(places))
    return f"^({digits}{fraction}|0\\.({small}))$"


def money_in(*, positive: bool = False, at_most: Decimal | None = None) -> Any:
    """Money a caller sends: text by MONEY_PATTERN only ("1E5", "１２３", " 1.00", "-1" are refused), above
    zero if `positive`, at most `at_most` (default MONEY_MAX_YUAN, 10¹² yuan); its JSON schema says the
    same (a pattern within those bounds)."""
    limit = min(at_most, LIMITS.money_max_yuan) if at_most is not None else LIMITS.money_max_yuan
    return Annotated[
        Money,
        BeforeValidator(lambda v: _text_only(v, _MONEY_TEXT, MONEY_RULE)),
        Field(ge=0),
        *([AfterValidator(_above_zero)] if positive else []),
        _at_most(limit, " 元"),
        WithJsonSchema({"type": "string", "pattern": decimal_pattern(2, positive=positive, at_most=limit),
                        "description": f"Yuan (CNY) as a decimal string with at most two places, e.g. \"1280.50\"; "
                                       f"ASCII digits, no sign, exponent or spaces; {'above 0, ' if positive else ''}"
                                       f"at most {limit}"}),
    ]


MoneyIn = money_in()
"""Money a caller sends (0 allowed); `PositiveMoneyIn` above 0. Responses and events keep
`contracts_schema.types.Money`."""
PositiveMoneyIn = money_in(positive=True)

QuantityIn = Annotated[
    Quantity,
    BeforeValidator(lambda v: _text_only(v, QUANTITY_TEXT, QUANTITY_RULE)),
    _at_most(LIMITS.quantity_max, ""),
    WithJsonSchema({"type": "string", "pattern": decimal_pattern(3, positive=True, at_most=LIMITS.quantity_max),
                    "description": f"A positive quantity, at most three decimal places, at most {LIMITS.quantity_max}"}),
]
"""A quantity a caller sends: text by the pattern, above 0, at most QUANTITY_MAX (default 10⁶)."""


# Bounds of every integer a caller sends in a query.
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 200
MAX_OFFSET = 1_000_000

Page = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Items at most")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Items to skip")]
Revision = Annotated[int, Field(ge=0, le=2**31 - 1)]
"""A revision a caller says it saw (optimistic concurrency)."""

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _in_our_century(value: datetime) -> datetime:
    # The year as written is checked first: comparing or converting an instant near year 9999 overflows.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"须在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间")
    return value.astimezone(timezone.utc)


Instant = Annotated[AwareDatetime, AfterValidator(_in_our_century),
                    WithJsonSchema({"type": "string", "format": "date-time", "pattern": r"^(20[0-9]{2}|2100)-",
                                    "description": "RFC 3339 with its UTC offset, in the years 2000 to 2100"})]
"""An instant a caller sends: RFC 3339 with its UTC offset, between the years 2000 and 2100; UTC in Python."""


# Characters no text a person types contains: controls (C0, DEL, C1), the bidirectional overrides and
# isolates and the zero-width marks, which hide or reorder what a reader sees; and lone surrogates,
# which are no text at all.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)] + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)] + ["\ufeff"])


# Every character the rule below may refuse: the controls (category Cc is exactly C0, DEL and C1), the
# invisible marks (_INVISIBLE) and the surrogates (category Cs). Text without any of them, nearly all text, is let
# through by one search instead of a look at each character (an id of 36: ≈ 10 µs less; issue 14).
_REFUSED_CLASS = r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_MAY_BE_REFUSED = re.compile(rf"[{_REFUSED_CLASS}\ud800-\udfff]")


def refused_character(value: str, *, multiline: bool) -> str | None:
    """Why `value` cannot be stored as text a person typed, or None. Multi-line text may hold line
    breaks (\\n, or \\r\\n as a browser sends it) and tabs."""
    if _MAY_BE_REFUSED.search(value) is None:
        return None
    for index, char in enumerate(value):
        where = f"第 {index + 1} 个字符 U+{ord(char):04X}"
        if char in _INVISIBLE:
            return f"不能含不可见的方向控制或零宽字符：{where}"
        category = unicodedata.category(char)
        if category == "Cs":
            return f"不是有效的 Unicode 文字：{where}"
        if category == "Cc":
            allowed = multiline and (char in "\n\t" or (char == "\r" and value[index + 1:index + 2] == "\n"))
            if not allowed:
                kind = "换行、制表符以外的控制字符" if multiline else "控制字符、换行或制表符（须为一行文字）"
                return f"不能含{kind}：{where}"
    return None


def _visible(multiline: bool) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str):
            reason = refused_character(value, multiline=multiline)
            if reason:
                raise ValueError(reason)
        return value
    return BeforeValidator(check)


# The same refusals as a JSON-schema pattern (ECMA-262 and Python read it alike), _REFUSED_CLASS above: no
# refused character, and no space at either end (the server trims them; the document asks for the trimmed text).
_REFUSED_IN_PARAGRAPHS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"


def text_pattern(*, multiline: bool) -> str:
    edge = rf"[^\s{_REFUSED_CLASS}]"
    inner = rf"(?:[^{_REFUSED_IN_PARAGRAPHS}]|\r\n)*" if multiline else rf"[^{_REFUSED_CLASS}]*"
    return rf"^(?:{edge}(?:{inner}{edge})?)?$"


def _text(max_length: int, min_length: int, multiline: bool) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     _visible(multiline),
                     WithJsonSchema({"type": "string", "minLength": min_length, "maxLength": max_length,
                                     "pattern": text_pattern(multiline=multiline)})]


def line(max_length: int, *, min_length: int = 1) -> Any:
    """One line of text (a name, a contact, a unit): surrounding spaces trimmed, no control, bidi-override
    or zero-width character anywhere (refused with a 422 naming the field, never removed silently)."""
    return _text(max_length, min_length, multiline=False)


def paragraphs(max_length: int, *, min_length: int = 0) -> Any:
    """Free text over several lines (requirements, a reason, a note): line breaks and tabs allowed, other
    controls, bidi overrides and zero-width characters refused."""
    return _text(max_length, min_length, multiline=True)


Name = line(200)
"""A name or short title: 1–200 visible characters on one line."""

Id = line(60)
"""An id a caller sends (plan, line, agreement, supplier...): 1–60 visible characters."""


CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^C[0-9]{2,8}$"),
                         WithJsonSchema({"type": "string", "enum": [code for code, _ in categories.CATEGORIES],
                                         "description": "A category (品目) code of GET /api/v1/catalog/categories"})]
"""A category code as written (C + digits); whether it is known is the caller's rule (`unknown_category`).
The document lists the known codes, so a generated request never names an unknown one."""

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{7,20}$"),
                  WithJsonSchema({"type": "string", "pattern": r"^[0-9+\-][0-9+\- ]{5,18}[0-9+\-]$",
                                  "description": "A phone number: 7–20 digits, +, - and spaces"})]
"""A landline or mobile number (办公电话, 联系电话): 7–20 of digits, "+", "-" and spaces."""


def _not_null_in_schema(schema: dict[str, Any], model: type[Any]) -> None:
    nullable = getattr(model, "nullable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in nullable or not options or {"type": "null"} not in options:
            continue
        kept = [option for option in options if option != {"type": "null"}]
        del prop["anyOf"]
        prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        if prop.get("default", ...) is None:
            del prop["default"]


class Patch(BaseModel):
    """A partial update: a field left out keeps its value; null is refused with a 422 naming the field,
    except for the fields in `nullable` (there null clears the value). The schema says the same."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_not_null_in_schema)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Any:
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None and f not in self.nullable)
        if nulls:
            raise ValueError(f"{'、'.join(nulls)} 不能为 null：不修改的字段请不要传")
        return self
