"""HTTP routes of the catalog service (reached through the gateway under /api/v1): browsing the
shortlisted-service library (入围服务库) — categories, services by category and keyword, one service
with the agreements and suppliers offering it. Any logged-in user. The agency's and the suppliers'
routes are in stage1_api.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import func, select

from catalog import domain
from catalog.store import Agreement, Offering, Service, ShortlistedSupplier, escape_like
from contracts_schema import categories
from contracts_schema.types import Money, Quantity, utcnow
from servicekit.app import DB
from servicekit.auth import CurrentUser
from servicekit.errors import Invalid, NotFound
from servicekit.logging import bind_context

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog 入围服务库"])


class CategoryNode(BaseModel):
    code: str
    name: str
    offered_services: int
    children: list[CategoryNode]


class CategoryTree(BaseModel):
    items: list[CategoryNode]


class ServiceSummary(BaseModel):
    id: str
    category_code: str
    category_name: str
    name: str
    unit: str
    description: str
    min_price: Money | None = None
    supplier_count: int
    agreement_count: int


class ServicePage(BaseModel):
    items: list[ServiceSummary]
    total: int
    page: int
    page_size: int


class Method(BaseModel):
    code: str
    label: str


class TierOut(BaseModel):
    min_quantity: Quantity
    unit_price: Money


class AgreementBrief(BaseModel):
    id: str
    agreement_no: str
    name: str
    valid_from: date
    valid_to: date
    methods: list[Method]
    status: str
    status_label: str


class SupplierBrief(BaseModel):
    supplier_id: str
    name: str
    address: str
    contact_name: str
    contact_phone: str


class Offer(BaseModel):
    offering_id: str
    agreement: AgreementBrief
    supplier: SupplierBrief
    agreement_price: Money
    price: Money
    discount_tiers: list[TierOut]


class ServiceDetail(ServiceSummary):
    offers: list[Offer]


def methods_of(codes: list[str]) -> list[Method]:
    return [Method(code=c, label=domain.METHOD_LABELS[c]) for c in codes]


def agreement_brief(agreement: Agreement) -> AgreementBrief:
    return AgreementBrief(**agreement.model_dump(include={"id", "agreement_no", "name", "valid_from", "valid_to",
                                                          "status"}),
                          methods=methods_of(agreement.methods), status_label=domain.AGREEMENT_LABELS[agreement.status])


def summary_of(service: Service) -> ServiceSummary:
    return ServiceSummary(**service.model_dump(include=set(ServiceSummary.model_fields)),
                          category_name=categories.NAMES.get(service.category_code, ""))


@router.get("/categories", response_model=CategoryTree,
            summary="品目: the category tree, with how many services are offered under each")
async def category_tree(user: CurrentUser, db: DB) -> CategoryTree:
    async with db.read() as session:
        rows = (await session.exec(select(Service.category_code, func.count()).where(Service.offered)
                                   .group_by(Service.category_code))).all()
    counts: dict[str, int] = {}
    for code, count in rows:
        for ancestor in categories.path_of(code):
            counts[ancestor] = counts.get(ancestor, 0) + count
    nodes = {code: CategoryNode(code=code, name=name, offered_services=counts.get(code, 0), children=[])
             for code, name in categories.CATEGORIES}
    roots: list[CategoryNode] = []
    for code, node in nodes.items():
        parent = categories.parent_of(code)
        (nodes[parent].children if parent else roots).append(node)
    return CategoryTree(items=roots)


@router.get("/services", response_model=ServicePage,
            summary="入围服务库: services offered now, by category and keyword (substring, Chinese works)")
async def search_services(
    user: CurrentUser, db: DB,
    category: Annotated[str | None, Query(description="Category code; its sub-categories are included")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Words that must all appear in the name, "
                                                               "description or category name")] = None,
    sort: Annotated[Literal["price", "-price", "name", "category"], Query(
        description="price: lowest listed price first; -price: highest first")] = "category",
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ServicePage:
    where = [Service.offered]
    if category:
        if not categories.is_known(category):
            raise Invalid(f"unknown category (品目) code {category!r}", code="unknown_category")
        where.append(Service.category_code.startswith(category))  # type: ignore[attr-defined]
    for word in (q or "").lower().split():
        where.append(Service.search_text.like(f"%{escape_like(word)}%", escape="\\"))  # type: ignore[attr-defined]
    order = {"price": (Service.min_price.asc(), Service.id), "-price": (Service.min_price.desc(), Service.id),  # type: ignore[union-attr]
             "name": (Service.name, Service.id), "category": (Service.category_code, Service.name, Service.id)}[sort]
    async with db.read() as session:
        total = (await session.exec(select(func.count()).select_from(Service).where(*where))).one()
        services = (await session.exec(select(Service).where(*where).order_by(*order)
                                       .offset((page - 1) * page_size).limit(page_size))).all()
    return ServicePage(items=[summary_of(s) for s in services], total=total, page=page, page_size=page_size)


@router.get("/services/{service_id}", response_model=ServiceDetail,
            summary="One service: the agreements and suppliers offering it now, with their prices")
async def get_service(service_id: str, user: CurrentUser, db: DB) -> ServiceDetail:
    bind_context(service_id=service_id)
    today = domain.today_in_shanghai(utcnow())
    async with db.read() as session:
        service = await session.get(Service, service_id)
        if service is None:
            raise NotFound(f"service {service_id} not found")
        rows = (await session.exec(
            select(Offering, Agreement, ShortlistedSupplier)
            .join(Agreement, Agreement.id == Offering.agreement_id)
            .join(ShortlistedSupplier, (ShortlistedSupplier.agreement_id == Offering.agreement_id)
                  & (ShortlistedSupplier.supplier_id == Offering.supplier_id))
            .where(Offering.service_id == service_id, Offering.status == "listed",
                   ShortlistedSupplier.status == "active"))).all()
    offers = [Offer(offering_id=o.id, agreement=agreement_brief(a),
                    supplier=SupplierBrief(**s.model_dump(include=set(SupplierBrief.model_fields))),
                    agreement_price=o.agreement_price, price=o.price,
                    discount_tiers=[TierOut(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in o.tiers()])
              for o, a, s in rows if domain.in_force(a.status, a.valid_from, a.valid_to, today)]
    offers.sort(key=lambda offer: (offer.price, offer.agreement.agreement_no, offer.supplier.supplier_id))
    return ServiceDetail(**summary_of(service).model_dump(), offers=offers)
