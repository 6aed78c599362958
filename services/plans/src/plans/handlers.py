"""FastStream subscribers of the plans service: one function per consumed event, each calling the
reservation ledger (ledger.py). Each runs in one transaction with its inbox row, so a redelivered
event changes nothing."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ProjectFailed, ProjectPublished, ProjectTerminated, ResultConfirmed
from contracts_schema.events.orders import PaymentRecorded
from plans import ledger
from servicekit.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(ProjectPublished)
async def project_published(session: AsyncSession, event: ProjectPublished, envelope: Envelope) -> None:
    """Reserve the project's ceiling on its plan line, or refuse with the reason."""
    await ledger.reserve(session, event, envelope.id)


@handlers.on(ProjectTerminated)
async def project_terminated(session: AsyncSession, event: ProjectTerminated, envelope: Envelope) -> None:
    """Give the reservation back to the line."""
    await ledger.release(session, project_id=event.project_id, plan_id=event.plan_id, line_id=event.plan_line_id,
                         reason="terminated", event_id=envelope.id)


@handlers.on(ProjectFailed)
async def project_failed(session: AsyncSession, event: ProjectFailed, envelope: Envelope) -> None:
    """No valid quote: give the reservation back to the line."""
    await ledger.release(session, project_id=event.project_id, plan_id=event.plan_id, line_id=event.plan_line_id,
                         reason="failed", event_id=envelope.id)


@handlers.on(ResultConfirmed)
async def result_confirmed(session: AsyncSession, event: ResultConfirmed, envelope: Envelope) -> None:
    """The award consumes its amount on the line; the unawarded rest of the reservation goes back."""
    await ledger.consume(session, event, envelope.id)


@handlers.on(PaymentRecorded)
async def payment_recorded(session: AsyncSession, event: PaymentRecorded, envelope: Envelope) -> None:
    """Record the spending on the plan line (once per payment)."""
    await ledger.spend(session, event, envelope.id)
