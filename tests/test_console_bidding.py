"""Manual 1.3 二次竞价 in the console, by clicking: 新增项目 → 保存 → 编辑 → 发布 (after 预览公告) → three
suppliers, each in its own browser, quoting in the same window (one revises, one quotes above its ceiling and
is told so at the field) → the purchaser is refused the quotes before the close → after the close
确认成交结果 shows every quote and the proposed winner (lowest; a tie goes to the earlier quote) → 项目成功 →
the award announcement, without logging in.

Preconditions (the agreement, the listings, the plan) are set up through the API; every step of the
bidding itself is a click or a keystroke, and each asserts what the person sees."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable
from uuid import uuid4

import pytest
from playwright.sync_api import Locator, expect

from devstack.walkthrough import MarketSpec, open_market, wait_for_listings
from web.refusals import chinese
from test_manual_1_3_secondary_bidding import QUANTITY, plan_for

pytestmark = pytest.mark.stack

BEIJING = timezone(timedelta(hours=8))
WINDOW_SECONDS = 150  # three suppliers in three browsers quote inside it, on a busy machine (the shortest allowed is 2 s)


def market_spec(tag: str) -> MarketSpec:
    return MarketSpec(
        agreement_no=f"HNKJ-WEB13-{tag}", name=f"秩序维护服务框架协议（控制台测试 {tag}）", category_code="C1204",
        service_category="C120403", service_name=f"秩序维护服务 {tag}", unit="人·月",
        description="门岗值守、巡逻、消防监控室 24 小时值班",
        # supplier-6's agreement price is the highest and it lists last (see wait_for_listings)
        prices={"supplier-1": ("5200.00", "5100.00"), "supplier-4": ("5000.00", "5000.00"),
                "supplier-6": ("5300.00", "5200.00")})


@pytest.fixture(scope="module")
def market(stack, as_user):
    spec = market_spec(uuid4().hex[:6].upper())
    return spec, open_market(as_user, spec)


def reload_until(person, locator: Callable[[], Locator], expected: str | re.Pattern, timeout: float = 40) -> None:
    """Reloads the page until `locator` shows `expected`: waits for what the page shows, never a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator()).to_contain_text(expected, timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            person.page.reload()


def badge(person) -> Locator:
    return person.page.locator("main h1 .badge")


def row_of(person, name: str) -> Locator:
    return person.page.locator("table.list tbody tr", has_text=name)


def field_error(person, name: str) -> Locator:
    return person.page.locator(f".field.has-error:has([name='{name}']) .field-error")


def beijing_minute() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%dT%H:%M")


def choose(select: Locator, words: str) -> None:
    """Picks the option of a select whose text contains `words`."""
    select.select_option(select.locator("option", has_text=words).get_attribute("value"))


def save_draft_by_clicking(buyer, spec: MarketSpec, plan: dict[str, Any], name: str) -> None:
    """【新增项目】 → 品目 → 框架协议, 计划, 需求… → 【保存】 (the plan may take a moment to reach bidding:
    the page says so, and 保存 is clicked again)."""
    buyer.open("/projects?method=secondary_bidding", "二次竞价项目管理")
    buyer.click("新增项目", role="link")
    buyer.page.get_by_label("采购品目").select_option("C120403")
    buyer.click("下一步", see="新增项目-填写")
    page = buyer.page
    choose(page.get_by_label("框架协议"), spec.agreement_no)
    choose(page.get_by_label("采购计划明细"), plan["plan_no"])
    page.get_by_label("项目名称").fill(name)
    page.get_by_label("采购数量").fill(str(QUANTITY))
    page.get_by_label("竞价需求").fill("门岗 2 人，24 小时值守")
    page.get_by_label("联系人").fill("李明")
    page.get_by_label("联系电话（手机）").fill("13800000001")
    page.get_by_label("办公电话").fill("0731-84710001")
    deadline = time.monotonic() + 30
    while True:
        page.get_by_role("button", name="保存").click()
        page.wait_for_load_state("load")
        if "/projects/secondary-bidding/new" not in page.url or time.monotonic() > deadline:
            break
        expect(page.get_by_role("alert")).to_be_visible()  # not yet known to bidding: the page says why
    buyer.see("保存后")
    expect(page.locator("main")).to_contain_text("已保存为草稿")


def project_id_of(buyer, name: str) -> str:
    href = row_of(buyer, name).get_by_role("link", name="查看").get_attribute("href")
    return href.rsplit("/", 1)[-1]


def test_secondary_bidding_by_clicking_three_suppliers_one_window(market, as_user, console):
    spec, market = market
    purchaser_api = as_user("purchaser-a")
    plan = plan_for(purchaser_api, budget="150000.00")
    name = f"门岗秩序维护服务二次竞价 {uuid4().hex[:4]}"
    names = {user: me["org_name"] for user, me in market.suppliers.items()}

    # ① 新增项目 → 保存: a draft in the list, with the manual's buttons
    buyer = console("purchaser-a")
    save_draft_by_clicking(buyer, spec, plan, name)
    row = row_of(buyer, name)
    expect(row.locator(".badge")).to_have_text("草稿")
    for button in ("查看", "编辑", "发布", "终止项目"):
        expect(row.get_by_role("link", name=button)).to_be_visible()
    pid = project_id_of(buyer, name)

    # ② 编辑 the draft (PATCH): still 草稿
    row.get_by_role("link", name="编辑").click()
    buyer.see("编辑草稿")
    buyer.page.get_by_label("竞价需求").fill("门岗 2 人，24 小时值守，持证上岗")
    buyer.click("保存", see="编辑后")
    expect(buyer.page.locator("main")).to_contain_text("草稿已保存")
    expect(row_of(buyer, name).locator(".badge")).to_have_text("草稿")

    # ③ 发布 page: the rule on the start time, the shortest window; 预览公告 as it will be published
    wait_for_listings(purchaser_api, pid, Decimal("5300.00") * QUANTITY)  # every listing has reached bidding
    row_of(buyer, name).get_by_role("link", name="发布").click()
    buyer.see("发布页")
    main = buyer.page.locator("main")
    expect(main).to_contain_text("竞价开始时间不得早于当前时间")
    expect(main).to_contain_text("不得少于 2 秒")
    buyer.page.get_by_label("竞价开始时间（北京时间）").fill(beijing_minute())
    buyer.page.get_by_label("竞价时长").fill(str(WINDOW_SECONDS))
    buyer.page.get_by_label("时长单位").select_option(label="秒")
    buyer.click("预览公告", see="预览公告")
    notice = buyer.page.locator("article.announcement")
    expect(notice.get_by_role("heading", level=1)).to_have_text(f"{name}二次竞价采购公告")
    for fact in ("持证上岗", "127,200.00 元", "报价相同的，以最终报价时间在先者为成交候选供应商", spec.agreement_no, "（预览，尚未发布）"):
        expect(notice).to_contain_text(fact)

    # ④ 发布, asked first → the project page: 待开始 then 项目报价中, with the countdown
    buyer.click("发布", see="发布确认")
    buyer.confirm()
    expect(main).to_contain_text("项目已发布")
    reload_until(buyer, lambda: badge(buyer), "项目报价中")
    buyer.see("项目报价中")
    expect(buyer.page.locator(".countdown")).to_contain_text("距离竞价结束")
    expect(main).to_contain_text("资金已预留")
    expect(main.get_by_role("link", name="采购公告")).to_be_visible()

    # ⑤ three suppliers, each in its own browser, in the same window
    sellers = {user: console(user) for user in ("supplier-4", "supplier-6", "supplier-1")}
    ceilings = {"supplier-1": "124,800.00 元", "supplier-4": "120,000.00 元", "supplier-6": "127,200.00 元"}
    for user, seller in sellers.items():
        seller.open("/quoting", "待报价项目")
        reload_until(seller, lambda: row_of(seller, name).locator(".badge"), "项目报价中")
        expect(row_of(seller, name)).to_contain_text(ceilings[user])  # its own ceiling
        expect(row_of(seller, name).locator(".countdown")).to_be_visible()

    def quote(user: str, amount: str, button: str = "报价") -> None:
        seller = sellers[user]
        seller.open(f"/quoting/{pid}", f"{user}-报价页")
        seller.page.get_by_label("报价总金额（元）").fill(amount)
        seller.click(button, see=f"{user}-{amount}")

    # above its ceiling: the sentence at the amount field, nothing stored
    quote("supplier-4", "120000.01")
    s4 = sellers["supplier-4"]
    expect(field_error(s4, "amount")).to_be_visible()
    expect(field_error(s4, "amount")).to_contain_text("高于最高")  # in Chinese, at the field
    expect(s4.page.locator("main")).to_contain_text("本单位尚未报价")

    quote("supplier-6", "117000.00")
    expect(sellers["supplier-6"].page.locator("main")).to_contain_text("报价已提交")

    # before the close the purchaser is refused the quotes: the platform's sentence, no quote data
    buyer.open(f"/projects/{pid}/result", "确认成交结果-竞价中")
    expect(main.get_by_role("alert")).to_contain_text("报价尚未公开")
    expect(main).to_contain_text("竞价结束前，任何人（包括采购人）都不能查看报价")
    sealed = purchaser_api.get(f"/api/v1/projects/{pid}/quotes").json()["error"]
    assert sealed["code"] == "quotes_sealed"
    if chinese(sealed["message"]):  # the platform's own sentence, when it is in Chinese
        expect(main).to_contain_text(sealed["message"])
    for secret in ("117,000.00", names["supplier-6"], "拟成交供应商"):
        expect(main).not_to_contain_text(secret)

    quote("supplier-4", "117500.00")
    quote("supplier-1", "119000.00")
    quote("supplier-1", "117000.00", button="修改报价")  # ties supplier-6, later
    s1 = sellers["supplier-1"].page.locator("main")
    expect(s1).to_contain_text("第 2 次报价")
    expect(s1.locator("table.list tbody tr")).to_have_count(1)  # its own quote only, the latest
    expect(s1.locator("table.list")).to_contain_text("117,000.00 元")
    for other in ("117,500.00", names["supplier-6"], names["supplier-4"]):
        expect(s1).not_to_contain_text(other)

    # ⑥ after the close: 结果待确认, every quote with its time, the proposed winner highlighted
    buyer.open(f"/projects/{pid}", "项目页")
    reload_until(buyer, lambda: badge(buyer), "结果待确认", timeout=WINDOW_SECONDS + 40)
    buyer.see("结果待确认")
    buyer.click("确认成交结果", role="link", see="确认成交结果")
    rows = buyer.page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)
    expected = [("1", "supplier-6", "117,000.00"), ("2", "supplier-1", "117,000.00"), ("3", "supplier-4", "117,500.00")]
    for index, (rank, user, amount) in enumerate(expected):
        expect(rows.nth(index)).to_contain_text(names[user])
        expect(rows.nth(index)).to_contain_text(amount)
        expect(rows.nth(index).locator("td").first).to_have_text(rank)
        expect(rows.nth(index)).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))  # to the second
    expect(buyer.page.locator("tr.winner")).to_contain_text(names["supplier-6"])
    expect(buyer.page.locator("tr.winner")).to_contain_text("拟成交供应商")
    expect(main).to_contain_text(f"拟成交供应商：{names['supplier-6']}")

    # ⑦ 确认成交结果, asked first → 项目成功, the award announcement published
    buyer.click("确认成交结果", see="确认成交结果-对话框")
    buyer.confirm()
    expect(main).to_contain_text("已确认成交结果，单笔成交结果公告已发布")
    expect(badge(buyer)).to_have_text("项目成功")
    expect(main.get_by_role("link", name="成交结果公告")).to_be_visible()

    # ⑧ the award announcement, without logging in: the winner's name, address and amount
    public = console()
    public.open("/announcements?kind=award", "成交结果公告列表")
    public.click(f"{name}单笔成交结果公告", role="link", see="成交结果公告")
    article = public.page.locator("article.announcement")
    winner = market.suppliers["supplier-6"]
    for fact in (names["supplier-6"], winner["org_address"], "117,000.00 元", "4,875.00 元", "24 人·月", "湖南省教育厅",
                 "李明", spec.service_name, "壹拾壹万柒仟元整"):
        expect(article).to_contain_text(fact)
    public.open("/announcements?kind=procurement", "采购公告列表")
    public.click(f"{name}二次竞价采购公告", role="link", see="采购公告")
    expect(public.page.locator("article.announcement")).to_contain_text("以最终报价时间在先者为成交候选供应商")
