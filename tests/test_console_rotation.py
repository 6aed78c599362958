"""顺序轮候 and 清退 in the console, in a real browser: the purchaser's 【新增轮候项目】 → 发布 (asked first) →
the project page says who it went to; that supplier's 【拒绝授予】 with a reason from the list (一项其他原因) →
the next supplier's 【接受授予】 → 项目成功; the agency's 轮候顺序 (each supplier's turn this period) and
清退管理 (the decline counted, 【清退】 with a cause and the facts, the record with who)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import MarketSpec, new_plan, open_market
from platform_client import wait_for

pytestmark = pytest.mark.stack


def test_a_rotation_project_declined_accepted_and_the_supplier_cleared(console, as_user):
    tag = uuid4().hex[:6].upper()
    market = open_market(as_user, MarketSpec(
        agreement_no=f"HNKJ-LHC-{tag}", name=f"会务服务框架协议（轮候页面 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"会议会务服务（轮候页面）{tag}", unit="场", description="会务",
        methods=("rotation",),
        prices={"supplier-5": ("16000.00", "16000.00"), "supplier-6": ("16500.00", "16500.00")}))
    plan = new_plan(as_user("purchaser-a"), name=f"会务服务采购计划（轮候页面）{tag}", line={
        "category_code": "C0806", "item_name": "会议会务服务", "quantity": "1", "unit": "场",
        "budget_amount": "100000.00"})
    agreement_id = market.agreement["id"]

    buyer = console("purchaser-a")
    buyer.open("/projects?method=rotation", "顺序轮候项目")
    buyer.click("新增轮候项目", role="link", see="新增轮候项目")
    page = buyer.page
    page.get_by_label("框架协议").select_option(agreement_id)
    page.get_by_label("采购计划明细").select_option(f"{plan['id']}:{plan['lines'][0]['id']}")
    page.get_by_label("采购数量").fill("1")
    page.get_by_label("项目名称").fill(f"全省会议会务服务（轮候 {tag}）")
    page.get_by_label("联系电话（手机）").fill("13800000001")
    buyer.click("发布项目")
    buyer.confirm()
    expect(page.locator("main")).to_contain_text("项目已发布")
    expect(page.locator("main")).to_contain_text(market.suppliers["supplier-5"]["org_name"])
    project_id = page.url.rsplit("/", 1)[-1]
    wait_for(lambda: as_user("supplier-5").get(f"/api/v1/projects/{project_id}").json().get("status") == "quoting",
             what="plans reserved the funds")

    first = console("supplier-5")
    first.open(f"/quoting/{project_id}", "轮候授予")
    first.click("拒绝授予", role="link", see="拒绝授予")
    first.page.get_by_label("拒绝理由").select_option("other")
    first.page.get_by_label("拒绝原因").fill("近期人手紧张")
    first.click("拒绝授予")
    first.confirm()
    expect(first.page.locator("main")).to_contain_text("已拒绝授予")

    second = console("supplier-6")
    second.open(f"/quoting/{project_id}", "轮到本单位")
    second.click("接受授予")
    second.confirm()
    expect(second.page.locator("main")).to_contain_text("已接受授予")

    buyer.open(f"/projects/{project_id}", "项目成功")
    expect(buyer.page.locator("main")).to_contain_text("项目成功")
    expect(buyer.page.locator("main")).to_contain_text("已拒绝授予")

    agency = console("agency")
    agency.open(f"/agreements/{agreement_id}/rotation", "轮候顺序")
    expect(agency.page.locator("main")).to_contain_text("已接受授予")
    five = market.suppliers["supplier-5"]["org_id"]

    def counted() -> bool:
        agency.open(f"/suppliers/{agreement_id}/clearing", "清退管理")
        row = agency.page.get_by_role("row").filter(has_text=five)
        return "1" in row.locator("td").nth(2).inner_text()

    wait_for(counted, what="the decline without a valid reason counted")
    agency.page.get_by_role("row").filter(has_text=five).get_by_role("link", name="清退").click()
    agency.see("清退表单")
    agency.page.get_by_label("清退情形").select_option("refused_award")
    agency.page.get_by_label("清退事实").fill(f"全省会议会务服务（轮候 {tag}）无正当理由拒绝授予")
    agency.page.locator("#clear").get_by_role("button", name="清退").click()
    agency.confirm()
    expect(agency.page.locator("main")).to_contain_text("已清退")
    expect(agency.page.locator("main")).to_contain_text("无正当理由拒不接受合同授予")
