"""Rules of purchase plans (采购计划) and of their reservation ledger — pure Python, no I/O.

A plan line's budget is split four ways at every moment:

    budget = remaining (free) + reserved (held for published projects) + consumed (awarded)

`spent` (payments recorded against the line's orders) is tracked beside it: it is part of what was
consumed, not a fourth share. A reservation belongs to one project and moves once:

    reserved ──(ProjectTerminated / ProjectFailed)──▶ released
    reserved ──(ResultConfirmed)──▶ consumed            (the unawarded rest goes back to the line)
    rejected   (the reservation was refused; terminal)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from contracts_schema import categories
from servicekit.errors import Conflict, Invalid

ZERO = Decimal("0.00")

# 财政备案号: the finance department's filing number, e.g. 湘财采备〔2026〕00123 or HNCZ-2026-00123.
FILING_NO = re.compile(r"^(湘财采备〔(\d{4})〕\d{3,6}|[A-Z]{2,6}-(\d{4})-\d{3,6})$")


def check_filing_no(value: str) -> str:
    value = value.strip()
    if not FILING_NO.match(value):
        raise Invalid(f"财政备案号 “{value}” 格式不正确，应形如 湘财采备〔2026〕00123 或 HNCZ-2026-00123",
                      code="invalid_filing_no")
    return value


def check_category(code: str) -> str:
    if not categories.is_known(code):
        raise Invalid(f"品目编码 “{code}” 不存在，可选的品目见 GET /api/v1/catalog/categories",
                      code="unknown_category")
    return code


def plan_no(year: int, sequence: int) -> str:
    return f"JH{year}{sequence:06d}"


def remaining(budget: Decimal, reserved: Decimal, consumed: Decimal) -> Decimal:
    return budget - reserved - consumed


# ── the balance of one plan line ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Balance:
    budget: Decimal
    reserved: Decimal = ZERO
    consumed: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return remaining(self.budget, self.reserved, self.consumed)

    @property
    def committed(self) -> Decimal:
        """What the line can no longer give away: held for projects plus awarded."""
        return self.reserved + self.consumed

    @property
    def used(self) -> bool:
        return self.reserved > 0 or self.consumed > 0 or self.spent > 0

    def reserve(self, amount: Decimal) -> Balance:
        if amount <= 0:
            raise ValueError(f"预留金额必须大于零，收到 {amount:.2f} 元")
        if amount > self.remaining:
            raise InsufficientBudget(self.remaining, amount)
        return replace(self, reserved=self.reserved + amount)

    def release(self, amount: Decimal) -> Balance:
        return replace(self, reserved=max(self.reserved - amount, ZERO))

    def consume(self, reserved: Decimal, awarded: Decimal) -> Balance:
        """The award takes the place of its reservation: `reserved` leaves the held share, `awarded`
        joins the consumed one. An award above its reservation (bidding should never send one) is
        recorded all the same — it is a fact — and shows as a negative remaining amount."""
        return replace(self, reserved=max(self.reserved - reserved, ZERO), consumed=self.consumed + awarded)

    def spend(self, amount: Decimal) -> Balance:
        return replace(self, spent=self.spent + amount)

    def with_budget(self, budget: Decimal) -> Balance:
        if budget < self.committed:
            raise Conflict(f"预算金额 {budget:.2f} 元低于该明细已预留与已成交金额之和 {self.committed:.2f} 元",
                           code="budget_below_committed")
        if budget < self.spent:
            raise Conflict(f"预算金额 {budget:.2f} 元低于该明细已支付金额 {self.spent:.2f} 元",
                           code="budget_below_spent")
        return replace(self, budget=budget)


class InsufficientBudget(Exception):
    def __init__(self, remaining: Decimal, wanted: Decimal) -> None:
        super().__init__(f"剩余预算 {remaining:.2f} 元，不足所需的 {wanted:.2f} 元")
        self.remaining, self.wanted = remaining, wanted


# ── deciding a reservation ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Rejection:
    code: str
    reason: str


@dataclass(frozen=True)
class ReservationRequest:
    project_id: str
    purchaser_org_id: str
    category_code: str
    amount: Decimal


def decide_reservation(request: ReservationRequest, *, plan_owner: str | None, line_category: str | None,
                       balance: Balance | None) -> Rejection | None:
    """None when the line can hold `request.amount` for the project, else why not (shown to the purchaser).
    `plan_owner` is None when the plan is unknown, `balance`/`line_category` when the line is."""
    if plan_owner is None:
        return Rejection("plan_not_found", "项目引用的采购计划不存在")
    if plan_owner != request.purchaser_org_id:
        return Rejection("not_plan_owner", "项目引用的采购计划属于其他采购单位")
    if balance is None or line_category is None:
        return Rejection("line_not_found", "项目引用的计划明细不在该采购计划中")
    if request.amount <= 0:
        return Rejection("invalid_amount", f"预留金额必须大于零，收到 {request.amount:.2f} 元")
    if not categories.related(request.category_code, line_category):
        return Rejection("category_mismatch", f"项目的品目 {request.category_code} 与计划明细的品目 "
                                              f"{line_category} 不一致")
    if request.amount > balance.remaining:
        return Rejection("insufficient_budget", f"计划明细剩余预算 {balance.remaining:.2f} 元，不足项目所需的 "
                                                f"{request.amount:.2f} 元")
    return None


# ── the reservation's state machine ──────────────────────────────────────────────────────────────

RESERVATION_LABELS = {
    "reserved": "已预留",
    "released": "已释放",
    "consumed": "已成交",
    "rejected": "已拒绝",
}
_MOVES = {("reserved", "release"): "released", ("reserved", "consume"): "consumed"}
_ACTION_LABELS = {"release": "释放", "consume": "转为成交"}


def reservation_after(status: str, action: str) -> str:
    """The status after `action` (release | consume); Conflict when the reservation cannot move so."""
    try:
        return _MOVES[(status, action)]
    except KeyError:
        raise Conflict(f"预留状态为{RESERVATION_LABELS.get(status, status)}（{status}），不能"
                       f"{_ACTION_LABELS.get(action, action)}") from None


# ── editing a plan ───────────────────────────────────────────────────────────────────────────────

MAX_LINES = 200
LOCKED_WHEN_USED = ("year", "filing_no")
LINE_LOCKED_WHEN_USED = ("category_code",)
FIELD_LABELS = {"year": "预算年度（year）", "filing_no": "财政备案号（filing_no）"}


def check_plan_edit(changes: dict[str, object], *, plan_used: bool) -> None:
    """Year and filing number tie the plan to its finance filing: fixed once any line is used."""
    locked = [f for f in LOCKED_WHEN_USED if f in changes]
    if locked and plan_used:
        raise Conflict(f"采购计划已被项目使用，{'、'.join(FIELD_LABELS[f] for f in locked)}不能再修改",
                       code="plan_in_use")


def check_line_names(line_ids: list[str], *, updated: list[str], removed: list[str]) -> None:
    """Each line a patch names is a line of the plan, named once (edited or removed, not both)."""
    named = updated + removed
    twice = sorted({line_id for line_id in named if named.count(line_id) > 1})
    if twice:
        raise Invalid(f"计划明细 {'、'.join(twice)} 被指定了多次：一条明细只能修改或删除一次",
                      code="line_named_twice")
    unknown = [line_id for line_id in named if line_id not in line_ids]
    if unknown:
        raise Invalid(f"{'、'.join(unknown)} 不是本采购计划的明细", code="unknown_line")


def check_line_count(count: int) -> None:
    if count > MAX_LINES:
        raise Invalid(f"采购计划最多 {MAX_LINES} 条明细，本次修改后为 {count} 条", code="too_many_lines")


def check_line_edit(changes: dict[str, object], balance: Balance, *, line: str = "该计划明细") -> Balance:
    """The line's new balance after `changes`, or why the change is refused (`line` names it)."""
    locked = [f for f in LINE_LOCKED_WHEN_USED if f in changes]
    if locked and balance.used:
        raise Conflict(f"{line}已被项目使用，品目（category_code）不能再修改", code="line_in_use")
    if "budget_amount" in changes:
        return balance.with_budget(changes["budget_amount"])  # type: ignore[arg-type]
    return balance


def check_line_removal(balance: Balance, *, lines_left: int, line: str = "该计划明细") -> None:
    if balance.used:
        raise Conflict(f"{line}已有预留、成交或支付金额，不能删除", code="line_in_use")
    if lines_left < 1:
        raise Invalid("采购计划至少保留一条明细", code="plan_without_lines")
