"""FastStream subscribers of the catalog service: one function per consumed event."""

from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import ratings
from contracts_schema.envelope import Envelope
from contracts_schema.events.orders import EvaluationSubmitted
from servicekit.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(EvaluationSubmitted)
async def evaluation_submitted(session: AsyncSession, event: EvaluationSubmitted, envelope: Envelope) -> None:
    """A purchaser evaluated a supplier: its average and count in the library follow."""
    await ratings.evaluation_submitted(session, event)
