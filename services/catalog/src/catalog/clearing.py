"""Clearing (清退) a shortlisted supplier, and the cases that may lead to it.

- The collecting agency clears a supplier under one of its agreements for one of the measures' causes
  (domain.CLEARING_CAUSES), with its statement of the facts. One transaction: the supplier's standing
  becomes 已清退 for good (no reinstatement), its place in the rotation order is removed, its services
  leave the library, the clearing is recorded (who, when, cause, reason) and SupplierCleared is
  published. Bidding then treats it as a suspended supplier for good: excluded from every new project,
  from quoting, at the close and at the award, and from rotation (a rotation project waiting for its
  answer goes to the next supplier).
- The cases: every rotation decline without a valid reason (RotationDeclined, valid_reason false) and
  every contract of the agreement not signed by its deadline (ContractDrafted's sign_due_on, until
  ContractStamped) are counted per supplier and shown to the agency beside the clearing form. The
  platform counts; the agency decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import domain
from catalog.agreements import find_agreement
from catalog.store import (Agreement, ClearingCase, RotationPosition, ShortlistedSupplier, SupplierClearing,
                           lock_supplier, refresh_services, services_of_agreement)
from contracts_schema.events import catalog as events
from contracts_schema.events.bidding import RotationDeclined
from contracts_schema.events.contracts import ContractDrafted, ContractStamped
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Forbidden, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit

DECLINED = "declined_without_reason"
CONTRACT = "contract"


async def _own_agreement(session: AsyncSession, user: Principal, agreement_id: str) -> Agreement:
    agreement = await find_agreement(session, agreement_id)
    if agreement.agency_org_id != user.org_id:
        raise Forbidden(f"只有发布框架协议 {agreement.agreement_no} 的征集单位才能清退其入围供应商或查看清退情形")
    return agreement


async def clear_supplier(db: Database, user: Principal, agreement_id: str, supplier_id: str, cause: str,
                         reason: str) -> tuple[ShortlistedSupplier, SupplierClearing]:
    bind_context(agreement_id=agreement_id, supplier_id=supplier_id)
    label = domain.clearing_cause(cause)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await _own_agreement(session, user, agreement_id)
        supplier = await lock_supplier(session, agreement_id, supplier_id)
        if supplier is None:
            raise NotFound(f"供应商 {supplier_id} 未入围框架协议 {agreement.agreement_no}")
        supplier.status = domain.supplier_after(supplier.status, "clear")
        supplier.status_reason, supplier.status_changed_at = f"清退：{label}。{reason}", now
        session.add(supplier)
        place = await session.get(RotationPosition, (agreement_id, supplier_id))
        if place is not None:
            place.removed_at, place.removed_reason = now, f"清退：{label}"
            session.add(place)
        clearing = SupplierClearing(id=f"CL{uuid4().hex[:14]}", agreement_id=agreement_id, supplier_id=supplier_id,
                                    supplier_name=supplier.name, cause=cause, cause_label=label, reason=reason,
                                    cleared_by=user.username, cleared_by_org=user.org_name, cleared_at=now)
        session.add(clearing)
        await session.flush()
        await refresh_services(session, await services_of_agreement(session, agreement_id, supplier_id),
                               domain.today_in_shanghai(now))
        order = (await session.exec(select(RotationPosition.supplier_id).where(
            RotationPosition.agreement_id == agreement_id, RotationPosition.removed_at.is_(None))  # type: ignore[union-attr]
            .order_by(RotationPosition.position))).all()
        await emit(session, events.SupplierCleared(
            agreement_id=agreement_id, supplier_id=supplier_id, supplier_name=supplier.name, cause=cause,
            cause_label=label, reason=reason, cleared_by=user.username, cleared_at=now, rotation_order=list(order)))
    return supplier, clearing


# --- the cases that may lead to clearing, from the events ------------------------------------------------

async def record_decline(session: AsyncSession, event: RotationDeclined) -> None:
    """A rotation decline without a valid reason is one case against its supplier."""
    if event.valid_reason:
        return
    key = (f"{event.project_id}:{event.supplier_id}", DECLINED)
    if await session.get(ClearingCase, key) is not None:
        return
    session.add(ClearingCase(id=key[0], kind=DECLINED, agreement_id=event.agreement_id, supplier_id=event.supplier_id,
                             reference_no=event.project_no, detail=f"{event.reason_label}：{event.reason}",
                             occurred_at=event.declined_at))


async def record_contract(session: AsyncSession, event: ContractDrafted) -> None:
    """A drafted contract with a signing deadline: overdue while unsigned after it (counted when read)."""
    if event.sign_due_on is None or not event.agreement_no:
        return
    agreement_id = (await session.exec(select(Agreement.id).where(Agreement.agreement_no == event.agreement_no))).first()
    if agreement_id is None or await session.get(ClearingCase, (event.contract_id, CONTRACT)) is not None:
        return
    session.add(ClearingCase(id=event.contract_id, kind=CONTRACT, agreement_id=agreement_id,
                             supplier_id=event.supplier_id, reference_no=event.contract_no,
                             detail=f"项目 {event.project_no} 的合同", occurred_at=event.drafted_at,
                             due_on=event.sign_due_on))


async def record_stamped(session: AsyncSession, event: ContractStamped) -> None:
    case = await session.get(ClearingCase, (event.contract_id, CONTRACT))
    if case is not None:
        case.done = True
        session.add(case)


@dataclass(frozen=True)
class SupplierCases:
    supplier: ShortlistedSupplier
    declines_without_reason: list[ClearingCase]
    overdue_contracts: list[ClearingCase]


def overdue(case: ClearingCase, today: date) -> bool:
    """A contract case counts while the contract is unsigned after its deadline day."""
    return not case.done and case.due_on is not None and today > case.due_on


async def clearing_overview(db: Database, user: Principal,
                            agreement_id: str) -> tuple[Agreement, list[SupplierCases], list[SupplierClearing]]:
    """What the agency's clearing screen shows: per supplier its cases, and every clearing done."""
    today = domain.today_in_shanghai(utcnow())
    async with db.read() as session:
        agreement = await _own_agreement(session, user, agreement_id)
        suppliers = (await session.exec(select(ShortlistedSupplier).where(
            ShortlistedSupplier.agreement_id == agreement_id).order_by(ShortlistedSupplier.supplier_id))).all()
        cases = (await session.exec(select(ClearingCase).where(ClearingCase.agreement_id == agreement_id)
                                    .order_by(ClearingCase.occurred_at))).all()
        clearings = (await session.exec(select(SupplierClearing).where(SupplierClearing.agreement_id == agreement_id)
                                        .order_by(sa.desc(SupplierClearing.cleared_at)))).all()
    out = [SupplierCases(s, [c for c in cases if c.supplier_id == s.supplier_id and c.kind == DECLINED],
                         [c for c in cases if c.supplier_id == s.supplier_id and c.kind == CONTRACT
                          and overdue(c, today)])
           for s in suppliers]
    return agreement, out, list(clearings)
