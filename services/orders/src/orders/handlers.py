"""Subscribers of the orders service: one function per consumed event.

ResultConfirmed creates the order; the contract's events keep its progress, and ContractStamped puts
the order in performance (履约中). Contract events may come before the order exists (another topic):
progress is kept per project and applied when the order is created."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from uuid import uuid4

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.contracts import (ContractConfirmed, ContractDrafted, ContractReturned, ContractSent,
                                               ContractStamped, ContractSupplierSealed)
from contracts_schema.events.orders import OrderCreated, OrderItem
from contracts_schema.types import utcnow
from orders import domain
from orders.domain import OrderStatus
from orders.settings import Settings
from orders.store import ContractProgress, Order, OrderLine
from servicekit.inbox import EventHandlers
from servicekit.logging import bind_context
from servicekit.outbox import emit

log = logging.getLogger("orders.handlers")


def build_handlers(settings: Settings) -> EventHandlers:
    handlers = EventHandlers()
    handlers.on(ResultConfirmed)(partial(result_confirmed, settings=settings))
    handlers.on(ContractDrafted)(contract_drafted)
    handlers.on(ContractSent)(contract_sent)
    handlers.on(ContractReturned)(contract_returned)
    handlers.on(ContractConfirmed)(contract_confirmed)
    handlers.on(ContractSupplierSealed)(contract_supplier_sealed)
    handlers.on(ContractStamped)(contract_stamped)
    return handlers


async def result_confirmed(session: AsyncSession, event: ResultConfirmed, envelope: Envelope, *,
                           settings: Settings) -> None:
    """Creates the order (待签合同) and publishes OrderCreated; a replay of the same result does nothing."""
    existing = (await session.exec(select(Order).where(Order.project_id == event.project_id))).first()
    if existing is not None:
        log.info("order for this project exists already; result ignored", extra={"order_id": existing.id})
        return
    now = utcnow()
    year = event.confirmed_at.astimezone(domain.SHANGHAI).year
    count = (await session.exec(select(func.count()).select_from(Order)
                                .where(Order.order_no.startswith(f"DD{year}")))).one()  # type: ignore[union-attr]
    order_id = f"OR{uuid4().hex[:16]}"
    bind_context(order_id=order_id, project_id=event.project_id)
    order = Order(
        id=order_id, order_no=domain.order_no(year, count + 1), project_id=event.project_id,
        project_no=event.project_no, project_name=event.project_name, method=event.method,
        purchaser_org_id=event.purchaser.org_id, purchaser_name=event.purchaser.name,
        purchaser_address=event.purchaser.address, purchaser_contact=event.purchaser.contact_name,
        purchaser_phone=event.purchaser.contact_phone, supplier_id=event.supplier.org_id,
        supplier_name=event.supplier.name, supplier_address=event.supplier.address, plan_id=event.plan_id,
        plan_line_id=event.plan_line_id, filing_no=event.filing_no, agreement_id=event.agreement_id,
        agreement_no=event.agreement_no, agreement_name=event.agreement_name, amount=event.amount,
        status=OrderStatus.AWAITING_CONTRACT, awarded_at=event.confirmed_at,
        contract_due_on=domain.due_on(event.confirmed_at, settings.contract_sign_days), created_at=now,
        updated_at=now)
    line = OrderLine(id=f"{order_id}-1", order_id=order_id, service_id=event.service_id, name=event.service_name,
                     unit=event.unit, quantity=event.quantity, unit_price=event.unit_price, amount=event.amount,
                     requirements=event.requirements)
    progress = await session.get(ContractProgress, event.project_id)
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


async def _progress(session: AsyncSession, envelope: Envelope, *, project_id: str, contract_id: str,
                    status: str, contract_no: str = "", ca_mode: str | None = None,
                    stamped_at: datetime | None = None) -> ContractProgress | None:
    """Records the contract's newest status; None when the event is older than what is known."""
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
    session.add(progress)
    return progress


async def contract_drafted(session: AsyncSession, event: ContractDrafted, envelope: Envelope) -> None:
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="drafted")


async def contract_sent(session: AsyncSession, event: ContractSent, envelope: Envelope) -> None:
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="sent")


async def contract_returned(session: AsyncSession, event: ContractReturned, envelope: Envelope) -> None:
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="drafted")


async def contract_confirmed(session: AsyncSession, event: ContractConfirmed, envelope: Envelope) -> None:
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="confirmed", ca_mode=event.ca_mode)


async def contract_supplier_sealed(session: AsyncSession, event: ContractSupplierSealed, envelope: Envelope) -> None:
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="supplier_sealed")


async def contract_stamped(session: AsyncSession, event: ContractStamped, envelope: Envelope) -> None:
    """The contract is in force: the order goes to 履约中 (if it exists yet; else when it is created)."""
    await _progress(session, envelope, project_id=event.project_id, contract_id=event.contract_id,
                    contract_no=event.contract_no, status="purchaser_sealed", ca_mode=event.ca_mode,
                    stamped_at=event.signed_at)
    order = (await session.exec(select(Order).where(Order.project_id == event.project_id)
                                .with_for_update())).first()
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
