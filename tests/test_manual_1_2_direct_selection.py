"""Manual 1.2, 直接选定 (direct selection), ①–⑩ through the gateway with the real broker and every
service running, as purchaser-a and the chosen supplier would click through it; each step asserts the
status the platform shows:

① 入围服务库: the category tree        ② the services of a category (品目), by keyword
③ one service: its agreements, suppliers and prices
④ the purchaser fills contact person, phones and the plan line and publishes → 项目报价中 (once plans
  has reserved the ceiling on the line)
⑤ 查看项目: the purchaser and the chosen supplier see it; nobody else does
⑥ 报价: the supplier quotes, never above the agreement price → 结果待确认
⑦ 确认成交结果 → 项目成功, the award announcement is public; plans consumes the award
⑧ 合同: 待发送 → 待确认 → 已确认 → 供应商已盖章 → 采购单位已盖章
⑨ 订单: 待签合同 → 履约中, logistics and invoice
⑩ acceptance report → 已验收, payment voucher → 已支付; plans records the spending

Also: terminating the project while quoting (项目终止) gives the plan line's reservation back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from devstack.walkthrough import Market, MarketSpec, await_read_model, new_plan, open_market, shanghai_today
from platform_client import find, line_of, ok, pdf, project_in, wait_for

pytestmark = pytest.mark.stack

CA_PASSWORD = "ca12345"


@pytest.fixture(scope="module")
def market(stack, as_user) -> tuple[MarketSpec, Market]:
    """An agreement of the agency shortlisting supplier-2 and supplier-3 for one meeting service."""
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-T12-{tag}", name=f"会议服务框架协议（直接选定测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场",
        description="100 人以内，会场布置、签到、茶歇、音视频保障",
        prices={"supplier-2": ("18500.00", "18500.00"), "supplier-3": ("18000.00", "17500.00")},
        methods=("direct_selection",))
    return spec, open_market(as_user, spec)


def plan_for(purchaser, quantity: str, budget: str) -> dict[str, Any]:
    return new_plan(purchaser, name=f"全省教育工作会议会务服务采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C0806", "item_name": "全省教育工作会议会务服务", "quantity": quantity, "unit": "场",
        "budget_amount": budget})


def publish(purchaser, market: Market, supplier: str, plan: dict, quantity: str) -> dict[str, Any]:
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers[supplier]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": quantity, "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": "会场 100 人，含茶歇两次"}
    response = await_read_model(lambda: purchaser.post("/api/v1/projects/direct-selections", json=body),
                                "the plan and the listing reaching bidding")
    assert response.status_code == 201, response.text
    return response.json()


def test_direct_selection_from_the_library_to_payment(market, as_user, anonymous):
    spec, market = market
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-3")
    plan = plan_for(purchaser, quantity="4", budget="80000.00")

    # ① 入围服务库: the category tree counts what is offered
    tree = ok(purchaser.get("/api/v1/catalog/categories"))["items"]
    c08 = next(node for node in tree if node["code"] == "C08")
    c0806 = next(node for node in c08["children"] if node["code"] == "C0806")
    assert c0806["name"] == "会议服务" and c0806["offered_services"] >= 1

    # ② the services of the category, by keyword
    page = ok(purchaser.get("/api/v1/catalog/services", params={"category": "C0806", "q": spec.service_name}))
    assert [s["id"] for s in page["items"]] == [market.service_id]
    assert page["items"][0]["supplier_count"] == 2 and page["items"][0]["min_price"] == "17500.00"

    # ③ one service: the agreement and the suppliers offering it, at their prices
    service = ok(purchaser.get(f"/api/v1/catalog/services/{market.service_id}"))
    offers = {o["supplier"]["supplier_id"]: o for o in service["offers"]}
    chosen = offers[market.suppliers["supplier-3"]["org_id"]]
    assert (chosen["agreement"]["agreement_no"], chosen["agreement_price"], chosen["price"]) == (
        spec.agreement_no, "18000.00", "17500.00")
    assert [m["label"] for m in chosen["agreement"]["methods"]] == ["直接选定"]

    # ④ fill contact, phones and plan line; publish → 项目报价中 once plans has reserved the ceiling
    project = publish(purchaser, market, "supplier-3", plan, quantity="4")
    pid = project["id"]
    assert (project["method_label"], project["ceiling_amount"], project["filing_no"]) == (
        "直接选定", "72000.00", plan["filing_no"])
    assert (project["status_label"], project["funds_status_label"]) == ("待开始", "资金预留中")  # plans has not answered
    project = wait_for(lambda: project_in(purchaser, pid, "quoting"), what="plans reserved, quoting opened")
    assert (project["status_label"], project["funds_status_label"]) == ("项目报价中", "资金已预留")
    line = line_of(purchaser, plan["id"])
    assert (line["reserved_amount"], line["remaining_amount"]) == ("72000.00", "8000.00")
    in_use = purchaser.patch(f"/api/v1/plans/{plan['id']}", json={"remove_lines": [line["id"]]})
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "line_in_use"

    # ⑤ 查看项目: the purchaser's list, the chosen supplier's list; the other supplier sees nothing
    listed = {p["id"]: p for p in ok(purchaser.get("/api/v1/projects", params={"limit": 200}))["items"]}
    assert listed[pid]["status_label"] == "项目报价中"
    assert [p["id"] for p in ok(supplier.get("/api/v1/projects", params={"limit": 200}))["items"]].count(pid) == 1
    seen = ok(supplier.get(f"/api/v1/projects/{pid}"))
    assert seen["status_label"] == "项目报价中" and seen["my_services"][0]["ceiling_amount"] == "72000.00"
    assert as_user("supplier-2").get(f"/api/v1/projects/{pid}").status_code == 404

    # ⑥ 报价: never above the agreement price × quantity; the quote moves it to 结果待确认
    too_high = supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "72000.01"})
    assert too_high.status_code == 422 and too_high.json()["error"]["code"] == "above_ceiling"
    assert ok(purchaser.get(f"/api/v1/projects/{pid}"))["status_label"] == "项目报价中"
    quote = ok(supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "70000.00"}), 201)
    assert (quote["amount"], quote["unit_price"]) == ("70000.00", "17500.00")
    assert ok(purchaser.get(f"/api/v1/projects/{pid}"))["status_label"] == "结果待确认"

    # ⑦ 确认成交结果 → 项目成功; the single-award result announcement is public
    quotes = ok(purchaser.get(f"/api/v1/projects/{pid}/quotes"))
    assert quotes["proposed_winner"]["id"] == quote["id"]
    project = ok(purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": quote["id"]}))
    assert (project["status"], project["status_label"]) == ("succeeded", "项目成功")
    again = purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    award = ok(anonymous.get(f"/api/v1/announcements/{project['award_announcement_id']}"))
    supplier_org, purchaser_org = market.suppliers["supplier-3"], ok(purchaser.get("/api/v1/me"))
    for fact in (purchaser_org["org_name"], purchaser_org["org_address"], "李明", project["name"], project["project_no"],
                 supplier_org["org_name"], supplier_org["org_address"], "70000.00", "17500.00", spec.service_name):
        assert fact in award["content"], fact
    wait_for(lambda: line_of(purchaser, plan["id"])["consumed_amount"] == "70000.00", what="plans consumed the award")
    assert line_of(purchaser, plan["id"])["reserved_amount"] == "0.00"  # the unawarded 2,000.00 went back

    # ⑧ 合同: drafted from the award; sent, confirmed, sealed by the supplier, then by the purchaser
    contract = wait_for(lambda: find(supplier, "/api/v1/contracts", pid), what="contracts drafted the contract")
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", pid), what="orders created the order")
    assert (contract["status_label"], contract["amount"], contract["filing_no"]) == ("待发送", "70000.00",
                                                                                  plan["filing_no"])
    assert (order["status_label"], order["amount"], order["filing_no"], order["supplier_id"]) == (
        "待签合同", "70000.00", plan["filing_no"], supplier_org["org_id"])
    cid, oid = contract["id"], order["id"]
    assert ok(supplier.post(f"/api/v1/contracts/{cid}/send"))["status_label"] == "待确认"
    document = purchaser.get(f"/api/v1/contracts/{cid}/document")
    assert document.status_code == 200 and document.content.startswith(b"%PDF-")
    early = purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD})
    assert early.status_code == 409  # the purchaser seals last
    confirmed = ok(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}))
    assert (confirmed["status_label"], confirmed["ca_mode_label"]) == ("已确认", "已办理单位CA签章")
    assert ok(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))["status_label"] == (
        "供应商已盖章")
    wait_for(lambda: (ok(purchaser.get(f"/api/v1/orders/{oid}"))["contract"] or {}).get("status_label") == "供应商已盖章",
             what="the order shows the contract's progress")
    stamped = ok(purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    assert (stamped["status"], stamped["status_label"]) == ("purchaser_sealed", "采购单位已盖章")
    verification = ok(purchaser.get(f"/api/v1/contracts/{cid}/verification"))
    assert verification["valid"] is True and [s["role"] for s in verification["seals"]] == ["supplier", "purchaser"]

    # ⑨ 订单: in performance once the contract is in force; logistics and invoice by the supplier
    order = wait_for(lambda: (o := ok(purchaser.get(f"/api/v1/orders/{oid}")))["status"] == "contracted" and o,
                     what="ContractStamped put the order in performance")
    assert order["status_label"] == "履约中"
    ok(supplier.post(f"/api/v1/orders/{oid}/logistics", json={"kind": "service", "description": "会务团队进场布置会场"}),
       201)
    today = str(shanghai_today())
    invoiced = ok(supplier.post(f"/api/v1/orders/{oid}/invoices", files=pdf("发票.pdf"), data={
        "invoice_no": f"44{uuid4().int % 10**18:018d}", "amount": "70000.00", "issued_on": today}), 201)
    assert invoiced["invoiced_total"] == "70000.00" and invoiced["status_label"] == "履约中"

    # ⑩ acceptance report → 已验收; payment vouchers → 已支付; plans records the spending
    accepted = ok(purchaser.post(f"/api/v1/orders/{oid}/acceptance", files=pdf("验收单.pdf")), 201)
    assert accepted["status_label"] == "已验收"
    part = ok(purchaser.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证1.pdf"),
                             data={"amount": "30000.00", "paid_on": today}), 201)
    assert (part["status_label"], part["paid_total"]) == ("已验收", "30000.00")
    paid = ok(purchaser.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证2.pdf"),
                             data={"amount": "40000.00", "paid_on": today}), 201)
    assert (paid["status"], paid["status_label"], paid["paid_total"]) == ("paid", "已支付", "70000.00")
    line = wait_for(lambda: (l := line_of(purchaser, plan["id"]))["spent_amount"] == "70000.00" and l,
                    what="plans recorded the spending")
    assert (line["budget_amount"], line["consumed_amount"], line["remaining_amount"]) == (
        "80000.00", "70000.00", "10000.00")
    assert ok(supplier.get(f"/api/v1/orders/{oid}"))["status_label"] == "已支付"


def test_terminating_while_quoting_gives_the_reservation_back(market, as_user):
    _, market = market
    purchaser = as_user("purchaser-a")
    plan = plan_for(purchaser, quantity="2", budget="40000.00")
    project = publish(purchaser, market, "supplier-2", plan, quantity="2")
    wait_for(lambda: project_in(purchaser, project["id"], "quoting"), what="quoting opened")
    assert Decimal(line_of(purchaser, plan["id"])["reserved_amount"]) == Decimal("37000.00")  # 18,500.00 × 2

    terminated = purchaser.post(f"/api/v1/projects/{project['id']}/terminate", json={"reason": "会议取消，需求终止"})
    assert terminated.status_code == 200, terminated.text
    assert (terminated.json()["status_label"], terminated.json()["outcome_reason"]) == ("项目终止", "会议取消，需求终止")
    wait_for(lambda: line_of(purchaser, plan["id"])["reserved_amount"] == "0.00",
             what="plans released the terminated project's reservation")
    reservation = as_user("purchaser-a").get(f"/api/v1/plans/{plan['id']}").json()["reservations"][0]
    assert (reservation["project_id"], reservation["status_label"]) == (project["id"], "已释放")

    late = as_user("supplier-2").post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "30000.00"})
    assert late.status_code == 409, late.text
    twice = purchaser.post(f"/api/v1/projects/{project['id']}/terminate", json={"reason": "再次终止"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "illegal_transition"
    assert purchaser.get(f"/api/v1/projects/{project['id']}").json()["outcome_reason"] == "会议取消，需求终止"
