"""Rules of projects (项目): the status machine, the quoting window, ceilings and the ranking rule.
Pure Python, no I/O: the time is always passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from contracts_schema.types import CENT, round_money
from servicekit.errors import Conflict, Invalid
from servicekit.types import shanghai


class Method(StrEnum):
    DIRECT = "direct_selection"
    SECONDARY = "secondary_bidding"


METHOD_LABELS = {Method.DIRECT: "直接选定", Method.SECONDARY: "二次竞价"}


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    QUOTING = "quoting"
    AWAITING = "awaiting_confirmation"
    SUCCEEDED = "succeeded"
    TERMINATED = "terminated"
    FAILED = "failed"


STATUS_LABELS = {
    Status.DRAFT: "草稿", Status.SCHEDULED: "待开始", Status.QUOTING: "项目报价中",
    Status.AWAITING: "结果待确认", Status.SUCCEEDED: "项目成功", Status.TERMINATED: "项目终止",
    Status.FAILED: "项目失败",
}
FINAL = frozenset({Status.SUCCEEDED, Status.TERMINATED, Status.FAILED})


class Funds(StrEnum):
    """The plan's reservation for the project, as plans answered ProjectPublished."""

    NONE = "none"          # not published yet
    PENDING = "pending"    # ProjectPublished sent, plans has not answered
    RESERVED = "reserved"
    REJECTED = "rejected"


FUNDS_LABELS = {Funds.NONE: "未发布", Funds.PENDING: "资金预留中", Funds.RESERVED: "资金已预留",
                Funds.REJECTED: "资金预留未通过"}
WINDOW_LABELS = {"before": "竞价未开始", "open": "竞价中", "ended": "竞价已结束"}


class Command(StrEnum):
    EDIT = "edit"
    PUBLISH = "publish"
    FUNDS_RESERVED = "funds_reserved"
    FUNDS_REJECTED = "funds_rejected"
    OPEN = "open"
    QUOTE = "quote"
    DECLINE = "decline"
    CLOSE = "close"
    CONFIRM = "confirm"
    TERMINATE = "terminate"


_VERBS = {
    Command.EDIT: "edited", Command.PUBLISH: "published", Command.FUNDS_RESERVED: "given its funds",
    Command.FUNDS_REJECTED: "refused its funds", Command.OPEN: "opened for quoting", Command.QUOTE: "quoted on",
    Command.DECLINE: "declined", Command.CLOSE: "closed", Command.CONFIRM: "confirmed",
    Command.TERMINATE: "terminated",
}

_D, _S = Method.DIRECT, Method.SECONDARY
_TRANSITIONS: dict[tuple[Method, Status, Command], Status] = {
    # A direct selection is created and published in one step (draft is never stored).
    (_D, Status.DRAFT, Command.PUBLISH): Status.SCHEDULED,
    (_D, Status.SCHEDULED, Command.FUNDS_RESERVED): Status.QUOTING,
    (_D, Status.QUOTING, Command.QUOTE): Status.AWAITING,
    (_D, Status.QUOTING, Command.DECLINE): Status.FAILED,
    # Secondary bidding: funds first, then the window opens at its start time and closes at its end.
    (_S, Status.DRAFT, Command.EDIT): Status.DRAFT,
    (_S, Status.DRAFT, Command.PUBLISH): Status.SCHEDULED,
    (_S, Status.SCHEDULED, Command.FUNDS_RESERVED): Status.SCHEDULED,
    (_S, Status.SCHEDULED, Command.OPEN): Status.QUOTING,
    (_S, Status.QUOTING, Command.QUOTE): Status.QUOTING,
    # (_S, QUOTING, CLOSE) has two outcomes: see next_status.
}
for _method in Method:
    _TRANSITIONS[(_method, Status.SCHEDULED, Command.FUNDS_REJECTED)] = Status.TERMINATED
    _TRANSITIONS[(_method, Status.AWAITING, Command.CONFIRM)] = Status.SUCCEEDED
    for _status in (Status.DRAFT, Status.SCHEDULED, Status.QUOTING, Status.AWAITING):
        _TRANSITIONS[(_method, _status, Command.TERMINATE)] = Status.TERMINATED


def next_status(method: Method | str, status: Status | str, command: Command, *,
                has_valid_quote: bool = False) -> Status:
    """The status after `command`, or Conflict (409) naming why: an illegal transition changes nothing.
    Closing a secondary bidding ends in 结果待确认 when a valid quote exists, else in 项目失败."""
    method, status = Method(method), Status(status)
    if (method, status, command) == (Method.SECONDARY, Status.QUOTING, Command.CLOSE):
        return Status.AWAITING if has_valid_quote else Status.FAILED
    target = _TRANSITIONS.get((method, status, command))
    if target is None:
        raise Conflict(f"a {METHOD_LABELS[method]} project that is {STATUS_LABELS[status]} ({status}) cannot be "
                       f"{_VERBS[command]}", code="illegal_transition")
    return target


def allowed_commands(method: Method | str, status: Status | str) -> list[Command]:
    method, status = Method(method), Status(status)
    commands = [c for (m, s, c) in _TRANSITIONS if m == method and s == status]
    if (method, status) == (Method.SECONDARY, Status.QUOTING):
        commands.append(Command.CLOSE)
    return commands


# --- the quoting window (二次竞价) ---------------------------------------------------------------------

@dataclass(frozen=True)
class DurationBounds:
    minimum: timedelta
    maximum: timedelta


def fmt_time(value: datetime) -> str:
    """An instant as the platform shows it: Beijing time, to the second."""
    return shanghai(value).strftime("%Y-%m-%d %H:%M:%S") + " (北京时间)"


def plan_window(now: datetime, starts_at: datetime | None, duration: timedelta,
                bounds: DurationBounds) -> tuple[datetime, datetime]:
    """(start, end) of a secondary bidding: the start is never earlier than now by the server's clock
    (none given: now), the duration lies within the configured bounds."""
    start = now if starts_at is None else starts_at
    if start < now:
        raise Invalid(f"the bidding start time {fmt_time(start)} is earlier than now ({fmt_time(now)}, server "
                      "time): choose a later start, or leave it out to start at once", code="start_in_past")
    if not bounds.minimum <= duration <= bounds.maximum:
        raise Invalid(f"the bidding duration must be between {_span(bounds.minimum)} and {_span(bounds.maximum)} "
                      f"(the necessary response time); {_span(duration)} was asked", code="invalid_duration")
    return start, start + duration


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} second(s)"


def window_state(now: datetime, starts_at: datetime, ends_at: datetime) -> str:
    """before | open | ended: the window is [starts_at, ends_at)."""
    if now < starts_at:
        return "before"
    return "open" if now < ends_at else "ended"


def check_quote_time(now: datetime, starts_at: datetime | None, ends_at: datetime | None) -> None:
    """A quote counts only inside the window by the server's clock, whatever the timer has done yet."""
    if starts_at is None or ends_at is None:
        return  # direct selection: no window, the status decides
    state = window_state(now, starts_at, ends_at)
    if state == "before":
        raise Conflict(f"quoting opens at {fmt_time(starts_at)}; it is {fmt_time(now)}", code="window_not_open")
    if state == "ended":
        raise Conflict(f"quoting closed at {fmt_time(ends_at)}; your quote arrived at {fmt_time(now)} and is refused",
                       code="window_closed")


class Due(StrEnum):
    OPEN = "open"
    CLOSE = "close"


def due_action(method: Method | str, status: Status | str, funds: Funds | str, starts_at: datetime | None,
               ends_at: datetime | None, now: datetime) -> Due | None:
    """What the timer must do to a project now: open a window whose start has come (once the funds
    are reserved), close one whose end has come."""
    if Method(method) != Method.SECONDARY or starts_at is None or ends_at is None:
        return None
    if Status(status) == Status.SCHEDULED and Funds(funds) == Funds.RESERVED and now >= starts_at:
        return Due.OPEN
    if Status(status) == Status.QUOTING and now >= ends_at:
        return Due.CLOSE
    return None


# --- ceilings (协议价格 is the ceiling of every award) --------------------------------------------------

@dataclass(frozen=True)
class Tier:
    """Volume discount: from `min_quantity` on, the unit price is at most `unit_price`."""

    min_quantity: Decimal
    unit_price: Decimal


def applicable_unit_price(agreement_price: Decimal, tiers: Iterable[Tier], quantity: Decimal) -> Decimal:
    """The lowest unit price the agreement allows for this quantity: the agreement price, or a
    volume-discount tier's price when the quantity reaches it."""
    prices = [agreement_price, *(t.unit_price for t in tiers if quantity >= t.min_quantity)]
    return min(prices)


def ceiling_amount(agreement_price: Decimal, tiers: Iterable[Tier], quantity: Decimal) -> Decimal:
    """Agreement price (volume discounts applied) × quantity, in fen, never rounded up: an award can
    never exceed what the agreement allows."""
    if quantity <= 0:
        raise Invalid("the quantity must be greater than zero", code="invalid_quantity")
    return (applicable_unit_price(agreement_price, tiers, quantity) * quantity).quantize(CENT, rounding=ROUND_DOWN)


def check_quote_amount(amount: Decimal, ceiling: Decimal) -> Decimal:
    """A quote is a total amount in yuan: more than zero, two decimal places, never above the ceiling."""
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise Invalid("a quote is an amount in yuan with at most two decimal places", code="invalid_amount")
    if amount <= 0:
        raise Invalid("a quote must be more than zero", code="invalid_amount")
    if amount > ceiling:
        raise Invalid(f"the quote {amount:.2f} is above the ceiling {ceiling:.2f} (agreement price × quantity)",
                      code="above_ceiling")
    return amount.quantize(CENT)


def unit_price_of(amount: Decimal, quantity: Decimal) -> Decimal:
    """The unit price shown for a total amount (rounded to fen; the amount is what binds)."""
    return round_money(amount / quantity)


# --- ranking: lowest price wins, a tie goes to the earlier final quote ----------------------------------

@dataclass(frozen=True)
class RankedQuote:
    quote_id: str
    supplier_id: str
    amount: Decimal
    quoted_at: datetime
    seq: int = 0  # order of arrival on the server: breaks a tie of identical timestamps


def rank_key(quote: RankedQuote) -> tuple[Decimal, datetime, int, str]:
    return quote.amount, quote.quoted_at, quote.seq, quote.quote_id


def rank(quotes: Iterable[RankedQuote], excluded: Iterable[str] = ()) -> list[RankedQuote]:
    """Valid quotes best first: lowest amount; on equal amounts the earlier final quote. Quotes of
    excluded (suspended) suppliers take no part."""
    out = set(excluded)
    return sorted((q for q in quotes if q.supplier_id not in out), key=rank_key)


def proposed_winner(quotes: Iterable[RankedQuote], excluded: Iterable[str] = ()) -> RankedQuote | None:
    ranked = rank(quotes, excluded)
    return ranked[0] if ranked else None


# --- what a project may reference -----------------------------------------------------------------------

def category_matches(wanted: str, offered: str) -> bool:
    """品目 codes are hierarchical (C12 ⊃ C1204): a service of category C1204 serves a need stated as
    C1204 or as its parent C12."""
    return offered.startswith(wanted)


def agreement_problem(*, valid_from: date, valid_to: date, expired: bool, methods: Iterable[str],
                      method: Method | str, today: date) -> str | None:
    """Why the agreement cannot be used for `method` today, or None."""
    if expired or today > valid_to:
        return f"the framework agreement expired on {valid_to.isoformat()}"
    if today < valid_from:
        return f"the framework agreement is valid only from {valid_from.isoformat()}"
    if str(Method(method)) not in set(methods):
        return f"the framework agreement does not allow {METHOD_LABELS[Method(method)]}"
    return None


def shanghai_date(value: datetime) -> date:
    """Agreements are valid by calendar day in China."""
    return shanghai(value).date()


def project_no(method: Method | str, year: int, sequence: int) -> str:
    """ZX… for direct selection (直选), JJ… for secondary bidding (竞价)."""
    return f"{'ZX' if Method(method) == Method.DIRECT else 'JJ'}{year}{sequence:06d}"
