"""Manual 1.3, 二次竞价 (secondary bidding), ①–⑬ through the gateway with the real broker and every
service running, as purchaser-a and three shortlisted suppliers; each step asserts the status the
platform shows:

① 新增/保存: a project for a category, with the agreement, the plan line and the requirements → 草稿
② 编辑 the draft → 草稿
③ 预览公告: the procurement announcement with the window, the ceiling and the ranking rule
④ 发布 with a start time (never earlier than now) and a duration → 待开始; the announcement is public
⑤ plans reserves the ceiling on the plan line → 资金已预留
⑥ the window opens at its start → 项目报价中
⑦ every invited supplier quotes, sealed; never above its agreement price; it may revise
⑧ before the close nobody reads another's quote: not the purchaser (not even their count), not a supplier
⑨ the window closes → 结果待确认: every quote, its time, the proposed winner (lowest; a tie goes to the
  earlier quote)
⑩ 确认成交结果 → 项目成功: the single-award result announcement is public; plans consumes the award
⑪ the order is created from the award (待签合同), the contract drafted (待发送)
⑫ 待确认 → 已确认 → 供应商已盖章 → 采购单位已盖章; the order → 履约中
⑬ acceptance → 已验收, payment → 已支付; plans records the spending

Also: an empty window fails the project (项目失败) and gives the budget back; terminating while
quoting does too (项目终止). The stack runs bidding with a 2 s minimum window and a quick timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from devstack.walkthrough import (Market, MarketSpec, await_read_model, new_plan, open_market, shanghai_today,
                                  wait_for_listings)
from platform_client import find, line_of, ok, pdf, project_in, wait_for

pytestmark = pytest.mark.stack

CA_PASSWORD = "ca12345"
QUANTITY = Decimal(24)


@pytest.fixture(scope="module")
def market(stack, as_user) -> tuple[MarketSpec, Market]:
    """An agreement shortlisting supplier-1, supplier-4 and supplier-6 for 秩序维护服务; supplier-5 is
    not shortlisted under it."""
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-T13-{tag}", name=f"秩序维护服务框架协议（二次竞价测试 {tag}）", category_code="C1204",
        service_category="C120403", service_name=f"秩序维护服务 {tag}", unit="人·月",
        description="门岗值守、巡逻、消防监控室 24 小时值班",
        # supplier-6's agreement price is the highest and listed last (see wait_for_listings)
        prices={"supplier-1": ("5200.00", "5100.00"), "supplier-4": ("5000.00", "5000.00"),
                "supplier-6": ("5300.00", "5200.00")},
        methods=("direct_selection", "secondary_bidding"))
    return spec, open_market(as_user, spec)


def plan_for(purchaser, budget: str) -> dict[str, Any]:
    return new_plan(purchaser, name=f"门岗秩序维护服务采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C120403", "item_name": "门岗秩序维护", "quantity": str(QUANTITY), "unit": "人·月",
        "budget_amount": budget})


def save_draft(purchaser, market: Market, plan: dict, name: str = "门岗秩序维护服务二次竞价") -> dict[str, Any]:
    body = {"name": name, "category_code": "C120403", "agreement_id": market.agreement["id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": str(QUANTITY), "requirements": "门岗 2 人，24 小时值守",
            "contact_name": "李明", "contact_phone": "13800000001", "office_phone": "0731-84710001"}
    response = await_read_model(lambda: purchaser.post("/api/v1/projects/secondary-biddings", json=body),
                                "the plan reaching bidding")
    assert response.status_code == 201, response.text
    return response.json()


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def test_secondary_bidding_from_draft_to_payment(market, as_user, anonymous):
    spec, market = market
    purchaser = as_user("purchaser-a")
    suppliers = {user: as_user(user) for user in spec.prices}
    org = {user: me["org_id"] for user, me in market.suppliers.items()}
    plan = plan_for(purchaser, budget="150000.00")

    # ① 新增/保存 → 草稿: not public, no supplier sees it
    project = save_draft(purchaser, market, plan)
    pid = project["id"]
    assert (project["status"], project["status_label"], project["method_label"]) == ("draft", "草稿", "二次竞价")
    assert (project["filing_no"], project["item_name"], project["procurement_announcement_id"]) == (
        plan["filing_no"], "门岗秩序维护", None)
    assert suppliers["supplier-1"].get(f"/api/v1/projects/{pid}").status_code == 404

    # ② 编辑 → still 草稿; bad input changes nothing
    project = ok(purchaser.patch(f"/api/v1/projects/{pid}", json={"requirements": "门岗 2 人，24 小时值守，持证上岗"}))
    assert (project["status_label"], project["requirements"]) == ("草稿", "门岗 2 人，24 小时值守，持证上岗")
    refused(purchaser.patch(f"/api/v1/projects/{pid}", json={"quantity": "25"}), 422, "quantity_above_plan")
    refused(purchaser.patch(f"/api/v1/projects/{pid}", json={"starts_at": "tomorrow"}), 422, "validation_error")
    assert ok(purchaser.get(f"/api/v1/projects/{pid}")) == project

    # ③ 预览公告: the window, the ceiling, the ranking rule with its tie-break; nothing is stored
    wait_for_listings(purchaser, pid, Decimal("5300.00") * QUANTITY)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    window = {"starts_at": starts.isoformat(), "duration_seconds": 8}
    preview = ok(purchaser.post(f"/api/v1/projects/{pid}/announcement-preview", json=window))
    assert preview["kind"] == "procurement" and preview["details"]["ceiling_amount"] == "127200.00"
    for fact in ("持证上岗", "竞价开始时间", "竞价结束时间", "报价相同的，以最终报价时间在先者为成交候选供应商", spec.agreement_no):
        assert fact in preview["content"], fact
    assert ok(purchaser.get(f"/api/v1/projects/{pid}"))["status_label"] == "草稿"

    # ④ 发布 → 待开始; a start in the past or a window under the minimum is refused first
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused(purchaser.post(f"/api/v1/projects/{pid}/publish", json={"starts_at": past, "duration_seconds": 8}),
            422, "start_in_past")
    refused(purchaser.post(f"/api/v1/projects/{pid}/publish", json={"duration_seconds": 1}), 422, "invalid_duration")
    assert ok(purchaser.get(f"/api/v1/projects/{pid}"))["status_label"] == "草稿"
    project = ok(purchaser.post(f"/api/v1/projects/{pid}/publish", json=window))
    assert (project["status"], project["status_label"], project["ceiling_amount"]) == ("scheduled", "待开始",
                                                                                      "127200.00")
    announcement = ok(anonymous.get(f"/api/v1/announcements/{project['procurement_announcement_id']}"))
    assert (announcement["kind_label"], announcement["project_no"]) == ("采购公告", project["project_no"])
    for user, client in suppliers.items():  # every shortlisted supplier listing the category is invited
        seen = ok(client.get(f"/api/v1/projects/{pid}"))
        assert (seen["status_label"], seen["window_label"]) == ("待开始", "竞价未开始"), user
        assert seen["my_services"][0]["ceiling_amount"] == str(Decimal(spec.prices[user][0]) * QUANTITY)
    assert as_user("supplier-5").get(f"/api/v1/projects/{pid}").status_code == 404  # not shortlisted
    refused(suppliers["supplier-1"].post(f"/api/v1/projects/{pid}/quotes", json={"amount": "100000.00"}),
            409, "window_not_open")

    # ⑤ plans reserves the ceiling → 资金已预留
    project = wait_for(lambda: (p := ok(purchaser.get(f"/api/v1/projects/{pid}")))["funds_status"] == "reserved" and p,
                       what="plans reserved the ceiling")
    assert (project["funds_status_label"], project["status_label"]) == ("资金已预留", "待开始")
    assert line_of(purchaser, plan["id"])["reserved_amount"] == "127200.00"

    # ⑥ the window opens at its start → 项目报价中
    project = wait_for(lambda: project_in(purchaser, pid, "quoting"), timeout=30, what="the window opened")
    assert (project["status_label"], project["window_label"]) == ("项目报价中", "竞价中")

    # ⑦ sealed quotes, each capped by the supplier's own agreement price × quantity; a revision counts
    refused(suppliers["supplier-4"].post(f"/api/v1/projects/{pid}/quotes", json={"amount": "120000.01"}),
            422, "above_ceiling")
    first = {}
    for user, amount in (("supplier-1", "119000.00"), ("supplier-6", "117000.00"), ("supplier-4", "117500.00"),
                         ("supplier-1", "117000.00")):  # supplier-1 ties supplier-6, later
        first[user] = ok(suppliers[user].post(f"/api/v1/projects/{pid}/quotes", json={"amount": amount}), 201)
    assert (first["supplier-1"]["revision"], first["supplier-1"]["amount"]) == (2, "117000.00")

    # ⑧ before the close: the purchaser reads neither the quotes nor their count; a supplier only its own
    refused(purchaser.get(f"/api/v1/projects/{pid}/quotes"), 409, "quotes_sealed")
    viewed = ok(purchaser.get(f"/api/v1/projects/{pid}"))
    assert (viewed["quotes_sealed"], viewed["quote_count"], viewed["award"]) == (True, None, None)
    listed = {p["id"]: p for p in ok(purchaser.get("/api/v1/projects", params={"limit": 200}))["items"]}
    assert listed[pid]["quote_count"] is None
    for user, client in suppliers.items():
        own = ok(client.get(f"/api/v1/projects/{pid}/quotes"))
        assert own["sealed"] is True and [q["supplier_id"] for q in own["quotes"]] == [org[user]], user
        mine = ok(client.get(f"/api/v1/projects/{pid}"))
        assert mine["my_quote"]["id"] == first[user]["id"] and mine["quote_count"] is None, user

    # ⑨ the window closes by the timer → 结果待确认: every quote with its time, the proposed winner
    project = wait_for(lambda: project_in(purchaser, pid, "awaiting_confirmation", "failed"), timeout=30,
                       what="the window closed")
    assert (project["status_label"], project["quote_count"], project["quotes_sealed"]) == ("结果待确认", 3, False)
    refused(suppliers["supplier-4"].post(f"/api/v1/projects/{pid}/quotes", json={"amount": "90000.00"}),
            409, "window_closed")
    quotes = ok(purchaser.get(f"/api/v1/projects/{pid}/quotes"))
    assert [(q["rank"], q["supplier_id"], q["amount"]) for q in quotes["quotes"]] == [
        (1, org["supplier-6"], "117000.00"), (2, org["supplier-1"], "117000.00"), (3, org["supplier-4"], "117500.00")]
    times = [datetime.fromisoformat(q["quoted_at"]) for q in quotes["quotes"]]
    assert times[0] < times[1]  # the tie goes to the earlier quote
    winner = quotes["proposed_winner"]
    assert (winner["supplier_id"], winner["unit_price"]) == (org["supplier-6"], "4875.00")

    # ⑩ 确认成交结果 → 项目成功; the award announcement names purchaser, project, supplier, amount, content
    project = ok(purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": winner["id"]}))
    assert (project["status"], project["status_label"], project["award"]["amount"]) == (
        "succeeded", "项目成功", "117000.00")
    awards = ok(anonymous.get("/api/v1/announcements", params={"project_id": pid, "kind": "award"}))
    assert awards["total"] == 1 and awards["items"][0]["kind_label"] == "单笔成交结果公告"
    content = ok(anonymous.get(f"/api/v1/announcements/{awards['items'][0]['id']}"))["content"]
    winner_org = market.suppliers["supplier-6"]
    for fact in ("湖南省教育厅", project["purchaser_address"], "李明", "13800000001", project["name"],
                 project["project_no"], winner_org["org_name"], winner_org["org_address"], "117000.00", "4875.00",
                 "24 人·月", spec.service_name):
        assert fact in content, fact
    wait_for(lambda: line_of(purchaser, plan["id"])["consumed_amount"] == "117000.00", what="plans consumed the award")
    assert line_of(purchaser, plan["id"])["reserved_amount"] == "0.00"

    # ⑪ the order is created from the award, the contract drafted
    supplier = suppliers["supplier-6"]
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", pid), what="orders created the order")
    contract = wait_for(lambda: find(supplier, "/api/v1/contracts", pid), what="contracts drafted the contract")
    assert (order["status_label"], order["amount"], order["supplier_id"], order["filing_no"]) == (
        "待签合同", "117000.00", org["supplier-6"], plan["filing_no"])
    assert (contract["status_label"], contract["amount"]) == ("待发送", "117000.00")
    assert find(suppliers["supplier-1"], "/api/v1/orders", pid) is None  # the runner-up has no order

    # ⑫ the contract: sent, confirmed, sealed by both → 采购单位已盖章; the order → 履约中
    cid, oid = contract["id"], order["id"]
    assert ok(supplier.post(f"/api/v1/contracts/{cid}/send"))["status_label"] == "待确认"
    assert ok(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}))["status_label"] == "已确认"
    assert ok(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))["status_label"] == (
        "供应商已盖章")
    stamped = ok(purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    assert (stamped["status_label"], stamped["filing_no"], len(stamped["seals"])) == ("采购单位已盖章",
                                                                                     plan["filing_no"], 2)
    order = wait_for(lambda: (o := ok(purchaser.get(f"/api/v1/orders/{oid}")))["status"] == "contracted" and o,
                     what="ContractStamped put the order in performance")
    assert (order["status_label"], order["contract"]["status_label"]) == ("履约中", "采购单位已盖章")

    # ⑬ performance, acceptance → 已验收, payment → 已支付; plans records the spending
    today = str(shanghai_today())
    ok(supplier.post(f"/api/v1/orders/{oid}/logistics", json={"kind": "service", "description": "保安队伍进驻，完成交接"}),
       201)
    ok(supplier.post(f"/api/v1/orders/{oid}/invoices", files=pdf("发票.pdf"), data={
        "invoice_no": f"44{uuid4().int % 10**18:018d}", "amount": "117000.00", "issued_on": today}), 201)
    early = purchaser.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证.pdf"),
                           data={"amount": "117000.00", "paid_on": today})
    assert early.status_code == 409  # acceptance comes first
    assert ok(purchaser.post(f"/api/v1/orders/{oid}/acceptance", files=pdf("验收单.pdf")), 201)["status_label"] == "已验收"
    paid = ok(purchaser.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证.pdf"),
                             data={"amount": "117000.00", "paid_on": today}), 201)
    assert (paid["status"], paid["status_label"], paid["paid_total"]) == ("paid", "已支付", "117000.00")
    wait_for(lambda: line_of(purchaser, plan["id"])["spent_amount"] == "117000.00", what="plans recorded the spending")


def test_a_window_without_quotes_fails_and_gives_the_budget_back(market, as_user):
    _, market = market
    purchaser = as_user("purchaser-a")
    plan = plan_for(purchaser, budget="150000.00")
    project = save_draft(purchaser, market, plan, name="无人报价的秩序维护服务二次竞价")
    wait_for_listings(purchaser, project["id"], Decimal("5300.00") * QUANTITY)
    project = ok(purchaser.post(f"/api/v1/projects/{project['id']}/publish", json={"duration_seconds": 2}))
    assert project["status_label"] == "待开始"  # it starts at once, after plans reserved the funds
    wait_for(lambda: line_of(purchaser, plan["id"])["reserved_amount"] == "127200.00", what="plans reserved")

    failed = wait_for(lambda: project_in(purchaser, project["id"], "failed", "awaiting_confirmation"), timeout=30,
                      what="the empty window closed")
    assert (failed["status_label"], failed["quote_count"]) == ("项目失败", 0) and failed["outcome_reason"]
    wait_for(lambda: line_of(purchaser, plan["id"])["reserved_amount"] == "0.00",
             what="plans released the failed project's reservation")
    assert line_of(purchaser, plan["id"])["remaining_amount"] == "150000.00"
    closed = ok(purchaser.get(f"/api/v1/projects/{project['id']}/quotes"))
    assert (closed["quotes"], closed["proposed_winner"]) == ([], None)
    refused(purchaser.post(f"/api/v1/projects/{project['id']}/confirm-result", json={}), 409, "illegal_transition")
    assert find(purchaser, "/api/v1/orders", project["id"]) is None


def test_terminating_a_bidding_while_quoting_gives_the_budget_back(market, as_user):
    _, market = market
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-4")
    plan = plan_for(purchaser, budget="150000.00")
    project = save_draft(purchaser, market, plan, name="中途终止的秩序维护服务二次竞价")
    wait_for_listings(purchaser, project["id"], Decimal("5300.00") * QUANTITY)
    pid = ok(purchaser.post(f"/api/v1/projects/{project['id']}/publish", json={"duration_seconds": 600}))["id"]
    wait_for(lambda: project_in(purchaser, pid, "quoting"), timeout=30, what="the window opened")
    ok(supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "110000.00"}), 201)
    assert line_of(purchaser, plan["id"])["reserved_amount"] == "127200.00"

    terminated = ok(purchaser.post(f"/api/v1/projects/{pid}/terminate", json={"reason": "采购需求变更"}))
    assert (terminated["status_label"], terminated["outcome_reason"]) == ("项目终止", "采购需求变更")
    wait_for(lambda: line_of(purchaser, plan["id"])["reserved_amount"] == "0.00",
             what="plans released the terminated project's reservation")
    refused(supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "100000.00"}), 409, "illegal_transition")
    assert ok(supplier.get(f"/api/v1/projects/{pid}"))["status_label"] == "项目终止"
