"""The library's fast reads give what the plain path gives, byte for byte.

On PostgreSQL the list without keywords and the service detail run as single asyncpg statements
(catalog.reads), and their JSON is written by hand (views.service_page_json, views.service_detail_json);
SQLite and every search with keywords take the SQLAlchemy path and the response models. Here the same
requests are asked both ways on one database, and the hand-written JSON is checked against the models'
on random rows."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog import domain
from catalog.store import ServicesPage
from catalog.views import (AgreementBrief, Offer, ServiceDetail, ServicePage, ServiceSummary, SupplierBrief, TierOut,
                           methods_of, rating_out, service_detail_json, service_page_json)
from contracts_schema import categories


def summary_of_row(row: Mapping[str, Any]) -> ServiceSummary:
    """The model of a plain summary row: what the hand-written JSON must spell."""
    return ServiceSummary(id=row["id"], category_code=row["category_code"], name=row["name"], unit=row["unit"],
                          description=row["description"], min_price=row["min_price"],
                          supplier_count=row["supplier_count"], agreement_count=row["agreement_count"],
                          category_name=categories.NAMES.get(row["category_code"], ""))


def detail_of_rows(service: Mapping[str, Any], offers: Iterable[Mapping[str, Any]], today: date) -> ServiceDetail:
    """The model of reads.service_with_offers' rows, built as api.get_service builds it from the ORM."""
    out = []
    for r in offers:
        if not domain.in_force(r["agreement_status"], r["valid_from"], r["valid_to"], today):
            continue
        rating = (domain.Rating(int(r["evaluation_count"]), int(r["score_sum"]), int(r["score_count"]))
                  if r["evaluation_count"] else None)
        agreement = AgreementBrief(id=r["agreement_id"], agreement_no=r["agreement_no"], name=r["agreement_name"],
                                   valid_from=r["valid_from"], valid_to=r["valid_to"], methods=methods_of(r["methods"]),
                                   status=r["agreement_status"], status_label=domain.AGREEMENT_LABELS[r["agreement_status"]],
                                   estimated_amount=r["estimated_amount"], estimated_quantity=r["estimated_quantity"])
        supplier = SupplierBrief(supplier_id=r["supplier_id"], name=r["supplier_name"], address=r["address"],
                                 contact_name=r["contact_name"], contact_phone=r["contact_phone"])
        tiers = [TierOut(min_quantity=Decimal(t["min_quantity"]), unit_price=Decimal(t["unit_price"]))
                 for t in r["discount_tiers"]]
        out.append(Offer(offering_id=r["offering_id"], agreement=agreement, supplier=supplier,
                         agreement_price=r["agreement_price"], price=r["price"], discount_tiers=tiers,
                         rating=rating_out(rating)))
    out.sort(key=lambda offer: (offer.price, offer.agreement.agreement_no, offer.supplier.supplier_id))
    return ServiceDetail(**summary_of_row(service).model_dump(), offers=out)


rows = st.fixed_dictionaries({
    "id": st.text(alphabet="SV0123456789", min_size=1, max_size=12),
    "category_code": st.sampled_from([code for code, _ in categories.CATEGORIES] + ["C999999"]),
    "name": st.text(max_size=30), "unit": st.text(max_size=8), "description": st.text(max_size=40),
    "min_price": st.none() | st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    "supplier_count": st.integers(0, 10_000), "agreement_count": st.integers(0, 10_000),
})


@given(st.lists(rows, max_size=5), st.integers(0, 1001), st.booleans(), st.integers(1, 100), st.integers(1, 100))
def test_the_hand_written_page_is_the_models_json(items: list[dict[str, Any]], total: int, exact: bool,
                                                  page: int, page_size: int) -> None:
    found = ServicesPage(total, exact, items)
    model = ServicePage(items=[summary_of_row(row) for row in items], total=total, total_exact=exact, page=page,
                        page_size=page_size)
    assert service_page_json(found, page, page_size) == model.model_dump_json().encode()


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999999999.999"), places=3)
days = st.dates(date(2026, 1, 1), date(2026, 12, 31))  # today; most agreements are in force then
few = st.sampled_from(["A", "B", "C"])  # few spellings: ties in the order (price, agreement no., supplier)
offer_rows = st.fixed_dictionaries({
    "offering_id": st.text(alphabet="OF0123456789", min_size=1, max_size=8),
    "agreement_id": few, "agreement_no": few, "agreement_name": st.text(max_size=20),
    "valid_from": st.dates(date(2025, 1, 1), date(2026, 3, 31)), "valid_to": st.dates(date(2026, 10, 1), date(2027, 12, 31)),
    "agreement_status": st.sampled_from(["active", "active", "active", *domain.AGREEMENT_LABELS]),
    "methods": st.lists(st.sampled_from(list(domain.METHOD_LABELS)), min_size=1, max_size=3, unique=True),
    "estimated_amount": st.none() | money, "estimated_quantity": st.none() | quantity,
    "supplier_id": few, "supplier_name": st.text(max_size=20), "address": st.text(max_size=20),
    "contact_name": st.text(max_size=8), "contact_phone": st.text(alphabet="0123456789-", max_size=13),
    "agreement_price": money, "price": st.sampled_from([Decimal("4.20"), Decimal("4.20"), Decimal("100.00")]) | money,
    # as the JSON column holds them (store.Offering.discount_tiers): texts, quantities written as entered
    "discount_tiers": st.lists(st.fixed_dictionaries({
        "min_quantity": quantity.map(str) | st.sampled_from(["100", "1E+2", "5.500"]),
        "unit_price": money.map(str) | st.sampled_from(["4", "4.5"])}), max_size=3),
    "evaluation_count": st.integers(0, 50), "score_sum": st.integers(0, 500), "score_count": st.integers(0, 100),
})


@given(rows, st.lists(offer_rows, max_size=6), days)
def test_the_hand_written_detail_is_the_models_json(service: dict[str, Any], offers: list[dict[str, Any]],
                                                    today: date) -> None:
    model = detail_of_rows(service, offers, today)
    assert service_detail_json(service, offers, today) == model.model_dump_json().encode()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="catalog.reads serves PostgreSQL only (TEST_DATABASE_URL is unset): on SQLite both ways are one path")
async def test_the_list_and_the_detail_on_the_driver_are_what_the_orm_gives(catalog, tag) -> None:
    agreements = [await catalog.publish(f"{tag}{n}") for n in range(3)]
    # at most the agreement's prices (4.50, 2.80, 5,200.00, 4.80); ties, and a service left unlisted
    prices = [("4.20", "2.60", "5100.00", "4.40"), ("4.20", "2.75", "5200.00", None), ("3.90", None, "5100.00", "4.20")]
    for agreement, listed in zip(agreements, prices):
        for (supplier, prefix), price in zip(((1, "办公楼"), (1, "保洁"), (6, "秩序"), (6, "办公楼")), listed):
            if price is not None:
                assert (await catalog.list_service(agreement, supplier, prefix, price)).status_code == 200
    db = catalog.service.db
    purchaser = catalog.headers("purchaser")

    async def both_ways(path: str, params: dict[str, Any] | None = None) -> None:
        fast = await catalog.client.get(path, params=params, headers=purchaser)
        db.is_postgres = False
        try:
            plain = await catalog.client.get(path, params=params, headers=purchaser)
        finally:
            db.is_postgres = True
        assert (fast.status_code, fast.content) == (plain.status_code, plain.content), (path, params)
        assert fast.headers["content-type"] == plain.headers["content-type"]

    for sort in ("category", "name", "price", "-price"):
        for category in (None, "C12", "C1204", "C120401", "C120403", "C0806"):
            for page, page_size in ((1, 20), (1, 2), (2, 2), (3, 1), (50, 20)):
                params = {"sort": sort, "page": page, "page_size": page_size}
                await both_ways("/api/v1/catalog/services", params | ({"category": category} if category else {}))
    for agreement in agreements:
        for offering in agreement["offerings"]:
            await both_ways(f"/api/v1/catalog/services/{offering['service_id']}")
    await both_ways("/api/v1/catalog/services/SV-NOT-THERE")
