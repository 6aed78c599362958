"""The library's fast reads give what the plain path gives, byte for byte.

On PostgreSQL the list without keywords and the service detail run as single asyncpg statements
(catalog.reads), and the list's JSON is written by hand (views.service_page_json); SQLite and every
search with keywords take the SQLAlchemy path and the response model. Here the same requests are asked
both ways on one database, and the hand-written JSON is checked against the model's."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.store import ServicesPage
from catalog.views import ServicePage, service_page_json, summary_of_row
from contracts_schema import categories

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
