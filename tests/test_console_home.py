"""首页 待办事项 in a real browser, for each role, with the to-dos set up through the API: the purchaser's
project awaiting confirmation (→ 确认成交结果) and a contract to confirm whose signing deadline has passed
(red, 已逾期); the supplier's project open for quoting; the agency's agreement about to expire (amber) and
its suspended supplier; and the empty state of a supplier with nothing to do."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from devstack.walkthrough import MarketSpec, await_read_model, new_plan, open_market, shanghai_today
from platform_client import wait_for
from servicekit.db import Database
from servicekit.settings import normalize_database_url

pytestmark = pytest.mark.stack

RED, AMBER = "rgb(179, 38, 30)", "rgb(138, 90, 0)"  # --bad and --warn of console.css


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def execute(stack, service: str, sql: str, **params: Any) -> None:
    """White-box write into one service's database: only to move a deadline into the past, as time would."""
    async def run() -> None:
        db = Database(normalize_database_url(stack.database_urls[service]))
        try:
            async with db.transaction() as session:
                await session.exec(sa.text(sql), params=params)
        finally:
            await db.dispose()
    with ThreadPoolExecutor(1) as thread:  # Playwright runs an event loop in this one
        thread.submit(asyncio.run, run()).result()


def direct_selection(as_user, market, tag: str, n: int) -> dict[str, Any]:
    """A direct selection of 1 场 from supplier-3, quoting once plans has reserved the funds."""
    buyer = as_user("purchaser-a")
    plan = new_plan(buyer, name=f"待办测试采购计划 {tag}-{n}", line={
        "category_code": "C0806", "item_name": f"专题会议会务服务 {tag}-{n}", "quantity": "1", "unit": "场",
        "budget_amount": "20000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers["supplier-3"]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": "1", "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": f"待办测试 {tag}-{n}"}
    project = ok(await_read_model(lambda: buyer.post("/api/v1/projects/direct-selections", json=body),
                                  "the plan and the listing reaching bidding"), 201)
    wait_for(lambda: ok(buyer.get(f"/api/v1/projects/{project['id']}"))["status"] == "quoting", what="quoting")
    return project


def row_of(person, text: str):
    return person.page.locator("table.todos tbody tr").filter(has_text=text)


def test_each_roles_home_shows_its_todos_and_an_overdue_item_is_red(stack, as_user, console):
    tag = uuid4().hex[:6].upper()
    today = shanghai_today()
    market = open_market(as_user, MarketSpec(
        agreement_no=f"HNKJ-HOME-{tag}", name=f"会议服务框架协议（待办测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"专题会议会务服务 {tag}", unit="场", description="",
        prices={"supplier-3": ("18000.00", "17500.00"), "supplier-6": ("18200.00", "17900.00")},
        methods=("direct_selection",), valid_from=today - timedelta(days=10), valid_to=today + timedelta(days=2)))
    buyer, seller = as_user("purchaser-a"), as_user("supplier-3")

    to_confirm = direct_selection(as_user, market, tag, 1)  # 结果待确认
    ok(seller.post(f"/api/v1/projects/{to_confirm['id']}/quotes", json={"amount": "17000.00"}), 201)
    to_quote = direct_selection(as_user, market, tag, 2)  # still 项目报价中 for the supplier
    signed_late = direct_selection(as_user, market, tag, 3)  # awarded, its contract sent, the deadline passed
    quote = ok(seller.post(f"/api/v1/projects/{signed_late['id']}/quotes", json={"amount": "17500.00"}), 201)
    ok(buyer.post(f"/api/v1/projects/{signed_late['id']}/confirm-result", json={"quote_id": quote["id"]}))
    contract = wait_for(lambda: next((c for c in ok(seller.get("/api/v1/contracts", params={"limit": 200}))["items"]
                                      if c["project_id"] == signed_late["id"]), None), what="the contract drafted")
    ok(seller.post(f"/api/v1/contracts/{contract['id']}/send"))
    execute(stack, "contracts", "UPDATE contracts SET sign_due_on = :due WHERE id = :id",
            due=today - timedelta(days=2), id=contract["id"])

    purchaser = console("purchaser-a")
    purchaser.open("/", "采购人待办")
    confirm = row_of(purchaser, to_confirm["project_no"])
    expect(confirm).to_contain_text("确认成交结果")
    expect(confirm).to_contain_text("结果待确认")
    late = row_of(purchaser, contract["contract_no"])
    expect(late).to_contain_text("确认合同")
    expect(late).to_contain_text("已逾期")
    expect(late).to_have_class("overdue")
    assert late.locator(".late").evaluate("node => getComputedStyle(node).color") == RED
    assert purchaser.page.locator("table.todos tbody tr").first.get_attribute("class") == "overdue"  # overdue first
    confirm.get_by_role("link", name="确认成交结果").click()
    purchaser.see("确认成交结果页")
    assert purchaser.page.url.endswith(f"/projects/{to_confirm['id']}/result")

    supplier = console("supplier-3")
    supplier.open("/", "供应商待办")
    quoting = row_of(supplier, to_quote["project_no"])
    expect(quoting).to_contain_text("报价")
    expect(quoting).to_contain_text("项目报价中")
    expect(quoting.get_by_role("link", name="报价")).to_have_attribute("href", f"/quoting/{to_quote['id']}")

    ok(as_user("agency").post(f"/api/v1/catalog/agreements/{market.agreement['id']}/suppliers/"
                              f"{market.suppliers['supplier-6']['org_id']}/suspend", json={"reason": "待办测试暂停"}))
    agency = console("agency")
    agency.open("/", "征集人待办")
    expiring = row_of(agency, market.agreement["agreement_no"]).filter(has_text="即将到期")
    expect(expiring).to_contain_text(str(today + timedelta(days=2)))
    assert expiring.locator(".soon").evaluate("node => getComputedStyle(node).color") == AMBER
    suspended = row_of(agency, market.suppliers["supplier-6"]["org_name"]).filter(has_text=market.agreement["agreement_no"])
    expect(suspended).to_contain_text("已暂停")
    suspended.get_by_role("link", name="查看并恢复").click()
    agency.see("已暂停的供应商")
    expect(agency.page.get_by_role("row").filter(has_text=market.suppliers["supplier-6"]["org_name"])).to_contain_text(
        "待办测试暂停")

    idle = console("supplier-5")
    idle.open("/", "无待办")
    expect(idle.page.get_by_role("main")).to_contain_text("暂无待办事项")
    expect(idle.page.get_by_role("link", name="查看待报价项目")).to_be_visible()
