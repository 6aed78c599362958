"""How the console writes money, amounts in capitals (人民币大写) and times (北京时间)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from web.format import beijing, capitals, from_local_input, iso_utc, local_input, money

DIGITS = {d: i for i, d in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL = {"拾": 10, "佰": 100, "仟": 1000}
BIG = {"万": 10**4, "亿": 10**8, "兆": 10**12}  # 兆 stands for the unit 万亿 while parsing


def fen_of(text: str) -> int:
    """人民币大写 back to fen: the inverse a cashier applies (零 is only a separator)."""
    assert not text.startswith("负")
    yuan_part, _, rest = text.replace("万亿", "兆").partition("元")
    if not _:
        yuan_part, rest = "", text
    total, section, digit = 0, 0, 0
    for char in yuan_part:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in SMALL:
            section += digit * SMALL[char]
            digit = 0
        elif char in BIG:
            total += (section + digit) * BIG[char]
            section = digit = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text}")
    total += section + digit
    jiao = fen = 0
    if rest != "整":
        tail = rest.replace("零", "")
        if "角" in tail:
            jiao = DIGITS[tail[tail.index("角") - 1]]
        if "分" in tail:
            fen = DIGITS[tail[tail.index("分") - 1]]
    return total * 100 + jiao * 10 + fen


def test_money_is_grouped_with_two_places_and_a_unit():
    assert money("48600") == "48,600.00 元"
    assert money("1234567.5") == "1,234,567.50 元"
    assert money(Decimal("0.005")) == "0.01 元"  # half up, as a cashier rounds
    assert money(None) == "—" and money("not money") == "—"


def test_capitals_of_known_amounts():
    assert capitals("48600.00") == "肆万捌仟陆佰元整"
    assert capitals("1001.05") == "壹仟零壹元零伍分"
    assert capitals("0") == "零元整"
    assert capitals("0.50") == "伍角"
    assert capitals("100000000") == "壹亿元整"
    assert capitals("10.30") == "壹拾元叁角"


@given(st.integers(min_value=0, max_value=10**12 * 100))
def test_capitals_read_back_give_the_number(fen):
    amount = Decimal(fen) / 100
    text = capitals(f"{amount:.2f}")
    assert fen_of(text) == fen, (amount, text)
    assert text.endswith("整") == (fen % 100 == 0)


def test_times_are_shown_in_beijing_time():
    assert beijing("2026-12-01T02:30:00Z") == "2026-12-01 10:30"
    assert beijing("2026-12-31T16:00:05+00:00", True) == "2027-01-01 00:00:05"
    assert beijing("2026-12-01T10:30:00+08:00") == "2026-12-01 10:30"
    assert iso_utc("2026-12-01T10:30:00+08:00") == "2026-12-01T02:30:00Z"
    assert local_input("2026-12-01T02:30:00Z") == "2026-12-01T10:30"
    assert from_local_input("2026-12-01T10:30") == datetime(2026, 12, 1, 2, 30, tzinfo=timezone.utc)
    assert from_local_input("yesterday") is None and beijing(None) == "—"
