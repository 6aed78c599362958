"""HTTP routes of the agreements (reached through the gateway under /api/v1/catalog):
- the collecting agency publishes an agreement with its whole stage-1 result, suspends and reinstates
  shortlisted suppliers (agreements.py, suppliers.py);
- a shortlisted supplier lists (上架) and delists (下架) its services under an agreement (listings.py);
- anyone logged in reads agreements (their methods, validity, template, suppliers and prices)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import select

from catalog import agreements, clearing, listings, suppliers
from catalog.store import Agreement, Offering, Service, page_of
from catalog.views import (AgreementOut, AgreementPage, ClearingOut, ClearingOverview, MyOffering, OfferingOut,
                           SupplierOut, agreement_brief, agreement_out, clearing_out, clearing_overview, offering_out,
                           supplier_out)
from servicekit.app import DB
from servicekit.auth import Agency, CurrentUser, Supplier
from servicekit.logging import bind_context
from servicekit.types import CategoryCode, Id, Name, Page, PageSize, QuantityIn, line, money_in, paragraphs

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog stage-1 data 协议与入围"])

Optional300 = line(300, min_length=0)
Price = money_in(positive=True, at_most=Decimal("999999999.99"))
Reason = paragraphs(500)


# ── request models ───────────────────────────────────────────────────────────────────────────────


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_quantity: QuantityIn = Field(description="From this quantity on…")
    unit_price: Price = Field(description="…the unit price is at most this")


class ServiceOfferIn(BaseModel):
    """One service a supplier offers under the agreement, at its agreement price (the ceiling)."""

    model_config = ConfigDict(extra="forbid")

    category_code: CategoryCode
    name: Name
    unit: line(20)
    description: paragraphs(2000) = ""
    agreement_price: Price
    discount_tiers: Annotated[list[TierIn], Field(max_length=10)] = []


class ShortlistedSupplierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{18}$")] = Field(
        description="The supplier unit's org id (统一社会信用代码)")
    name: Name
    address: Optional300 = ""
    contact_name: line(100, min_length=0) = ""
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{0,20}$")] = ""
    services: Annotated[list[ServiceOfferIn], Field(min_length=1, max_length=2000)]


class AgreementIn(BaseModel):
    """A framework agreement (框架协议) with its whole stage-1 result."""

    model_config = ConfigDict(extra="forbid")

    agreement_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-]{3,60}$")]
    name: Name
    agency_address: Optional300 = ""
    category_code: CategoryCode = Field(description="The category the agreement covers; its services lie beneath it")
    valid_from: date
    valid_to: date = Field(description="Last day the agreement may be used (inclusive)")
    methods: Annotated[list[Literal["direct_selection", "secondary_bidding", "rotation"]],
                       Field(min_length=1, max_length=3)]
    contract_template: paragraphs(50000, min_length=1)
    suppliers: Annotated[list[ShortlistedSupplierIn], Field(min_length=1, max_length=200)]
    estimated_amount: Price | None = Field(None, description="预估采购金额 of the whole agreement (optional): the "
                                                             "ledger warns when the awards would pass it")
    estimated_quantity: QuantityIn | None = Field(None, description="预估采购数量 (optional), likewise")
    rotation_order: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{18}$")]] | None,
                              Field(max_length=200)] = Field(
        None, description="顺序轮候: the supplier ids in rotation order, each shortlisted supplier once; left out: "
                          "the order of `suppliers` (the stage-1 ranking). Only with methods including rotation")


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: Id
    price: Price = Field(description="Listed unit price; never above the agreement price")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = ""


class RequiredReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: paragraphs(500, min_length=1)


# ── the agency: publish, suspend, reinstate ──────────────────────────────────────────────────────


@router.post("/agreements", status_code=201, response_model=AgreementOut,
             summary="Publish a framework agreement with its stage-1 result (agency)")
async def publish_agreement(body: AgreementIn, user: Agency, db: DB) -> AgreementOut:
    return agreement_out(await agreements.publish_agreement(db, user, body.model_dump()))


@router.post("/agreements/{agreement_id}/suppliers", status_code=201, response_model=AgreementOut,
             summary="补充征集: add a shortlisted supplier with its services (agency); rotation: appended to the order")
async def add_supplier(agreement_id: Id, body: ShortlistedSupplierIn, user: Agency, db: DB) -> AgreementOut:
    return agreement_out(await agreements.add_supplier(db, user, agreement_id, body.model_dump()))


@router.post("/agreements/{agreement_id}/suppliers/{supplier_id}/suspend", response_model=SupplierOut,
             summary="Suspend a shortlisted supplier under the agreement (agency): it is no longer offered")
async def suspend_supplier(agreement_id: Id, supplier_id: Id, body: RequiredReasonIn, user: Agency,
                           db: DB) -> SupplierOut:
    return supplier_out(await suppliers.suspend_supplier(db, user, agreement_id, supplier_id, body.reason))


@router.post("/agreements/{agreement_id}/suppliers/{supplier_id}/reinstate", response_model=SupplierOut,
             summary="Lift a supplier's suspension under the agreement (agency)")
async def reinstate_supplier(agreement_id: Id, supplier_id: Id, body: ReasonIn, user: Agency,
                             db: DB) -> SupplierOut:
    return supplier_out(await suppliers.reinstate_supplier(db, user, agreement_id, supplier_id, body.reason))


class ClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        description="清退情形: one of the codes GET …/clearing lists (refused_award, not_performing, …)")
    reason: paragraphs(1000, min_length=1) = Field(description="The facts: which project or contract, what happened")


@router.post("/agreements/{agreement_id}/suppliers/{supplier_id}/clear", response_model=ClearingOut,
             summary="清退: clear a shortlisted supplier for one of the measures' causes (agency), for good")
async def clear_supplier(agreement_id: Id, supplier_id: Id, body: ClearIn, user: Agency, db: DB) -> ClearingOut:
    _, done = await clearing.clear_supplier(db, user, agreement_id, supplier_id, body.cause, body.reason)
    return clearing_out(done)


@router.get("/agreements/{agreement_id}/clearing", response_model=ClearingOverview,
            summary="清退管理: per supplier the cases that may lead to clearing, and the clearings done (agency)")
async def clearing_cases(agreement_id: Id, user: Agency, db: DB) -> ClearingOverview:
    bind_context(agreement_id=agreement_id)
    return clearing_overview(*await clearing.clearing_overview(db, user, agreement_id))


# ── everyone: read agreements ────────────────────────────────────────────────────────────────────


@router.get("/agreements", response_model=AgreementPage, summary="Framework agreements, newest first")
async def list_agreements(
    user: CurrentUser, db: DB,
    category: Annotated[str | None, Query(pattern=r"^C[0-9]{2,8}$",
                                          description="Agreements covering this category or beneath it")] = None,
    status: Annotated[Literal["scheduled", "active", "expired"] | None, Query()] = None,
    agreement_no: Annotated[line(60) | None, Query()] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> AgreementPage:
    where = []
    if category:
        where.append(Agreement.category_code.startswith(category))  # type: ignore[attr-defined]
    if status:
        where.append(Agreement.status == status)
    if agreement_no:
        where.append(Agreement.agreement_no == agreement_no)
    async with db.read() as session:
        total, rows = await page_of(session, Agreement, where, [Agreement.published_at.desc()],  # type: ignore[attr-defined]
                                    page=page, page_size=page_size)
    return AgreementPage(items=[agreement_brief(a) for a in rows], total=total, page=page, page_size=page_size)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut,
            summary="One agreement: validity, methods, contract template, suppliers and their prices")
async def get_agreement(agreement_id: Id, user: CurrentUser, db: DB) -> AgreementOut:
    bind_context(agreement_id=agreement_id)
    return agreement_out(await agreements.open_agreement(db, agreement_id))


# ── a shortlisted supplier: list, delist, see its offerings ──────────────────────────────────────


@router.post("/agreements/{agreement_id}/listings", response_model=OfferingOut,
             summary="上架: list one of your services under the agreement at a price ≤ the agreement price "
                     "(again: change the listed price)")
async def list_service(agreement_id: Id, body: ListingIn, user: Supplier, db: DB) -> OfferingOut:
    return offering_out(*await listings.list_service(db, user, agreement_id, body.service_id, body.price))


@router.post("/agreements/{agreement_id}/listings/{service_id}/delist", response_model=OfferingOut,
             summary="下架: delist one of your services under the agreement")
async def delist_service(agreement_id: Id, service_id: Id, body: ReasonIn, user: Supplier, db: DB) -> OfferingOut:
    return offering_out(*await listings.delist_service(db, user, agreement_id, service_id, body.reason))


@router.get("/my-offerings", response_model=list[MyOffering],
            summary="Your unit's offerings under every agreement it is shortlisted in (supplier)")
async def my_offerings(user: Supplier, db: DB) -> list[MyOffering]:
    async with db.read() as session:
        rows = (await session.exec(
            select(Offering, Service, Agreement).join(Service, Service.id == Offering.service_id)
            .join(Agreement, Agreement.id == Offering.agreement_id).where(Offering.supplier_id == user.org_id)
            .order_by(Agreement.agreement_no, Service.category_code, Service.name))).all()
    return [MyOffering(**offering_out(o, s).model_dump(), agreement=agreement_brief(a)) for o, s, a in rows]
