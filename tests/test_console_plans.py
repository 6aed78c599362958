"""Manual 1.1, 录入计划, in a real browser through the gateway: 【计划管理】-【我的计划】-【录入计划】, the
basic information with its 财政备案号, the lines of 采购计划明细 added with 【新增】 and removed on the page
(without JavaScript: the buttons post the form and it comes back as typed), 【保存】, the plan in 我的计划
with its amount, its page with the ledger of every line, 编辑. A refused value is named beside its field
in Chinese and nothing is stored; another unit's plan is refused with no data shown."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import new_plan, shanghai_today

pytestmark = pytest.mark.stack

YEAR = shanghai_today().year


def fill_line(person, number: int, *, category: str, name: str, quantity: str, unit: str, budget: str) -> None:
    page, row = person.page, f"第 {number} 条明细"
    page.get_by_label(f"{row} 品目").select_option(category)
    page.get_by_label(f"{row} 明细名称").fill(name)
    page.get_by_label(f"{row} 数量").fill(quantity)
    page.get_by_label(f"{row} 计量单位").fill(unit)
    page.get_by_label(f"{row} 预算金额（元）").fill(budget)


def menu(person, label: str) -> None:
    """A click on the left menu (the breadcrumbs may hold a link of the same name)."""
    person.page.get_by_role("navigation", name="功能菜单").get_by_role("link", name=label).click()
    person.see(label)


def refusal_beside(person, label: str):
    """The sentence shown beside the field labelled `label`."""
    page = person.page
    return page.locator(".field.has-error, td.has-error").filter(has=page.get_by_label(label)).locator(
        ".field-error")


def test_entering_a_plan_with_two_lines_added_and_removed_on_the_page(console, as_user):
    """Manual 1.1 ①②, with JavaScript off: 【新增】 and 删除 work by posting the form."""
    buyer = console("purchaser-a", javascript=False)
    tag = uuid4().hex[:6]
    name = f"{YEAR}年度机关办公楼物业管理服务采购计划 {tag}"

    # ① 【计划管理】-【我的计划】, 【录入计划】
    menu(buyer, "我的计划")
    expect(buyer.page.get_by_role("heading", name="我的计划")).to_be_visible()
    buyer.click("录入计划", role="link")
    expect(buyer.page.get_by_text("温馨提示：采购计划信息录入前，请先在财政完成计划备案，确保信息合规有效。")).to_be_visible()
    expect(buyer.page.get_by_label("联系人")).to_have_value("李明")  # the unit's contact, to change if need be

    # ② 基本信息, then the first line of 采购计划明细
    buyer.page.get_by_label("计划名称").fill(name)
    buyer.page.get_by_label("财政备案号").fill(f"湘财采备〔{YEAR}〕00456")
    buyer.page.get_by_label("资金来源").fill("财政拨款")
    fill_line(buyer, 1, category="C120401", name="办公楼物业管理服务", quantity="240000", unit="平方米·月",
              budget="1080000.00")

    # 【新增】 a line, fill it, think better of it and 删除 it: what was typed stays
    buyer.click("新增", see="新增一条明细")
    fill_line(buyer, 2, category="C0806", name="误填的会议服务", quantity="1", unit="场", budget="5000")
    buyer.click("删除第 2 条明细", see="删除第2条明细")
    expect(buyer.page.get_by_label("第 2 条明细 明细名称")).to_have_count(0)
    expect(buyer.page.get_by_label("第 1 条明细 明细名称")).to_have_value("办公楼物业管理服务")
    expect(buyer.page.get_by_label("第 1 条明细 预算金额（元）")).to_have_value("1080000.00")
    expect(buyer.page.get_by_label("计划名称")).to_have_value(name)

    # another line, then 【保存】
    buyer.click("新增", see="再新增一条明细")
    fill_line(buyer, 2, category="C120402", name="附属楼保洁服务", quantity="60000", unit="平方米·月",
              budget="168000.50")
    buyer.click("保存", see="保存后的计划")
    assert re.search(r"/plans/PL\w+$", buyer.page.url)
    expect(buyer.page.get_by_role("status")).to_contain_text("采购计划已保存")
    text = buyer.text()
    for fact in (name, f"湘财采备〔{YEAR}〕00456", "办公楼物业管理服务", "附属楼保洁服务", "1,248,000.50 元",
                 "壹佰贰拾肆万捌仟元伍角"):
        assert fact in text, fact
    assert "误填的会议服务" not in text

    # the ledger of each line: nothing reserved, awarded or paid yet; everything remaining
    ledger = buyer.page.get_by_role("table", name="采购计划明细及每条明细的预算执行情况")
    cells = ledger.get_by_role("row").filter(has_text="办公楼物业管理服务").get_by_role("cell")
    # 序号 品目 明细名称 数量 | 预算金额 已预留 已成交 已支付 剩余可用
    expect(cells.nth(4)).to_have_text("1,080,000.00 元")
    for column in (5, 6, 7):
        expect(cells.nth(column)).to_have_text("0.00 元")
    expect(cells.nth(8)).to_have_text("1,080,000.00 元")
    expect(ledger.get_by_role("row").filter(has_text="合计")).to_contain_text("1,248,000.50 元")

    # 我的计划: the plan with its amount, found by a word of its name
    menu(buyer, "我的计划")
    row = buyer.page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("1,248,000.50 元")
    expect(row).to_contain_text("未使用")
    buyer.page.get_by_label("关键词").fill(tag)
    buyer.click("查询", see="按关键词查询")
    expect(buyer.page.get_by_role("row").filter(has_text=tag)).to_have_count(1)

    # what the API keeps is what the page showed
    stored = as_user("purchaser-a").get("/api/v1/plans", params={"q": tag}).json()["items"]
    assert [(p["name"], p["line_count"], p["budget_total"]) for p in stored] == [(name, 2, "1248000.50")]


def test_a_refused_value_is_named_beside_its_field_and_nothing_is_stored(console, as_user):
    buyer = console("purchaser-a")
    tag = uuid4().hex[:6]
    name = f"被退回的采购计划 {tag}"
    buyer.open("/plans/new", "录入计划")
    buyer.page.get_by_label("计划名称").fill(name)
    buyer.page.get_by_label("资金来源").fill("财政拨款")
    fill_line(buyer, 1, category="C0806", name="会务服务", quantity="2", unit="场", budget="-500")

    # no 财政备案号, a negative budget: refused, each beside its field, everything typed kept
    buyer.click("保存", see="缺少备案号和负数预算")
    expect(buyer.page.get_by_role("alert").first).to_contain_text("未能保存")
    expect(refusal_beside(buyer, "财政备案号")).to_contain_text("请填写财政备案号")
    # (the API's strict money pattern refuses the sign itself)
    expect(refusal_beside(buyer, "第 1 条明细 预算金额（元）")).to_contain_text("须为半角数字写成的金额")
    expect(buyer.page.get_by_label("第 1 条明细 预算金额（元）")).to_have_attribute("aria-invalid", "true")
    expect(buyer.page.get_by_label("计划名称")).to_have_value(name)
    expect(buyer.page.get_by_label("第 1 条明细 明细名称")).to_have_value("会务服务")

    # a malformed budget: refused beside it
    buyer.page.get_by_label("财政备案号").fill(f"湘财采备〔{YEAR}〕00789")
    buyer.page.get_by_label("第 1 条明细 预算金额（元）").fill("一万元")
    buyer.click("保存", see="预算金额格式错误")
    expect(refusal_beside(buyer, "第 1 条明细 预算金额（元）")).to_contain_text("须为半角数字")
    expect(refusal_beside(buyer, "财政备案号")).to_have_count(0)

    # a filing number of the wrong form: the API's sentence beside it
    buyer.page.get_by_label("财政备案号").fill("备案123")
    buyer.page.get_by_label("第 1 条明细 预算金额（元）").fill("8000.00")
    buyer.click("保存", see="备案号格式错误")
    expect(refusal_beside(buyer, "财政备案号")).to_contain_text("备案123")
    expect(refusal_beside(buyer, "财政备案号")).to_contain_text("格式不正确")

    assert as_user("purchaser-a").get("/api/v1/plans", params={"q": tag}).json()["total"] == 0

    # corrected, it is saved
    buyer.page.get_by_label("财政备案号").fill(f"湘财采备〔{YEAR}〕00789")
    buyer.click("保存", see="改正后保存")
    expect(buyer.page.get_by_role("status")).to_contain_text("采购计划已保存")
    assert as_user("purchaser-a").get("/api/v1/plans", params={"q": tag}).json()["total"] == 1


def test_editing_a_plan_adds_and_removes_lines(console, as_user):
    purchaser = as_user("purchaser-a")
    tag = uuid4().hex[:6]
    plan = new_plan(purchaser, name=f"待编辑的采购计划 {tag}", line={
        "category_code": "C0814", "item_name": "公文印刷", "quantity": "1000", "unit": "份", "budget_amount": "3000.00"})
    buyer = console("purchaser-a")
    buyer.open(f"/plans/{plan['id']}", "计划详情")
    buyer.click("编辑", role="link", see="编辑计划")
    buyer.page.get_by_label("联系人").fill("王强")
    buyer.click("新增", see="编辑时新增明细")
    fill_line(buyer, 2, category="C0814", name="宣传册印制", quantity="500", unit="册", budget="9000.00")
    buyer.page.get_by_label("第 1 条明细 预算金额（元）").fill("3500.00")
    buyer.click("保存", see="编辑后保存")
    expect(buyer.page.get_by_role("status")).to_contain_text("第 2 版")
    expect(buyer.page.get_by_role("row").filter(has_text="合计")).to_contain_text("12,500.00 元")

    buyer.click("编辑", role="link", see="再次编辑")
    buyer.click("删除第 1 条明细", see="删除原有明细")
    buyer.click("保存", see="删除后保存")
    stored = purchaser.get(f"/api/v1/plans/{plan['id']}").json()
    assert (stored["contact_name"], stored["revision"]) == ("王强", 3)
    assert [(line["item_name"], line["budget_amount"]) for line in stored["lines"]] == [("宣传册印制", "9000.00")]


def test_another_unit_cannot_open_the_plan(console, as_user):
    plan = new_plan(as_user("purchaser-a"), name=f"教育厅内部采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C0801", "item_name": "常年法律顾问", "quantity": "1", "unit": "年", "budget_amount": "60000.00"})
    other = console("purchaser-b")
    for path in (f"/plans/{plan['id']}", f"/plans/{plan['id']}/edit"):
        response = other.page.goto(other.base_url + path)
        other.see(f"他单位计划 {path}")
        assert response is not None and response.status == 404
        expect(other.page.get_by_role("heading", name="未找到")).to_be_visible()
        assert plan["name"] not in other.text() and "常年法律顾问" not in other.text()
    menu(other, "我的计划")
    assert plan["name"] not in other.text()

    supplier = console("supplier-1")
    response = supplier.page.goto(supplier.base_url + "/plans")
    supplier.see("供应商打开我的计划")
    assert response is not None and response.status == 403
    expect(supplier.page.get_by_role("heading", name="无权访问")).to_be_visible()
