"""Publishing a framework agreement with its stage-1 result (the collecting agency's command), and
reading one back. The command is one transaction that checks the rules of domain.py, stores the
agreement, its shortlisted suppliers, the library's services and each supplier's offerings, and records
AgreementPublished — the whole result, as bidding keeps it — in the outbox."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import domain
from catalog.store import (
    Agreement,
    AgreementRecord,
    Offering,
    RotationPosition,
    ShortlistedSupplier,
    get_agreement,
    load_agreement,
    rotation_order,
    service_ids_for,
)
from contracts_schema import categories
from contracts_schema.events import catalog as events
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Forbidden, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid4().hex[:14]}"


async def find_agreement(session: AsyncSession, agreement_id: str) -> Agreement:
    agreement = await get_agreement(session, agreement_id)
    if agreement is None:
        raise NotFound(f"框架协议 {agreement_id} 不存在")
    return agreement


def event_tiers(offering: Offering) -> list[events.DiscountTier]:
    return [events.DiscountTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in offering.tiers()]


def _key(service: dict[str, Any]) -> domain.ServiceKey:
    return domain.ServiceKey(service["category_code"], service["name"], service["unit"])


async def publish_agreement(db: Database, user: Principal, data: dict[str, Any]) -> AgreementRecord:
    """`data` is the agreement as the agency entered it: its fields, and `suppliers`, each with its
    `services` (category_code, name, unit, description, agreement_price, discount_tiers)."""
    now = utcnow()
    today = domain.today_in_shanghai(now)
    suppliers = data["suppliers"]
    domain.check_stage1(agreement_category=data["category_code"], valid_from=data["valid_from"],
                        valid_to=data["valid_to"], today=today, methods=list(data["methods"]),
                        supplier_ids=[s["supplier_id"] for s in suppliers],
                        services_by_supplier={s["supplier_id"]: [_key(x) for x in s["services"]] for s in suppliers})
    tiers = {(s["supplier_id"], i): domain.check_tiers(x["agreement_price"],
                                                       [domain.Tier(t["min_quantity"], t["unit_price"])
                                                        for t in x["discount_tiers"]])
             for s in suppliers for i, x in enumerate(s["services"])}
    order = domain.rotation_order(list(data["methods"]), [s["supplier_id"] for s in suppliers],
                                  data.get("rotation_order"))
    agreement_id = new_id("AG")
    bind_context(agreement_id=agreement_id)
    async with db.transaction() as session:
        taken = (await session.exec(select(Agreement.id).where(Agreement.agreement_no == data["agreement_no"]))).first()
        if taken:
            raise Conflict(f"协议编号 {data['agreement_no']} 已发布过（{taken}）", code="agreement_exists")
        agreement = Agreement(id=agreement_id, agency_org_id=user.org_id, agency_name=user.org_name,
                              **{k: v for k, v in data.items() if k not in ("suppliers", "methods", "rotation_order")},
                              methods=list(data["methods"]), published_at=now,
                              status=domain.agreement_status(data["valid_from"], data["valid_to"], today))
        session.add(agreement)
        descriptions = {_key(x): x["description"] for s in suppliers for x in s["services"]}
        service_ids = await service_ids_for(session, descriptions, descriptions, lambda: new_id("SV"))
        await session.flush()
        session.add_all([ShortlistedSupplier(agreement_id=agreement_id, **{k: v for k, v in s.items() if k != "services"})
                         for s in suppliers])
        session.add_all([Offering(id=new_id("OF"), agreement_id=agreement_id, service_id=service_ids[_key(x)],
                                  supplier_id=s["supplier_id"], agreement_price=x["agreement_price"],
                                  discount_tiers=[{"min_quantity": str(t.min_quantity),
                                                   "unit_price": f"{t.unit_price:.2f}"}
                                                  for t in tiers[(s["supplier_id"], i)]])
                         for s in suppliers for i, x in enumerate(s["services"])])
        session.add_all([RotationPosition(agreement_id=agreement_id, supplier_id=supplier_id, position=place)
                         for place, supplier_id in enumerate(order or [], 1)])
        await session.flush()
        record = await load_agreement(session, agreement)
        await emit(session, _published_event(record))
    return record


async def add_supplier(db: Database, user: Principal, agreement_id: str, supplier: dict[str, Any]) -> AgreementRecord:
    """补充征集 (supplementary solicitation): one more shortlisted supplier with its services and agreement
    prices joins the agreement; under rotation it is appended at the end of the order (domain.appended).
    AgreementPublished is recorded again with the whole result, as bidding keeps it (the order bidding
    keeps stays, the new supplier is appended: bidding.domain.merged_order)."""
    now = utcnow()
    today = domain.today_in_shanghai(now)
    bind_context(agreement_id=agreement_id, supplier_id=supplier["supplier_id"])
    async with db.transaction() as session:
        agreement = await find_agreement(session, agreement_id)
        if agreement.agency_org_id != user.org_id:
            raise Forbidden(f"只有发布框架协议 {agreement.agreement_no} 的征集单位才能补充征集供应商")
        domain.check_agreement_open(agreement.status)
        domain.check_stage1(agreement_category=agreement.category_code, valid_from=agreement.valid_from,
                            valid_to=agreement.valid_to, today=today, methods=list(agreement.methods),
                            supplier_ids=[supplier["supplier_id"]],
                            services_by_supplier={supplier["supplier_id"]: [_key(x) for x in supplier["services"]]})
        record = await load_agreement(session, agreement)
        if any(s.supplier_id == supplier["supplier_id"] for s in record.suppliers):
            raise Conflict(f"供应商 {supplier['supplier_id']} 已入围框架协议 {agreement.agreement_no}",
                           code="duplicate_supplier")
        tiers = [domain.check_tiers(x["agreement_price"], [domain.Tier(t["min_quantity"], t["unit_price"])
                                                           for t in x["discount_tiers"]]) for x in supplier["services"]]
        descriptions = {_key(x): x["description"] for x in supplier["services"]}
        service_ids = await service_ids_for(session, descriptions, descriptions, lambda: new_id("SV"))
        session.add(ShortlistedSupplier(agreement_id=agreement_id,
                                        **{k: v for k, v in supplier.items() if k != "services"}))
        session.add_all([Offering(id=new_id("OF"), agreement_id=agreement_id, service_id=service_ids[_key(x)],
                                  supplier_id=supplier["supplier_id"], agreement_price=x["agreement_price"],
                                  discount_tiers=[{"min_quantity": str(t.min_quantity),
                                                   "unit_price": f"{t.unit_price:.2f}"} for t in tiers[i]])
                         for i, x in enumerate(supplier["services"])])
        if domain.ROTATION in agreement.methods:
            domain.appended([p.supplier_id for p in record.rotation], supplier["supplier_id"])
            session.add(RotationPosition(agreement_id=agreement_id, supplier_id=supplier["supplier_id"],
                                         position=max((p.position for p in record.rotation), default=0) + 1))
        await session.flush()
        record = await load_agreement(session, agreement)
        await emit(session, _published_event(record))
    return record


def _published_event(record: AgreementRecord) -> events.AgreementPublished:
    a = record.agreement
    services = {s.id: events.ServiceItem(service_id=s.id, category_code=s.category_code,
                                         category_name=categories.NAMES[s.category_code], name=s.name, unit=s.unit)
                for _, s in record.offerings}
    return events.AgreementPublished(
        agreement_id=a.id, agreement_no=a.agreement_no, name=a.name, agency_org_id=a.agency_org_id,
        agency_name=a.agency_name, agency_address=a.agency_address, category_code=a.category_code,
        category_name=categories.NAMES.get(a.category_code, ""), valid_from=a.valid_from, valid_to=a.valid_to,
        methods=list(a.methods), contract_template=a.contract_template,
        suppliers=[events.ShortlistedSupplier(supplier_id=s.supplier_id, name=s.name, address=s.address,
                                              contact_name=s.contact_name, contact_phone=s.contact_phone,
                                              status=s.status)
                   for s in record.suppliers],
        services=list(services.values()),
        offerings=[events.Offering(offering_id=o.id, service_id=o.service_id, supplier_id=o.supplier_id,
                                   agreement_price=o.agreement_price, listed=o.status == "listed", price=o.price,
                                   discount_tiers=event_tiers(o))
                   for o, _ in record.offerings],
        published_at=a.published_at, estimated_amount=a.estimated_amount, estimated_quantity=a.estimated_quantity,
        rotation_order=rotation_order(record))


async def open_agreement(db: Database, agreement_id: str) -> AgreementRecord:
    async with db.read() as session:
        return await load_agreement(session, await find_agreement(session, agreement_id))
