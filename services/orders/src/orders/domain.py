"""Rules of orders (订单) — pure Python, no I/O.

Order: 待签合同 awaiting_contract → (contract stamped) 履约中 contracted → (acceptance report)
已验收 accepted → (payments reach the amount) 已支付 paid. Acceptance comes before payment; payments
never exceed the order amount; invoices never exceed it either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from servicekit.errors import Conflict, Invalid
from servicekit.types import SHANGHAI


class OrderStatus(StrEnum):
    AWAITING_CONTRACT = "awaiting_contract"
    CONTRACTED = "contracted"
    ACCEPTED = "accepted"
    PAID = "paid"

    @property
    def label(self) -> str:
        return ORDER_LABELS[self]


ORDER_LABELS = {
    OrderStatus.AWAITING_CONTRACT: "待签合同",
    OrderStatus.CONTRACTED: "履约中",
    OrderStatus.ACCEPTED: "已验收",
    OrderStatus.PAID: "已支付",
}

# Contract progress as the contracts service reports it (its status codes and labels, DESIGN §4).
CONTRACT_LABELS = {
    "drafted": "待发送",
    "sent": "待确认",
    "confirmed": "已确认",
    "supplier_sealed": "供应商已盖章",
    "purchaser_sealed": "采购单位已盖章",
}

Action = str  # stamp | accept | pay | log | invoice

# Which action is allowed in which status, and where it leads (None: the status stays).
TRANSITIONS: dict[tuple[OrderStatus, Action], OrderStatus | None] = {
    (OrderStatus.AWAITING_CONTRACT, "stamp"): OrderStatus.CONTRACTED,
    (OrderStatus.CONTRACTED, "log"): None,
    (OrderStatus.CONTRACTED, "invoice"): None,
    (OrderStatus.ACCEPTED, "invoice"): None,
    (OrderStatus.CONTRACTED, "accept"): OrderStatus.ACCEPTED,
    (OrderStatus.ACCEPTED, "pay"): None,  # PAID once the payments reach the amount: see `after_payment`
}

_WHY_NOT = {
    "stamp": "the contract can only take effect on an order awaiting its contract (待签合同)",
    "log": "logistics and service delivery are recorded while the order is being performed (履约中)",
    "invoice": "invoice information is recorded once the contract is in force and before the order is paid",
    "accept": "the acceptance report is uploaded while the order is being performed (履约中), once",
    "pay": "payment vouchers are uploaded after acceptance (已验收) and until the order is paid in full",
}


def transition(status: OrderStatus | str, action: Action) -> OrderStatus:
    """The status after `action`, or Conflict (409) naming the rule; nothing changes on a Conflict."""
    status = OrderStatus(status)
    key = (status, action)
    if key not in TRANSITIONS:
        raise Conflict(f"{_WHY_NOT.get(action, action)}; this order is {status.label} ({status.value})",
                       code="illegal_transition")
    return TRANSITIONS[key] or status


def check_payment(amount: Decimal, paid_total: Decimal, order_amount: Decimal) -> Decimal:
    """The paid total after this payment; Invalid when it is not positive or would exceed the order."""
    if amount <= 0:
        raise Invalid("a payment amount must be more than zero", code="invalid_amount")
    new_total = paid_total + amount
    if new_total > order_amount:
        raise Invalid(f"payments would total {new_total:.2f}, more than the order amount {order_amount:.2f} "
                      f"(still to pay: {order_amount - paid_total:.2f})", code="overpayment")
    return new_total


def after_payment(new_total: Decimal, order_amount: Decimal) -> OrderStatus:
    return OrderStatus.PAID if new_total == order_amount else OrderStatus.ACCEPTED


def check_invoice(amount: Decimal, invoiced_total: Decimal, order_amount: Decimal) -> Decimal:
    if amount <= 0:
        raise Invalid("an invoice amount must be more than zero", code="invalid_amount")
    new_total = invoiced_total + amount
    if new_total > order_amount:
        raise Invalid(f"invoices would total {new_total:.2f}, more than the order amount {order_amount:.2f}",
                      code="overinvoiced")
    return new_total


def check_not_future(day: date, now: datetime, what: str) -> date:
    if day > now.astimezone(SHANGHAI).date():
        raise Invalid(f"{what} cannot be in the future", code="date_in_future")
    return day


def order_no(year: int, sequence: int) -> str:
    return f"DD{year}{sequence:06d}"


def due_on(start: datetime, days: int) -> date:
    """A deadline `days` calendar days after `start`, counted on the Asia/Shanghai calendar."""
    return start.astimezone(SHANGHAI).date() + timedelta(days=days)


@dataclass(frozen=True)
class Deadline:
    """A tracked deadline as the platform shows it."""

    name: str
    due_on: date
    done_on: date | None
    overdue: bool


def deadline(name: str, due: date | None, done_at: datetime | None, now: datetime) -> Deadline | None:
    """Overdue: not done and past the day, or done after the day."""
    if due is None:
        return None
    done = done_at.astimezone(SHANGHAI).date() if done_at else None
    today = now.astimezone(SHANGHAI).date()
    return Deadline(name=name, due_on=due, done_on=done, overdue=(done or today) > due)


# Contract events arrive in their own order on contracts.events; keep only the newest per contract
# (by the CloudEvents per-aggregate sequence).
def newer(sequence: int, last_sequence: int | None) -> bool:
    return last_sequence is None or sequence > last_sequence
