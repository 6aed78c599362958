"""Events on `orders.events` (key: order_id): orders through acceptance and payment."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from contracts_schema.events.base import Event
from contracts_schema.types import Money, Quantity, UtcDateTime


class OrdersEvent(Event):
    context = "orders"
    key_field = "order_id"


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    service_id: str
    name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    amount: Money


class OrderCreated(OrdersEvent):
    """An order (订单) was created from a confirmed result (待签合同)."""

    order_id: str
    order_no: str
    project_id: str
    project_no: str
    purchaser_org_id: str
    supplier_id: str
    plan_id: str
    plan_line_id: str
    filing_no: str
    items: list[OrderItem]
    amount: Money
    created_at: UtcDateTime


class LogisticsRecorded(OrdersEvent):
    """The supplier recorded a logistics / service-delivery entry (物流信息)."""

    order_id: str
    entry_id: str
    description: str
    occurred_at: UtcDateTime


class InvoiceRecorded(OrdersEvent):
    """The supplier recorded invoice information (开票信息)."""

    order_id: str
    invoice_id: str
    invoice_no: str
    amount: Money
    issued_on: date


class AcceptanceRecorded(OrdersEvent):
    """The purchaser uploaded the acceptance report (验收单): 已验收."""

    order_id: str
    project_id: str
    report_sha256: str
    accepted_at: UtcDateTime
    payment_due_on: date = Field(description="Payment deadline (acceptance + configured days)")


class PaymentRecorded(OrdersEvent):
    """A payment voucher (支付凭证) was recorded; plans records the spending."""

    order_id: str
    project_id: str
    plan_id: str
    plan_line_id: str
    payment_id: str
    amount: Money
    paid_total: Money = Field(description="Sum of all payments of the order so far")
    paid_on: date
    recorded_at: UtcDateTime


class OrderCompleted(OrdersEvent):
    """The order is paid in full (已支付)."""

    order_id: str
    project_id: str
    amount: Money
    completed_at: UtcDateTime


EVENTS = [OrderCreated, LogisticsRecorded, InvoiceRecorded, AcceptanceRecorded, PaymentRecorded,
          OrderCompleted]
