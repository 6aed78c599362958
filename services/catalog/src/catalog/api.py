"""HTTP routes of the catalog service (reached through the gateway under /api/v1): browsing the
shortlisted-service library (入围服务库) — categories, services by category and keyword, one service
with the agreements and suppliers offering it. Any logged-in user. The agreements' routes (the agency's
and the suppliers') are in agreements_api.py."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlmodel import select

from catalog import domain, reads
from catalog.store import Agreement, CategoryCount, Keywords, Offering, Service, ShortlistedSupplier, ratings_of, services_page
from catalog.views import (CategoryNode, CategoryTree, Offer, ServiceDetail, ServicePage, SupplierBrief,
                           agreement_brief, rating_out, service_detail_json, service_page_json, summary_of,
                           tiers_out)
from contracts_schema import categories
from contracts_schema.types import utcnow
from servicekit.app import DB
from servicekit.auth import CurrentUser
from servicekit.errors import Invalid, NotFound
from servicekit.logging import bind_context
from servicekit.types import CategoryCode, Id, Page, PageSize, line

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog 入围服务库"])


@router.get("/categories", response_model=CategoryTree,
            summary="品目: the category tree, with how many services are offered under each")
async def category_tree(user: CurrentUser, db: DB) -> CategoryTree:
    async with db.read() as session:
        rows = (await session.exec(select(CategoryCount.category_code, CategoryCount.offered_services))).all()
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
    category: Annotated[CategoryCode | None, Query(description="Category code; its sub-categories are included")] = None,
    q: Annotated[line(100, min_length=0) | None, Query(description="Words that must all appear in the name, "
                                                               "description or category name")] = None,
    sort: Annotated[Literal["price", "-price", "name", "category"], Query(
        description="price: lowest listed price first; -price: highest first (equal prices: "
                    "by id, descending)")] = "category",
    page: Page = 1,
    page_size: PageSize = 20,
) -> Response:
    if category and not categories.is_known(category):
        raise Invalid(f"品目编码 “{category}” 不存在", code="unknown_category")
    keywords = Keywords.of(q)
    if db.is_postgres and not keywords.words:  # the plain list: on the driver's connection (catalog.reads)
        found = await reads.services_page(db, sort, category=category, page=page, page_size=page_size)
    else:
        async with db.read() as session:
            found = await services_page(session, keywords, sort, category=category, page=page, page_size=page_size)
    # the bytes once (the route keeps response_model for its document; FastAPI validates no Response)
    return Response(service_page_json(found, page, page_size), media_type="application/json")


@router.get("/services/{service_id}", response_model=ServiceDetail,
            summary="One service: the agreements and suppliers offering it now, with their prices")
async def get_service(service_id: Id, user: CurrentUser, db: DB) -> ServiceDetail | Response:
    bind_context(service_id=service_id)
    today = domain.today_in_shanghai(utcnow())
    if db.is_postgres:  # on the driver's connection (catalog.reads), the bytes once (as the list)
        row, offer_rows = await reads.service_with_offers(db, service_id)
        if row is None:
            raise NotFound(f"服务 {service_id} 不存在")
        return Response(service_detail_json(row, offer_rows, today), media_type="application/json")
    async with db.read() as session:
        service = await session.get(Service, service_id)
        if service is None:
            raise NotFound(f"服务 {service_id} 不存在")
        rows = (await session.exec(
            select(Offering, Agreement, ShortlistedSupplier)
            .join(Agreement, Agreement.id == Offering.agreement_id)
            .join(ShortlistedSupplier, (ShortlistedSupplier.agreement_id == Offering.agreement_id)
                  & (ShortlistedSupplier.supplier_id == Offering.supplier_id))
            .where(Offering.service_id == service_id, Offering.status == "listed",
                   ShortlistedSupplier.status == "active"))).all()
        ratings = await ratings_of(session, [s.supplier_id for _, _, s in rows])
    offers = [Offer(offering_id=o.id, agreement=agreement_brief(a),
                    supplier=SupplierBrief(**s.model_dump(include=set(SupplierBrief.model_fields))),
                    agreement_price=o.agreement_price, price=o.price,
                    discount_tiers=tiers_out(o), rating=rating_out(ratings.get(s.supplier_id)))
              for o, a, s in rows if domain.in_force(a.status, a.valid_from, a.valid_to, today)]
    offers.sort(key=lambda offer: (offer.price, offer.agreement.agreement_no, offer.supplier.supplier_id))
    return ServiceDetail(**summary_of(service).model_dump(), offers=offers)
