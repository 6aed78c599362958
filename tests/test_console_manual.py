"""The manual's flows end to end in the console, driven only by clicking and typing in a real browser, every
person in a browser context of their own, each step asserting what the person sees.

- Manual 1.1 + 1.2 ①–⑩, with JavaScript and again with JavaScript off (the confirmations are pages):
  录入计划 with two lines → 入围服务库 → the service → the agreement and supplier → 【直接选定】 → 【发布项目】 →
  the supplier's 报价 → 【确认成交结果】 → 发送合同 → 确认 (已办理单位CA签章) → both seals → 物流信息, 开票信息 →
  验收单 → 支付凭证 → 已支付, and the plan's ledger showing the money paid.
- Manual 1.3 ①–⑬: 新增项目 → 保存 → 预览公告 → 发布 → three suppliers quoting in one window → the purchaser
  refused the quotes before the close → 确认成交结果 with every quote and the proposed winner → 项目成功 →
  the award announcement without logging in → the order → both seals → acceptance and payment → 已支付;
  then purchaser-b opening purchaser-a's project, contract, order and plan: a refused page, no data.

Set up through the API (not a page of these flows): the stage-1 agreement with its listed services
(devstack.walkthrough.open_market, as the agency's 发布框架协议 and the suppliers' 我的服务 would; those pages
have their own tests in test_console_agency.py and test_console_orders.py) and each unit's CA e-seal
certificate. The 1.3 plan is made through the API too (1.1 is clicked in the first two tests)."""

from __future__ import annotations

import re
import struct
import zlib
from decimal import Decimal
from uuid import uuid4

import pytest
from playwright.sync_api import Locator, expect

from devstack.walkthrough import MarketSpec, open_market, shanghai_today, wait_for_listings
from platform_client import wait_for
from test_console_bidding import (badge, beijing_minute, project_id_of, reload_until,
                                  save_draft_by_clicking)
from test_console_bidding import market_spec as bidding_spec
from test_console_catalog import in_bidding
from test_console_contracts import CA_PASSWORD, enroll_seals
from test_console_plans import fill_line
from test_manual_1_3_secondary_bidding import QUANTITY, plan_for

pytestmark = pytest.mark.stack

YEAR = shanghai_today().year
WINDOW_SECONDS = 45  # three suppliers quote in it by clicking, each in its own browser (the shortest allowed is 2 s)


def png() -> bytes:
    """A real 1×1 white PNG, as a scanner's image would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def menu(person, item: str) -> None:
    """A click in the left menu (功能菜单)."""
    person.page.get_by_role("navigation", name="功能菜单").get_by_role("link", name=item).click()
    person.see(item)


def row(person, text: str) -> Locator:
    return person.page.locator("table tbody tr", has_text=text)


def h1(person) -> Locator:
    return person.page.locator("main h1")


def flash(person) -> Locator:
    return person.page.get_by_role("status").first


def meeting_market(as_user):
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-MAN-{tag}", name=f"会议服务框架协议（手册全流程 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场",
        description="100 人以内，会场布置、签到、茶歇、音视频保障", prices={"supplier-3": ("18000.00", "17500.00")},
        methods=("direct_selection",))
    return spec, open_market(as_user, spec)


def seal(person, shot: str) -> None:
    """盖章: the CA password, 【确认签章】, asked first (without JavaScript the confirmation page asks for the
    password again: a password is never carried through a page)."""
    person.page.get_by_label("CA 密码").fill(CA_PASSWORD)
    person.page.get_by_role("button", name="确认签章").click()
    person.see(shot)
    if not person.javascript:
        person.page.get_by_label("请再次输入 CA 密码以确认").fill(CA_PASSWORD)
    person.confirm()


def contract_signed(buyer, seller, project_name: str, amount: str) -> None:
    """Manual 1.2 ⑦–⑨ (1.3 ⑪–⑫): 我的合同 → 发送合同 → 查看合同 → 确认 (已办理单位CA签章) → both seals."""
    menu(seller, "我的合同")
    reload_until(seller, lambda: row(seller, project_name), "待发送")
    expect(row(seller, project_name)).to_contain_text(amount)
    row(seller, project_name).get_by_role("button", name="发送合同").click()
    seller.confirm()
    expect(flash(seller)).to_contain_text("合同已发送")
    expect(h1(seller)).to_contain_text("待确认")

    menu(buyer, "我的合同")
    expect(row(buyer, project_name)).to_contain_text("待确认")
    row(buyer, project_name).get_by_role("link", name="查看合同").click()
    buyer.see("查看合同")
    expect(buyer.page.locator("main")).to_contain_text(amount)
    buyer.click("确认", role="link", exact=True)
    buyer.page.get_by_label("已办理单位CA签章").check()
    buyer.page.get_by_role("button", name="确认", exact=True).click()
    buyer.see("确认合同")
    buyer.confirm()
    expect(flash(buyer)).to_contain_text("合同已确认（已办理单位CA签章）")
    expect(h1(buyer)).to_contain_text("已确认")

    menu(seller, "我的合同")
    expect(row(seller, project_name)).to_contain_text("已确认")
    row(seller, project_name).get_by_role("link", name=re.compile("查看")).first.click()
    seller.see("合同已确认")
    seller.click("盖章", role="link", exact=True)
    seal(seller, "供应商确认签章")
    expect(flash(seller)).to_contain_text("盖章成功")
    expect(h1(seller)).to_contain_text("供应商已盖章")

    menu(buyer, "我的合同")
    expect(row(buyer, project_name)).to_contain_text("供应商已盖章")
    row(buyer, project_name).get_by_role("link", name="查看合同").click()
    buyer.see("查看合同 供应商已盖章")
    buyer.click("盖章", role="link", exact=True)
    seal(buyer, "采购单位确认签章")
    expect(flash(buyer)).to_contain_text("采购单位已盖章")
    expect(h1(buyer)).to_contain_text("采购单位已盖章")


def delivered_accepted_paid(buyer, seller, project_name: str, amount: str, amount_text: str) -> str:
    """Manual 1.2 ⑩ (1.3 ⑬): the supplier's 物流信息 and 开票信息; the purchaser's 验收单 and 支付凭证 → 已支付.
    Returns the order's address."""
    menu(seller, "我的订单")
    reload_until(seller, lambda: row(seller, project_name), "履约中")
    expect(row(seller, project_name)).to_contain_text(amount_text)
    row(seller, project_name).get_by_role("link", name="查看").click()
    seller.see("订单详情")
    seller.page.get_by_label("内容").fill("服务团队进场，按合同约定开始履约")
    seller.click("保存物流信息")
    expect(flash(seller)).to_contain_text("物流信息已保存")
    seller.page.get_by_label("发票号码").fill(f"44{uuid4().int % 10**18:018d}")
    expect(seller.page.get_by_label("开票金额（元）")).to_have_value(amount)
    seller.page.get_by_label("发票文件").set_input_files(
        {"name": "发票.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% invoice\n%%EOF\n"})
    seller.click("保存开票信息")
    expect(flash(seller)).to_contain_text("开票信息已保存")
    expect(seller.page.get_by_role("table", name="开票信息")).to_contain_text(amount_text)

    menu(buyer, "我的订单")
    expect(row(buyer, project_name)).to_contain_text("履约中")
    row(buyer, project_name).get_by_role("link", name="查看").click()
    buyer.see("订单详情")
    order_path = buyer.page.url.removeprefix(buyer.base_url)
    expect(buyer.page.get_by_role("table", name="物流信息")).to_contain_text("服务团队进场")
    buyer.page.get_by_label("验收单文件").set_input_files({"name": "验收单.png", "mimeType": "image/png", "buffer": png()})
    buyer.page.get_by_label("验收意见").fill("服务完成，验收合格")
    buyer.click("上传验收单")
    expect(flash(buyer)).to_contain_text("已验收")
    expect(h1(buyer)).to_contain_text("已验收")

    buyer.page.get_by_label("支付凭证文件").set_input_files(
        {"name": "支付凭证.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% voucher\n%%EOF\n"})
    expect(buyer.page.get_by_label("支付金额（元）")).to_have_value(amount)  # the whole amount
    buyer.page.get_by_label("支付日期").fill(str(shanghai_today()))
    buyer.click("上传支付凭证")
    expect(flash(buyer)).to_contain_text("已支付")
    expect(h1(buyer)).to_contain_text("已支付")
    expect(buyer.page.locator("#payment")).to_contain_text(f"已付 {amount_text} / 应付 {amount_text}（100%）")
    menu(buyer, "我的订单")
    expect(row(buyer, project_name)).to_contain_text("已支付")
    return order_path


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_manual_1_1_and_1_2_direct_selection_to_paid(stack, as_user, console, javascript):
    spec, market = meeting_market(as_user)
    enroll_seals(as_user, "supplier-3", "purchaser-a")
    supplier = market.suppliers["supplier-3"]["org_name"]
    tag = uuid4().hex[:6]
    plan_name = f"{YEAR}年度全省教育工作会议采购计划 {tag}"
    project_name = f"全省教育工作会议会务服务 {tag}"

    # 1.1 【计划管理】-【我的计划】-【录入计划】 with two lines → 【保存】
    buyer = console("purchaser-a", javascript=javascript)
    menu(buyer, "我的计划")
    buyer.click("录入计划", role="link")
    buyer.page.get_by_label("计划名称").fill(plan_name)
    buyer.page.get_by_label("财政备案号").fill(f"湘财采备〔{YEAR}〕0{uuid4().int % 10000:04d}")
    buyer.page.get_by_label("资金来源").fill("财政拨款")
    fill_line(buyer, 1, category="C0806", name="全省教育工作会议会务服务", quantity="2", unit="场", budget="40000.00")
    buyer.click("新增", see="新增一条明细")
    fill_line(buyer, 2, category="C0814", name="会议材料印制", quantity="500", unit="份", budget="5000.00")
    buyer.click("保存", see="计划已保存")
    expect(flash(buyer)).to_contain_text("采购计划已保存")
    expect(buyer.page.locator("main")).to_contain_text("45,000.00 元")
    plan_path = buyer.page.url.removeprefix(buyer.base_url)
    plan_id = plan_path.rsplit("/", 1)[-1]
    # the plan and the listing reach the project service a moment later (a background step, not a page)
    wait_for(lambda: in_bidding(stack, "SELECT plan_id FROM plan_refs WHERE plan_id = :p", p=plan_id)
             and in_bidding(stack, "SELECT offering_id FROM offering_refs WHERE service_id = :s AND listed",
                            s=market.service_id), timeout=60, what="the plan and the listing reaching bidding")

    # 1.2 ①② 【入围服务库】 → the service → its agreement and supplier → 【直接选定】
    menu(buyer, "入围服务库")
    buyer.page.get_by_label("关键词").fill(spec.service_name)
    buyer.click("搜索", see="按关键词搜索")
    row(buyer, spec.service_name).get_by_role("link", name="查看").click()
    buyer.see("服务详情")
    agreement = buyer.page.get_by_role("region", name=re.compile(spec.name))
    expect(agreement.get_by_role("row").filter(has_text=supplier)).to_contain_text("18,000.00 元/场")
    buyer.page.get_by_label(supplier).check()
    buyer.click("直接选定", see="直接选定项目表单")

    # ③ 联系人, 联系电话, 办公电话, the plan line → 【发布项目】 (asked first) → 项目报价中
    buyer.page.get_by_label("项目名称").fill(project_name)
    buyer.page.get_by_label("联系人").fill("李明")
    buyer.page.get_by_label("联系电话").fill("13800000001")
    buyer.page.get_by_label("办公电话").fill("0731-84710001")
    plan_line = buyer.page.get_by_label("采购计划明细")
    plan_line.select_option(plan_line.locator(f"optgroup[label^='{plan_name}'] option", has_text="全省教育工作会议会务服务")
                            .get_attribute("value"))  # the plan's line, under its name
    buyer.page.get_by_label("采购数量").fill("2")
    buyer.page.get_by_label("采购需求").fill("会场 100 人，含茶歇两次")
    buyer.click("发布项目", see="发布项目前确认")
    buyer.confirm()
    assert re.search(r"/projects/PJ\w+$", buyer.page.url), buyer.page.url
    project_path = buyer.page.url.removeprefix(buyer.base_url)
    reload_until(buyer, lambda: badge(buyer), "项目报价中")
    buyer.see("项目报价中")
    expect(buyer.page.locator("main")).to_contain_text("36,000.00 元")  # the ceiling: 2 场 at 18,000.00

    # ④⑤ the supplier: 待报价项目 → 报价
    seller = console("supplier-3", javascript=javascript)
    menu(seller, "待报价项目")
    reload_until(seller, lambda: row(seller, project_name), "项目报价中")
    row(seller, project_name).get_by_role("link", name="报价", exact=True).click()
    seller.see("报价页")
    seller.page.get_by_label("报价总金额（元）").fill("35000.00")
    seller.click("报价", see="已报价")
    expect(seller.page.locator("main")).to_contain_text("报价已提交")
    expect(seller.page.locator("main table.list")).to_contain_text("35,000.00 元")

    # ⑥ the purchaser: 结果待确认 → 【确认成交结果】 with the quote → 项目成功
    buyer.open(project_path, "项目页")
    reload_until(buyer, lambda: badge(buyer), "结果待确认")
    buyer.see("结果待确认")
    buyer.click("确认成交结果", role="link", see="确认成交结果")
    quotes = buyer.page.locator("table.list tbody tr")
    expect(quotes).to_have_count(1)
    expect(quotes).to_contain_text(supplier)
    expect(quotes).to_contain_text("35,000.00 元")
    buyer.click("确认成交结果", see="确认成交结果-确认")
    buyer.confirm()
    expect(badge(buyer)).to_have_text("项目成功")

    # ⑦–⑨ the contract, both seals; ⑩ logistics, invoice, acceptance, payment
    contract_signed(buyer, seller, project_name, "35,000.00 元")
    delivered_accepted_paid(buyer, seller, project_name, "35000.00", "35,000.00 元")

    # the plan's ledger: the line's money paid, the rest back to remaining
    buyer.open(plan_path, "计划的预算执行")
    ledger = buyer.page.get_by_role("table", name="采购计划明细及每条明细的预算执行情况")
    cells = ledger.get_by_role("row").filter(has_text="全省教育工作会议会务服务").get_by_role("cell")
    # 序号 品目 明细名称 数量 | 预算金额 已预留 已成交 已支付 剩余可用
    reload_until(buyer, lambda: cells.nth(7), "35,000.00 元")
    expect(cells.nth(4)).to_have_text("40,000.00 元")
    expect(cells.nth(8)).to_have_text("5,000.00 元")
    used = buyer.page.get_by_role("table", name="使用本计划的项目及其占用的资金").get_by_role("row").filter(
        has_text=project_name)
    expect(used).to_contain_text("35,000.00 元")


def test_manual_1_3_secondary_bidding_to_paid_and_refused_to_another_unit(stack, as_user, console):
    spec = bidding_spec(uuid4().hex[:6].upper())
    market = open_market(as_user, spec)
    enroll_seals(as_user, "supplier-6", "purchaser-a")
    purchaser_api = as_user("purchaser-a")
    plan = plan_for(purchaser_api, budget="150000.00")
    name = f"门岗秩序维护服务二次竞价（全流程）{uuid4().hex[:4]}"
    names = {user: me["org_name"] for user, me in market.suppliers.items()}

    # ①–③ 新增项目 → 保存 (草稿) → 发布 page → 预览公告 → 发布 (asked first) → 项目报价中
    buyer = console("purchaser-a")
    save_draft_by_clicking(buyer, spec, plan, name)
    expect(row(buyer, name).locator(".badge")).to_have_text("草稿")
    pid = project_id_of(buyer, name)
    wait_for_listings(purchaser_api, pid, Decimal("5300.00") * QUANTITY)  # every listing has reached bidding (a background step)
    row(buyer, name).get_by_role("link", name="发布").click()
    buyer.see("发布页")
    buyer.page.get_by_label("竞价开始时间（北京时间）").fill(beijing_minute())
    buyer.page.get_by_label("竞价时长").fill(str(WINDOW_SECONDS))
    buyer.page.get_by_label("时长单位").select_option(label="秒")
    buyer.click("预览公告", see="预览公告")
    expect(buyer.page.locator("article.announcement")).to_contain_text("（预览，尚未发布）")
    buyer.click("发布", see="发布确认")
    buyer.confirm()
    reload_until(buyer, lambda: badge(buyer), "项目报价中")
    buyer.see("项目报价中")

    # ④–⑥ three suppliers, each in its own browser, quoting in the same window
    amounts = {"supplier-4": "118000.00", "supplier-6": "116500.00", "supplier-1": "119000.00"}
    sellers = {user: console(user) for user in amounts}
    for user, seller in sellers.items():
        menu(seller, "待报价项目")
        reload_until(seller, lambda: row(seller, name), "项目报价中")
        row(seller, name).get_by_role("link", name="报价", exact=True).click()
        seller.see(f"{user} 报价页")
        seller.page.get_by_label("报价总金额（元）").fill(amounts[user])
        seller.click("报价", see=f"{user} 已报价")
        expect(seller.page.locator("main")).to_contain_text("报价已提交")

        if user == "supplier-4":  # ⑦ before the close the purchaser is refused the quotes, in Chinese
            buyer.open(f"/projects/{pid}/result", "确认成交结果-竞价中")
            main = buyer.page.locator("main")
            expect(main.get_by_role("alert")).to_contain_text("报价尚未公开")
            for secret in ("118,000.00", names["supplier-4"], "拟成交供应商"):
                expect(main).not_to_contain_text(secret)

    # ⑧⑨ after the close: every quote, its time, the proposed winner → 确认成交结果 (dialog) → 项目成功
    buyer.open(f"/projects/{pid}", "项目页")
    reload_until(buyer, lambda: badge(buyer), "结果待确认", timeout=WINDOW_SECONDS + 40)
    buyer.see("结果待确认")
    buyer.click("确认成交结果", role="link", see="确认成交结果")
    quotes = buyer.page.locator("table.list tbody tr")
    expect(quotes).to_have_count(3)
    for index, (user, amount) in enumerate([("supplier-6", "116,500.00"), ("supplier-4", "118,000.00"),
                                            ("supplier-1", "119,000.00")]):
        expect(quotes.nth(index)).to_contain_text(names[user])
        expect(quotes.nth(index)).to_contain_text(amount)
        expect(quotes.nth(index)).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))
    expect(buyer.page.locator("tr.winner")).to_contain_text(names["supplier-6"])
    buyer.click("确认成交结果", see="确认成交结果-对话框")
    buyer.confirm()
    expect(badge(buyer)).to_have_text("项目成功")

    # ⑩ the award announcement, without logging in: the winner's name and amount
    public = console()
    public.open("/announcements?kind=award", "成交结果公告列表")
    public.click(f"{name}单笔成交结果公告", role="link", see="成交结果公告")
    article = public.page.locator("article.announcement")
    expect(article).to_contain_text(names["supplier-6"])
    expect(article).to_contain_text("116,500.00 元")

    # ⑪⑫ the contract and both seals; ⑬ the order: acceptance and payment → 已支付
    seller = sellers["supplier-6"]
    contract_signed(buyer, seller, name, "116,500.00 元")
    menu(buyer, "我的合同")
    contract_path = row(buyer, name).get_by_role("link", name="查看合同").get_attribute("href")
    contract_no = row(buyer, name).locator("td").first.inner_text()
    order_path = delivered_accepted_paid(buyer, seller, name, "116500.00", "116,500.00 元")

    # purchaser-b opening purchaser-a's project, contract, order and plan: a refused page, no data
    other = console("purchaser-b")
    for path in (f"/projects/{pid}", f"/projects/{pid}/result", contract_path, order_path, f"/plans/{plan['id']}"):
        response = other.page.goto(other.base_url + path)
        other.see(f"他单位 {path}")
        assert response is not None and response.status in (403, 404), (path, response and response.status)
        text = other.text()
        assert "无权" in text or "未找到" in text, (path, text)
        for secret in (name, "116,500.00", names["supplier-6"], plan["plan_no"], contract_no):
            assert secret not in text, (path, secret)
