"""Both bidding flows through the gateway, the real broker and the real processes, with plans,
catalog, orders and contracts running: the agency publishes an agreement, suppliers list, the
purchaser enters a plan, then

- direct selection (直接选定): publish → plans reserves → quoting → the supplier quotes → the purchaser
  confirms → the award is public, plans consumes the reservation, orders creates the order;
- secondary bidding (二次竞价): draft, edit, preview, publish → the window opens at its start by
  bidding's timer → sealed quotes and a revision → it closes by the timer → the purchaser sees every
  quote ranked and confirms the lowest → the award and the order;
- termination and an empty window give the plan's reservation back.

Bidding is restarted for this module with a short minimum window (BIDDING_MIN_DURATION_SECONDS), so
a secondary bidding takes seconds, not the production half hour (and restarted as it was afterwards)."""

from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from gateway.demo import PURCHASER_A, SUPPLIERS
from platform_client import query, wait_for

WINDOW = 5  # seconds a test window lasts


@pytest.fixture(scope="module")
def bidding_fast(stack):
    """Bidding restarted with a short minimum window for this module, then as it was for the others."""
    stack.kill("bidding", signal.SIGTERM)
    stack.start("bidding", overrides={"BIDDING_MIN_DURATION_SECONDS": "2", "BIDDING_TIMER_INTERVAL": "0.1"})
    yield stack
    stack.kill("bidding", signal.SIGTERM)
    stack.start("bidding")


@pytest.fixture(scope="module")
def market(bidding_fast, as_user) -> dict[str, Any]:
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
    wait_for(lambda: query(bidding_fast, "bidding", "SELECT 1 FROM offering_refs WHERE agreement_id = :a AND listed",
                           a=agreement["id"]).__len__() == 3, timeout=30, what="the listings in bidding's read model")
    wait_for(lambda: query(bidding_fast, "bidding", "SELECT 1 FROM plan_refs WHERE plan_id = :p", p=plan["id"]),
             timeout=30, what="the plan in bidding's read model")
    return {"agreement": agreement, "plan": plan, "line": plan["lines"][0],
            "service_id": agreement["offerings"][0]["service_id"]}


def project_status(client, project_id: str) -> str:
    return client.get(f"/api/v1/projects/{project_id}").json()["status"]


def line_of(client, plan_id: str) -> dict[str, Any]:
    return client.get(f"/api/v1/plans/{plan_id}").json()["lines"][0]


def test_direct_selection_from_publish_to_order(market, as_user, anonymous):
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-2")
    before = line_of(purchaser, market["plan"]["id"])
    response = purchaser.post("/api/v1/projects/direct-selections", json={
        "agreement_id": market["agreement"]["id"], "service_id": market["service_id"],
        "supplier_id": SUPPLIERS[1].org_id, "plan_id": market["plan"]["id"], "plan_line_id": market["line"]["id"],
        "quantity": "12", "contact_name": "李明", "contact_phone": "13800000001", "office_phone": "0731-84710001",
        "requirements": "门岗 1 人，24 小时"})
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["ceiling_amount"] == "61200.00"  # 5100 × 12
    wait_for(lambda: project_status(purchaser, project["id"]) == "quoting", what="plans reserved, quoting opened")
    assert Decimal(line_of(purchaser, market["plan"]["id"])["reserved_amount"]) == (
        Decimal(before["reserved_amount"]) + Decimal("61200.00"))

    assert [p["id"] for p in supplier.get("/api/v1/projects").json()["items"]].count(project["id"]) == 1
    assert as_user("supplier-3").get(f"/api/v1/projects/{project['id']}").status_code == 404
    too_high = supplier.post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "61200.01"})
    assert too_high.status_code == 422 and too_high.json()["error"]["code"] == "above_ceiling"
    quote = supplier.post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "60000.00"})
    assert quote.status_code == 201, quote.text
    assert project_status(purchaser, project["id"]) == "awaiting_confirmation"
    seen = purchaser.get(f"/api/v1/projects/{project['id']}/quotes").json()
    assert seen["proposed_winner"]["amount"] == "60000.00"

    confirmed = purchaser.post(f"/api/v1/projects/{project['id']}/confirm-result",
                               json={"quote_id": seen["proposed_winner"]["id"]})
    assert confirmed.status_code == 200, confirmed.text
    project = confirmed.json()
    assert (project["status"], project["status_label"]) == ("succeeded", "项目成功")
    award = anonymous.get(f"/api/v1/announcements/{project['award_announcement_id']}")  # public, no token
    assert award.status_code == 200 and SUPPLIERS[1].name in award.json()["content"]

    order = wait_for(lambda: next((o for o in purchaser.get("/api/v1/orders").json()["items"]
                                   if o["project_id"] == project["id"]), None), timeout=30,
                     what="orders created the order from ResultConfirmed")
    assert (order["amount"], order["supplier_id"], order["filing_no"]) == (
        "60000.00", SUPPLIERS[1].org_id, market["plan"]["filing_no"])
    wait_for(lambda: Decimal(line_of(purchaser, market["plan"]["id"])["consumed_amount"])
             == Decimal(before["consumed_amount"]) + Decimal("60000.00"), what="plans consumed the award")
    after = line_of(purchaser, market["plan"]["id"])
    assert Decimal(after["reserved_amount"]) == Decimal(before["reserved_amount"])


def test_secondary_bidding_through_the_timers(market, as_user, anonymous):
    purchaser = as_user("purchaser-a")
    suppliers = {n: as_user(f"supplier-{n}") for n in (1, 2, 3)}
    draft = purchaser.post("/api/v1/projects/secondary-biddings", json={
        "name": "门岗秩序维护服务二次竞价", "category_code": "C120403", "agreement_id": market["agreement"]["id"],
        "plan_id": market["plan"]["id"], "plan_line_id": market["line"]["id"], "quantity": "24",
        "requirements": "门岗 2 人，24 小时", "contact_name": "李明", "contact_phone": "13800000001"})
    assert draft.status_code == 201, draft.text
    draft = draft.json()
    assert draft["status"] == "draft"
    edited = purchaser.patch(f"/api/v1/projects/{draft['id']}", json={"requirements": "门岗 2 人，24 小时，持证上岗"})
    assert edited.status_code == 200 and edited.json()["requirements"].endswith("持证上岗")
    starts = datetime.now(timezone.utc) + timedelta(seconds=2)
    window = {"starts_at": starts.isoformat(), "duration_seconds": WINDOW}
    preview = purchaser.post(f"/api/v1/projects/{draft['id']}/announcement-preview", json=window)
    assert preview.status_code == 200 and "持证上岗" in preview.json()["content"]
    published = purchaser.post(f"/api/v1/projects/{draft['id']}/publish", json=window)
    assert published.status_code == 200, published.text
    project = published.json()
    assert project["status"] == "scheduled" and project["ceiling_amount"] == "120000.00"  # (5200 - 200) × 24
    procurement = anonymous.get(f"/api/v1/announcements/{project['procurement_announcement_id']}")
    assert procurement.status_code == 200 and procurement.json()["kind"] == "procurement"

    wait_for(lambda: project_status(purchaser, project["id"]) == "quoting", timeout=30,
             what="bidding's timer opened the window")
    above = suppliers[3].post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "115200.01"})
    assert above.status_code == 422, above.text  # its own agreement price: (5000 - 200) × 24
    for n, amount in ((1, "119000.00"), (2, "116000.00"), (3, "115000.00"), (2, "114000.00")):
        response = suppliers[n].post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": amount})
        assert response.status_code == 201, response.text
    sealed = purchaser.get(f"/api/v1/projects/{project['id']}/quotes")
    assert sealed.status_code == 409 and sealed.json()["error"]["code"] == "quotes_sealed"
    mine = suppliers[2].get(f"/api/v1/projects/{project['id']}/quotes").json()
    assert [(q["amount"], q["revision"]) for q in mine["quotes"]] == [("114000.00", 2)]

    wait_for(lambda: project_status(purchaser, project["id"]) == "awaiting_confirmation", timeout=30,
             what="bidding's timer closed the window")
    late = suppliers[1].post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "100000.00"})
    assert late.status_code == 409
    quotes = purchaser.get(f"/api/v1/projects/{project['id']}/quotes").json()
    assert [(q["supplier_id"], q["amount"]) for q in quotes["quotes"]] == [
        (SUPPLIERS[1].org_id, "114000.00"), (SUPPLIERS[2].org_id, "115000.00"), (SUPPLIERS[0].org_id, "119000.00")]
    confirmed = purchaser.post(f"/api/v1/projects/{project['id']}/confirm-result",
                               json={"quote_id": quotes["proposed_winner"]["id"]})
    assert confirmed.status_code == 200, confirmed.text
    awards = anonymous.get("/api/v1/announcements", params={"project_id": project["id"], "kind": "award"}).json()
    assert awards["total"] == 1
    order = wait_for(lambda: next((o for o in purchaser.get("/api/v1/orders").json()["items"]
                                   if o["project_id"] == project["id"]), None), timeout=30,
                     what="orders created the order")
    assert order["amount"] == "114000.00" and order["supplier_id"] == SUPPLIERS[1].org_id


def test_termination_and_an_empty_window_give_the_reservation_back(market, as_user):
    purchaser = as_user("purchaser-a")
    plan_id = market["plan"]["id"]
    direct = purchaser.post("/api/v1/projects/direct-selections", json={
        "agreement_id": market["agreement"]["id"], "service_id": market["service_id"],
        "supplier_id": SUPPLIERS[0].org_id, "plan_id": plan_id, "plan_line_id": market["line"]["id"],
        "quantity": "1", "contact_name": "李明", "contact_phone": "13800000001"}).json()
    wait_for(lambda: project_status(purchaser, direct["id"]) == "quoting", what="quoting opened")
    reserved = Decimal(line_of(purchaser, plan_id)["reserved_amount"])
    terminated = purchaser.post(f"/api/v1/projects/{direct['id']}/terminate", json={"reason": "需求取消"})
    assert terminated.status_code == 200 and terminated.json()["status_label"] == "项目终止"
    wait_for(lambda: Decimal(line_of(purchaser, plan_id)["reserved_amount"]) == reserved - Decimal("5200.00"),
             what="plans released the terminated project's reservation")

    draft = purchaser.post("/api/v1/projects/secondary-biddings", json={
        "name": "无人报价的竞价", "category_code": "C120403", "agreement_id": market["agreement"]["id"],
        "plan_id": plan_id, "plan_line_id": market["line"]["id"], "quantity": "1", "requirements": "门岗 1 人",
        "contact_name": "李明", "contact_phone": "13800000001"}).json()
    empty = purchaser.post(f"/api/v1/projects/{draft['id']}/publish", json={"duration_seconds": 2}).json()
    wait_for(lambda: project_status(purchaser, empty["id"]) == "failed", timeout=30,
             what="the empty window closed as 项目失败")
    wait_for(lambda: Decimal(line_of(purchaser, plan_id)["reserved_amount"]) == reserved - Decimal("5200.00"),
             what="plans released the failed project's reservation")
