"""HTTP routes for the stage-1 data (reached through the gateway under /api/v1/catalog):
- the collecting agency publishes an agreement with its whole stage-1 result, suspends and reinstates
  shortlisted suppliers;
- a shortlisted supplier lists (上架) and delists (下架) its services under an agreement;
- anyone logged in reads agreements (their methods, validity, template, suppliers and prices)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import domain
from catalog.api import AgreementBrief, TierOut, agreement_brief
from catalog.store import (
    Agreement,
    Offering,
    Service,
    ShortlistedSupplier,
    lock_supplier,
    refresh_services,
    service_ids_for,
    services_of_agreement,
)
from contracts_schema import categories
from contracts_schema.events import catalog as events
from contracts_schema.types import Money, Quantity, utcnow
from servicekit.app import DB
from servicekit.auth import Agency, CurrentUser, Principal, Supplier
from servicekit.errors import Conflict, Forbidden, Invalid, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import ShanghaiTime

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog stage-1 data 协议与入围"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Optional300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^C\d{2,8}$")]
Price = Annotated[Money, Field(gt=0, le=999999999.99)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid4().hex[:14]}"


# ── request and response models ──────────────────────────────────────────────────────────────────


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_quantity: Quantity = Field(description="From this quantity on…")
    unit_price: Price = Field(description="…the unit price is at most this")


class ServiceOfferIn(BaseModel):
    """One service a supplier offers under the agreement, at its agreement price (the ceiling)."""

    model_config = ConfigDict(extra="forbid")

    category_code: CategoryCode
    name: Text
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    agreement_price: Price
    discount_tiers: Annotated[list[TierIn], Field(max_length=10)] = []


class ShortlistedSupplierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{18}$")] = Field(
        description="The supplier unit's org id (统一社会信用代码)")
    name: Text
    address: Optional300 = ""
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{0,20}$")] = ""
    services: Annotated[list[ServiceOfferIn], Field(min_length=1, max_length=2000)]


class AgreementIn(BaseModel):
    """A framework agreement (框架协议) with its whole stage-1 result."""

    model_config = ConfigDict(extra="forbid")

    agreement_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-]{3,60}$")]
    name: Text
    agency_address: Optional300 = ""
    category_code: CategoryCode = Field(description="The category the agreement covers; its services lie beneath it")
    valid_from: date
    valid_to: date = Field(description="Last day the agreement may be used (inclusive)")
    methods: Annotated[list[Literal["direct_selection", "secondary_bidding"]], Field(min_length=1, max_length=2)]
    contract_template: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50000)]
    suppliers: Annotated[list[ShortlistedSupplierIn], Field(min_length=1, max_length=200)]


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str
    price: Price = Field(description="Listed unit price; never above the agreement price")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = ""


class RequiredReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SupplierOut(BaseModel):
    supplier_id: str
    name: str
    address: str
    contact_name: str
    contact_phone: str
    status: str
    status_label: str
    status_reason: str


class OfferingOut(BaseModel):
    offering_id: str
    agreement_id: str
    service_id: str
    service_name: str
    category_code: str
    unit: str
    supplier_id: str
    agreement_price: Money
    discount_tiers: list[TierOut]
    price: Money | None
    status: str
    status_label: str
    listed_at: ShanghaiTime | None
    delisted_at: ShanghaiTime | None


class AgreementOut(AgreementBrief):
    agency_org_id: str
    agency_name: str
    agency_address: str
    category_code: str
    category_name: str
    contract_template: str
    published_at: ShanghaiTime
    suppliers: list[SupplierOut]
    offerings: list[OfferingOut]


class AgreementPage(BaseModel):
    items: list[AgreementBrief]
    total: int
    page: int
    page_size: int


class MyOffering(OfferingOut):
    agreement: AgreementBrief


# ── rendering ────────────────────────────────────────────────────────────────────────────────────


def supplier_out(s: ShortlistedSupplier) -> SupplierOut:
    return SupplierOut(**s.model_dump(include=set(SupplierOut.model_fields)),
                       status_label=domain.SUPPLIER_LABELS[s.status])


def offering_out(o: Offering, service: Service) -> OfferingOut:
    return OfferingOut(offering_id=o.id, agreement_id=o.agreement_id, service_id=o.service_id,
                       service_name=service.name, category_code=service.category_code, unit=service.unit,
                       supplier_id=o.supplier_id, agreement_price=o.agreement_price,
                       discount_tiers=[TierOut(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in o.tiers()],
                       price=o.price, status=o.status, status_label=domain.OFFERING_LABELS[o.status],
                       listed_at=o.listed_at, delisted_at=o.delisted_at)


async def _agreement_out(session: AsyncSession, agreement: Agreement) -> AgreementOut:
    suppliers = (await session.exec(select(ShortlistedSupplier).where(ShortlistedSupplier.agreement_id == agreement.id)
                                    .order_by(ShortlistedSupplier.supplier_id))).all()
    rows = (await session.exec(select(Offering, Service).join(Service, Service.id == Offering.service_id)
                               .where(Offering.agreement_id == agreement.id)
                               .order_by(Offering.supplier_id, Service.category_code, Service.name))).all()
    return AgreementOut(**agreement_brief(agreement).model_dump(),
                        **agreement.model_dump(include={"agency_org_id", "agency_name", "agency_address",
                                                        "category_code", "contract_template", "published_at"}),
                        category_name=categories.NAMES.get(agreement.category_code, ""),
                        suppliers=[supplier_out(s) for s in suppliers], offerings=[offering_out(o, s) for o, s in rows])


async def _agreement(session: AsyncSession, agreement_id: str, *, lock: bool = False) -> Agreement:
    stmt = select(Agreement).where(Agreement.id == agreement_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    agreement = (await session.exec(stmt)).first()
    if agreement is None:
        raise NotFound(f"agreement {agreement_id} not found")
    return agreement


# ── the agency: publish, suspend, reinstate ──────────────────────────────────────────────────────


@router.post("/agreements", status_code=201, response_model=AgreementOut,
             summary="Publish a framework agreement with its stage-1 result (agency)")
async def publish_agreement(body: AgreementIn, user: Agency, db: DB) -> AgreementOut:
    now = utcnow()
    today = domain.today_in_shanghai(now)
    keys = {s.supplier_id: [domain.ServiceKey(x.category_code, x.name, x.unit) for x in s.services]
            for s in body.suppliers}
    domain.check_stage1(agreement_category=body.category_code, valid_from=body.valid_from, valid_to=body.valid_to,
                        today=today, methods=list(body.methods), supplier_ids=[s.supplier_id for s in body.suppliers],
                        services_by_supplier=keys)
    tiers = {(s.supplier_id, i): domain.check_tiers(x.agreement_price, [domain.Tier(t.min_quantity, t.unit_price)
                                                                       for t in x.discount_tiers])
             for s in body.suppliers for i, x in enumerate(s.services)}
    agreement_id = _new_id("AG")
    bind_context(agreement_id=agreement_id)
    async with db.transaction() as session:
        taken = (await session.exec(select(Agreement.id).where(Agreement.agreement_no == body.agreement_no))).first()
        if taken:
            raise Conflict(f"agreement {body.agreement_no} is already published (as {taken})",
                           code="agreement_exists")
        agreement = Agreement(id=agreement_id, agreement_no=body.agreement_no, name=body.name,
                              agency_org_id=user.org_id, agency_name=user.org_name, agency_address=body.agency_address,
                              category_code=body.category_code, valid_from=body.valid_from, valid_to=body.valid_to,
                              methods=list(body.methods), contract_template=body.contract_template,
                              status=domain.agreement_status(body.valid_from, body.valid_to, today), published_at=now)
        session.add(agreement)
        descriptions = {domain.ServiceKey(x.category_code, x.name, x.unit): x.description
                        for s in body.suppliers for x in s.services}
        service_ids = await service_ids_for(session, descriptions, descriptions, lambda: _new_id("SV"))
        await session.flush()
        session.add_all([ShortlistedSupplier(agreement_id=agreement_id, **s.model_dump(exclude={"services"}))
                         for s in body.suppliers])
        offerings = [Offering(id=_new_id("OF"), agreement_id=agreement_id,
                              service_id=service_ids[domain.ServiceKey(x.category_code, x.name, x.unit)],
                              supplier_id=s.supplier_id, agreement_price=x.agreement_price,
                              discount_tiers=[{"min_quantity": str(t.min_quantity), "unit_price": f"{t.unit_price:.2f}"}
                                              for t in tiers[(s.supplier_id, i)]])
                     for s in body.suppliers for i, x in enumerate(s.services)]
        session.add_all(offerings)
        await session.flush()
        out = await _agreement_out(session, agreement)
        await emit(session, _published_event(out))
    return out


def _published_event(a: AgreementOut) -> events.AgreementPublished:
    services = {o.service_id: events.ServiceItem(service_id=o.service_id, category_code=o.category_code,
                                                 category_name=categories.NAMES[o.category_code], name=o.service_name,
                                                 unit=o.unit)
                for o in a.offerings}
    return events.AgreementPublished(
        agreement_id=a.id, agreement_no=a.agreement_no, name=a.name, agency_org_id=a.agency_org_id,
        agency_name=a.agency_name, agency_address=a.agency_address, category_code=a.category_code,
        category_name=a.category_name, valid_from=a.valid_from, valid_to=a.valid_to,
        methods=[m.code for m in a.methods], contract_template=a.contract_template,
        suppliers=[events.ShortlistedSupplier(**s.model_dump(include={"supplier_id", "name", "address", "contact_name",
                                                                      "contact_phone", "status"}))
                   for s in a.suppliers],
        services=list(services.values()),
        offerings=[events.Offering(offering_id=o.offering_id, service_id=o.service_id, supplier_id=o.supplier_id,
                                   agreement_price=o.agreement_price, listed=o.status == "listed", price=o.price,
                                   discount_tiers=[events.DiscountTier(**t.model_dump()) for t in o.discount_tiers])
                   for o in a.offerings],
        published_at=a.published_at)


async def _standing(user: Principal, db: DB, agreement_id: str, supplier_id: str, action: str,
                    reason: str) -> SupplierOut:
    bind_context(agreement_id=agreement_id, supplier_id=supplier_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await _agreement(session, agreement_id)
        if agreement.agency_org_id != user.org_id:
            raise Forbidden("only the collecting agency that published the agreement may do this")
        domain.check_agreement_open(agreement.status)
        supplier = await lock_supplier(session, agreement_id, supplier_id)
        if supplier is None:
            raise NotFound(f"supplier {supplier_id} is not shortlisted under agreement {agreement.agreement_no}")
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
        return supplier_out(supplier)


@router.post("/agreements/{agreement_id}/suppliers/{supplier_id}/suspend", response_model=SupplierOut,
             summary="Suspend a shortlisted supplier under the agreement (agency): it is no longer offered")
async def suspend_supplier(agreement_id: str, supplier_id: str, body: RequiredReasonIn, user: Agency,
                           db: DB) -> SupplierOut:
    return await _standing(user, db, agreement_id, supplier_id, "suspend", body.reason)


@router.post("/agreements/{agreement_id}/suppliers/{supplier_id}/reinstate", response_model=SupplierOut,
             summary="Lift a supplier's suspension under the agreement (agency)")
async def reinstate_supplier(agreement_id: str, supplier_id: str, body: ReasonIn, user: Agency,
                             db: DB) -> SupplierOut:
    return await _standing(user, db, agreement_id, supplier_id, "reinstate", body.reason)


# ── everyone: read agreements ────────────────────────────────────────────────────────────────────


@router.get("/agreements", response_model=AgreementPage, summary="Framework agreements, newest first")
async def list_agreements(
    user: CurrentUser, db: DB,
    category: Annotated[str | None, Query(pattern=r"^C\d{2,8}$",
                                          description="Agreements covering this category or beneath it")] = None,
    status: Annotated[Literal["scheduled", "active", "expired"] | None, Query()] = None,
    agreement_no: Annotated[str | None, Query(max_length=60)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AgreementPage:
    where = []
    if category:
        where.append(Agreement.category_code.startswith(category))  # type: ignore[attr-defined]
    if status:
        where.append(Agreement.status == status)
    if agreement_no:
        where.append(Agreement.agreement_no == agreement_no)
    async with db.read() as session:
        total = (await session.exec(select(func.count()).select_from(Agreement).where(*where))).one()
        rows = (await session.exec(select(Agreement).where(*where).order_by(Agreement.published_at.desc())  # type: ignore[attr-defined]
                                   .offset((page - 1) * page_size).limit(page_size))).all()
    return AgreementPage(items=[agreement_brief(a) for a in rows], total=total, page=page, page_size=page_size)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut,
            summary="One agreement: validity, methods, contract template, suppliers and their prices")
async def get_agreement(agreement_id: str, user: CurrentUser, db: DB) -> AgreementOut:
    bind_context(agreement_id=agreement_id)
    async with db.read() as session:
        return await _agreement_out(session, await _agreement(session, agreement_id))


# ── a shortlisted supplier: list, delist, see its offerings ──────────────────────────────────────


async def _my_offering(session: AsyncSession, user: Principal, agreement: Agreement,
                       service_id: str) -> tuple[ShortlistedSupplier, Offering, Service]:
    supplier = await lock_supplier(session, agreement.id, user.org_id)
    if supplier is None:
        raise Forbidden(f"your unit is not shortlisted under agreement {agreement.agreement_no}",
                        code="not_shortlisted")
    row = (await session.exec(select(Offering, Service).join(Service, Service.id == Offering.service_id).where(
        Offering.agreement_id == agreement.id, Offering.supplier_id == user.org_id,
        Offering.service_id == service_id))).first()
    if row is None:
        raise Invalid(f"stage 1 fixed no price of yours for service {service_id} under agreement "
                      f"{agreement.agreement_no}", code="service_not_in_agreement")
    return supplier, row[0], row[1]


@router.post("/agreements/{agreement_id}/listings", response_model=OfferingOut,
             summary="上架: list one of your services under the agreement at a price ≤ the agreement price "
                     "(again: change the listed price)")
async def list_service(agreement_id: str, body: ListingIn, user: Supplier, db: DB) -> OfferingOut:
    bind_context(agreement_id=agreement_id, service_id=body.service_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await _agreement(session, agreement_id)
        supplier, offering, service = await _my_offering(session, user, agreement, body.service_id)
        domain.check_listing(price=body.price, agreement_price=offering.agreement_price,
                             agreement_status=agreement.status, valid_to=agreement.valid_to,
                             today=domain.today_in_shanghai(now), supplier_status=supplier.status)
        if offering.status == "listed" and offering.price == body.price:
            return offering_out(offering, service)
        offering.status = domain.offering_after(offering.status, "list")
        offering.price, offering.listed_at = body.price, now
        session.add(offering)
        await session.flush()
        await refresh_services(session, [service.id], domain.today_in_shanghai(now))
        await emit(session, events.ServiceListed(
            agreement_id=agreement_id, offering_id=offering.id, service_id=service.id, service_name=service.name,
            category_code=service.category_code, unit=service.unit, supplier_id=supplier.supplier_id,
            supplier_name=supplier.name, price=body.price, agreement_price=offering.agreement_price,
            discount_tiers=[events.DiscountTier(min_quantity=t.min_quantity, unit_price=t.unit_price)
                            for t in offering.tiers()], listed_at=now))
        return offering_out(offering, service)


@router.post("/agreements/{agreement_id}/listings/{service_id}/delist", response_model=OfferingOut,
             summary="下架: delist one of your services under the agreement")
async def delist_service(agreement_id: str, service_id: str, body: ReasonIn, user: Supplier, db: DB) -> OfferingOut:
    bind_context(agreement_id=agreement_id, service_id=service_id)
    now = utcnow()
    async with db.transaction() as session:
        agreement = await _agreement(session, agreement_id)
        supplier, offering, service = await _my_offering(session, user, agreement, service_id)
        offering.status = domain.offering_after(offering.status, "delist")
        offering.delisted_at, offering.delist_reason = now, body.reason
        session.add(offering)
        await session.flush()
        await refresh_services(session, [service.id], domain.today_in_shanghai(now))
        await emit(session, events.ServiceDelisted(agreement_id=agreement_id, offering_id=offering.id,
                                                   service_id=service.id, supplier_id=supplier.supplier_id,
                                                   reason=body.reason, delisted_at=now))
        return offering_out(offering, service)


@router.get("/my-offerings", response_model=list[MyOffering],
            summary="Your unit's offerings under every agreement it is shortlisted in (supplier)")
async def my_offerings(user: Supplier, db: DB) -> list[MyOffering]:
    async with db.read() as session:
        rows = (await session.exec(
            select(Offering, Service, Agreement).join(Service, Service.id == Offering.service_id)
            .join(Agreement, Agreement.id == Offering.agreement_id).where(Offering.supplier_id == user.org_id)
            .order_by(Agreement.agreement_no, Service.category_code, Service.name))).all()
    return [MyOffering(**offering_out(o, s).model_dump(), agreement=agreement_brief(a)) for o, s, a in rows]

