"""Events on `orders.events` (key: order_id): orders through acceptance and payment.

Status codes and labels (DESIGN §4): awaiting_contract 待签合同 → contracted 履约中 → accepted 已验收 →
paid 已支付."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from contracts_schema.events.base import Documented, Event
from contracts_schema.types import Money, Quantity, UtcDateTime


class OrdersEvent(Event):
    context = "orders"
    key_field = "order_id"


class OrderItem(Documented):
    model_config = ConfigDict(extra="ignore", frozen=True)

    service_id: str
    name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    amount: Money


class OrderCreated(OrdersEvent):
    """An order (订单) was created from a confirmed result (待签合同)."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    order_id: str
    order_no: str
    project_id: str
    project_no: str
    project_name: str = ""
    method: Literal["direct_selection", "secondary_bidding", "rotation"] | None = None
    purchaser_org_id: str
    purchaser_name: str = ""
    supplier_id: str
    supplier_name: str = ""
    plan_id: str
    plan_line_id: str
    filing_no: str
    agreement_no: str = ""
    items: list[OrderItem]
    amount: Money
    contract_due_on: date | None = Field(None, description="The contract is to be signed by this day")
    created_at: UtcDateTime


class LogisticsRecorded(OrdersEvent):
    """The supplier recorded a logistics / service-delivery entry (物流信息)."""

    order_id: str
    project_id: str = ""
    entry_id: str
    kind: Literal["shipment", "service"] = Field("service", description="Goods shipped, or a service delivered")
    description: str
    carrier: str = ""
    tracking_no: str = ""
    occurred_at: UtcDateTime
    recorded_at: UtcDateTime | None = None


class InvoiceRecorded(OrdersEvent):
    """The supplier recorded invoice information (开票信息)."""

    order_id: str
    project_id: str = ""
    supplier_id: str = ""
    invoice_id: str
    invoice_no: str
    amount: Money
    issued_on: date
    file_sha256: str | None = Field(None, description="SHA-256 of the invoice file, when one was uploaded")
    recorded_at: UtcDateTime | None = None


class AcceptanceRecorded(OrdersEvent):
    """The purchaser uploaded the acceptance report (验收单): 已验收."""

    order_id: str
    order_no: str = ""
    project_id: str
    plan_id: str = ""
    plan_line_id: str = ""
    report_sha256: str
    accepted_at: UtcDateTime
    payment_due_on: date = Field(description="Payment deadline (acceptance + configured days)")


class PaymentRecorded(OrdersEvent):
    """A payment voucher (支付凭证) was recorded; plans records the spending."""

    order_id: str
    order_no: str = ""
    project_id: str
    plan_id: str
    plan_line_id: str
    filing_no: str = ""
    purchaser_org_id: str = ""
    supplier_id: str = ""
    payment_id: str
    amount: Money
    paid_total: Money = Field(description="Sum of all payments of the order so far")
    order_amount: Money | None = Field(None, description="The order's amount; paid in full when paid_total equals it")
    paid_on: date
    voucher_sha256: str = Field("", description="SHA-256 of the payment voucher file")
    recorded_at: UtcDateTime


class OrderCompleted(OrdersEvent):
    """The order is paid in full (已支付)."""

    order_id: str
    order_no: str = ""
    project_id: str
    plan_id: str = ""
    plan_line_id: str = ""
    amount: Money
    completed_at: UtcDateTime
    paid_on_time: bool = Field(True, description="Paid in full within the deadline after acceptance")


# ---- purchaser evaluation (用户评价) ------------------------------------------------------------------

class EvaluationScore(Documented):
    """One dimension of an evaluation and the score given to it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dimension: str = Field(description="Evaluation dimension the agency defined, e.g. 服务质量")
    score: int = Field(ge=1, le=5, description="Score from 1 (worst) to 5 (best)")


class EvaluationSubmitted(OrdersEvent):
    """After acceptance the purchaser evaluated the supplier's performance of the order (用户评价), once
    per order; catalog keeps each supplier's average beside its price in the library."""

    order_id: str
    order_no: str = ""
    project_id: str
    agreement_id: str = Field(description="Agreement the order was awarded under")
    purchaser_org_id: str
    supplier_id: str
    evaluation_id: str = Field(description="The evaluation's id")
    scores: list[EvaluationScore] = Field(description="A score per dimension")
    comment: str = Field("", description="The purchaser's comment")
    submitted_at: UtcDateTime = Field(description="When the evaluation was submitted")


class EvaluationAnswered(OrdersEvent):
    """The supplier answered the purchaser's evaluation (once)."""

    order_id: str
    evaluation_id: str = Field(description="The evaluation's id")
    supplier_id: str
    answer: str = Field(description="The supplier's answer")
    answered_at: UtcDateTime = Field(description="When the supplier answered")


EVENTS = [OrderCreated, LogisticsRecorded, InvoiceRecorded, AcceptanceRecorded, PaymentRecorded,
          OrderCompleted, EvaluationSubmitted, EvaluationAnswered]
