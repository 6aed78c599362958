"""FastStream subscribers of the catalog service: one function per consumed event. The catalog counts
the cases that may lead to clearing a supplier (清退, clearing.py) from bidding's and contracts' events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import clearing
from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import RotationDeclined
from contracts_schema.events.contracts import ContractDrafted, ContractStamped
from servicekit.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(RotationDeclined)
async def rotation_declined(session: AsyncSession, event: RotationDeclined, envelope: Envelope) -> None:
    await clearing.record_decline(session, event)


@handlers.on(ContractDrafted)
async def contract_drafted(session: AsyncSession, event: ContractDrafted, envelope: Envelope) -> None:
    await clearing.record_contract(session, event)


@handlers.on(ContractStamped)
async def contract_stamped(session: AsyncSession, event: ContractStamped, envelope: Envelope) -> None:
    await clearing.record_stamped(session, event)
