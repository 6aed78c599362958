"""The rules of an agreement's ledger (协议执行台账) — pure, no I/O.

Every award under an agreement (a project that succeeded, whatever its method: direct selection,
secondary bidding, rotation), added up by supplier, by purchaser and by method, and measured against the
agreement's estimate when the agency stated one (预估采购金额, 预估采购数量). An award that would take a
total past the estimate is allowed — the estimate is not a ceiling in the measures — but warned about:
to the purchaser before it confirms, to the agency in the ledger (the award that passed it is marked).

The quantity total adds the awards' quantities as they are; it means something when the agreement's
services share one unit, which is when an agency states an estimated quantity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Award:
    """One award as the ledger lists it."""

    project_id: str
    project_no: str
    project_name: str
    method: str
    purchaser_org_id: str
    purchaser_name: str
    supplier_id: str
    supplier_name: str
    service_name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    awarded_at: datetime
    passed_estimate: bool = False  # this award took a total past the estimate


@dataclass(frozen=True)
class Estimate:
    amount: Decimal | None = None
    quantity: Decimal | None = None

    @property
    def stated(self) -> bool:
        return self.amount is not None or self.quantity is not None


@dataclass
class Total:
    """How many awards and their amount and quantity, for one supplier, purchaser or method (or all)."""

    key: str
    name: str
    count: int = 0
    amount: Decimal = ZERO
    quantity: Decimal = Decimal("0")

    def add(self, award: Award) -> None:
        self.count += 1
        self.amount += award.amount
        self.quantity += award.quantity


@dataclass(frozen=True)
class Ledger:
    awards: list[Award]
    total: Total
    by_supplier: list[Total]
    by_purchaser: list[Total]
    by_method: list[Total]
    estimate: Estimate
    warnings: list[str] = field(default_factory=list)

    @property
    def exceeded(self) -> bool:
        return bool(self.warnings)


def _grouped(awards: list[Award], key: str, name: str, names: dict[str, str] | None = None) -> list[Total]:
    groups: dict[str, Total] = {}
    for award in awards:
        code = getattr(award, key)
        groups.setdefault(code, Total(code, names.get(code, code) if names else getattr(award, name))).add(award)
    return sorted(groups.values(), key=lambda t: (-t.amount, t.key))


def passes(estimate: Estimate, amount: Decimal, quantity: Decimal) -> list[str]:
    """What a total of `amount` and `quantity` passes of the estimate, in Chinese (empty: nothing)."""
    out = []
    if estimate.amount is not None and amount > estimate.amount:
        out.append(f"成交金额合计 {amount:.2f} 元超过框架协议预估采购金额 {estimate.amount:.2f} 元"
                   f"（超出 {amount - estimate.amount:.2f} 元）")
    if estimate.quantity is not None and quantity > estimate.quantity:
        out.append(f"成交数量合计 {_qty(quantity)} 超过框架协议预估采购数量 {_qty(estimate.quantity)}")
    return out


def ledger(awards: Iterable[Award], estimate: Estimate, method_labels: dict[str, str]) -> Ledger:
    """The ledger of these awards, oldest first; each award that took a total past the estimate marked."""
    ordered = sorted(awards, key=lambda a: (a.awarded_at, a.project_no))
    marked: list[Award] = []
    amount, quantity, passed = ZERO, Decimal("0"), 0
    for award in ordered:
        amount, quantity = amount + award.amount, quantity + award.quantity
        now_passed = len(passes(estimate, amount, quantity))
        marked.append(replace(award, passed_estimate=now_passed > passed))
        passed = now_passed
    total = Total("all", "合计")
    for award in marked:
        total.add(award)
    return Ledger(awards=marked, total=total, by_supplier=_grouped(marked, "supplier_id", "supplier_name"),
                  by_purchaser=_grouped(marked, "purchaser_org_id", "purchaser_name"),
                  by_method=_grouped(marked, "method", "method", method_labels), estimate=estimate,
                  warnings=passes(estimate, total.amount, total.quantity))


def warning_for(estimate: Estimate, awarded_amount: Decimal, awarded_quantity: Decimal, amount: Decimal,
                quantity: Decimal) -> str | None:
    """The warning shown before an award of `amount` and `quantity` is confirmed, when the agreement's
    awards so far plus this one pass the estimate; None when they do not (or there is no estimate)."""
    found = passes(estimate, awarded_amount + amount, awarded_quantity + quantity)
    if not found:
        return None
    return "本次成交后，" + "；".join(found) + "。仍可确认成交，征集人将在协议执行台账中看到此提示。"


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f")
