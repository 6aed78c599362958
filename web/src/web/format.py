"""How the console writes money, amounts in capitals and times (Jinja filters).

Money is a decimal string from the API (`"48600.00"`); it is shown `48,600.00 元`, and where a document
shows it, also in capitals (`肆万捌仟陆佰元整`). Times are RFC 3339 UTC from the API, shown in 北京时间."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

BEIJING = timezone(timedelta(hours=8), "北京时间")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, unit: str = " 元") -> str:
    amount = to_decimal(value)
    if amount is None:
        return "—"
    return f"{amount:,.2f}{unit}"


def _four(group: int) -> str:
    """0–9999 in capitals, with the zeros a cheque writes (壹仟零伍)."""
    out, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


def capitals(value: Any) -> str:
    """人民币大写: 48600.00 → 肆万捌仟陆佰元整; 1001.05 → 壹仟零壹元零伍分."""
    amount = to_decimal(value)
    if amount is None:
        return "—"
    negative = amount < 0
    amount = abs(amount)
    yuan = int(amount)
    fen_total = int((amount - yuan) * 100)
    jiao, fen = divmod(fen_total, 10)
    if yuan == 0:
        text = ""
    else:
        groups = []
        while yuan:
            groups.append(yuan % 10000)
            yuan //= 10000
        text, pending_zero = "", False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                pending_zero = bool(text)
                continue
            if text and (pending_zero or group < 1000):
                text += "零"
            pending_zero = False
            text += _four(group) + _BIG_UNITS[index]
        text += "元"
    if jiao == 0 and fen == 0:
        text = (text or "零元") + "整"
    else:
        if jiao:
            text += _DIGITS[jiao] + "角"
        elif text:
            text += "零"
        if fen:
            text += _DIGITS[fen] + "分"
    return ("负" if negative else "") + text


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING)


def beijing(value: Any, with_seconds: bool = False) -> str:
    """`2026-12-01T02:30:00Z` → `2026-12-01 10:30`: the time as a person in Hunan reads it."""
    moment = _parse_time(value)
    if moment is None:
        if isinstance(value, date):
            return value.isoformat()
        return str(value) if value else "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def iso_utc(value: Any) -> str:
    """For the countdown script: the moment in UTC, machine-readable."""
    moment = _parse_time(value)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if moment else ""


def local_input(value: Any) -> str:
    """The value of an `<input type="datetime-local">`, in 北京时间."""
    moment = _parse_time(value)
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


def from_local_input(value: str) -> datetime | None:
    """`<input type="datetime-local">` (北京时间) → an aware UTC datetime; None when empty or malformed."""
    try:
        moment = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")
    except (ValueError, AttributeError):
        return None
    return moment.replace(tzinfo=BEIJING).astimezone(timezone.utc)


def filesize(value: Any) -> str:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return "—"
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


FILTERS = {"money": money, "capitals": capitals, "beijing": beijing, "iso_utc": iso_utc,
           "local_input": local_input, "filesize": filesize}
