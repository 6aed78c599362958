"""用户评价, the 协议执行台账 and the announcements' deadlines in the console, in a real browser:
- the agency sets the agreement's evaluation dimensions on its page;
- after acceptance the purchaser scores the supplier on the order page (a score per dimension and a
  comment); the supplier sees it and answers once; the service library shows the supplier's average and
  count beside its price;
- a second award under the agreement would pass its estimate: the purchaser is warned on the
  确认成交结果 page, confirms anyway; the agency's ledger shows both awards, the totals against the
  estimate and the warning, and exports them to a spreadsheet;
- the public 成交结果公告 list shows each award's 发布期限; 直接选定汇总公告 is public too.

The awards, the seals and the acceptance are set up through the API; the pages above are clicked."""

from __future__ import annotations

import io
from decimal import Decimal
from uuid import uuid4

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from devstack.walkthrough import MarketSpec, await_read_model, new_plan, open_market
from platform_client import wait_for
from test_console_contracts import AMOUNT, QUANTITY, awarded, enroll_seals, menu, ok, row_of
from test_console_orders import in_force, pdf

pytestmark = pytest.mark.stack


def estimated_market(as_user):
    """A meeting-service agreement of supplier-3 whose estimate (50,000.00) two awards of 35,000.00 pass."""
    tag = uuid4().hex[:6].upper()
    return open_market(as_user, MarketSpec(
        agreement_no=f"HNKJ-LEDGER-{tag}", name=f"会议服务框架协议（台账测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场",
        description="100 人以内，会场布置、签到、茶歇、音视频保障", prices={"supplier-3": ("18000.00", "17500.00")},
        methods=("direct_selection",), estimated_amount="50000.00"))


def quoted(as_user, market) -> dict:
    """A second direct selection of the same service, quoted by supplier-3: 结果待确认."""
    buyer, seller = as_user("purchaser-a"), as_user("supplier-3")
    plan = new_plan(buyer, name=f"会务服务采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C0806", "item_name": "会务服务", "quantity": QUANTITY, "unit": "场",
        "budget_amount": "40000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers["supplier-3"]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": QUANTITY, "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "", "requirements": ""}
    project = ok(await_read_model(lambda: buyer.post("/api/v1/projects/direct-selections", json=body),
                                  "the plan reaching bidding"), 201)
    wait_for(lambda: ok(buyer.get(f"/api/v1/projects/{project['id']}"))["status"] == "quoting", what="quoting")
    ok(seller.post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": AMOUNT}), 201)
    return project


def test_evaluation_ledger_and_announcement_deadlines_through_the_console(stack, as_user, console):
    enroll_seals(as_user, "supplier-3", "purchaser-a")
    market = estimated_market(as_user)

    # the agency sets this agreement's evaluation dimensions on its page
    agency = console("agency")
    agency.open(f"/agreements/{market.agreement['id']}", "框架协议 评价维度")
    dimensions = agency.page.get_by_role("region", name="用户评价维度")
    expect(dimensions).to_contain_text("服务质量、响应速度、履约规范")  # the default
    dimensions.get_by_label("评价维度").fill("服务质量、响应速度、安全保障")
    agency.click("保存评价维度")
    expect(agency.page.get_by_role("status")).to_contain_text("评价维度已保存：服务质量、响应速度、安全保障")

    deal = awarded(as_user, market)
    order = in_force(as_user, deal)
    oid, number = order["id"], order["order_no"]
    ok(as_user("purchaser-a").post(f"/api/v1/orders/{oid}/acceptance",
                                   files={"file": ("验收单.pdf", pdf("acceptance"), "application/pdf")}), 201)

    # 用户评价: the purchaser scores the supplier on the order page
    buyer = console("purchaser-a")
    menu(buyer, "我的订单", "我的订单")
    row_of(buyer, number).get_by_role("link", name="查看").click()
    buyer.see("订单详情")
    evaluation = buyer.page.locator("#evaluation")
    expect(evaluation).to_contain_text("每个订单只能评价一次")
    evaluation.get_by_label("服务质量").select_option("5")
    evaluation.get_by_label("响应速度").select_option("4")
    evaluation.get_by_label("安全保障").select_option("5")
    evaluation.get_by_label("评价意见").fill("会务组织有序，响应及时")
    buyer.click("提交评价")
    expect(buyer.page.get_by_role("status")).to_contain_text("评价已提交")
    expect(evaluation).to_contain_text("4.67 分")
    expect(evaluation).to_contain_text("会务组织有序，响应及时")
    expect(evaluation.get_by_role("button", name="提交评价")).to_have_count(0)  # once per order

    # the supplier sees it and answers once
    seller = console("supplier-3")
    seller.open(f"/orders/{oid}", "供应商查看评价")
    answer = seller.page.locator("#evaluation")
    expect(answer).to_contain_text("4.67 分")
    answer.get_by_label("回复内容").fill("感谢评价，我们将继续做好会务保障。")
    seller.click("提交回复")
    expect(seller.page.get_by_role("status")).to_contain_text("回复已提交")
    expect(answer).to_contain_text("感谢评价，我们将继续做好会务保障。")
    expect(answer.get_by_role("button", name="提交回复")).to_have_count(0)

    # the library: the supplier's average and count beside its price
    wait_for(lambda: ok(as_user("purchaser-a").get(f"/api/v1/catalog/services/{market.service_id}"))
             ["offers"][0]["rating"]["count"] == 1, what="catalog counted the evaluation")
    buyer.open(f"/catalog/services/{market.service_id}", "入围服务库 服务详情")
    offer = buyer.page.get_by_role("row").filter(has_text="17,500.00 元")
    expect(offer).to_contain_text("4.67 分")
    expect(offer).to_contain_text("1 次评价")

    # a second award would pass the estimate: the purchaser is warned before confirming, and may confirm
    second = quoted(as_user, market)
    buyer.open(f"/projects/{second['id']}/result", "确认成交结果 超出预估")
    warning = buyer.page.locator(".ledger-warning")
    expect(warning).to_contain_text("超过框架协议预估采购金额 50000.00 元")
    expect(warning).to_contain_text("超出 20000.00 元")
    ok(as_user("purchaser-a").post(f"/api/v1/projects/{second['id']}/confirm-result"))

    # the agency's ledger: both awards, the totals against the estimate, the warning; the export
    menu(agency, "协议执行台账", "协议执行台账")
    agreement_no = market.agreement["agreement_no"]
    row_of(agency, agreement_no).get_by_role("link", name=f"查看 {agreement_no} 的台账").click()
    agency.see("协议执行台账 详情")
    expect(agency.page.get_by_role("alert")).to_contain_text("超过框架协议预估采购金额 50000.00 元")
    summary = agency.page.get_by_role("region", name="汇总", exact=True)
    expect(summary).to_contain_text("70,000.00 元")
    expect(summary).to_contain_text("-20,000.00 元")  # 预估剩余金额
    awards = agency.page.get_by_role("table", name="成交明细")
    expect(awards.get_by_role("row").filter(has_text=deal["project"]["project_no"])).to_contain_text("直接选定")
    expect(awards.get_by_role("row").filter(has_text=second["project_no"])).to_contain_text("此笔后超出预估")
    with agency.page.expect_download() as download:
        agency.page.get_by_role("link", name="导出电子表格").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    rows = list(book["成交明细"].values)
    assert {r[1] for r in rows[1:-1]} == {deal["project"]["project_no"], second["project_no"]}
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][10])) == Decimal("70000")

    # public, no login: the award announcements with their 发布期限; the summary list
    visitor = console()
    visitor.open("/announcements?kind=award", "成交结果公告 发布期限")
    expect(visitor.page.get_by_role("columnheader", name="发布期限")).to_be_visible()
    expect(visitor.page.get_by_role("row").filter(has_text=deal["project"]["project_no"])).to_contain_text(
        "协议期满后汇总公告")
    visitor.open("/announcements?kind=summary", "直接选定汇总公告")
    expect(visitor.page.locator("h1")).to_contain_text("直接选定汇总公告")
