"""The request types every service uses (servicekit.types): money and quantities by their documented
pattern and bounded, query integers bounded, text without control, bidi-override or zero-width
characters, instants within our century. Every refusal is a pydantic ValueError (so a 422 naming the
field), never another exception (a 500)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from servicekit.errors import validation_message
from servicekit.types import (LIMITS, MONEY_PATTERN, Instant, MoneyIn, Name, QuantityIn, paragraphs,
                              refused_character)


class Body(BaseModel):
    amount: MoneyIn = Decimal("1.00")
    quantity: QuantityIn = Decimal("1")
    name: Name = "名称"
    notes: paragraphs(500) = ""
    at: Instant | None = None


def refusal(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        Body(**fields)
    return validation_message(caught.value.errors())


@given(st.decimals(min_value=0, max_value=LIMITS.money_max_yuan, places=2))
def test_any_amount_within_the_bound_written_by_the_pattern_is_read_exactly(value):
    text = f"{value:.2f}"
    assert re.fullmatch(MONEY_PATTERN, text)
    assert Body(amount=text).amount == value
    assert Body(amount=text).model_dump(mode="json")["amount"] == text


@given(st.text(max_size=30))
def test_any_text_is_either_an_amount_by_the_pattern_or_a_422_never_a_crash(text):
    try:
        amount = Body(amount=text).amount
    except ValidationError as error:
        assert "字段 amount" in validation_message(error.errors())
    else:
        assert re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text) and amount <= LIMITS.money_max_yuan


@pytest.mark.parametrize("text", ["1e309", "1E5", "１２３", " 1.00", "1.00 ", "+1", "-1", "1.", ".5", "1.234",
                                  "NaN", "Infinity", "1_000", "1,000", "0x1F", "٣"])
def test_lax_money_text_is_refused_and_says_why(text):
    assert "字段 amount：须为半角数字写成的金额" in refusal(amount=text)


@pytest.mark.parametrize("value", [100, 1.5, True, None, [], {}])
def test_money_that_is_not_text_is_refused(value):
    assert "字段 amount：须为文本形式的金额" in refusal(amount=value)


def test_money_above_the_bound_is_refused_and_at_the_bound_is_kept():
    assert Body(amount="1000000000000").amount == Decimal("1000000000000.00")
    assert "不得超过 1,000,000,000,000 元" in refusal(amount="1000000000000.01")
    assert "整数部分至多" in refusal(amount="9" * 5000)


def test_the_money_bound_is_a_setting(monkeypatch):
    from servicekit.types import InputLimits

    monkeypatch.setenv("MONEY_MAX_YUAN", "5000")
    assert InputLimits().money_max_yuan == Decimal(5000)


@pytest.mark.parametrize("text, reason", [("1e3", "半角数字"), ("１", "半角数字"), ("0", "须大于 0"), ("1.2345", "半角数字"),
                                          ("1000001", "不得超过 1,000,000")])
def test_lax_or_huge_quantities_are_refused(text, reason):
    assert reason in refusal(quantity=text)


@given(st.sampled_from([chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x200B, 0x2010),
                                          *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]]),
       st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf")), max_size=10))
def test_a_name_with_any_control_bidi_or_zero_width_character_is_refused_wherever_it_stands(char, around):
    message = refusal(name=f"名{around}{char}{around}称")
    assert "字段 name" in message and f"U+{ord(char):04X}" in message


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Z")), min_size=1,
               max_size=50))
def test_visible_text_is_kept_as_sent(text):
    assert Body(name=text).name == text


def slow_refusal(value: str, *, multiline: bool) -> str | None:
    """refused_character without its one-search fast path: a look at every character."""
    from servicekit import types

    searched, types._MAY_BE_REFUSED = types._MAY_BE_REFUSED, re.compile("(?s).")  # every text "may be refused"
    try:
        return refused_character(value, multiline=multiline)
    finally:
        types._MAY_BE_REFUSED = searched


# Joined by hand: st.text drops the lone surrogates an alphabet strategy draws.
@given(st.lists(st.one_of(st.characters(exclude_categories=()),
                          st.sampled_from("\r\n\t\x00\x1f\x7f\x85\x9f\u200b\u200f\u202a\u202e\u2066\u2069"
                                          "\ufeff\ud800\udfff\u2010\u00a0"))).map("".join), st.booleans())
def test_the_one_search_lets_through_only_what_the_look_at_every_character_lets_through(text, multiline):
    assert refused_character(text, multiline=multiline) == slow_refusal(text, multiline=multiline)


def test_multi_line_text_keeps_line_breaks_and_tabs_only():
    assert Body(notes="一\n二\r\n\t三").notes == "一\n二\r\n\t三"
    assert refused_character("一\r二", multiline=True)
    assert "字段 notes" in refusal(notes="一\x00二")
    assert "字段 notes" in refusal(notes="一\u202e二")
    assert "须为一行文字" in refusal(name="一\n二")


def test_a_lone_surrogate_is_refused():
    assert "不是有效的 Unicode 文字" in refusal(name="名\ud800")


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2101-01-01T00:00:00Z",
                                  "1999-12-31T23:59:59Z"])
def test_an_instant_outside_our_century_is_refused_without_overflow(text):
    assert "字段 at：须在 2000 年至 2100 年之间" in refusal(at=text)


def test_an_instant_is_kept_in_utc():
    assert Body(at="2026-12-01T18:00:00+08:00").at.isoformat() == "2026-12-01T10:00:00+00:00"
