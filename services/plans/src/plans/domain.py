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
        raise Invalid("finance filing number (财政备案号) must look like 湘财采备〔2026〕00123 or HNCZ-2026-00123",
                      code="invalid_filing_no")
    return value


def check_category(code: str) -> str:
    if not categories.is_known(code):
        raise Invalid(f"unknown category (品目) code {code!r}; see GET /api/v1/catalog/categories",
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
            raise ValueError("a reservation is a positive amount")
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
            raise Conflict(f"the budget cannot go below what is reserved plus consumed ({self.committed:.2f})",
                           code="budget_below_committed")
        if budget < self.spent:
            raise Conflict(f"the budget cannot go below what was already paid ({self.spent:.2f})",
                           code="budget_below_spent")
        return replace(self, budget=budget)


class InsufficientBudget(Exception):
    def __init__(self, remaining: Decimal, wanted: Decimal) -> None:
        super().__init__(f"remaining budget {remaining:.2f} is less than the {wanted:.2f} asked for")
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
        return Rejection("plan_not_found", "the plan named by the project does not exist")
    if plan_owner != request.purchaser_org_id:
        return Rejection("not_plan_owner", "the plan belongs to another purchaser unit")
    if balance is None or line_category is None:
        return Rejection("line_not_found", "the plan line named by the project does not exist in that plan")
    if request.amount <= 0:
        return Rejection("invalid_amount", f"the amount to reserve must be positive, got {request.amount:.2f}")
    if not categories.related(request.category_code, line_category):
        return Rejection("category_mismatch", f"the project's category {request.category_code} is not the plan "
                                              f"line's category {line_category}")
    if request.amount > balance.remaining:
        return Rejection("insufficient_budget", f"the plan line has {balance.remaining:.2f} yuan left, the project "
                                                f"needs {request.amount:.2f}")
    return None


# ── the reservation's state machine ──────────────────────────────────────────────────────────────

RESERVATION_LABELS = {
    "reserved": "已预留",
    "released": "已释放",
    "consumed": "已成交",
    "rejected": "已拒绝",
}
_MOVES = {("reserved", "release"): "released", ("reserved", "consume"): "consumed"}


def reservation_after(status: str, action: str) -> str:
    """The status after `action` (release | consume); Conflict when the reservation cannot move so."""
    try:
        return _MOVES[(status, action)]
    except KeyError:
        raise Conflict(f"a reservation that is {RESERVATION_LABELS.get(status, status)} ({status}) cannot be "
                       f"{action}d") from None


# ── editing a plan ───────────────────────────────────────────────────────────────────────────────

LOCKED_WHEN_USED = ("year", "filing_no")
LINE_LOCKED_WHEN_USED = ("category_code",)


def check_plan_edit(changes: dict[str, object], *, plan_used: bool) -> None:
    """Year and filing number tie the plan to its finance filing: fixed once any line is used."""
    locked = [f for f in LOCKED_WHEN_USED if f in changes]
    if locked and plan_used:
        raise Conflict(f"{', '.join(locked)} cannot change once a project has used the plan", code="plan_in_use")


def check_line_edit(changes: dict[str, object], balance: Balance) -> Balance:
    """The line's new balance after `changes`, or why the change is refused."""
    locked = [f for f in LINE_LOCKED_WHEN_USED if f in changes]
    if locked and balance.used:
        raise Conflict("the category of a line in use cannot change", code="line_in_use")
    if "budget_amount" in changes:
        return balance.with_budget(changes["budget_amount"])  # type: ignore[arg-type]
    return balance


def check_line_removal(balance: Balance, *, lines_left: int) -> None:
    if balance.used:
        raise Conflict("a line with reserved, awarded or paid amounts cannot be removed", code="line_in_use")
    if lines_left < 1:
        raise Invalid("a plan keeps at least one line", code="plan_without_lines")
