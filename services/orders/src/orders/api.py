"""HTTP routes of the orders service, 我的订单 (reached through the gateway under /api/v1).

A purchaser sees its own unit's orders, a supplier the orders it won; anyone else gets 404 for an
order (its existence is not confirmed) and an empty list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.types import Money, Quantity, utcnow
from orders import domain, workflow
from orders.domain import CONTRACT_LABELS, OrderStatus
from orders.settings import Settings
from orders.evaluations_api import EvaluationOut, evaluation_out
from orders.store import (ContractProgress, Invoice, LogisticsEntry, Order, OrderLine, Payment, StoredFile,
                          dimensions_of, evaluation_of, party_order, visible_to)
from servicekit.app import DB
from servicekit.auth import CurrentUser, Purchaser, Supplier
from servicekit.errors import NotFound
from servicekit.files import DOCUMENT_TYPES, Storage, download_response, read_upload
from servicekit.openapi import download
from servicekit.queries import page_of
from servicekit.types import Instant, Limit, Offset, PositiveMoneyIn, ShanghaiTime, line, paragraphs
from servicekit.workdays import WorkingCalendar

router = APIRouter(prefix="/api/v1", tags=["orders 我的订单"])

Text = paragraphs(1000, min_length=1)
Short = line(100, min_length=0)


# ---- response models -------------------------------------------------------------------------------

class DeadlineOut(BaseModel):
    name: str = Field(description="contract_signing | contract_announcement | contract_filing | payment")
    label: str = Field("", description="合同签订 / 合同公告 / 合同备案 / 付款")
    due_on: date = Field(description="The last day (北京时间)")
    done_on: date | None
    overdue: bool
    days_left: int | None = Field(None, description="What is left (working days for 公告 and 备案)")
    marker: str = Field("", description="已逾期 / 剩余 N 个工作日 / 今日截止 / 已按时完成 / 逾期完成")
    provisional: bool = False


class FileOut(BaseModel):
    id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: ShanghaiTime
    download_url: str


class ItemOut(BaseModel):
    service_id: str
    name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    amount: Money
    requirements: str


class ContractOut(BaseModel):
    contract_id: str
    contract_no: str
    status: str
    status_label: str
    ca_mode: str | None
    stamped_at: ShanghaiTime | None


class LogisticsOut(BaseModel):
    id: str
    kind: str
    description: str
    carrier: str
    tracking_no: str
    occurred_at: ShanghaiTime
    recorded_at: ShanghaiTime


class InvoiceOut(BaseModel):
    id: str
    invoice_no: str
    amount: Money
    issued_on: date
    file: FileOut | None
    recorded_at: ShanghaiTime


class PaymentOut(BaseModel):
    id: str
    amount: Money
    paid_on: date
    voucher: FileOut
    recorded_at: ShanghaiTime


class OrderSummary(BaseModel):
    id: str
    order_no: str
    project_id: str
    project_no: str
    project_name: str
    method: str
    purchaser_org_id: str
    purchaser_name: str
    supplier_id: str
    supplier_name: str
    filing_no: str
    amount: Money
    paid_total: Money
    status: str
    status_label: str
    contract: ContractOut | None
    deadlines: list[DeadlineOut]
    overdue: bool
    created_at: ShanghaiTime


class OrderOut(OrderSummary):
    purchaser_address: str
    purchaser_contact: str
    purchaser_phone: str
    supplier_address: str
    plan_id: str
    plan_line_id: str
    agreement_no: str
    agreement_name: str
    invoiced_total: Money
    items: list[ItemOut]
    logistics: list[LogisticsOut]
    invoices: list[InvoiceOut]
    payments: list[PaymentOut]
    acceptance_report: FileOut | None
    accepted_at: ShanghaiTime | None
    paid_at: ShanghaiTime | None
    evaluation: EvaluationOut | None = None
    evaluation_dimensions: list[str] = []
    evaluable: bool = False


class OrderPage(BaseModel):
    items: list[OrderSummary]
    total: int


# ---- request models --------------------------------------------------------------------------------

class LogisticsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["shipment", "service"] = "service"
    description: Text
    carrier: Short = ""
    tracking_no: line(60, min_length=0) = ""
    occurred_at: Instant | None = Field(None, description="When it happened; now when omitted")


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\-]{6,40}$")]
    amount: PositiveMoneyIn
    issued_on: date
    file: UploadFile | None = None


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: UploadFile
    note: paragraphs(1000) = ""


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoneyIn
    paid_on: date
    file: UploadFile


# ---- helpers ---------------------------------------------------------------------------------------

def _storage(request: Request) -> Storage:
    return request.app.state.storage


def _settings(request: Request) -> Settings:
    return request.app.state.service.settings


def _file_out(f: StoredFile) -> FileOut:
    return FileOut(id=f.id, kind=f.kind, filename=f.filename, content_type=f.content_type, size=f.size,
                   sha256=f.sha256, uploaded_at=f.uploaded_at,
                   download_url=f"/api/v1/orders/{f.order_id}/files/{f.id}")


def _deadlines(order: Order, progress: ContractProgress | None, calendar: WorkingCalendar,
               now: datetime) -> list[DeadlineOut]:
    """签订, the contract's 公告 and 备案 (working days, as contracts.events tell them), 付款."""
    announced = progress.announcement_due_on if progress else None
    filed = progress.filing_due_on if progress else None
    found = [domain.deadline("contract_signing", order.contract_due_on, order.contracted_at, now),
             domain.deadline("contract_announcement", announced, progress and progress.announced_at, now, calendar),
             domain.deadline("contract_filing", filed, progress and progress.filed_at, now, calendar),
             domain.deadline("payment", order.payment_due_on, order.paid_at, now)]
    return [DeadlineOut(name=d.name, label=d.label, due_on=d.due_on, done_on=d.done_on, overdue=d.overdue,
                        days_left=d.days_left, marker=d.marker, provisional=d.provisional)
            for d in found if d is not None]


def _calendar(request: Request) -> WorkingCalendar:
    return request.app.state.calendar


Calendar = Annotated[WorkingCalendar, Depends(_calendar)]


def _contract_out(progress: ContractProgress | None) -> ContractOut | None:
    if progress is None:
        return None
    return ContractOut(contract_id=progress.contract_id, contract_no=progress.contract_no, status=progress.status,
                       status_label=CONTRACT_LABELS.get(progress.status, progress.status),
                       ca_mode=progress.ca_mode, stamped_at=progress.stamped_at)


def _summary_fields(order: Order, progress: ContractProgress | None, calendar: WorkingCalendar) -> dict:
    deadlines = _deadlines(order, progress, calendar, utcnow())
    return dict(
        id=order.id, order_no=order.order_no, project_id=order.project_id, project_no=order.project_no,
        project_name=order.project_name, method=order.method, purchaser_org_id=order.purchaser_org_id,
        purchaser_name=order.purchaser_name, supplier_id=order.supplier_id, supplier_name=order.supplier_name,
        filing_no=order.filing_no, amount=order.amount, paid_total=order.paid_total, status=order.status,
        status_label=OrderStatus(order.status).label, contract=_contract_out(progress), deadlines=deadlines,
        overdue=any(d.overdue and d.done_on is None for d in deadlines), created_at=order.created_at)


async def _detail(session: AsyncSession, calendar: WorkingCalendar, order: Order) -> OrderOut:
    oid = order.id
    lines = (await session.exec(select(OrderLine).where(OrderLine.order_id == oid).order_by(OrderLine.id))).all()
    files = {f.id: f for f in (await session.exec(select(StoredFile).where(StoredFile.order_id == oid))).all()}
    logistics = (await session.exec(select(LogisticsEntry).where(LogisticsEntry.order_id == oid)
                                    .order_by(col(LogisticsEntry.occurred_at)))).all()
    invoices = (await session.exec(select(Invoice).where(Invoice.order_id == oid)
                                   .order_by(col(Invoice.recorded_at)))).all()
    payments = (await session.exec(select(Payment).where(Payment.order_id == oid)
                                   .order_by(col(Payment.recorded_at)))).all()
    progress = await session.get(ContractProgress, order.project_id)
    acceptance = files.get(order.acceptance_file_id or "")
    evaluation = await evaluation_of(session, oid)
    return OrderOut(
        **_summary_fields(order, progress, calendar), purchaser_address=order.purchaser_address,
        purchaser_contact=order.purchaser_contact, purchaser_phone=order.purchaser_phone,
        supplier_address=order.supplier_address, plan_id=order.plan_id, plan_line_id=order.plan_line_id,
        agreement_no=order.agreement_no, agreement_name=order.agreement_name, invoiced_total=order.invoiced_total,
        items=[ItemOut(**line.model_dump(exclude={"id", "order_id"})) for line in lines],
        logistics=[LogisticsOut(**e.model_dump(exclude={"order_id", "recorded_by"})) for e in logistics],
        invoices=[InvoiceOut(id=i.id, invoice_no=i.invoice_no, amount=i.amount, issued_on=i.issued_on,
                             file=_file_out(files[i.file_id]) if i.file_id in files else None,
                             recorded_at=i.recorded_at) for i in invoices],
        payments=[PaymentOut(id=p.id, amount=p.amount, paid_on=p.paid_on, voucher=_file_out(files[p.file_id]),
                             recorded_at=p.recorded_at) for p in payments],
        acceptance_report=_file_out(acceptance) if acceptance else None, accepted_at=order.accepted_at,
        paid_at=order.paid_at, evaluation=evaluation_out(evaluation) if evaluation else None,
        evaluation_dimensions=await dimensions_of(session, order.agreement_id),
        evaluable=evaluation is None and order.status in domain.EVALUABLE)


async def _show(db: DB, calendar: WorkingCalendar, order: Order) -> OrderOut:
    """The order as it now stands (after a command: what it committed)."""
    async with db.read() as session:
        return await _detail(session, calendar, order)


# ---- routes ----------------------------------------------------------------------------------------

@router.get("/orders", response_model=OrderPage, summary="我的订单: my unit's orders, newest first")
async def list_orders(user: CurrentUser, db: DB, calendar: Calendar,
                      status: Annotated[OrderStatus | None, Query(description="Filter by status code")] = None,
                      limit: Limit = 50,
                      offset: Offset = 0) -> OrderPage:
    visible = visible_to(user)
    if visible is None:
        return OrderPage(items=[], total=0)
    stmt = select(Order).where(visible)
    if status is not None:
        stmt = stmt.where(Order.status == status.value)
    async with db.read() as session:
        total, orders = await page_of(session, stmt, (col(Order.created_at).desc(), col(Order.id)),
                                      offset=offset, limit=limit)
        progress = {p.project_id: p for p in (await session.exec(
            select(ContractProgress).where(col(ContractProgress.project_id).in_([o.project_id for o in orders]))
        )).all()}
    return OrderPage(items=[OrderSummary(**_summary_fields(o, progress.get(o.project_id), calendar)) for o in orders],
                     total=total)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="Open one of my orders")
async def get_order(order_id: str, user: CurrentUser, db: DB, calendar: Calendar) -> OrderOut:
    async with db.read() as session:
        return await _detail(session, calendar, await party_order(session, order_id, user))


@router.post("/orders/{order_id}/logistics", status_code=201, response_model=OrderOut,
             summary="物流信息: the supplier records a shipment or service-delivery entry")
async def add_logistics(order_id: str, body: LogisticsIn, user: Supplier, db: DB, calendar: Calendar) -> OrderOut:
    entry = workflow.LogisticsInput(kind=body.kind, description=body.description, carrier=body.carrier,
                                    tracking_no=body.tracking_no, occurred_at=body.occurred_at)
    return await _show(db, calendar, await workflow.add_logistics(db, user, order_id, entry))


@router.post("/orders/{order_id}/invoices", status_code=201, response_model=OrderOut,
             summary="开票信息: the supplier records an invoice (number, amount, date, optional file)")
async def add_invoice(order_id: str, body: Annotated[InvoiceIn, Form()], user: Supplier, db: DB,
                      request: Request, calendar: Calendar) -> OrderOut:
    max_bytes = _settings(request).file_max_bytes
    upload = await read_upload(body.file, max_bytes=max_bytes) if body.file is not None else None
    return await _show(db, calendar, await workflow.add_invoice(db, _storage(request), user, order_id,
                                                      invoice_no=body.invoice_no, amount=body.amount,
                                                      issued_on=body.issued_on, upload=upload))


@router.post("/orders/{order_id}/acceptance", status_code=201, response_model=OrderOut,
             summary="验收单: the purchaser uploads the acceptance report (→ 已验收)")
async def record_acceptance(order_id: str, body: Annotated[AcceptanceIn, Form()], user: Purchaser, db: DB,
                            request: Request, calendar: Calendar) -> OrderOut:
    settings = _settings(request)
    upload = await read_upload(body.file, max_bytes=settings.file_max_bytes)
    return await _show(db, calendar, await workflow.record_acceptance(db, _storage(request), user, order_id, upload,
                                                            payment_days=settings.payment_days))


@router.post("/orders/{order_id}/payments", status_code=201, response_model=OrderOut,
             summary="支付凭证: the purchaser uploads a payment voucher with amount and date (paid in full → 已支付)")
async def record_payment(order_id: str, body: Annotated[PaymentIn, Form()], user: Purchaser, db: DB,
                         request: Request, calendar: Calendar) -> OrderOut:
    upload = await read_upload(body.file, max_bytes=_settings(request).file_max_bytes)
    return await _show(db, calendar, await workflow.record_payment(db, _storage(request), user, order_id,
                                                         amount=body.amount, paid_on=body.paid_on, upload=upload))


@router.get("/orders/{order_id}/files/{file_id}", response_class=StreamingResponse,
            responses=download(*(kind.content_type for kind in DOCUMENT_TYPES)),
            summary="Download a file of my order (acceptance report, payment voucher, invoice)")
async def download_file(order_id: str, file_id: str, user: CurrentUser, db: DB, request: Request) -> StreamingResponse:
    async with db.read() as session:
        await party_order(session, order_id, user)
        stored = await session.get(StoredFile, file_id)
    if stored is None or stored.order_id != order_id:
        raise NotFound(f"订单 {order_id} 没有文件 {file_id}。")
    return await download_response(_storage(request), stored.storage_key, filename=stored.filename,
                             content_type=stored.content_type, size=stored.size)

