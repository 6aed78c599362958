"""Subscribers of the contracts service: one function per consumed event.

ResultConfirmed drafts the contract (待发送) from the agreement's template and the award, renders its
document and publishes ContractDrafted. A replay of the same result (a new event id) drafts nothing."""

from __future__ import annotations

import logging
from functools import partial
from uuid import uuid4

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import domain, paperwork
from contracts.domain import ContractStatus
from contracts.settings import Settings
from contracts.store import Contract
from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.contracts import ContractDrafted
from contracts_schema.types import utcnow
from servicekit.files import Storage
from servicekit.inbox import EventHandlers
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import SHANGHAI

log = logging.getLogger("contracts.handlers")


def build_handlers(settings: Settings, storage: Storage) -> EventHandlers:
    handlers = EventHandlers()
    handlers.on(ResultConfirmed)(partial(result_confirmed, settings=settings, storage=storage))
    return handlers


async def result_confirmed(session: AsyncSession, event: ResultConfirmed, envelope: Envelope, *,
                           settings: Settings, storage: Storage) -> None:
    bind_context(project_id=event.project_id)
    existing = (await session.exec(select(Contract).where(Contract.project_id == event.project_id))).first()
    if existing is not None:
        log.info("the project's contract is drafted already; result ignored", extra={"contract_id": existing.id})
        return
    now = utcnow()
    year = event.confirmed_at.astimezone(SHANGHAI).year
    count = (await session.exec(select(func.count()).select_from(Contract)
                                .where(Contract.contract_no.startswith(f"HT{year}")))).one()  # type: ignore[union-attr]
    contract_id = f"CT{uuid4().hex[:16]}"
    bind_context(contract_id=contract_id)
    purchaser, supplier = event.purchaser, event.supplier
    contract = Contract(
        id=contract_id, contract_no=domain.contract_no(year, count + 1), project_id=event.project_id,
        project_no=event.project_no, project_name=event.project_name, method=event.method,
        purchaser_org_id=purchaser.org_id, purchaser_name=purchaser.name, purchaser_address=purchaser.address,
        purchaser_contact=purchaser.contact_name, purchaser_phone=purchaser.contact_phone,
        supplier_id=supplier.org_id, supplier_name=supplier.name, supplier_address=supplier.address,
        supplier_contact=supplier.contact_name, supplier_phone=supplier.contact_phone, filing_no=event.filing_no,
        agreement_id=event.agreement_id, agreement_no=event.agreement_no, agreement_name=event.agreement_name,
        template=event.contract_template, service_id=event.service_id, service_name=event.service_name,
        unit=event.unit, quantity=event.quantity, unit_price=event.unit_price, amount=event.amount,
        requirements=event.requirements, status=ContractStatus.DRAFTED, document_file_id="", document_sha256="",
        awarded_at=event.confirmed_at, sign_due_on=domain.sign_due_on(event.confirmed_at, settings.contract_sign_days),
        created_at=now, updated_at=now)
    doc = await paperwork.store_document(storage, contract, by="system")
    contract.document_file_id, contract.document_sha256 = doc.id, doc.sha256
    session.add(contract)
    await session.flush()
    session.add(doc)
    await emit(session, ContractDrafted(
        contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
        project_no=contract.project_no, purchaser_org_id=contract.purchaser_org_id,
        purchaser_name=contract.purchaser_name, supplier_id=contract.supplier_id,
        supplier_name=contract.supplier_name, filing_no=contract.filing_no, agreement_no=contract.agreement_no,
        amount=contract.amount, document_sha256=contract.document_sha256, sign_due_on=contract.sign_due_on,
        drafted_at=now))
    log.info("contract drafted", extra={"contract_no": contract.contract_no})
