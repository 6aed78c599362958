"""我的订单 and 我的服务 in the console, in a real browser: manual 1.2 step ⑩ — the supplier adds 物流信息 and
开票信息, the purchaser uploads the 验收单 (a file of the wrong type is refused beside the field first) →
已验收, then the 支付凭证 with the full amount and a date → 已支付 with the paid progress full; the
uploaded files download through the console. And a supplier delists and relists a service (我的服务).

The award and both seals are set up through the API (test_console_contracts.awarded); only the order
and service pages are clicked."""

from __future__ import annotations

import struct
import zlib
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import shanghai_today
from platform_client import wait_for
from test_console_contracts import (AMOUNT, CA_PASSWORD, awarded, enroll_seals, meeting_market, menu, ok,
                                    row_of)

pytestmark = pytest.mark.stack


def png() -> bytes:
    """A real 1×1 white PNG, as a scanner's image would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def in_force(as_user, deal: dict) -> dict:
    """Manual 1.2 ⑦–⑨ through the API: sent, confirmed (CA e-seal), sealed by both → the order 履约中."""
    buyer, seller = as_user("purchaser-a"), as_user("supplier-3")
    cid, oid = deal["contract"]["id"], deal["order"]["id"]
    ok(seller.post(f"/api/v1/contracts/{cid}/send"))
    ok(buyer.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}))
    ok(seller.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    ok(buyer.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    return wait_for(lambda: (o := ok(buyer.get(f"/api/v1/orders/{oid}")))["status"] == "contracted" and o,
                    what="ContractStamped put the order in performance")


def test_logistics_invoice_acceptance_and_payment_through_the_console(stack, as_user, console):
    enroll_seals(as_user, "supplier-3", "purchaser-a")
    deal = awarded(as_user, meeting_market(as_user, "控制台订单测试"))
    order = in_force(as_user, deal)
    oid, number = order["id"], order["order_no"]

    # the supplier: 我的订单 → 查看 → 物流信息, 开票信息
    seller = console("supplier-3")
    menu(seller, "我的订单", "我的订单")
    row = row_of(seller, number)
    expect(row).to_contain_text("履约中")
    expect(row).to_contain_text("采购单位已盖章")
    expect(row).to_contain_text("35,000.00 元")
    row.get_by_role("link", name="查看").click()
    seller.see("订单详情")
    seller.page.get_by_label("内容").fill("会务团队进场布置会场，完成签到和茶歇")
    seller.click("保存物流信息")
    expect(seller.page.get_by_role("status")).to_contain_text("物流信息已保存")
    expect(seller.page.get_by_role("table", name="物流信息")).to_contain_text("会务团队进场布置会场")

    invoice_no = f"44{uuid4().int % 10**18:018d}"
    seller.page.get_by_label("发票号码").fill(invoice_no)
    expect(seller.page.get_by_label("开票金额（元）")).to_have_value(AMOUNT)  # what is still to invoice
    seller.page.get_by_label("发票文件").set_input_files(
        {"name": "发票.pdf", "mimeType": "application/pdf", "buffer": pdf("invoice")})
    seller.click("保存开票信息")
    expect(seller.page.get_by_role("status")).to_contain_text("开票信息已保存")
    invoices = seller.page.get_by_role("table", name="开票信息")
    expect(invoices).to_contain_text(invoice_no)
    expect(invoices).to_contain_text("35,000.00 元")

    # the purchaser: 上传验收单 — a text file is refused beside the field, nothing changes; a PNG → 已验收
    buyer = console("purchaser-a")
    menu(buyer, "我的订单", "我的订单")
    row_of(buyer, number).get_by_role("link", name="查看").click()
    buyer.see("订单详情")
    expect(buyer.page.get_by_role("table", name="物流信息")).to_contain_text("会务团队进场布置会场")
    buyer.page.get_by_label("验收单文件").set_input_files(
        {"name": "验收单.txt", "mimeType": "text/plain", "buffer": "验收合格".encode()})
    buyer.click("上传验收单", see="验收单类型不对")
    refused = buyer.page.locator(".field.has-error")
    expect(refused).to_contain_text("验收单文件")
    expect(refused.locator(".field-error")).to_contain_text("PDF")
    expect(buyer.page.locator("h1")).to_contain_text("履约中")

    scan = png()
    buyer.page.get_by_label("验收单文件").set_input_files({"name": "验收单.png", "mimeType": "image/png", "buffer": scan})
    buyer.page.get_by_label("验收意见").fill("服务完成，验收合格")
    buyer.click("上传验收单")
    expect(buyer.page.get_by_role("status")).to_contain_text("已验收")
    expect(buyer.page.locator("h1")).to_contain_text("已验收")
    report = buyer.page.get_by_role("link", name="验收单.png")
    downloaded = buyer.page.request.get(buyer.base_url + report.get_attribute("href"))
    assert downloaded.status == 200 and downloaded.body() == scan
    assert downloaded.headers["content-type"] == "image/png"

    # 上传支付凭证: the whole amount, today → 已支付, the progress full
    progress = buyer.page.locator("progress#paid-progress")
    expect(progress).to_have_attribute("value", "0.00")
    buyer.page.get_by_label("支付凭证文件").set_input_files(
        {"name": "支付凭证.pdf", "mimeType": "application/pdf", "buffer": pdf("voucher")})
    expect(buyer.page.get_by_label("支付金额（元）")).to_have_value(AMOUNT)
    buyer.page.get_by_label("支付日期").fill(str(shanghai_today()))
    buyer.click("上传支付凭证")
    expect(buyer.page.get_by_role("status")).to_contain_text("已支付")
    expect(buyer.page.locator("h1")).to_contain_text("已支付")
    expect(progress).to_have_attribute("value", AMOUNT)
    expect(progress).to_have_attribute("max", AMOUNT)
    expect(buyer.page.locator("#payment")).to_contain_text("已付 35,000.00 元 / 应付 35,000.00 元（100%）")

    menu(buyer, "我的订单", "我的订单 已支付")
    expect(row_of(buyer, number)).to_contain_text("已支付")
    seller.open(f"/orders/{oid}", "供应商看到已支付")
    expect(seller.page.locator("h1")).to_contain_text("已支付")
    expect(seller.page.get_by_role("link", name="验收单.png")).to_be_visible()


def test_a_supplier_delists_and_relists_its_service(stack, as_user, console):
    market = meeting_market(as_user, "控制台我的服务测试")
    agreement_no = market.agreement["agreement_no"]
    seller = console("supplier-3")
    menu(seller, "我的服务", "我的服务")
    section = seller.page.get_by_role("region", name=market.agreement["name"])
    row = section.get_by_role("row").filter(has_text="中型会议会务服务")
    expect(section).to_contain_text(agreement_no)
    expect(row).to_contain_text("已上架")
    expect(row).to_contain_text("17,500.00 元")

    row.get_by_role("button", name="下架").click()
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("已下架")
    expect(row).to_contain_text("已下架")
    offering = lambda: next(o for o in ok(as_user("supplier-3").get("/api/v1/catalog/my-offerings"))  # noqa: E731
                            if o["agreement_id"] == market.agreement["id"])
    assert offering()["status"] == "delisted"

    row.get_by_label("上架价格（元）").fill("18000.01")  # above the agreement price: refused beside the price
    row.get_by_role("button", name="上架").click()
    seller.confirm()
    expect(row.locator(".field-error")).to_contain_text("协议价格")
    assert offering()["status"] == "delisted"

    row.get_by_label("上架价格（元）").fill("17800.00")
    row.get_by_role("button", name="上架").click()
    seller.confirm()
    expect(seller.page.get_by_role("status")).to_contain_text("已上架")
    expect(row).to_contain_text("已上架")
    expect(row).to_contain_text("17,800.00 元")
    assert (offering()["status"], offering()["price"]) == ("listed", "17800.00")
