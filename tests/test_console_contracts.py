"""我的合同 in the console, in a real browser: manual 1.2 steps ⑦–⑩ clicked through by the supplier and the
purchaser (发送合同 → 查看合同 with the PDF in the page → 确认 with 已办理单位CA签章 → the supplier's 盖章 →
the purchaser's 盖章 → 采购单位已盖章), a wrong CA password (a Chinese sentence beside the field, the
status unchanged), and purchaser-b opening purchaser-a's contract and order (a refused page, no data).

The award that makes the contract is set up through the API (agreement, plan, direct selection, quote,
确认成交结果), as tests/test_manual_1_2_direct_selection.py does; only the contract pages are clicked."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import Market, MarketSpec, await_read_model, new_plan, open_market
from platform_client import wait_for

pytestmark = pytest.mark.stack

CA_PASSWORD = "ca12345"
QUANTITY, AMOUNT = "2", "35000.00"  # 2 场 at 17,500.00 (the agreement price is 18,000.00)


def meeting_market(as_user, purpose: str) -> Market:
    """An agreement of the agency shortlisting supplier-3 for one meeting service, listed at 17,500.00."""
    tag = uuid4().hex[:6].upper()
    return open_market(as_user, MarketSpec(
        agreement_no=f"HNKJ-WEB-{tag}", name=f"会议服务框架协议（{purpose} {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场",
        description="100 人以内，会场布置、签到、茶歇、音视频保障", prices={"supplier-3": ("18000.00", "17500.00")},
        methods=("direct_selection",)))


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def _mine(client, path: str, project_id: str) -> dict[str, Any] | None:
    items = ok(client.get(path, params={"limit": 200}))["items"]
    return next((item for item in items if item["project_id"] == project_id), None)


def awarded(as_user, market: Market, purchaser: str = "purchaser-a", supplier: str = "supplier-3") -> dict[str, Any]:
    """Manual 1.2 ①–⑥ through the API: plan, direct selection, quote, 确认成交结果; → the contract (待发送)
    and the order (待签合同) it made."""
    buyer, seller = as_user(purchaser), as_user(supplier)
    plan = new_plan(buyer, name=f"全省教育工作会议会务服务采购计划 {uuid4().hex[:6]}", line={
        "category_code": "C0806", "item_name": "全省教育工作会议会务服务", "quantity": QUANTITY, "unit": "场",
        "budget_amount": "40000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers[supplier]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": QUANTITY, "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": "会场 100 人，含茶歇两次"}
    project = ok(await_read_model(lambda: buyer.post("/api/v1/projects/direct-selections", json=body),
                                  "the plan and the listing reaching bidding"), 201)
    pid = project["id"]
    wait_for(lambda: ok(buyer.get(f"/api/v1/projects/{pid}"))["status"] == "quoting", what="quoting opened")
    quote = ok(seller.post(f"/api/v1/projects/{pid}/quotes", json={"amount": AMOUNT}), 201)
    ok(buyer.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": quote["id"]}))
    contract = wait_for(lambda: _mine(seller, "/api/v1/contracts", pid), what="contracts drafted the contract")
    order = wait_for(lambda: _mine(buyer, "/api/v1/orders", pid), what="orders created the order")
    return {"project": project, "contract": contract, "order": order, "plan": plan}


def enroll_seals(as_user, *usernames: str) -> None:
    """Each unit's CA e-seal certificate under the demo CA password (once: a second enrollment is refused)."""
    for username in usernames:
        answer = as_user(username).post("/api/v1/contracts/seal-certificate", json={"ca_password": CA_PASSWORD})
        assert answer.status_code == 201 or answer.json()["error"]["code"] == "seal_already_enrolled", answer.text


def menu(person, item: str, see: str) -> None:
    """A click in the left menu (功能菜单)."""
    person.page.get_by_role("navigation", name="功能菜单").get_by_role("link", name=item).click()
    person.see(see)


def row_of(person, number: str):
    return person.page.get_by_role("row").filter(has_text=number)


@pytest.fixture(scope="module")
def deal(stack, as_user) -> dict[str, Any]:
    enroll_seals(as_user, "supplier-3", "purchaser-a")
    return awarded(as_user, meeting_market(as_user, "控制台合同测试"))


def test_contract_sent_confirmed_and_sealed_by_both_through_the_console(deal, console, as_user):
    contract = deal["contract"]
    cid, number = contract["id"], contract["contract_no"]

    # ⑦ the supplier: 我的合同 → 发送合同 (asked first)
    seller = console("supplier-3")
    menu(seller, "我的合同", "我的合同")
    row = row_of(seller, number)
    expect(row).to_contain_text("待发送")
    expect(row).to_contain_text("35,000.00 元")
    expect(row).to_contain_text(deal["project"]["name"])
    row.get_by_role("button", name="发送合同").click()
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("合同已发送")
    expect(seller.page.locator("h1")).to_contain_text("待确认")

    # the purchaser: 我的合同 → 查看合同: its facts, the amount in capitals, the PDF in the page
    buyer = console("purchaser-a")
    menu(buyer, "我的合同", "我的合同")
    row = row_of(buyer, number)
    expect(row).to_contain_text("待确认")
    expect(row).to_contain_text(contract["supplier_name"])
    row.get_by_role("link", name="查看合同").click()
    buyer.see("查看合同")
    main = buyer.page.locator("main")
    expect(main).to_contain_text("35,000.00 元")
    expect(main).to_contain_text("人民币叁万伍仟元整")
    expect(main).to_contain_text(deal["plan"]["filing_no"])
    frame = buyer.page.locator("iframe.pdf-frame")
    expect(frame).to_have_attribute("src", f"/contracts/{cid}/document")
    document = buyer.page.request.get(f"{buyer.base_url}/contracts/{cid}/document")
    assert document.status == 200 and document.body().startswith(b"%PDF-")
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].startswith("inline")
    download = buyer.page.request.get(f"{buyer.base_url}/contracts/{cid}/document?download=1")
    assert download.headers["content-disposition"].startswith("attachment")

    # 确认, choosing 已办理单位CA签章 (asked first) → 已确认
    buyer.click("确认", role="link", exact=True)
    buyer.page.get_by_label("已办理单位CA签章").check()
    buyer.page.get_by_role("button", name="确认", exact=True).click()
    buyer.confirm()
    expect(buyer.page.get_by_role("status")).to_contain_text("合同已确认（已办理单位CA签章）")
    expect(buyer.page.locator("h1")).to_contain_text("已确认")

    # ⑧ the supplier seals with its CA password → 供应商已盖章
    seller.open(f"/contracts/{cid}", "合同已确认")
    seller.click("盖章", role="link", exact=True)
    seller.page.get_by_label("CA 密码").fill(CA_PASSWORD)
    seller.page.get_by_role("button", name="确认签章").click()
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("盖章成功")
    expect(seller.page.locator("h1")).to_contain_text("供应商已盖章")

    # ⑨ the purchaser: 查看合同 → 盖章; a wrong CA password is refused beside the field, nothing changes
    menu(buyer, "我的合同", "我的合同 供应商已盖章")
    expect(row_of(buyer, number)).to_contain_text("供应商已盖章")
    row_of(buyer, number).get_by_role("link", name="盖章").click()
    buyer.see("盖章")
    buyer.page.get_by_label("CA 密码").fill("not-the-password")
    buyer.page.get_by_role("button", name="确认签章").click()
    buyer.confirm()
    refused = buyer.page.locator(".field.has-error")
    expect(refused).to_contain_text("CA 密码")
    assert re.search(r"[\u4e00-\u9fff]", refused.locator(".field-error").inner_text())
    expect(buyer.page.get_by_label("CA 密码")).to_have_attribute("aria-invalid", "true")
    expect(buyer.page.locator("main")).to_contain_text("供应商已盖章")
    assert ok(as_user("purchaser-a").get(f"/api/v1/contracts/{cid}"))["status_label"] == "供应商已盖章"

    buyer.page.get_by_label("CA 密码").fill(CA_PASSWORD)
    buyer.page.get_by_role("button", name="确认签章").click()
    buyer.confirm()
    expect(buyer.page.get_by_role("status")).to_contain_text("采购单位已盖章")
    expect(buyer.page.locator("h1")).to_contain_text("采购单位已盖章")
    seals = buyer.page.get_by_role("table", name="合同上的签章")
    expect(seals).to_contain_text("供应商（乙方）")
    expect(seals).to_contain_text("采购单位（甲方）")
    expect(buyer.page.locator("main")).to_contain_text("验证通过")
    # the last seal published the 合同公告 (public); 合同备案 is due in 7 working days, recorded here
    expect(buyer.page.locator("main")).to_contain_text("合同公告：")
    expect(buyer.page.locator("main")).to_contain_text("已按时完成")
    expect(buyer.page.get_by_role("link", name="查看合同公告")).to_be_visible()
    expect(buyer.page.locator("main")).to_contain_text("合同备案：")
    buyer.page.get_by_label("合同备案号").fill("湘财合备〔2026〕0001")
    buyer.click("登记合同备案", see="合同备案已登记")
    expect(buyer.page.get_by_role("status")).to_contain_text("合同备案已登记")
    expect(buyer.page.locator("main")).to_contain_text("湘财合备〔2026〕0001")

    # ⑩ both lists say so
    menu(buyer, "我的合同", "我的合同 采购单位已盖章")
    expect(row_of(buyer, number)).to_contain_text("采购单位已盖章")
    seller.open("/contracts?status=purchaser_sealed", "筛选 采购单位已盖章")
    expect(row_of(seller, number)).to_contain_text("采购单位已盖章")


def test_another_unit_opening_the_contract_and_order_gets_a_refused_page(deal, console):
    contract, order = deal["contract"], deal["order"]
    other = console("purchaser-b")
    for path in (f"/contracts/{contract['id']}", f"/contracts/{contract['id']}/seal",
                 f"/contracts/{contract['id']}/document", f"/orders/{order['id']}"):
        response = other.page.goto(other.base_url + path)
        other.see(f"拒绝 {path}")
        assert response is not None and response.status == 404
        text = other.text()
        assert "未找到该" in text and "无权查看" in text
        for secret in (contract["contract_no"], order["order_no"], deal["project"]["name"], "35,000.00"):
            assert secret not in text
    other.open("/contracts", "purchaser-b 我的合同")
    assert contract["contract_no"] not in other.text()


def test_offline_signing_without_javascript_ends_with_the_signed_scan(stack, as_user, console):
    """线下签订, with JavaScript off (each 【发送合同】/【确认】/退回 asks on a page of its own): the supplier sends,
    the purchaser returns it with a reason, the supplier resends it with a supplementary term, the purchaser
    confirms choosing 线下签订, the supplier seals, the purchaser uploads the signed scan."""
    deal = awarded(as_user, meeting_market(as_user, "控制台线下签订测试"))
    cid, number = deal["contract"]["id"], deal["contract"]["contract_no"]

    seller = console("supplier-3", javascript=False)
    seller.open(f"/contracts/{cid}", "待发送")
    seller.click("发送合同")
    expect(seller.page.locator("h1")).to_contain_text("确认发送合同")
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("合同已发送")

    buyer = console("purchaser-a", javascript=False)
    menu(buyer, "我的合同", "我的合同")
    row_of(buyer, number).get_by_role("link", name="确认").click()
    buyer.see("确认")
    buyer.page.get_by_label("退回原因").fill("会议日期应为 2026 年 12 月 18 日，请补充")
    buyer.click("退回", see="退回确认页")
    buyer.confirm()
    expect(buyer.page.get_by_role("status")).to_contain_text("合同已退回供应商")
    expect(row_of(buyer, number)).to_contain_text("待发送")

    seller.open(f"/contracts/{cid}", "被退回")
    expect(seller.page.locator("main")).to_contain_text("会议日期应为 2026 年 12 月 18 日，请补充")
    seller.page.get_by_label("补充条款").fill("第八条 会议于 2026 年 12 月 18 日举行。")
    seller.click("发送合同", see="重新发送")
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("合同已发送")
    assert ok(as_user("supplier-3").get(f"/api/v1/contracts/{cid}"))["supplementary_terms"] == (
        "第八条 会议于 2026 年 12 月 18 日举行。")

    menu(buyer, "我的合同", "我的合同 重新发送后")
    row_of(buyer, number).get_by_role("link", name="确认").click()
    buyer.see("再次确认")
    buyer.page.get_by_label("线下签订").check()
    buyer.page.get_by_role("button", name="确认", exact=True).click()
    buyer.see("确认页")
    expect(buyer.page.locator("h1")).to_contain_text("线下签订")
    buyer.confirm()
    expect(buyer.page.get_by_role("status")).to_contain_text("合同已确认（线下签订）")

    ok(as_user("supplier-3").post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    buyer.open(f"/contracts/{cid}", "供应商已盖章")
    buyer.click("上传签章合同", role="link")
    scan = b"%PDF-1.4\n% signed on paper by both\n%%EOF\n"
    buyer.page.get_by_label("签章合同扫描件").set_input_files(
        {"name": "签章合同.pdf", "mimeType": "application/pdf", "buffer": scan})
    buyer.click("上传签章合同")
    expect(buyer.page.get_by_role("status")).to_contain_text("采购单位已盖章")
    link = buyer.page.get_by_role("link", name="签章合同.pdf")
    downloaded = buyer.page.request.get(buyer.base_url + link.get_attribute("href"))
    assert downloaded.status == 200 and downloaded.body() == scan
    expect(buyer.page.locator("main")).to_contain_text("验证通过")
