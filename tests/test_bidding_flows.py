"""Bidding through the gateway, the real broker and the real processes: what the manual walkthroughs
(test_manual_1_2_direct_selection.py, test_manual_1_3_secondary_bidding.py) do not already walk.
Those cover direct selection and secondary bidding from publish to payment, the timers, sealed quotes,
the ranking, termination and an empty window; this module covers volume discounts (批量折扣) end to
end: the catalog publishes an agreement whose offerings carry a discount tier, and every ceiling
bidding applies — the project's, each supplier's own, the quote's limit — is the discounted one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from gateway.demo import PURCHASER_A, SUPPLIERS
from platform_client import line_of, ok, project_in, query, wait_for

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def market(stack, as_user) -> dict[str, Any]:
    """An agreement of three suppliers (1, 2, 3) each listing 秩序维护服务 (C120403), and a plan of
    purchaser-a with a line for it; returns ids once bidding's read models have them."""
    tag = uuid4().hex[:6]
    today = datetime.now(timezone.utc).date()
    prices = {1: "5200.00", 2: "5100.00", 3: "5000.00"}
    body = {
        "agreement_no": f"HNKJ-BID-{tag}", "name": f"秩序维护服务框架协议（竞价测试 {tag}）", "category_code": "C1204",
        "valid_from": str(today - timedelta(days=1)), "valid_to": str(today + timedelta(days=365)),
        "methods": ["direct_selection", "secondary_bidding"], "contract_template": "服务内容：{service_name}",
        "suppliers": [{"supplier_id": SUPPLIERS[n - 1].org_id, "name": SUPPLIERS[n - 1].name,
                       "address": SUPPLIERS[n - 1].address, "contact_name": SUPPLIERS[n - 1].contact_name,
                       "contact_phone": SUPPLIERS[n - 1].contact_phone,
                       "services": [{"category_code": "C120403", "name": f"秩序维护服务{tag}", "unit": "人·月",
                                     "agreement_price": price,
                                     "discount_tiers": [{"min_quantity": "24", "unit_price": str(Decimal(price) - 200)}]}]}
                      for n, price in prices.items()],
    }
    response = as_user("agency").post("/api/v1/catalog/agreements", json=body)
    assert response.status_code == 201, response.text
    agreement = response.json()
    for offering in agreement["offerings"]:
        n = next(i for i in prices if SUPPLIERS[i - 1].org_id == offering["supplier_id"])
        listed = as_user(f"supplier-{n}").post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                                              json={"service_id": offering["service_id"], "price": prices[n]})
        assert listed.status_code == 200, listed.text
    plan = as_user("purchaser-a").post("/api/v1/plans", json={
        "name": f"秩序维护服务采购计划 {tag}", "year": today.year, "filing_no": f"湘财采备〔{today.year}〕00777",
        "funding_source": "财政拨款", "contact_name": PURCHASER_A.contact_name, "contact_phone": PURCHASER_A.contact_phone,
        "purchaser_address": PURCHASER_A.address,
        "lines": [{"category_code": "C120403", "item_name": "门岗秩序维护", "quantity": "48", "unit": "人·月",
                   "budget_amount": "1000000.00"}]})
    assert plan.status_code == 201, plan.text
    plan = plan.json()
    wait_for(lambda: query(stack, "bidding", "SELECT 1 FROM offering_refs WHERE agreement_id = :a AND listed",
                           a=agreement["id"]).__len__() == 3, timeout=30, what="the listings in bidding's read model")
    wait_for(lambda: query(stack, "bidding", "SELECT 1 FROM plan_refs WHERE plan_id = :p", p=plan["id"]),
             timeout=30, what="the plan in bidding's read model")
    return {"agreement": agreement, "plan": plan, "line": plan["lines"][0],
            "service_id": agreement["offerings"][0]["service_id"]}


def test_a_volume_discount_lowers_every_ceiling(market, as_user):
    """24 人·月 reaches every supplier's tier (its agreement price − 200 from 24 on)."""
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-3")
    plan_id = market["plan"]["id"]
    before = Decimal(line_of(purchaser, plan_id)["reserved_amount"])
    draft = ok(purchaser.post("/api/v1/projects/secondary-biddings", json={
        "name": "门岗秩序维护服务二次竞价（批量折扣）", "category_code": "C120403",
        "agreement_id": market["agreement"]["id"], "plan_id": plan_id, "plan_line_id": market["line"]["id"],
        "quantity": "24", "requirements": "门岗 2 人，24 小时", "contact_name": "李明",
        "contact_phone": "13800000001"}), 201)
    project = ok(purchaser.post(f"/api/v1/projects/{draft['id']}/publish", json={"duration_seconds": 600}))
    assert project["ceiling_amount"] == "120000.00"  # the highest invited: (5200 − 200) × 24
    wait_for(lambda: project_in(purchaser, project["id"], "quoting"), timeout=30, what="the window opened")
    assert Decimal(line_of(purchaser, plan_id)["reserved_amount"]) == before + Decimal("120000.00")

    seen = ok(supplier.get(f"/api/v1/projects/{project['id']}"))
    assert seen["my_services"][0]["ceiling_amount"] == "115200.00"  # its own: (5000 − 200) × 24
    above = supplier.post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "115200.01"})
    assert above.status_code == 422 and above.json()["error"]["code"] == "above_ceiling", above.text
    assert ok(supplier.post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "115200.00"}), 201)[
        "ceiling_amount"] == "115200.00"

    ok(purchaser.post(f"/api/v1/projects/{project['id']}/terminate", json={"reason": "测试结束"}))
    wait_for(lambda: Decimal(line_of(purchaser, plan_id)["reserved_amount"]) == before,
             what="plans released the reservation")
