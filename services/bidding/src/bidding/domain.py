"""Rules of projects (项目): the status machine, the quoting window, what a supplier may quote with and
at most (the ceiling), the sealing of quotes, exclusions and the ranking rule; and, in their own
section at the end, rotation (顺序轮候): who is next in the rotation order and which declines count.
Pure Python, no I/O: the time is always passed in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from contracts_schema.types import CENT, round_money
from servicekit.errors import Conflict, Invalid, NotFound
from servicekit.types import shanghai

Clock = Callable[[], datetime]
"""Returns the current instant (timezone-aware UTC). Tests pass a clock they move by hand."""


class Method(StrEnum):
    DIRECT = "direct_selection"
    SECONDARY = "secondary_bidding"
    ROTATION = "rotation"


METHOD_LABELS = {Method.DIRECT: "直接选定", Method.SECONDARY: "二次竞价", Method.ROTATION: "顺序轮候"}


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
    ACCEPT = "accept"  # rotation: the supplier accepts the award
    PASS = "pass"  # rotation: the supplier declines, the project goes to the next supplier


_VERBS = {
    Command.EDIT: "编辑", Command.PUBLISH: "发布", Command.FUNDS_RESERVED: "确认资金预留",
    Command.FUNDS_REJECTED: "退回资金预留", Command.OPEN: "开始报价", Command.QUOTE: "接受报价",
    Command.DECLINE: "拒绝报价", Command.CLOSE: "结束竞价", Command.CONFIRM: "确认成交结果",
    Command.TERMINATE: "终止", Command.ACCEPT: "接受授予", Command.PASS: "拒绝授予",
}

_D, _S, _R = Method.DIRECT, Method.SECONDARY, Method.ROTATION
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
    # Rotation: published with the next supplier in the order; once the funds are reserved that supplier
    # accepts (项目成功, at the agreement price) or declines (the next supplier; nobody left: 项目失败).
    (_R, Status.DRAFT, Command.PUBLISH): Status.SCHEDULED,
    (_R, Status.SCHEDULED, Command.FUNDS_RESERVED): Status.QUOTING,
    (_R, Status.QUOTING, Command.ACCEPT): Status.SUCCEEDED,
    (_R, Status.QUOTING, Command.PASS): Status.QUOTING,
    (_R, Status.QUOTING, Command.DECLINE): Status.FAILED,
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
        raise Conflict(f"该{METHOD_LABELS[method]}项目当前为“{STATUS_LABELS[status]}”，不能{_VERBS[command]}",
                       code="illegal_transition")
    return target


ROTATION_STATUS_LABELS = {Status.SCHEDULED: "待开始", Status.QUOTING: "待供应商确认"}


def status_label(method: Method | str, status: Status | str) -> str:
    """The status as the platform shows it: a rotation project waits for its supplier's answer, not quotes."""
    if Method(method) == Method.ROTATION and Status(status) in ROTATION_STATUS_LABELS:
        return ROTATION_STATUS_LABELS[Status(status)]
    return STATUS_LABELS[Status(status)]


def no_such_project(project_id: str) -> NotFound:
    """What whoever may not see a project is told: that it does not exist (nor whether it does)."""
    return NotFound(f"项目 {project_id} 不存在")


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


LONGEST_WINDOW_SECONDS = 366 * 86400
"""No configured window is longer (BIDDING_MAX_DURATION_SECONDS); a request's duration never is either."""


def fmt_time(value: datetime) -> str:
    """An instant as the platform shows it: Beijing time, to the second."""
    return shanghai(value).strftime("%Y-%m-%d %H:%M:%S") + " (北京时间)"


def plan_window(now: datetime, starts_at: datetime | None, duration: timedelta,
                bounds: DurationBounds) -> tuple[datetime, datetime]:
    """(start, end) of a secondary bidding: the start is never earlier than now by the server's clock
    (none given: now), the duration lies within the configured bounds."""
    start = now if starts_at is None else starts_at
    if start < now:
        raise Invalid(f"竞价开始时间 {fmt_time(start)} 早于当前时间（服务器时间 {fmt_time(now)}）：请选择更晚的"
                      "开始时间，或不填以立即开始", code="start_in_past")
    if not bounds.minimum <= duration <= bounds.maximum:
        raise Invalid(f"竞价时长须在 {_span(bounds.minimum)} 至 {_span(bounds.maximum)} 之间（必要响应时间），"
                      f"所填为 {_span(duration)}", code="invalid_duration")
    return start, start + duration


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} 天"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


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
        raise Conflict(f"竞价尚未开始：开始时间为 {fmt_time(starts_at)}，现在是 {fmt_time(now)}",
                       code="window_not_open")
    if state == "ended":
        raise Conflict(f"竞价已于 {fmt_time(ends_at)} 结束，您的报价于 {fmt_time(now)} 到达，不予接受",
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


# --- offers and ceilings (协议价格 is the ceiling of every award) ----------------------------------------

@dataclass(frozen=True)
class Tier:
    """Volume discount: from `min_quantity` on, the unit price is at most `unit_price`."""

    min_quantity: Decimal
    unit_price: Decimal


def tiers_of(discount_tiers: Iterable[Mapping[str, Any]]) -> tuple[Tier, ...]:
    """The volume discounts of an offering as the catalog publishes them ({min_quantity, unit_price})."""
    return tuple(Tier(Decimal(str(t["min_quantity"])), Decimal(str(t["unit_price"]))) for t in discount_tiers)


@dataclass(frozen=True)
class Offer:
    """What one supplier may quote with on a project: a listed service it offers, at its agreement
    price with its volume discounts."""

    offering_id: str
    service_id: str
    service_name: str
    unit: str
    agreement_price: Decimal
    tiers: tuple[Tier, ...] = ()


class Demand(Protocol):
    """What a project asks that bounds every quote on it (a stored project is one)."""

    quantity: Decimal
    price_limit: Decimal | None  # 最高限价, the purchaser's own (secondary bidding)
    ceiling_amount: Decimal | None  # fixed at publish: what plans reserved


def serves(method: str, category_code: str, chosen_service_id: str | None, service_id: str,
           service_category: str) -> bool:
    """Whether a service answers the project: the chosen one (direct selection), or any of the
    project's category (secondary bidding)."""
    if method == Method.DIRECT:
        return service_id == chosen_service_id
    return category_matches(category_code, service_category)


def applicable_unit_price(agreement_price: Decimal, tiers: Iterable[Tier], quantity: Decimal) -> Decimal:
    """The lowest unit price the agreement allows for this quantity: the agreement price, or a
    volume-discount tier's price when the quantity reaches it."""
    prices = [agreement_price, *(t.unit_price for t in tiers if quantity >= t.min_quantity)]
    return min(prices)


def ceiling_amount(agreement_price: Decimal, tiers: Iterable[Tier], quantity: Decimal) -> Decimal:
    """Agreement price (volume discounts applied) × quantity, in fen, never rounded up: an award can
    never exceed what the agreement allows."""
    if quantity <= 0:
        raise Invalid("数量必须大于零", code="invalid_quantity")
    return (applicable_unit_price(agreement_price, tiers, quantity) * quantity).quantize(CENT, rounding=ROUND_DOWN)


def ceiling(offer: Offer, project: Demand) -> Decimal:
    """The most a supplier may quote with this offer on this project: its agreement price (volume
    discounts applied) × the quantity, never above the purchaser's price limit, nor, once published,
    above the ceiling plans reserved. The one rule of publish, quote, display and award."""
    bounds = (ceiling_amount(offer.agreement_price, offer.tiers, project.quantity), project.price_limit,
              project.ceiling_amount)
    return min(b for b in bounds if b is not None)


def project_ceiling(offers: Iterable[Offer], project: Demand) -> Decimal:
    """The ceiling of the project (what plans reserves and the announcement states): the highest any
    invited offer may quote."""
    return max(ceiling(offer, project) for offer in offers)


def check_quote_amount(amount: Decimal, ceiling: Decimal) -> Decimal:
    """A quote is a total amount in yuan: more than zero, two decimal places, never above the ceiling."""
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise Invalid("报价是以元为单位的总金额，最多两位小数", code="invalid_amount")
    if amount <= 0:
        raise Invalid("报价必须大于零", code="invalid_amount")
    if amount > ceiling:
        raise Invalid(f"报价 {amount:.2f} 元高于最高可报价 {ceiling:.2f} 元（协议价格 × 数量，且不超过最高限价）",
                      code="above_ceiling")
    return amount.quantize(CENT)


def unit_price_of(amount: Decimal, quantity: Decimal) -> Decimal:
    """The unit price shown for a total amount (rounded to fen; the amount is what binds)."""
    return round_money(amount / quantity)


def quote_id_for(project_id: str, supplier_id: str) -> str:
    """One quote per supplier and project; revisions keep its id."""
    return "QT" + hashlib.sha256(f"{project_id}|{supplier_id}".encode()).hexdigest()[:16]


# --- sealing, exclusions, ranking: lowest price wins, a tie goes to the earlier final quote -------------

class Closable(Protocol):
    closed_at: datetime | None


def sealed(project: Closable, now: datetime) -> bool:
    """Quotes stay sealed (nobody but their supplier sees them, not even their count) until quoting has
    closed: the window's close, or a direct selection's one quote. A project terminated before that
    keeps them sealed for good."""
    return project.closed_at is None or now < project.closed_at


class StoredQuote(Protocol):
    """A quote as the ranking needs it (a stored quote is one)."""

    id: str
    supplier_id: str
    amount: Decimal
    quoted_at: datetime
    seq: int
    excluded_reason: str


def exclusions(quotes: Iterable[StoredQuote], suspended: Mapping[str, str]) -> dict[str, str]:
    """{quote id: why} of the quotes that take no part in the ranking: a quote excluded before keeps its
    reason; a quote of a supplier suspended now ({supplier_id: reason}) is excluded. The same rule at
    the close and at the award."""
    return {q.id: q.excluded_reason or f"供应商资格已暂停：{suspended[q.supplier_id]}"
            for q in quotes if q.excluded_reason or q.supplier_id in suspended}


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


Q = TypeVar("Q", bound=StoredQuote)


@dataclass(frozen=True)
class Standing(Generic[Q]):
    """The ranking as it stands: valid quotes best first; the excluded ones in order of arrival, each
    with why."""

    ranked: list[Q]
    excluded: list[tuple[Q, str]]


def standing(quotes: Iterable[Q], suspended: Mapping[str, str], status: Status | str) -> Standing[Q]:
    """The quotes ranked, without the excluded ones (see `exclusions`). While the result is undecided
    a supplier suspended now is excluded too; once decided, the ranking stays as it was decided (the
    close and the award recorded their exclusions)."""
    quotes = list(quotes)
    why = exclusions(quotes, {} if Status(status) in FINAL else suspended)
    by_id = {q.id: q for q in quotes}
    order = rank(RankedQuote(q.id, q.supplier_id, q.amount, q.quoted_at, q.seq) for q in quotes if q.id not in why)
    out = sorted((q for q in quotes if q.id in why), key=lambda q: (q.quoted_at, q.seq))
    return Standing([by_id[r.quote_id] for r in order], [(q, why[q.id]) for q in out])


# --- what a project may reference -----------------------------------------------------------------------

def category_matches(wanted: str, offered: str) -> bool:
    """品目 codes are hierarchical (C12 ⊃ C1204): a service of category C1204 serves a need stated as
    C1204 or as its parent C12."""
    return offered.startswith(wanted)


def agreement_problem(*, valid_from: date, valid_to: date, expired: bool, methods: Iterable[str],
                      method: Method | str, today: date) -> str | None:
    """Why the agreement cannot be used for `method` today, or None."""
    if expired or today > valid_to:
        return f"框架协议已于 {valid_to.isoformat()} 到期"
    if today < valid_from:
        return f"框架协议自 {valid_from.isoformat()} 起才生效"
    if str(Method(method)) not in set(methods):
        return f"框架协议不允许{METHOD_LABELS[Method(method)]}"
    return None


def shanghai_date(value: datetime) -> date:
    """Agreements are valid by calendar day in China."""
    return shanghai(value).date()


def project_no(method: Method | str, year: int, sequence: int) -> str:
    """ZX… for direct selection (直选), JJ… for secondary bidding (竞价), LH… for rotation (轮候)."""
    prefix = {Method.DIRECT: "ZX", Method.SECONDARY: "JJ", Method.ROTATION: "LH"}[Method(method)]
    return f"{prefix}{year}{sequence:06d}"


# --- rotation (顺序轮候) ------------------------------------------------------------------------------------
#
# The order is the agreement's, fixed at publication (catalog.domain.rotation_order; AgreementPublished
# carries it). Bidding keeps it and decides who is next:
# - A rotation period (轮次) is numbered 1, 2, …. In one period each supplier has at most one turn: it is
#   offered one project, which it accepts (awarded) or declines. A turn is taken when the project goes to
#   the supplier; a decline uses the turn (valid reason or not), so nobody is awarded twice in a period
#   and nobody is asked twice in a period. A turn is given back only when the project ends before the
#   supplier answered (terminated by the purchaser, funds refused, the supplier suspended or cleared).
# - The next supplier for a project is the first in the order, in the current period, that has no turn
#   yet, is active (not suspended, not cleared), offers a listed service the project needs, and has not
#   declined this very project before.
# - The period ends when every supplier of the order able to take the project has had its turn: a
#   supplier suspended, or not listing what the project needs, or who declined this very project
#   already, does not hold the period open (a cleared one is out of the order). The project then opens
#   the next period and starts again from the first place.
# - The award is at the agreement price (volume discounts applied) × quantity: `ceiling()` of the
#   supplier's offer. Declines give a reason code: the codes of DECLINE_REASONS marked valid are the
#   valid reasons (正当理由); `other` is not, and counts toward clearing (清退) the supplier.

DECLINE_REASONS: dict[str, tuple[str, bool]] = {
    "force_majeure": ("不可抗力", True),
    "conflict_of_interest": ("与采购人存在利害关系须回避", True),
    "outside_scope": ("采购需求超出入围服务范围", True),
    "purchaser_changed_terms": ("采购人变更协议约定的条件", True),
    "other": ("其他原因（不属于正当理由）", False),
}
"""Reason code → (label, whether it is a valid reason). A decline for a valid reason uses the turn but
counts toward nothing; one without counts toward 清退 (RotationDeclined.valid_reason)."""


def decline_reason(code: str) -> tuple[str, bool]:
    try:
        return DECLINE_REASONS[code]
    except KeyError:
        raise Invalid(f"拒绝理由 “{code}” 不在可选理由之列（{'、'.join(DECLINE_REASONS)}）",
                      code="unknown_decline_reason") from None


def period_over(order: Sequence[str], turns: Collection[str], able: Collection[str]) -> bool:
    """Every supplier of the order able to take the project has had its turn (`turns`: who has one)."""
    return all(s in turns for s in order if s in able)


@dataclass(frozen=True)
class Pick:
    period: int
    supplier_id: str
    position: int  # 1 first


def next_in_rotation(order: Sequence[str], period: int, turns: Collection[str], *, active: Collection[str],
                     serving: Collection[str], declined: Collection[str] = ()) -> Pick | None:
    """Who a project goes to (see the rules above): the first supplier of the order able to take it
    (active, serving what it needs, not among those who declined it) without a turn in the current
    `period` (`turns`: who has one); when there is none the period is over, and the first able supplier
    opens the next one. None: nobody of the order can take the project."""
    able = [s for s in order if s in active and s in serving and s not in declined]
    waiting = [s for s in able if s not in turns]
    if waiting:
        return Pick(period, waiting[0], order.index(waiting[0]) + 1)
    if able:  # period_over(order, turns, able)
        return Pick(period + 1, able[0], order.index(able[0]) + 1)
    return None


def merged_order(current: Sequence[str], published: Sequence[str]) -> list[str]:
    """The rotation order after the agreement is published again (a supplementary solicitation adds
    suppliers): the order bidding keeps stays as it is, without whoever is no longer shortlisted, and the
    new suppliers are appended in the order published. An order never changes any other way."""
    kept = [s for s in current if s in set(published)]
    return kept + [s for s in published if s not in set(kept)]
