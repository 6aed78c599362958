"""FastStream subscribers of the catalog service: one function per consumed event. The catalog keeps
each supplier's evaluations (ratings.py) from orders' events, and counts the cases that may lead to
clearing a supplier (清退, clearing.py) from bidding's and contracts' events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import clearing, ratings
from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import RotationDeclined
from contracts_schema.events.contracts import ContractDrafted, ContractStamped
from contracts_schema.events.orders import EvaluationSubmitted
from servicekit.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(EvaluationSubmitted)
async def evaluation_submitted(session: AsyncSession, event: EvaluationSubmitted, envelope: Envelope) -> None:
    """A purchaser evaluated a supplier: its average and count in the library follow."""
    await ratings.evaluation_submitted(session, event)


@handlers.on(RotationDeclined)
async def rotation_declined(session: AsyncSession, event: RotationDeclined, envelope: Envelope) -> None:
    await clearing.record_decline(session, event)


@handlers.on(ContractDrafted)
async def contract_drafted(session: AsyncSession, event: ContractDrafted, envelope: Envelope) -> None:
    await clearing.record_contract(session, event)


@handlers.on(ContractStamped)
async def contract_stamped(session: AsyncSession, event: ContractStamped, envelope: Envelope) -> None:
    await clearing.record_stamped(session, event)
