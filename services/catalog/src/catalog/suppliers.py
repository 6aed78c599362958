"""The collecting agency suspends (暂停) and reinstates (恢复) a shortlisted supplier under one of its
agreements. Each command is one transaction: the supplier's standing moves (domain.supplier_after),
the browse summary of its services follows, and SupplierSuspended / SupplierReinstated is recorded."""

from __future__ import annotations

from catalog import domain
from catalog.agreements import find_agreement
from catalog.store import ShortlistedSupplier, lock_supplier, refresh_services, services_of_agreement
from contracts_schema.events import catalog as events
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Forbidden, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit


async def suspend_supplier(db: Database, user: Principal, agreement_id: str, supplier_id: str,
                           reason: str) -> ShortlistedSupplier:
    """No longer offered, nor chosen, nor quoting under the agreement until reinstated."""
    return await _move(db, user, agreement_id, supplier_id, "suspend", reason)


async def reinstate_supplier(db: Database, user: Principal, agreement_id: str, supplier_id: str,
                             reason: str) -> ShortlistedSupplier:
    return await _move(db, user, agreement_id, supplier_id, "reinstate", reason)


async def _move(db: Database, user: Principal, agreement_id: str, supplier_id: str, action: str,
                reason: str) -> ShortlistedSupplier:
    bind_context(agreement_id=agreement_id, supplier_id=supplier_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await find_agreement(session, agreement_id)
        if agreement.agency_org_id != user.org_id:
            raise Forbidden(f"只有发布框架协议 {agreement.agreement_no} 的征集单位才能暂停或恢复其入围供应商")
        domain.check_agreement_open(agreement.status)
        supplier = await lock_supplier(session, agreement_id, supplier_id)
        if supplier is None:
            raise NotFound(f"供应商 {supplier_id} 未入围框架协议 {agreement.agreement_no}")
        supplier.status = domain.supplier_after(supplier.status, action)
        supplier.status_reason, supplier.status_changed_at = (reason if action == "suspend" else ""), now
        session.add(supplier)
        await session.flush()
        await refresh_services(session, await services_of_agreement(session, agreement_id, supplier_id),
                               domain.today_in_shanghai(now))
        if action == "suspend":
            await emit(session, events.SupplierSuspended(agreement_id=agreement_id, supplier_id=supplier_id,
                                                         supplier_name=supplier.name, reason=reason, suspended_at=now))
        else:
            await emit(session, events.SupplierReinstated(agreement_id=agreement_id, supplier_id=supplier_id,
                                                          supplier_name=supplier.name, reason=reason,
                                                          reinstated_at=now))
    return supplier
