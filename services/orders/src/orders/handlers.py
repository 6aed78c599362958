"""Subscribers of the orders service: one function per consumed event, each calling the command
layer (workflow.py) in the transaction the inbox opened for the event.

ResultConfirmed creates the order; the contract's events keep its progress, ContractDrafted gives it
the signing deadline and ContractStamped puts the order in performance (履约中) with the deadlines of
the contract's announcement and filing, which ContractAnnounced and ContractFiled meet."""

from __future__ import annotations

from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.catalog import AgreementPublished
from contracts_schema.events.contracts import (ContractAnnounced, ContractConfirmed, ContractDrafted, ContractFiled,
                                               ContractReturned, ContractSent, ContractStamped, ContractSupplierSealed)
from orders import workflow
from orders.settings import Settings
from servicekit.inbox import EventHandlers


def build_handlers(settings: Settings) -> EventHandlers:
    handlers = EventHandlers()
    handlers.on(AgreementPublished)(workflow.agreement_published)
    handlers.on(ResultConfirmed)(partial(result_confirmed, settings=settings))
    handlers.on(ContractDrafted)(workflow.contract_drafted)
    handlers.on(ContractSent)(contract_sent)
    handlers.on(ContractReturned)(contract_returned)
    handlers.on(ContractConfirmed)(contract_confirmed)
    handlers.on(ContractSupplierSealed)(contract_supplier_sealed)
    handlers.on(ContractStamped)(workflow.contract_in_force)
    handlers.on(ContractAnnounced)(contract_announced)
    handlers.on(ContractFiled)(contract_filed)
    return handlers


async def result_confirmed(session: AsyncSession, event: ResultConfirmed, envelope: Envelope, *,
                           settings: Settings) -> None:
    """Creates the order (待签合同); a replay of the same result does nothing."""
    await workflow.create_order(session, event, contract_sign_days=settings.contract_sign_days)


async def contract_sent(session: AsyncSession, event: ContractSent, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="sent")


async def contract_returned(session: AsyncSession, event: ContractReturned, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="drafted")


async def contract_confirmed(session: AsyncSession, event: ContractConfirmed, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="confirmed", ca_mode=event.ca_mode)


async def contract_supplier_sealed(session: AsyncSession, event: ContractSupplierSealed, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="supplier_sealed")


async def contract_announced(session: AsyncSession, event: ContractAnnounced, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="purchaser_sealed", announced_at=event.published_at)


async def contract_filed(session: AsyncSession, event: ContractFiled, envelope: Envelope) -> None:
    await workflow.record_contract_progress(session, envelope, project_id=event.project_id,
                                            contract_id=event.contract_id, contract_no=event.contract_no,
                                            status="purchaser_sealed", filed_at=event.filed_at)
