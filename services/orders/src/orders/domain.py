"""Rules of orders (订单) — pure Python, no I/O.

Order: 待签合同 awaiting_contract → (contract stamped) 履约中 contracted → (acceptance report)
已验收 accepted → (payments reach the amount) 已支付 paid. Acceptance comes before payment; payments
never exceed the order amount; invoices never exceed it either."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from servicekit.errors import Conflict, Forbidden, Invalid, NotFound
from servicekit.deadlines import Deadline, track
from servicekit.types import SHANGHAI
from servicekit.workdays import WorkingCalendar


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
    "stamp": "只有待签合同的订单才能因合同生效而进入履约",
    "log": "物流和服务履约信息在订单履约中（履约中）时登记",
    "invoice": "开票信息在合同生效后、订单付清前登记",
    "accept": "验收单在订单履约中（履约中）时上传，且只能上传一次",
    "pay": "支付凭证在验收（已验收）之后上传，直至订单付清",
}


def transition(status: OrderStatus | str, action: Action) -> OrderStatus:
    """The status after `action`, or Conflict (409) naming the rule; nothing changes on a Conflict."""
    status = OrderStatus(status)
    key = (status, action)
    if key not in TRANSITIONS:
        raise Conflict(f"{_WHY_NOT.get(action, action)}；本订单当前为{status.label}（{status.value}）。",
                       code="illegal_transition")
    return TRANSITIONS[key] or status


Side = str  # purchaser | supplier


def check_side(side: Side, *, org_id: str, purchaser_org_id: str, supplier_id: str) -> None:
    """The purchaser side acts for the order's purchaser unit, the supplier side for its supplier."""
    if side == "purchaser" and org_id != purchaser_org_id:
        raise Forbidden("只有本订单的采购单位可以办理此操作。")
    if side == "supplier" and org_id != supplier_id:
        raise Forbidden("只有本订单的供应商可以办理此操作。")


def check_payment(amount: Decimal, paid_total: Decimal, order_amount: Decimal) -> Decimal:
    """The paid total after this payment; Invalid when it is not positive or would exceed the order."""
    if amount <= 0:
        raise Invalid("付款金额必须大于零。", code="invalid_amount")
    new_total = paid_total + amount
    if new_total > order_amount:
        raise Invalid(f"付款合计将达到 {new_total:.2f} 元，超过订单金额 {order_amount:.2f} 元"
                      f"（尚需支付 {order_amount - paid_total:.2f} 元）。", code="overpayment")
    return new_total


def after_payment(new_total: Decimal, order_amount: Decimal) -> OrderStatus:
    return OrderStatus.PAID if new_total == order_amount else OrderStatus.ACCEPTED


def check_invoice(amount: Decimal, invoiced_total: Decimal, order_amount: Decimal) -> Decimal:
    if amount <= 0:
        raise Invalid("发票金额必须大于零。", code="invalid_amount")
    new_total = invoiced_total + amount
    if new_total > order_amount:
        raise Invalid(f"发票合计将达到 {new_total:.2f} 元，超过订单金额 {order_amount:.2f} 元。",
                      code="overinvoiced")
    return new_total


def check_not_future(day: date, now: datetime, what: str) -> date:
    """`what` names the date in Chinese (发票日期, 付款日期)."""
    if day > now.astimezone(SHANGHAI).date():
        raise Invalid(f"{what}不能晚于今天（北京时间）。", code="date_in_future")
    return day


def check_occurred(occurred_at: datetime | None, now: datetime) -> datetime:
    """When a logistics entry happened: now when not given, never in the future."""
    occurred = occurred_at or now
    if occurred > now:
        raise Invalid("物流记录的发生时间不能晚于现在。", code="date_in_future")
    return occurred


def order_no(year: int, sequence: int) -> str:
    return f"DD{year}{sequence:06d}"


def due_on(start: datetime, days: int) -> date:
    """A deadline `days` calendar days after `start`, counted on the Asia/Shanghai calendar (the
    payment deadline; the signing deadline only until the contract's ContractDrafted tells it)."""
    return start.astimezone(SHANGHAI).date() + timedelta(days=days)


def deadline(name: str, due: date | None, done_at: datetime | None, now: datetime,
             calendar: WorkingCalendar | None = None) -> Deadline | None:
    """Overdue: not done and past the day, or done after the day (servicekit.deadlines); None: no deadline."""
    return None if due is None else track(name, due, done_at, now, calendar)


# Contract events arrive in their own order on contracts.events; keep only the newest per contract
# (by the CloudEvents per-aggregate sequence).
def newer(sequence: int, last_sequence: int | None) -> bool:
    return last_sequence is None or sequence > last_sequence


# ---- purchaser evaluation (用户评价) -------------------------------------------------------------------
# After acceptance the purchaser scores the supplier's performance, once per order, on the dimensions the
# agency set for the order's agreement (else its global ones, else DEFAULT_DIMENSIONS); the supplier may
# answer once. Catalog keeps the averages (EvaluationSubmitted), beside the price in the library.

DEFAULT_DIMENSIONS = ("服务质量", "响应速度", "履约规范")
LOWEST_SCORE, HIGHEST_SCORE = 1, 5
EVALUABLE = frozenset({OrderStatus.ACCEPTED, OrderStatus.PAID})


def dimensions_for(agreement_dimensions: list[str] | None, global_dimensions: list[str] | None) -> list[str]:
    """The dimensions an order is evaluated on: its agreement's, else the agency's global ones, else the default."""
    return list(agreement_dimensions or global_dimensions or DEFAULT_DIMENSIONS)


def check_agreement_agency(agreement_id: str, owner_org_id: str | None, agency_org_id: str) -> None:
    """Only the agency that published an agreement sets its evaluation dimensions; an agreement orders has
    not heard of (catalog's AgreementPublished) has none to set."""
    if owner_org_id is None:
        raise NotFound(f"框架协议 {agreement_id} 不存在（刚发布的协议请稍后再试）", code="agreement_not_found")
    if owner_org_id != agency_org_id:
        raise Forbidden("只有发布该框架协议的征集人可以设置其评价维度", code="not_agreement_agency")


def check_dimensions(dimensions: list[str]) -> list[str]:
    """An agency's list of dimensions: one to ten names, none twice (blank names dropped)."""
    names = [d.strip() for d in dimensions if d.strip()]
    if not 1 <= len(names) <= 10:
        raise Invalid("评价维度为 1 至 10 项。", code="invalid_dimensions")
    if len(set(names)) != len(names):
        raise Invalid("评价维度不能重复。", code="invalid_dimensions")
    return names


def check_evaluable(status: OrderStatus | str, already: bool) -> None:
    """An order is evaluated after acceptance (已验收 or 已支付), once."""
    status = OrderStatus(status)
    if status not in EVALUABLE:
        raise Conflict(f"验收之后才能评价供应商；本订单当前为{status.label}（{status.value}）。",
                       code="illegal_transition")
    if already:
        raise Conflict("本订单已评价过，每个订单只能评价一次。", code="already_evaluated")


def check_scores(given: list[tuple[str, int]], dimensions: list[str]) -> list[tuple[str, int]]:
    """A score from 1 to 5 for every dimension, once, and for nothing else; in the dimensions' order."""
    scores = dict(given)
    if len(scores) != len(given):
        raise Invalid("每个评价维度只能打一次分。", code="invalid_scores")
    missing = [d for d in dimensions if d not in scores]
    unknown = [d for d in scores if d not in dimensions]
    if missing or unknown:
        parts = ([f"缺少维度：{'、'.join(missing)}"] if missing else []) + \
                ([f"不是本订单的评价维度：{'、'.join(unknown)}"] if unknown else [])
        raise Invalid("评价须为每个维度打分（" + "；".join(parts) + "）。", code="invalid_scores")
    bad = [d for d in dimensions if not LOWEST_SCORE <= scores[d] <= HIGHEST_SCORE]
    if bad:
        raise Invalid(f"评分为 {LOWEST_SCORE} 至 {HIGHEST_SCORE} 分的整数：{'、'.join(bad)}", code="invalid_scores")
    return [(d, scores[d]) for d in dimensions]


def check_answerable(answered: bool) -> None:
    if answered:
        raise Conflict("供应商已回复过本评价，只能回复一次。", code="already_answered")


def average_score(scores: list[int]) -> Decimal:
    """The mean of the scores, two places (half up)."""
    return (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
