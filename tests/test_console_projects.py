"""项目管理 pages in the browser: 终止项目 while quoting (with a reason; the plan's reservation goes back), a
bidding without quotes (项目失败; published with JavaScript off, so the confirmation is a page), the publish
page refusing a start in the past and a window under the minimum (beside the field, nothing published), the
list's filter and empty state, and another unit's project refused without its data. Preconditions
(agreement, plan, draft) through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import open_market, wait_for_listings
from platform_client import wait_for
from test_console_bidding import BEIJING, badge, field_error, market_spec, reload_until
from test_manual_1_3_secondary_bidding import QUANTITY, plan_for, save_draft

pytestmark = pytest.mark.stack

CEILING = Decimal("5300.00") * QUANTITY


@pytest.fixture(scope="module")
def market(stack, as_user):
    spec = market_spec(uuid4().hex[:6].upper())
    return spec, open_market(as_user, spec)


def draft(purchaser, market, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A saved draft (草稿) on a new plan, once every listing has reached bidding: (plan, project)."""
    plan = plan_for(purchaser, budget="150000.00")
    project = save_draft(purchaser, market, plan, name=name)
    wait_for_listings(purchaser, project["id"], CEILING)
    return plan, project


def reserved(purchaser, plan_id: str) -> str:
    return purchaser.get(f"/api/v1/plans/{plan_id}").json()["lines"][0]["reserved_amount"]


def test_terminate_while_quoting_with_a_reason_gives_the_budget_back(market, as_user, console):
    _, market = market
    purchaser = as_user("purchaser-a")
    plan, project = draft(purchaser, market, f"中途终止的秩序维护服务二次竞价 {uuid4().hex[:4]}")
    pid = project["id"]
    assert purchaser.post(f"/api/v1/projects/{pid}/publish", json={"duration_seconds": 600}).status_code == 200
    wait_for(lambda: reserved(purchaser, plan["id"]) == f"{CEILING:.2f}", what="plans reserved the ceiling")

    buyer = console("purchaser-a")
    buyer.open(f"/projects/{pid}", "项目页")
    reload_until(buyer, lambda: badge(buyer), "项目报价中")
    buyer.see("项目报价中")
    buyer.click("终止项目", role="link", see="终止项目")
    buyer.page.get_by_label("终止原因").fill("采购需求变更")
    buyer.click("终止项目", see="终止确认")
    buyer.confirm()
    main = buyer.page.locator("main")
    expect(main).to_contain_text("项目已终止")
    expect(badge(buyer)).to_have_text("项目终止")
    expect(main).to_contain_text("采购需求变更")
    expect(buyer.page.get_by_role("link", name="终止项目")).to_have_count(0)
    wait_for(lambda: reserved(purchaser, plan["id"]) == "0.00", what="plans released the reservation")

    seller = console("supplier-4")  # the invited supplier sees it ended, and cannot quote
    seller.open(f"/quoting/{pid}", "供应商看终止项目")
    expect(seller.page.locator("main h1 .badge")).to_have_text("项目终止")
    expect(seller.page.get_by_label("报价总金额（元）")).to_have_count(0)


def test_a_bidding_without_quotes_ends_failed_and_publishing_works_without_javascript(market, as_user, console):
    _, market = market
    purchaser = as_user("purchaser-a")
    plan, project = draft(purchaser, market, f"无人报价的秩序维护服务二次竞价 {uuid4().hex[:4]}")
    pid = project["id"]

    buyer = console("purchaser-a", javascript=False)  # the publish page and its confirmation work without script
    buyer.open(f"/projects/{pid}/publish", "发布页")
    main = buyer.page.locator("main")
    # a start in the past and a window under the minimum: refused beside the field, nothing published
    past = (datetime.now(BEIJING) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    buyer.page.get_by_label("竞价开始时间（北京时间）").fill(past)
    buyer.page.get_by_label("竞价时长").fill("2")
    buyer.page.get_by_label("时长单位").select_option(label="秒")
    buyer.click("预览公告", see="开始时间已过")
    expect(field_error(buyer, "starts_at")).to_be_visible()
    expect(buyer.page.locator("article.announcement")).to_have_count(0)
    buyer.page.get_by_label("竞价开始时间（北京时间）").fill("")
    buyer.page.get_by_label("竞价时长").fill("1")
    buyer.click("预览公告", see="时长过短")
    expect(field_error(buyer, "duration")).to_be_visible()
    assert purchaser.get(f"/api/v1/projects/{pid}").json()["status"] == "draft"

    # the shortest window, starting at once: nobody quotes → 项目失败
    buyer.page.get_by_label("竞价时长").fill("2")
    buyer.click("预览公告", see="预览")
    expect(buyer.page.locator("article.announcement")).to_contain_text("竞价结束时间")
    buyer.click("发布", see="发布确认")
    buyer.confirm()
    expect(main).to_contain_text("项目已发布")
    reload_until(buyer, lambda: badge(buyer), "项目失败")
    buyer.see("项目失败")
    expect(main.locator(".notice.error")).to_be_visible()  # the reason it failed
    buyer.open(f"/projects/{pid}/result", "无报价")
    expect(main).to_contain_text("竞价时间内没有供应商报价")
    expect(buyer.page.get_by_role("button", name="确认成交结果")).to_have_count(0)
    wait_for(lambda: reserved(purchaser, plan["id"]) == "0.00", what="plans released the failed project's funds")


def test_the_list_filters_and_another_units_project_is_refused(market, as_user, console):
    _, market = market
    purchaser = as_user("purchaser-a")
    _, project = draft(purchaser, market, f"草稿筛选的秩序维护服务二次竞价 {uuid4().hex[:4]}")

    buyer = console("purchaser-a")
    buyer.open("/projects?method=secondary_bidding&status=draft", "草稿筛选")
    expect(buyer.page.locator("table.list tbody tr", has_text=project["name"])).to_be_visible()
    buyer.page.get_by_label("状态").select_option("succeeded")
    buyer.click("查询", see="项目成功筛选")
    expect(buyer.page.locator("table.list tbody tr", has_text=project["name"])).to_have_count(0)

    # keyword and date (北京时间 days): today's draft is found by a word of its name, not by yesterday
    today = datetime.now(BEIJING).date()
    buyer.page.get_by_label("状态").select_option("")
    buyer.page.get_by_label("关键字").fill(project["name"].split()[-1])
    buyer.page.get_by_label("创建日期自").fill(today.isoformat())
    buyer.click("查询", see="关键字与日期筛选")
    expect(buyer.page.locator("table.list tbody tr")).to_have_count(1)
    expect(buyer.page.locator("table.list tbody tr", has_text=project["name"])).to_be_visible()
    buyer.page.get_by_label("创建日期自").fill("")
    buyer.page.get_by_label("创建日期至").fill((today - timedelta(days=1)).isoformat())
    buyer.click("查询", see="日期之前无项目")
    expect(buyer.page.locator(".empty")).to_contain_text("没有符合筛选条件的项目")

    other = console("purchaser-b")
    other.open("/projects?method=direct_selection&status=failed", "另一单位空列表")
    expect(other.page.locator(".empty")).to_contain_text("没有“项目失败”状态的项目")
    other.page.goto(other.base_url + f"/projects/{project['id']}")
    other.see("另一单位的项目")
    expect(other.page.get_by_role("heading", level=1)).to_have_text("未找到")
    expect(other.page.locator("main")).not_to_contain_text(project["name"])
