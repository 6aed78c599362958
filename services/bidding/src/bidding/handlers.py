"""FastStream subscribers of the bidding service: one function per consumed event."""

from sqlmodel import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding.store import PlanLineRef, PlanRef
from contracts_schema.envelope import Envelope
from contracts_schema.events.plans import PlanCreated, PlanUpdated
from servicekit.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(PlanCreated, PlanUpdated)
async def plan_changed(session: AsyncSession, event: PlanCreated | PlanUpdated, envelope: Envelope) -> None:
    """Keep the read model of plans: the whole plan as it now stands (older revisions are ignored)."""
    revision = getattr(event, "revision", 1)
    current = await session.get(PlanRef, event.plan_id)
    if current is not None and current.revision >= revision:
        return
    ref = current or PlanRef(plan_id=event.plan_id, revision=revision, updated_at=envelope.time,
                             plan_no=event.plan_no, purchaser_org_id=event.purchaser_org_id,
                             purchaser_name=event.purchaser_name, name=event.name, filing_no=event.filing_no,
                             contact_name=event.contact_name, contact_phone=event.contact_phone)
    for field in ("plan_no", "purchaser_org_id", "purchaser_name", "purchaser_address", "name", "filing_no",
                  "contact_name", "contact_phone"):
        setattr(ref, field, getattr(event, field))
    ref.revision, ref.updated_at = revision, envelope.time
    session.add(ref)
    await session.exec(delete(PlanLineRef).where(PlanLineRef.plan_id == event.plan_id))
    session.add_all([PlanLineRef(plan_id=event.plan_id, **line.model_dump()) for line in event.lines])
