"""HTTP routes of the orders service, 我的订单 (reached through the gateway under /api/v1).

A purchaser sees its own unit's orders, a supplier the orders it won; anyone else gets 404 for an
order (its existence is not confirmed) and an empty list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.events.orders import (AcceptanceRecorded, InvoiceRecorded, LogisticsRecorded, OrderCompleted,
                                            PaymentRecorded)
from contracts_schema.types import Money, Quantity, utcnow
from orders import domain
from orders.domain import CONTRACT_LABELS, OrderStatus
from orders.store import ContractProgress, Invoice, LogisticsEntry, Order, OrderLine, Payment, StoredFile
from servicekit.app import DB
from servicekit.auth import CurrentUser, Principal, Purchaser, Supplier
from servicekit.errors import Conflict, Forbidden, Invalid, NotFound
from servicekit.files import Storage, Upload, download_response, read_upload
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import ShanghaiTime

router = APIRouter(prefix="/api/v1", tags=["orders 我的订单"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


# ---- response models -------------------------------------------------------------------------------

class DeadlineOut(BaseModel):
    name: str
    due_on: date
    done_on: date | None
    overdue: bool


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


class OrderPage(BaseModel):
    items: list[OrderSummary]
    total: int


# ---- request models --------------------------------------------------------------------------------

class LogisticsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["shipment", "service"] = "service"
    description: Text
    carrier: Short = ""
    tracking_no: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    occurred_at: AwareDatetime | None = Field(None, description="When it happened; now when omitted")


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\-]{6,40}$")]
    amount: Annotated[Money, Field(gt=0)]
    issued_on: date
    file: UploadFile | None = None


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: UploadFile
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Money, Field(gt=0)]
    paid_on: date
    file: UploadFile


# ---- helpers ---------------------------------------------------------------------------------------

def _storage(request: Request) -> Storage:
    return request.app.state.storage


def _max_bytes(request: Request) -> int:
    return request.app.state.service.settings.file_max_bytes


def _visible(user: Principal):
    if user.role == "purchaser":
        return Order.purchaser_org_id == user.org_id
    if user.role == "supplier":
        return Order.supplier_id == user.org_id
    return None


async def _load(session: AsyncSession, order_id: str, user: Principal, *, lock: bool = False) -> Order:
    bind_context(order_id=order_id)
    stmt = select(Order).where(Order.id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    order = (await session.exec(stmt)).first()
    mine = order is not None and user.is_party(purchaser_org_id=order.purchaser_org_id, supplier_id=order.supplier_id)
    if not mine:
        raise NotFound(f"order {order_id} not found")
    bind_context(project_id=order.project_id)
    return order


def _own_side(order: Order, user: Principal, side: str) -> None:
    """The purchaser side acts for the purchaser unit, the supplier side for the supplier."""
    if side == "purchaser" and user.org_id != order.purchaser_org_id:
        raise Forbidden("only the purchaser unit of this order may do this")
    if side == "supplier" and user.org_id != order.supplier_id:
        raise Forbidden("only the supplier of this order may do this")


def _file_out(f: StoredFile) -> FileOut:
    return FileOut(id=f.id, kind=f.kind, filename=f.filename, content_type=f.content_type, size=f.size,
                   sha256=f.sha256, uploaded_at=f.uploaded_at,
                   download_url=f"/api/v1/orders/{f.order_id}/files/{f.id}")


def _deadlines(order: Order, settings_now: datetime) -> list[DeadlineOut]:
    found = [domain.deadline("contract_signing", order.contract_due_on, order.contracted_at, settings_now),
             domain.deadline("payment", order.payment_due_on, order.paid_at, settings_now)]
    return [DeadlineOut(**d.__dict__) for d in found if d is not None]


def _contract_out(progress: ContractProgress | None) -> ContractOut | None:
    if progress is None:
        return None
    return ContractOut(contract_id=progress.contract_id, contract_no=progress.contract_no, status=progress.status,
                       status_label=CONTRACT_LABELS.get(progress.status, progress.status),
                       ca_mode=progress.ca_mode, stamped_at=progress.stamped_at)


def _summary_fields(order: Order, progress: ContractProgress | None) -> dict:
    deadlines = _deadlines(order, utcnow())
    return dict(
        id=order.id, order_no=order.order_no, project_id=order.project_id, project_no=order.project_no,
        project_name=order.project_name, method=order.method, purchaser_org_id=order.purchaser_org_id,
        purchaser_name=order.purchaser_name, supplier_id=order.supplier_id, supplier_name=order.supplier_name,
        filing_no=order.filing_no, amount=order.amount, paid_total=order.paid_total, status=order.status,
        status_label=OrderStatus(order.status).label, contract=_contract_out(progress), deadlines=deadlines,
        overdue=any(d.overdue and d.done_on is None for d in deadlines), created_at=order.created_at)


async def _detail(session: AsyncSession, order: Order) -> OrderOut:
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
    return OrderOut(
        **_summary_fields(order, progress), purchaser_address=order.purchaser_address,
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
        paid_at=order.paid_at)


async def _precheck(db: DB, order_id: str, user: Principal, side: str, action: str) -> None:
    """Fails fast (before a file is stored) when the action is not allowed now."""
    async with db.read() as session:
        order = await _load(session, order_id, user)
        _own_side(order, user, side)
        domain.transition(order.status, action)


async def _store(request: Request, order_id: str, kind: str, upload: Upload, user: Principal) -> StoredFile:
    file_id = f"F{uuid4().hex[:20]}"
    key = f"{order_id}/{kind}/{file_id}"
    await _storage(request).put(key, upload.data, upload.content_type)
    return StoredFile(id=file_id, order_id=order_id, kind=kind, filename=upload.filename,
                      content_type=upload.content_type, size=upload.size, sha256=upload.sha256, storage_key=key,
                      uploaded_by=user.username, uploaded_org_id=user.org_id, uploaded_at=utcnow())


class _Discard:
    """Deletes a stored file when the transaction that was to record it fails."""

    def __init__(self, request: Request, stored: StoredFile | None) -> None:
        self.storage, self.stored = _storage(request), stored

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and self.stored is not None:
            await self.storage.delete(self.stored.storage_key)
        return False


# ---- routes ----------------------------------------------------------------------------------------

@router.get("/orders", response_model=OrderPage, summary="我的订单: my unit's orders, newest first")
async def list_orders(user: CurrentUser, db: DB,
                      status: Annotated[OrderStatus | None, Query(description="Filter by status code")] = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0) -> OrderPage:
    visible = _visible(user)
    if visible is None:
        return OrderPage(items=[], total=0)
    stmt = select(Order).where(visible)
    if status is not None:
        stmt = stmt.where(Order.status == status.value)
    async with db.read() as session:
        orders = (await session.exec(stmt.order_by(col(Order.created_at).desc(), col(Order.id))
                                     .offset(offset).limit(limit))).all()
        total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
        progress = {p.project_id: p for p in (await session.exec(
            select(ContractProgress).where(col(ContractProgress.project_id).in_([o.project_id for o in orders]))
        )).all()}
    return OrderPage(items=[OrderSummary(**_summary_fields(o, progress.get(o.project_id))) for o in orders],
                     total=total)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="Open one of my orders")
async def get_order(order_id: str, user: CurrentUser, db: DB) -> OrderOut:
    async with db.read() as session:
        return await _detail(session, await _load(session, order_id, user))


@router.post("/orders/{order_id}/logistics", status_code=201, response_model=OrderOut,
             summary="物流信息: the supplier records a shipment or service-delivery entry")
async def add_logistics(order_id: str, body: LogisticsIn, user: Supplier, db: DB) -> OrderOut:
    now = utcnow()
    occurred = body.occurred_at or now
    if occurred > now:
        raise Invalid("a logistics entry cannot be in the future", code="date_in_future")
    async with db.transaction() as session:
        order = await _load(session, order_id, user, lock=True)
        _own_side(order, user, "supplier")
        domain.transition(order.status, "log")
        entry = LogisticsEntry(id=f"LG{uuid4().hex[:16]}", order_id=order.id, kind=body.kind,
                               description=body.description, carrier=body.carrier, tracking_no=body.tracking_no,
                               occurred_at=occurred, recorded_by=user.username, recorded_at=now)
        order.updated_at = now
        session.add_all([entry, order])
        await emit(session, LogisticsRecorded(
            order_id=order.id, project_id=order.project_id, entry_id=entry.id, kind=body.kind,
            description=entry.description, carrier=entry.carrier, tracking_no=entry.tracking_no,
            occurred_at=occurred, recorded_at=now))
        await session.flush()
        return await _detail(session, order)


@router.post("/orders/{order_id}/invoices", status_code=201, response_model=OrderOut,
             summary="开票信息: the supplier records an invoice (number, amount, date, optional file)")
async def add_invoice(order_id: str, body: Annotated[InvoiceIn, Form()], user: Supplier, db: DB,
                      request: Request) -> OrderOut:
    domain.check_not_future(body.issued_on, utcnow(), "the invoice date")
    upload = await read_upload(body.file, max_bytes=_max_bytes(request)) if body.file is not None else None
    await _precheck(db, order_id, user, "supplier", "invoice")
    stored = await _store(request, order_id, "invoice", upload, user) if upload else None
    async with _Discard(request, stored), db.transaction() as session:
        order = await _load(session, order_id, user, lock=True)
        domain.transition(order.status, "invoice")
        clash = (await session.exec(select(Invoice).where(Invoice.order_id == order.id,
                                                          Invoice.invoice_no == body.invoice_no))).first()
        if clash is not None:
            raise Conflict(f"invoice {body.invoice_no} is already recorded on this order",
                                  code="duplicate_invoice")
        order.invoiced_total = domain.check_invoice(body.amount, order.invoiced_total, order.amount)
        now = utcnow()
        invoice = Invoice(id=f"IV{uuid4().hex[:16]}", order_id=order.id, invoice_no=body.invoice_no,
                          amount=body.amount, issued_on=body.issued_on, file_id=stored.id if stored else None,
                          recorded_by=user.username, recorded_at=now)
        order.updated_at = now
        if stored:
            session.add(stored)
        session.add_all([invoice, order])
        await emit(session, InvoiceRecorded(
            order_id=order.id, project_id=order.project_id, supplier_id=order.supplier_id, invoice_id=invoice.id,
            invoice_no=invoice.invoice_no, amount=invoice.amount, issued_on=invoice.issued_on,
            file_sha256=stored.sha256 if stored else None, recorded_at=now))
        await session.flush()
        return await _detail(session, order)


@router.post("/orders/{order_id}/acceptance", status_code=201, response_model=OrderOut,
             summary="验收单: the purchaser uploads the acceptance report (→ 已验收)")
async def record_acceptance(order_id: str, body: Annotated[AcceptanceIn, Form()], user: Purchaser, db: DB,
                            request: Request) -> OrderOut:
    upload = await read_upload(body.file, max_bytes=_max_bytes(request))
    await _precheck(db, order_id, user, "purchaser", "accept")
    stored = await _store(request, order_id, "acceptance", upload, user)
    settings = request.app.state.service.settings
    async with _Discard(request, stored), db.transaction() as session:
        order = await _load(session, order_id, user, lock=True)
        order.status = domain.transition(order.status, "accept")
        now = utcnow()
        order.accepted_at, order.acceptance_file_id, order.updated_at = now, stored.id, now
        order.payment_due_on = domain.due_on(now, settings.payment_days)
        session.add_all([stored, order])
        await emit(session, AcceptanceRecorded(
            order_id=order.id, order_no=order.order_no, project_id=order.project_id, plan_id=order.plan_id,
            plan_line_id=order.plan_line_id, report_sha256=stored.sha256, accepted_at=now,
            payment_due_on=order.payment_due_on))
        await session.flush()
        return await _detail(session, order)


@router.post("/orders/{order_id}/payments", status_code=201, response_model=OrderOut,
             summary="支付凭证: the purchaser uploads a payment voucher with amount and date (paid in full → 已支付)")
async def record_payment(order_id: str, body: Annotated[PaymentIn, Form()], user: Purchaser, db: DB,
                         request: Request) -> OrderOut:
    domain.check_not_future(body.paid_on, utcnow(), "the payment date")
    upload = await read_upload(body.file, max_bytes=_max_bytes(request))
    await _precheck(db, order_id, user, "purchaser", "pay")
    stored = await _store(request, order_id, "payment", upload, user)
    async with _Discard(request, stored), db.transaction() as session:
        order = await _load(session, order_id, user, lock=True)
        domain.transition(order.status, "pay")
        new_total = domain.check_payment(body.amount, order.paid_total, order.amount)
        now = utcnow()
        payment = Payment(id=f"PY{uuid4().hex[:16]}", order_id=order.id, amount=body.amount, paid_on=body.paid_on,
                          file_id=stored.id, recorded_by=user.username, recorded_at=now)
        order.paid_total, order.status, order.updated_at = new_total, domain.after_payment(new_total, order.amount), now
        session.add_all([stored, payment, order])
        await emit(session, PaymentRecorded(
            order_id=order.id, order_no=order.order_no, project_id=order.project_id, plan_id=order.plan_id,
            plan_line_id=order.plan_line_id, filing_no=order.filing_no, purchaser_org_id=order.purchaser_org_id,
            supplier_id=order.supplier_id, payment_id=payment.id, amount=payment.amount, paid_total=new_total,
            order_amount=order.amount, paid_on=payment.paid_on, voucher_sha256=stored.sha256, recorded_at=now))
        if order.status == OrderStatus.PAID:
            order.paid_at = now
            due = domain.deadline("payment", order.payment_due_on, now, now)
            await emit(session, OrderCompleted(
                order_id=order.id, order_no=order.order_no, project_id=order.project_id, plan_id=order.plan_id,
                plan_line_id=order.plan_line_id, amount=order.amount, completed_at=now,
                paid_on_time=not (due and due.overdue)))
        await session.flush()
        return await _detail(session, order)


@router.get("/orders/{order_id}/files/{file_id}", response_class=StreamingResponse,
            summary="Download a file of my order (acceptance report, payment voucher, invoice)")
async def download_file(order_id: str, file_id: str, user: CurrentUser, db: DB, request: Request) -> StreamingResponse:
    async with db.read() as session:
        await _load(session, order_id, user)
        stored = await session.get(StoredFile, file_id)
    if stored is None or stored.order_id != order_id:
        raise NotFound(f"file {file_id} not found on order {order_id}")
    return await download_response(_storage(request), stored.storage_key, filename=stored.filename,
                             content_type=stored.content_type, size=stored.size)

