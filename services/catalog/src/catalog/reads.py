"""The library's two busiest reads on PostgreSQL — a page of the list without keywords and one service
with its offers — as plain statements on the driver's own connection (asyncpg, prepared once per
connection), outside any transaction: a read needs no BEGIN and no ROLLBACK. Through SQLAlchemy's
session the list cost ≈ 1.3–2.0 ms of CPU a request, most of it building, compiling and executing two
small statements (bench/service_cpu.py, bench/README.md). The precedent is bidding.quotes.

The statements are the ones store.services_page and api.get_service run through SQLAlchemy, which
still serve SQLite and every list with keywords (the search path): same columns, same conditions,
same orders (store.BROWSE_ORDERS), numbers written into the statement as there."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from catalog.store import BROWSE_ORDERS, COUNT_LIMIT, SUMMARY_COLUMNS, ServicesPage
from servicekit.db import Database
from servicekit.types import MoneyColumn, QuantityColumn

_MONEY, _QUANTITY = MoneyColumn(), QuantityColumn()


def money(fen: int | None) -> Any:
    return _MONEY.process_result_value(fen, None)


def quantity(thousandths: int | None) -> Any:
    return _QUANTITY.process_result_value(thousandths, None)


def json_value(value: Any) -> Any:
    """A JSON column as asyncpg returns it (text: no codec is set for json) in Python."""
    return json.loads(value) if isinstance(value, str) else value


@lru_cache(maxsize=256)
def _page_statement(sort: str, in_category: bool, offset: int, limit: int) -> str:
    """store.services_page without keywords, in one statement: how many offered services (in the
    category) there are, counted up to COUNT_LIMIT + 1, beside each service of the page — the offered
    services (in the category: from its code on, its codes only) read in the order's own index. One
    row with the count and no service when the page is empty. One statement, not two: ≈ 0.1 ms less
    CPU a list (bench/README.md, issue 14)."""
    in_it = "offered AND category_code LIKE $1 || '%'" if in_category else "offered"
    in_order = "offered AND category_code >= $1 AND category_code LIKE $1 || '%'" if in_category else "offered"
    order = [f"{name} {'DESC' if descending else 'ASC'}" for name, descending in BROWSE_ORDERS[sort]]
    return f"""
SELECT matching.total, page.*
FROM (SELECT count(*) AS total FROM (SELECT 1 FROM services WHERE {in_it} LIMIT {COUNT_LIMIT + 1}) AS m) AS matching
LEFT JOIN LATERAL (SELECT {', '.join(SUMMARY_COLUMNS)} FROM services WHERE {in_order}
                   ORDER BY {', '.join(order)} OFFSET {offset} LIMIT {limit}) AS page ON true
ORDER BY {', '.join(f'page.{o}' for o in order)}"""


def _summary(record: Any) -> dict[str, Any]:
    row = {name: record[name] for name in SUMMARY_COLUMNS}
    row["min_price"] = money(row["min_price"])
    return row


async def services_page(db: Database, sort: str, *, category: str | None, page: int, page_size: int) -> ServicesPage:
    """store.services_page for a list without keywords, on PostgreSQL."""
    async with db.driver() as driver:
        records = await driver.fetch(_page_statement(sort, bool(category), (page - 1) * page_size, page_size),
                                     *((category,) if category else ()))
    counted = records[0]["total"]
    rows = [_summary(r) for r in records if r["id"] is not None]
    return ServicesPage(counted, True, rows) if counted <= COUNT_LIMIT else ServicesPage(COUNT_LIMIT, False, rows)


# The service, and beside it each listed offer of it by an active shortlisted supplier, with its agreement
# and its supplier's evaluations summed over every agreement (store.ratings_of): one row per offer, or
# one row with no offer. One statement, not two: a round trip less.
_DETAIL = f"""
SELECT {', '.join(f'v.{name}' for name in SUMMARY_COLUMNS)},
       o.id AS offering_id, o.agreement_price, o.price, o.discount_tiers,
       a.id AS agreement_id, a.agreement_no, a.name AS agreement_name, a.valid_from, a.valid_to, a.methods,
       a.status AS agreement_status, a.estimated_amount, a.estimated_quantity,
       s.supplier_id, s.name AS supplier_name, s.address, s.contact_name, s.contact_phone,
       r.evaluation_count, r.score_sum, r.score_count
FROM services v
LEFT JOIN (offerings o
           JOIN agreements a ON a.id = o.agreement_id
           JOIN shortlisted_suppliers s ON s.agreement_id = o.agreement_id AND s.supplier_id = o.supplier_id)
       ON o.service_id = v.id AND o.status = 'listed' AND s.status = 'active'
LEFT JOIN LATERAL (SELECT sum(evaluation_count) AS evaluation_count, sum(score_sum) AS score_sum,
                          sum(score_count) AS score_count
                   FROM supplier_ratings WHERE supplier_id = s.supplier_id) AS r ON true
WHERE v.id = $1"""


async def service_with_offers(db: Database, service_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The service's summary row (None: no such service) and its offers' rows (_DETAIL), on PostgreSQL."""
    async with db.driver() as driver:
        records = await driver.fetch(_DETAIL, service_id)
    if not records:
        return None, []
    return _summary(records[0]), [_offer(r) for r in records if r["offering_id"] is not None]


def _offer(record: Any) -> dict[str, Any]:
    row = dict(record)
    for name in ("agreement_price", "price", "estimated_amount"):
        row[name] = money(row[name])
    row["estimated_quantity"] = quantity(row["estimated_quantity"])
    row["discount_tiers"] = json_value(row["discount_tiers"]) or []
    row["methods"] = json_value(row["methods"])
    return row
