"""Manual 1.2 ①–③, in a real browser through the gateway: 【框架协议首页】-【入围服务库】 browsed by category
(品目) and keyword, a service with its agreements, suppliers and prices, the agreement and the supplier
chosen, 【直接选定】, the project form (contact person, phones, the plan line, the quantity), 【发布项目】 with
its confirmation → the project, and the plan's ledger holding the ceiling for it. The agency and the
suppliers browse the same library without the button; a refused value is named beside its field."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import MarketSpec, new_plan, open_market
from platform_client import query, wait_for

pytestmark = pytest.mark.stack


def in_bidding(stack, sql: str, **params) -> list:
    """Rows of the project service's read models (what a plan or listing entered a moment ago reached):
    read in a thread of its own, the browser's event loop runs in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(query, stack, "bidding", sql, **params).result()


@pytest.fixture(scope="module")
def market(stack, as_user):
    """A meeting-service agreement of the agency shortlisting supplier-2 and supplier-3, both listed."""
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-W1-{tag}", name=f"会议服务框架协议（控制台测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场",
        description="100 人以内，会场布置、签到、茶歇、音视频保障",
        prices={"supplier-2": ("18500.00", "18500.00"), "supplier-3": ("18000.00", "17500.00")},
        methods=("direct_selection",))
    market = open_market(as_user, spec)
    # The listings reach the project service (bidding) through Kafka a moment later.
    wait_for(lambda: len(in_bidding(stack, "SELECT offering_id FROM offering_refs WHERE service_id = :s AND listed",
                                    s=market.service_id)) == 2,
             timeout=30, what="both listings reaching bidding")
    return spec, market


def meeting_plan(stack, purchaser, quantity: str = "4", budget: str = "80000.00") -> dict:
    plan = new_plan(purchaser, name=f"全省教育工作会议会务服务采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C0806", "item_name": "全省教育工作会议会务服务", "quantity": quantity, "unit": "场",
        "budget_amount": budget})
    wait_for(lambda: in_bidding(stack, "SELECT plan_id FROM plan_refs WHERE plan_id = :p", p=plan["id"]),
             timeout=30, what="the plan reaching bidding")
    return plan


def menu(person, label: str) -> None:
    person.page.get_by_role("navigation", name="功能菜单").get_by_role("link", name=label).click()
    person.see(label)


def open_service(person, spec: MarketSpec) -> None:
    """【入围服务库】, the category 会议服务 in the tree, the service found by keyword, 【查看】."""
    menu(person, "入围服务库")
    tree = person.page.get_by_role("navigation", name="品目")
    tree.get_by_role("link", name="会议服务").click()
    person.see("品目 会议服务")
    expect(person.page.get_by_role("heading", name="入围服务库：会议服务")).to_be_visible()
    person.page.get_by_label("关键词").fill(spec.service_name)
    person.click("搜索", see="按关键词搜索")
    rows = person.page.get_by_role("table", name="入围服务").get_by_role("row").filter(has_text=spec.service_name)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("2 家")
    expect(rows).to_contain_text("17,500.00 元/场 起")
    rows.get_by_role("link", name="查看").click()
    person.see("服务详情")
    expect(person.page.get_by_role("heading", name=spec.service_name)).to_be_visible()


def test_the_library_by_category_and_keyword_to_a_direct_selection(stack, console, as_user, market):
    spec, market = market
    purchaser = as_user("purchaser-a")
    plan = meeting_plan(stack, purchaser)
    line = plan["lines"][0]
    supplier = market.suppliers["supplier-3"]

    buyer = console("purchaser-a")
    open_service(buyer, spec)
    # ② the agreement and its suppliers at their prices; choose supplier-3 under it, 【直接选定】
    agreement = buyer.page.get_by_role("region", name=re.compile(spec.name))
    expect(agreement).to_contain_text(spec.agreement_no)
    expect(agreement.get_by_role("row").filter(has_text=supplier["org_name"])).to_contain_text("18,000.00 元/场")
    expect(agreement.get_by_role("row").filter(has_text=market.suppliers["supplier-2"]["org_name"])).to_contain_text(
        "18,500.00 元/场")
    buyer.page.get_by_label(supplier["org_name"]).check()
    buyer.click("直接选定", see="直接选定项目表单")
    assert "/projects/direct-selection/new" in buyer.page.url
    chosen = buyer.page.get_by_role("region", name="已选服务")
    expect(chosen).to_contain_text(supplier["org_name"])
    expect(chosen).to_contain_text(spec.agreement_no)

    # ③ 联系人, 联系电话, 办公电话, the plan; 【发布项目】 and its confirmation
    buyer.page.get_by_label("项目名称").fill(f"全省教育工作会议会务服务 {spec.agreement_no}")
    buyer.page.get_by_label("联系人").fill("李明")
    buyer.page.get_by_label("联系电话").fill("13800000001")
    buyer.page.get_by_label("办公电话").fill("0731-84710001")
    buyer.page.get_by_label("采购计划明细").select_option(f"{plan['id']}/{line['id']}")
    buyer.page.get_by_label("采购数量").fill("4")
    buyer.page.get_by_label("采购需求").fill("会场 100 人，含茶歇两次")
    buyer.click("发布项目", see="发布项目前确认")
    buyer.confirm()

    # → the project's page; the project exists, quoting once plans has reserved its ceiling
    found = re.search(r"/projects/(PJ\w+)$", buyer.page.url)
    assert found, buyer.page.url
    project = purchaser.get(f"/api/v1/projects/{found[1]}").json()
    assert project["status_label"] in ("项目报价中", "待开始")
    assert (project["method_label"], project["ceiling_amount"], project["supplier_id"], project["plan_line_id"]) == (
        "直接选定", "72000.00", supplier["org_id"], line["id"])
    wait_for(lambda: purchaser.get(f"/api/v1/plans/{plan['id']}").json()["lines"][0]["reserved_amount"] == "72000.00",
             timeout=30, what="plans reserving the ceiling")

    # the plan's ledger: the ceiling held for the project, the rest remaining
    buyer.open(f"/plans/{plan['id']}", "计划的资金占用")
    cells = buyer.page.get_by_role("table", name="采购计划明细及每条明细的预算执行情况").get_by_role("row").filter(
        has_text="全省教育工作会议会务服务").get_by_role("cell")
    expect(cells.nth(4)).to_have_text("80,000.00 元")
    expect(cells.nth(5)).to_have_text("72,000.00 元")
    expect(cells.nth(8)).to_have_text("8,000.00 元")
    reservations = buyer.page.get_by_role("table", name="使用本计划的项目及其占用的资金")
    held = reservations.get_by_role("row").filter(has_text=project["name"])
    expect(held).to_contain_text("已预留")
    expect(held).to_contain_text("72,000.00 元")
    expect(held).to_contain_text(project["project_no"])


def test_a_refused_project_is_named_beside_its_field_and_not_published(stack, console, as_user, market):
    spec, market = market
    purchaser = as_user("purchaser-a")
    plan = meeting_plan(stack, purchaser, quantity="2", budget="40000.00")
    before = purchaser.get("/api/v1/projects", params={"limit": 200}).json()["total"]

    buyer = console("purchaser-a", javascript=False)  # the confirmation is a page of its own
    open_service(buyer, spec)
    # 【直接选定】 with no supplier chosen: asked in the platform's own words (the form is not left to the
    # browser's check, whose bubble speaks the browser's language, not the page's)
    buyer.click("直接选定", see="未选择供应商")
    expect(buyer.page.get_by_role("alert")).to_contain_text("请先选择协议和供应商")
    buyer.page.get_by_label(market.suppliers["supplier-2"]["org_name"]).check()
    buyer.click("直接选定", see="直接选定项目表单")
    buyer.page.get_by_label("联系人").fill("李明")
    buyer.page.get_by_label("联系电话").fill("0731-1234")
    buyer.page.get_by_label("采购计划明细").select_option(f"{plan['id']}/{plan['lines'][0]['id']}")
    buyer.page.get_by_label("采购数量").fill("3")
    buyer.click("发布项目", see="确认页")
    buyer.confirm()
    field = buyer.page.locator(".field.has-error").filter(has=buyer.page.get_by_label("联系电话"))
    expect(field.locator(".field-error")).to_contain_text("联系电话")
    expect(buyer.page.get_by_label("采购数量")).to_have_value("3")

    # a quantity above the plan line's: the API's sentence beside the quantity
    buyer.page.get_by_label("联系电话").fill("13800000001")
    buyer.click("发布项目", see="确认页")
    buyer.confirm()
    field = buyer.page.locator(".field.has-error").filter(has=buyer.page.get_by_label("采购数量"))
    expect(field.locator(".field-error")).to_contain_text("超过")
    assert purchaser.get("/api/v1/projects", params={"limit": 200}).json()["total"] == before


def test_the_agency_and_a_supplier_browse_the_library_without_direct_selection(console, market):
    spec, market = market
    for user in ("agency", "supplier-2"):
        person = console(user)
        person.open(f"/catalog?q={spec.service_name}", f"{user} 入围服务库")
        person.page.get_by_role("link", name="查看").first.click()
        person.see(f"{user} 服务详情")
        expect(person.page.get_by_role("heading", name=spec.service_name)).to_be_visible()
        expect(person.page.get_by_text(spec.agreement_no)).to_be_visible()
        expect(person.page.get_by_role("button", name="直接选定")).to_have_count(0)
        expect(person.page.get_by_role("radio")).to_have_count(0)


def test_a_category_without_services_says_what_to_do(console):
    person = console("purchaser-a")
    person.open("/catalog?q=没有这样的服务名称" + uuid4().hex[:6], "搜索无结果")
    expect(person.page.get_by_text("没有符合条件的入围服务")).to_be_visible()
