"""The command layer of orders: every command is one transaction that checks the rules of domain.py,
changes the order and records the events it causes (outbox). The routes (api.py) and the event
handlers (handlers.py) call these functions; none of them knows HTTP.

The route commands open their own transaction (`db.transaction()`); the event commands run in the
transaction the inbox opened for the event (they take its `session`). A file is stored inside the
transaction that records it (servicekit.files.store_file), so a refused or failed command leaves no
file behind."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.catalog import AgreementPublished
from contracts_schema.events.contracts import ContractDrafted, ContractStamped
from contracts_schema.events.orders import (AcceptanceRecorded, EvaluationAnswered, EvaluationScore,
                                            EvaluationSubmitted, InvoiceRecorded, LogisticsRecorded, OrderCompleted,
                                            OrderCreated, OrderItem, PaymentRecorded)
from contracts_schema.types import utcnow
from orders import domain
from orders.domain import OrderStatus, Side
from orders.store import (AgreementOwner, ContractProgress, Evaluation, EvaluationDimensions, Invoice, LogisticsEntry, Order,
                          OrderLine, Payment, StoredFile, dimensions_of, evaluation_of, party_order, project_order)
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict
from servicekit.files import Storage, Upload, new_file_key, store_file
from servicekit.logging import bind_context
from servicekit.numbering import next_number
from servicekit.outbox import emit

log = logging.getLogger("orders.workflow")


# ---- from the events of bidding and contracts --------------------------------------------------------

async def create_order(session: AsyncSession, event: ResultConfirmed, *, contract_sign_days: int) -> Order | None:
    """Creates the order (待签合同) of a confirmed result and publishes OrderCreated; None when the
    project has its order already (a replay). The signing deadline is the contract's (ContractDrafted)
    when that came first; until it comes, the award + `contract_sign_days`."""
    existing = await project_order(session, event.project_id)
    if existing is not None:
        log.info("order for this project exists already; result ignored", extra={"order_id": existing.id})
        return None
    now = utcnow()
    year = event.confirmed_at.astimezone(domain.SHANGHAI).year
    order_no = domain.order_no(year, await next_number(session, f"order:{year}"))
    order_id = f"OR{uuid4().hex[:16]}"
    bind_context(order_id=order_id, project_id=event.project_id)
    progress = await session.get(ContractProgress, event.project_id)
    contract_due_on = (progress.sign_due_on if progress is not None and progress.sign_due_on is not None
                       else domain.due_on(event.confirmed_at, contract_sign_days))
    order = Order(
        id=order_id, order_no=order_no, project_id=event.project_id,
        project_no=event.project_no, project_name=event.project_name, method=event.method,
        purchaser_org_id=event.purchaser.org_id, purchaser_name=event.purchaser.name,
        purchaser_address=event.purchaser.address, purchaser_contact=event.purchaser.contact_name,
        purchaser_phone=event.purchaser.contact_phone, supplier_id=event.supplier.org_id,
        supplier_name=event.supplier.name, supplier_address=event.supplier.address, plan_id=event.plan_id,
        plan_line_id=event.plan_line_id, filing_no=event.filing_no, agreement_id=event.agreement_id,
        agreement_no=event.agreement_no, agreement_name=event.agreement_name, amount=event.amount,
        status=OrderStatus.AWAITING_CONTRACT, awarded_at=event.confirmed_at, contract_due_on=contract_due_on,
        created_at=now, updated_at=now)
    line = OrderLine(id=f"{order_id}-1", order_id=order_id, service_id=event.service_id, name=event.service_name,
                     unit=event.unit, quantity=event.quantity, unit_price=event.unit_price, amount=event.amount,
                     requirements=event.requirements)
    if progress is not None and progress.stamped_at is not None:
        order.status, order.contracted_at = domain.transition(order.status, "stamp"), progress.stamped_at
    session.add(order)
    session.add(line)
    await session.flush()
    await emit(session, OrderCreated(
        order_id=order.id, order_no=order.order_no, project_id=order.project_id, project_no=order.project_no,
        project_name=order.project_name, method=event.method, purchaser_org_id=order.purchaser_org_id,
        purchaser_name=order.purchaser_name, supplier_id=order.supplier_id, supplier_name=order.supplier_name,
        plan_id=order.plan_id, plan_line_id=order.plan_line_id, filing_no=order.filing_no,
        agreement_no=order.agreement_no,
        items=[OrderItem(service_id=line.service_id, name=line.name, unit=line.unit, quantity=line.quantity,
                         unit_price=line.unit_price, amount=line.amount)],
        amount=order.amount, contract_due_on=order.contract_due_on, created_at=now))
    log.info("order created", extra={"order_no": order.order_no, "status": order.status})
    return order


async def record_contract_progress(session: AsyncSession, envelope: Envelope, *, project_id: str,
                                   contract_id: str, status: str, contract_no: str = "", ca_mode: str | None = None,
                                   stamped_at: datetime | None = None, sign_due_on: date | None = None,
                                   **after_signing: date | datetime | None) -> ContractProgress | None:
    """Records the contract's newest status; None when the event is older than what is known.
    Contract events may come before the order exists (another topic): progress is kept per project
    and applied when the order is created."""
    bind_context(contract_id=contract_id, project_id=project_id)
    progress = await session.get(ContractProgress, project_id, with_for_update=True)
    if progress is None:
        progress = ContractProgress(project_id=project_id, contract_id=contract_id, status=status,
                                    updated_at=envelope.time)
    elif not domain.newer(envelope.sequence, progress.last_sequence):
        log.info("older contract event ignored", extra={"sequence": envelope.sequence})
        return None
    progress.status, progress.last_sequence, progress.updated_at = status, envelope.sequence, envelope.time
    progress.contract_no = contract_no or progress.contract_no
    progress.ca_mode = ca_mode or progress.ca_mode
    progress.stamped_at = stamped_at or progress.stamped_at
    progress.sign_due_on = sign_due_on or progress.sign_due_on
    for name, value in after_signing.items():  # announcement_due_on, announced_at, filing_due_on, filed_at
        setattr(progress, name, value or getattr(progress, name))
    session.add(progress)
    return progress


async def contract_drafted(session: AsyncSession, event: ContractDrafted, envelope: Envelope) -> None:
    """The contract is drafted: its signing deadline becomes the order's (the contracts service
    computes it; the order's own reckoning was only a stand-in until now)."""
    progress = await record_contract_progress(session, envelope, project_id=event.project_id,
                                              contract_id=event.contract_id, contract_no=event.contract_no,
                                              status="drafted", sign_due_on=event.sign_due_on)
    if progress is None or event.sign_due_on is None:
        return
    order = await project_order(session, event.project_id, lock=True)
    if order is not None and order.contract_due_on != event.sign_due_on:
        order.contract_due_on, order.updated_at = event.sign_due_on, utcnow()
        session.add(order)


async def contract_in_force(session: AsyncSession, event: ContractStamped, envelope: Envelope) -> None:
    """The contract is in force: the order goes to 履约中 (if it exists yet; else when it is created)."""
    await record_contract_progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                                   contract_no=event.contract_no, status="purchaser_sealed", ca_mode=event.ca_mode,
                                   stamped_at=event.signed_at, announcement_due_on=event.announcement_due_on,
                                   filing_due_on=event.filing_due_on)
    order = await project_order(session, event.project_id, lock=True)
    if order is None:
        log.info("contract in force before its order arrived; the order will start in performance")
        return
    bind_context(order_id=order.id)
    if order.status != OrderStatus.AWAITING_CONTRACT:
        log.info("order already past its contract; stamp ignored", extra={"status": order.status})
        return
    order.status = domain.transition(order.status, "stamp")
    order.contracted_at, order.updated_at = event.signed_at, utcnow()
    session.add(order)
    log.info("contract in force: order in performance (履约中)")


# ---- commands of the parties -------------------------------------------------------------------------

async def _order_for(session: AsyncSession, user: Principal, order_id: str, side: Side, action: str) -> Order:
    """The order, row-locked, after the checks every party command makes: the caller's own side of
    the order, and an action its status allows."""
    order = await party_order(session, order_id, user, lock=True)
    domain.check_side(side, org_id=user.org_id, purchaser_org_id=order.purchaser_org_id,
                      supplier_id=order.supplier_id)
    domain.transition(order.status, action)
    return order


async def _store(session: AsyncSession, storage: Storage, order: Order, kind: str, upload: Upload,
                 user: Principal, now: datetime) -> StoredFile:
    file_id, key = new_file_key(order.id, kind)
    row = StoredFile(id=file_id, order_id=order.id, kind=kind, uploaded_org_id=user.org_id,
                     **upload.columns(key, by=user.username, at=now))
    return await store_file(session, storage, row, upload.data)


@dataclass(frozen=True)
class LogisticsInput:
    kind: str
    description: str
    carrier: str
    tracking_no: str
    occurred_at: datetime | None


async def add_logistics(db: Database, user: Principal, order_id: str, entry: LogisticsInput) -> Order:
    """物流信息: the supplier records a shipment or a service-delivery entry."""
    now = utcnow()
    occurred = domain.check_occurred(entry.occurred_at, now)
    async with db.transaction() as session:
        order = await _order_for(session, user, order_id, "supplier", "log")
        row = LogisticsEntry(id=f"LG{uuid4().hex[:16]}", order_id=order.id, kind=entry.kind,
                             description=entry.description, carrier=entry.carrier, tracking_no=entry.tracking_no,
                             occurred_at=occurred, recorded_by=user.username, recorded_at=now)
        order.updated_at = now
        session.add_all([row, order])
        await emit(session, LogisticsRecorded(
            order_id=order.id, project_id=order.project_id, entry_id=row.id, kind=row.kind,
            description=row.description, carrier=row.carrier, tracking_no=row.tracking_no,
            occurred_at=occurred, recorded_at=now))
    return order


async def add_invoice(db: Database, storage: Storage, user: Principal, order_id: str, *, invoice_no: str,
                      amount: Decimal, issued_on: date, upload: Upload | None) -> Order:
    """开票信息: the supplier records an invoice (number, amount, date, optionally its file)."""
    domain.check_not_future(issued_on, utcnow(), "发票日期")
    async with db.transaction() as session:
        order = await _order_for(session, user, order_id, "supplier", "invoice")
        clash = (await session.exec(select(Invoice).where(Invoice.order_id == order.id,
                                                          Invoice.invoice_no == invoice_no))).first()
        if clash is not None:
            raise Conflict(f"发票 {invoice_no} 已登记在本订单上。", code="duplicate_invoice")
        order.invoiced_total = domain.check_invoice(amount, order.invoiced_total, order.amount)
        now = utcnow()
        stored = await _store(session, storage, order, "invoice", upload, user, now) if upload else None
        invoice = Invoice(id=f"IV{uuid4().hex[:16]}", order_id=order.id, invoice_no=invoice_no, amount=amount,
                          issued_on=issued_on, file_id=stored.id if stored else None, recorded_by=user.username,
                          recorded_at=now)
        order.updated_at = now
        session.add_all([invoice, order])
        await emit(session, InvoiceRecorded(
            order_id=order.id, project_id=order.project_id, supplier_id=order.supplier_id, invoice_id=invoice.id,
            invoice_no=invoice.invoice_no, amount=invoice.amount, issued_on=invoice.issued_on,
            file_sha256=stored.sha256 if stored else None, recorded_at=now))
    return order


async def record_acceptance(db: Database, storage: Storage, user: Principal, order_id: str, upload: Upload, *,
                            payment_days: int) -> Order:
    """验收单: the purchaser uploads the acceptance report (→ 已验收); payment is due `payment_days` later."""
    async with db.transaction() as session:
        order = await _order_for(session, user, order_id, "purchaser", "accept")
        now = utcnow()
        stored = await _store(session, storage, order, "acceptance", upload, user, now)
        order.status = domain.transition(order.status, "accept")
        order.accepted_at, order.acceptance_file_id, order.updated_at = now, stored.id, now
        order.payment_due_on = domain.due_on(now, payment_days)
        session.add(order)
        await emit(session, AcceptanceRecorded(
            order_id=order.id, order_no=order.order_no, project_id=order.project_id, plan_id=order.plan_id,
            plan_line_id=order.plan_line_id, report_sha256=stored.sha256, accepted_at=now,
            payment_due_on=order.payment_due_on))
    return order


async def record_payment(db: Database, storage: Storage, user: Principal, order_id: str, *, amount: Decimal,
                         paid_on: date, upload: Upload) -> Order:
    """支付凭证: the purchaser uploads a payment voucher (paid in full → 已支付, OrderCompleted)."""
    domain.check_not_future(paid_on, utcnow(), "付款日期")
    async with db.transaction() as session:
        order = await _order_for(session, user, order_id, "purchaser", "pay")
        new_total = domain.check_payment(amount, order.paid_total, order.amount)
        now = utcnow()
        stored = await _store(session, storage, order, "payment", upload, user, now)
        payment = Payment(id=f"PY{uuid4().hex[:16]}", order_id=order.id, amount=amount, paid_on=paid_on,
                          file_id=stored.id, recorded_by=user.username, recorded_at=now)
        order.paid_total, order.status, order.updated_at = new_total, domain.after_payment(new_total, order.amount), now
        session.add_all([payment, order])
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
    return order


# ---- purchaser evaluation (用户评价) -------------------------------------------------------------------

async def agreement_published(session: AsyncSession, event: AgreementPublished, envelope: Envelope) -> None:
    """Remembers which agency published the agreement (it alone sets the agreement's dimensions)."""
    owner = await session.get(AgreementOwner, event.agreement_id) or AgreementOwner(
        agreement_id=event.agreement_id, agency_org_id=event.agency_org_id, agency_name=event.agency_name)
    owner.agency_org_id, owner.agency_name = event.agency_org_id, event.agency_name
    session.add(owner)


async def set_dimensions(db: Database, user: Principal, agreement_id: str, dimensions: list[str]) -> list[str]:
    """The agency sets the evaluation dimensions of one agreement (or, with agreement_id "", the global
    ones). Evaluations already submitted keep the dimensions they were scored on."""
    names = domain.check_dimensions(dimensions)
    async with db.transaction() as session:
        if agreement_id:
            owner = await session.get(AgreementOwner, agreement_id)
            domain.check_agreement_agency(agreement_id, owner.agency_org_id if owner else None, user.org_id)
        row = await session.get(EvaluationDimensions, agreement_id, with_for_update=True)
        row = row or EvaluationDimensions(agreement_id=agreement_id, dimensions=names, set_by=user.username,
                                          set_at=utcnow())
        row.dimensions, row.set_by, row.set_at = names, user.username, utcnow()
        session.add(row)
    return names


async def submit_evaluation(db: Database, user: Principal, order_id: str, scores: list[tuple[str, int]],
                            comment: str) -> Evaluation:
    """用户评价: the purchaser scores the supplier after acceptance, once per order (EvaluationSubmitted)."""
    async with db.transaction() as session:
        order = await party_order(session, order_id, user, lock=True)
        domain.check_side("purchaser", org_id=user.org_id, purchaser_org_id=order.purchaser_org_id,
                          supplier_id=order.supplier_id)
        domain.check_evaluable(order.status, await evaluation_of(session, order.id) is not None)
        scored = domain.check_scores(scores, await dimensions_of(session, order.agreement_id))
        now = utcnow()
        evaluation = Evaluation(id=f"EV{uuid4().hex[:16]}", order_id=order.id, agreement_id=order.agreement_id,
                                purchaser_org_id=order.purchaser_org_id, supplier_id=order.supplier_id,
                                scores=[{"dimension": d, "score": s} for d, s in scored], comment=comment,
                                submitted_by=user.username, submitted_at=now)
        session.add(evaluation)
        await emit(session, EvaluationSubmitted(
            order_id=order.id, order_no=order.order_no, project_id=order.project_id, agreement_id=order.agreement_id,
            purchaser_org_id=order.purchaser_org_id, supplier_id=order.supplier_id, evaluation_id=evaluation.id,
            scores=[EvaluationScore(dimension=d, score=s) for d, s in scored], comment=comment, submitted_at=now))
    log.info("evaluation submitted", extra={"supplier_id": evaluation.supplier_id})
    return evaluation


async def answer_evaluation(db: Database, user: Principal, order_id: str, answer: str) -> Evaluation:
    """The supplier answers the purchaser's evaluation of its order, once (EvaluationAnswered)."""
    async with db.transaction() as session:
        order = await party_order(session, order_id, user)
        domain.check_side("supplier", org_id=user.org_id, purchaser_org_id=order.purchaser_org_id,
                          supplier_id=order.supplier_id)
        evaluation = await evaluation_of(session, order.id, lock=True)
        if evaluation is None:
            raise Conflict("采购单位尚未评价本订单，暂无可回复的评价。", code="not_evaluated")
        domain.check_answerable(evaluation.answer is not None)
        now = utcnow()
        evaluation.answer, evaluation.answered_by, evaluation.answered_at = answer, user.username, now
        session.add(evaluation)
        await emit(session, EvaluationAnswered(order_id=order.id, evaluation_id=evaluation.id,
                                               supplier_id=order.supplier_id, answer=answer, answered_at=now))
    return evaluation
