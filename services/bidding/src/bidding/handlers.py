"""FastStream subscribers of the bidding service: one function per consumed event.

Each runs in one transaction with its inbox row (a redelivered event changes nothing). They also
tolerate events that arrive for something bidding does not know or no longer waits for: those are
logged and change nothing."""

from __future__ import annotations

import logging

from sqlmodel import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain, rotations, windows
from bidding.store import (AgreementRef, OfferingRef, PlanLineRef, PlanRef, RotationSlot, RotationState, ServiceRef,
                           SupplierRef)
from contracts_schema.envelope import Envelope
from contracts_schema.events.catalog import (AgreementExpired, AgreementPublished, ServiceDelisted, ServiceListed,
                                             SupplierCleared, SupplierReinstated, SupplierSuspended)
from contracts_schema.events.plans import PlanCreated, PlanFundsRejected, PlanFundsReserved, PlanUpdated
from servicekit.inbox import EventHandlers

log = logging.getLogger("bidding.handlers")


def build_handlers(clock: domain.Clock) -> EventHandlers:
    handlers = EventHandlers()

    # --- read model of plans ---------------------------------------------------------------------------

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

    # --- the plan's answer to ProjectPublished ------------------------------------------------------------

    @handlers.on(PlanFundsReserved)
    async def funds_reserved(session: AsyncSession, event: PlanFundsReserved, envelope: Envelope) -> None:
        await windows.funds_reserved(session, event.project_id, event.amount, clock())

    @handlers.on(PlanFundsRejected)
    async def funds_rejected(session: AsyncSession, event: PlanFundsRejected, envelope: Envelope) -> None:
        await windows.funds_rejected(session, event.project_id, event.reason, clock())

    # --- read model of the catalog ----------------------------------------------------------------------

    @handlers.on(AgreementPublished)
    async def agreement_published(session: AsyncSession, event: AgreementPublished, envelope: Envelope) -> None:
        """The whole stage-1 result of an agreement replaces what bidding knew of it."""
        current = await session.get(AgreementRef, event.agreement_id)
        if current is not None and current.published_at > event.published_at:
            log.info("older agreement snapshot ignored", extra={"agreement_id": event.agreement_id})
            return
        agreement = current or AgreementRef(agreement_id=event.agreement_id, agreement_no=event.agreement_no,
                                            name=event.name, agency_org_id=event.agency_org_id,
                                            agency_name=event.agency_name, category_code=event.category_code,
                                            category_name=event.category_name, valid_from=event.valid_from,
                                            valid_to=event.valid_to, methods=list(event.methods),
                                            published_at=event.published_at)
        for field in ("agreement_no", "name", "agency_org_id", "agency_name", "category_code", "category_name",
                      "valid_from", "valid_to", "contract_template", "published_at"):
            setattr(agreement, field, getattr(event, field))
        agreement.methods, agreement.expired = list(event.methods), False
        agreement.estimated_amount, agreement.estimated_quantity = event.estimated_amount, event.estimated_quantity
        session.add(agreement)
        for table in (SupplierRef, ServiceRef, OfferingRef):
            await session.exec(delete(table).where(table.agreement_id == event.agreement_id))
        await session.flush()
        session.add_all([SupplierRef(agreement_id=event.agreement_id, **s.model_dump()) for s in event.suppliers])
        session.add_all([ServiceRef(agreement_id=event.agreement_id, service_id=s.service_id,
                                    category_code=s.category_code, name=s.name, unit=s.unit,
                                    description=s.description) for s in event.services])
        session.add_all([OfferingRef(agreement_id=event.agreement_id, offering_id=o.offering_id,
                                     service_id=o.service_id, supplier_id=o.supplier_id,
                                     agreement_price=o.agreement_price, listed=o.listed, price=o.price,
                                     discount_tiers=[t.model_dump(mode="json") for t in o.discount_tiers])
                         for o in event.offerings])
        await _keep_rotation_order(session, event)

    @handlers.on(ServiceListed)
    async def service_listed(session: AsyncSession, event: ServiceListed, envelope: Envelope) -> None:
        """上架 (or a new listed price): the offering can be chosen again."""
        if await session.get(ServiceRef, (event.agreement_id, event.service_id)) is None:
            session.add(ServiceRef(agreement_id=event.agreement_id, service_id=event.service_id,
                                   category_code=event.category_code, name=event.service_name, unit=event.unit))
        if await session.get(SupplierRef, (event.agreement_id, event.supplier_id)) is None:
            session.add(SupplierRef(agreement_id=event.agreement_id, supplier_id=event.supplier_id,
                                    name=event.supplier_name))
        offering = await session.get(OfferingRef, event.offering_id) or OfferingRef(
            offering_id=event.offering_id, agreement_id=event.agreement_id, service_id=event.service_id,
            supplier_id=event.supplier_id, agreement_price=event.agreement_price)
        offering.listed, offering.price, offering.agreement_price = True, event.price, event.agreement_price
        offering.discount_tiers = [t.model_dump(mode="json") for t in event.discount_tiers]
        session.add(offering)

    @handlers.on(ServiceDelisted)
    async def service_delisted(session: AsyncSession, event: ServiceDelisted, envelope: Envelope) -> None:
        """下架: the offering can no longer be chosen nor quoted with."""
        offering = await session.get(OfferingRef, event.offering_id)
        if offering is None:
            log.info("delisting of an unknown offering ignored", extra={"offering_id": event.offering_id})
            return
        offering.listed = False
        session.add(offering)

    @handlers.on(SupplierSuspended)
    async def supplier_suspended(session: AsyncSession, event: SupplierSuspended, envelope: Envelope) -> None:
        """Excluded from new projects, from quoting, at the close and at the award."""
        supplier = await session.get(SupplierRef, (event.agreement_id, event.supplier_id)) or SupplierRef(
            agreement_id=event.agreement_id, supplier_id=event.supplier_id, name=event.supplier_name)
        supplier.status, supplier.status_reason = "suspended", event.reason
        session.add(supplier)

    @handlers.on(SupplierReinstated)
    async def supplier_reinstated(session: AsyncSession, event: SupplierReinstated, envelope: Envelope) -> None:
        supplier = await session.get(SupplierRef, (event.agreement_id, event.supplier_id))
        if supplier is None:
            log.info("reinstatement of an unknown supplier ignored", extra={"supplier_id": event.supplier_id})
            return
        supplier.status, supplier.status_reason = "active", ""
        session.add(supplier)

    @handlers.on(SupplierCleared)
    async def supplier_cleared(session: AsyncSession, event: SupplierCleared, envelope: Envelope) -> None:
        """清退: suspended for good (excluded from new projects, quoting, the close and the award), out of the
        rotation order; a rotation project waiting for its answer goes to the next supplier."""
        supplier = await session.get(SupplierRef, (event.agreement_id, event.supplier_id)) or SupplierRef(
            agreement_id=event.agreement_id, supplier_id=event.supplier_id, name=event.supplier_name)
        supplier.status, supplier.status_reason = "cleared", f"{event.cause_label}：{event.reason}"
        session.add(supplier)
        await session.exec(delete(RotationSlot).where(RotationSlot.agreement_id == event.agreement_id,
                                                      RotationSlot.supplier_id == event.supplier_id))
        await session.flush()
        await rotations.pass_on_cleared(session, event.agreement_id, event.supplier_id, event.cause_label, clock())

    @handlers.on(AgreementExpired)
    async def agreement_expired(session: AsyncSession, event: AgreementExpired, envelope: Envelope) -> None:
        agreement = await session.get(AgreementRef, event.agreement_id)
        if agreement is None:
            log.info("expiry of an unknown agreement ignored")
            return
        agreement.expired = True
        session.add(agreement)

    return handlers


async def _keep_rotation_order(session: AsyncSession, event: AgreementPublished) -> None:
    """The rotation order as published; published again (a supplementary solicitation), the kept order
    stays and new suppliers are appended (domain.merged_order)."""
    if event.rotation_order is None:
        return
    current = await rotations.order_of(session, event.agreement_id)
    order = domain.merged_order(current, event.rotation_order) if current else list(event.rotation_order)
    await session.exec(delete(RotationSlot).where(RotationSlot.agreement_id == event.agreement_id))
    await session.flush()
    session.add_all([RotationSlot(agreement_id=event.agreement_id, supplier_id=s, position=i)
                     for i, s in enumerate(order, 1)])
    if await session.get(RotationState, event.agreement_id) is None:
        session.add(RotationState(agreement_id=event.agreement_id, period=1))
