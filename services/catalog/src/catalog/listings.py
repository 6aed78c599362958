"""A shortlisted supplier lists (上架) and delists (下架) its services under an agreement. Each command
is one transaction: the offering moves (domain.offering_after, at a price domain.check_listing allows),
the browse summary of its service follows, and ServiceListed / ServiceDelisted is recorded."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import domain
from catalog.agreements import event_tiers, find_agreement
from catalog.store import Agreement, Offering, Service, ShortlistedSupplier, lock_supplier, offering_of, refresh_services
from contracts_schema.events import catalog as events
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Forbidden, Invalid
from servicekit.logging import bind_context
from servicekit.outbox import emit


async def _my_offering(session: AsyncSession, user: Principal, agreement: Agreement,
                       service_id: str) -> tuple[ShortlistedSupplier, Offering, Service]:
    supplier = await lock_supplier(session, agreement.id, user.org_id)
    if supplier is None:
        raise Forbidden(f"贵单位未入围框架协议 {agreement.agreement_no}", code="not_shortlisted")
    found = await offering_of(session, agreement.id, user.org_id, service_id)
    if found is None:
        raise Invalid(f"第一阶段未确定贵单位在框架协议 {agreement.agreement_no} 下服务 {service_id} 的协议价格",
                      code="service_not_in_agreement")
    return supplier, *found


async def list_service(db: Database, user: Principal, agreement_id: str, service_id: str,
                       price: Decimal) -> tuple[Offering, Service]:
    """上架 at `price` (never above the agreement price); again: a new listed price. Listing again at the
    same price changes nothing and publishes nothing."""
    bind_context(agreement_id=agreement_id, service_id=service_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await find_agreement(session, agreement_id)
        supplier, offering, service = await _my_offering(session, user, agreement, service_id)
        domain.check_listing(price=price, agreement_price=offering.agreement_price,
                             agreement_status=agreement.status, valid_to=agreement.valid_to,
                             today=domain.today_in_shanghai(now), supplier_status=supplier.status)
        if offering.status == "listed" and offering.price == price:
            return offering, service
        offering.status = domain.offering_after(offering.status, "list")
        offering.price, offering.listed_at = price, now
        session.add(offering)
        await session.flush()
        await refresh_services(session, [service.id], domain.today_in_shanghai(now))
        await emit(session, events.ServiceListed(
            agreement_id=agreement_id, offering_id=offering.id, service_id=service.id, service_name=service.name,
            category_code=service.category_code, unit=service.unit, supplier_id=supplier.supplier_id,
            supplier_name=supplier.name, price=price, agreement_price=offering.agreement_price,
            discount_tiers=event_tiers(offering), listed_at=now))
    return offering, service


async def delist_service(db: Database, user: Principal, agreement_id: str, service_id: str,
                         reason: str) -> tuple[Offering, Service]:
    """下架: the offering can no longer be chosen nor quoted with."""
    bind_context(agreement_id=agreement_id, service_id=service_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await find_agreement(session, agreement_id)
        supplier, offering, service = await _my_offering(session, user, agreement, service_id)
        offering.status = domain.offering_after(offering.status, "delist")
        offering.delisted_at, offering.delist_reason = now, reason
        session.add(offering)
        await session.flush()
        await refresh_services(session, [service.id], domain.today_in_shanghai(now))
        await emit(session, events.ServiceDelisted(agreement_id=agreement_id, offering_id=offering.id,
                                                   service_id=service.id, supplier_id=supplier.supplier_id,
                                                   reason=reason, delisted_at=now))
    return offering, service
