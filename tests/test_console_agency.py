"""征集人 in the console, in a real browser: 发布框架协议 by the form (rows added with buttons, what was typed
kept, a refused price beside its field), 导入入围结果 from a workbook (the template downloaded; a good
workbook published; a bad row named with its sheet, row and reason and nothing stored), and 供应商管理
(暂停 with a reason and a confirmation, 恢复) — then what the others see: the service in the library."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from uuid import uuid4

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from devstack.walkthrough import MarketSpec, open_market, shanghai_today
from gateway.demo import SUPPLIERS
from platform_client import wait_for

pytestmark = pytest.mark.stack

XINGCHENG, YUELU = SUPPLIERS[2], SUPPLIERS[1]  # supplier-3, supplier-2


def agreement_by_no(as_user, number: str) -> list[dict]:
    response = as_user("agency").get("/api/v1/catalog/agreements", params={"agreement_no": number})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_publish_an_agreement_by_the_form_and_find_its_service_in_the_library(console, as_user):
    tag = uuid4().hex[:6].upper()
    number, service = f"HNKJ-FORM-{tag}", f"中型会议会务服务{tag}"
    today = shanghai_today()
    agency = console("agency")
    agency.open("/agreements", "框架协议列表")
    agency.click("发布框架协议", role="link", see="发布框架协议表单")
    page = agency.page
    page.get_by_label("协议编号").fill(number)
    page.get_by_label("协议名称").fill(f"湖南省省直单位会议服务框架协议（表单 {tag}）")
    page.get_by_label(re.compile("^品目")).select_option("C08")
    page.get_by_label("有效期起").fill(str(today - timedelta(days=1)))
    page.get_by_label("有效期止").fill(str(today + timedelta(days=365)))
    page.get_by_label("统一社会信用代码").fill(XINGCHENG.org_id)
    page.get_by_label("供应商名称").fill(XINGCHENG.name)
    page.get_by_label("供应商 1 服务 1 品目").select_option("C0806")
    page.get_by_label("供应商 1 服务 1 服务名称").fill(service)
    page.get_by_label("供应商 1 服务 1 计量单位").fill("场")
    page.get_by_label("供应商 1 服务 1 协议价格（元）").fill("18000.00")

    agency.click("新增优惠阶梯", see="新增优惠阶梯后")  # the page comes back with everything typed so far
    expect(page.get_by_label("协议编号")).to_have_value(number)
    expect(page.get_by_label("供应商 1 服务 1 服务名称")).to_have_value(service)
    page.get_by_label("服务 1 优惠阶梯 1 起始数量").fill("5")
    page.get_by_label("服务 1 优惠阶梯 1 优惠单价（元）").fill("17500.00")

    agency.click("新增供应商", see="新增供应商后")
    page.get_by_label("统一社会信用代码").nth(1).fill(YUELU.org_id)
    page.get_by_label("供应商名称").nth(1).fill(YUELU.name)
    page.get_by_label("供应商 2 服务 1 品目").select_option("C0806")
    page.get_by_label("供应商 2 服务 1 服务名称").fill(service)
    page.get_by_label("供应商 2 服务 1 计量单位").fill("场")
    page.get_by_label("供应商 2 服务 1 协议价格（元）").fill("18500.123")

    agency.click("预览", see="金额有误")
    expect(page.get_by_role("alert")).to_contain_text("请修改标红的内容")
    price = page.get_by_label("供应商 2 服务 1 协议价格（元）")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-f-suppliers-1-services-0-agreement_price")).to_contain_text("不是有效金额")
    expect(price).to_have_value("18500.123")  # kept as typed, to be corrected
    price.fill("18500.00")

    agency.click("预览", see="核对入围结果")
    expect(page.get_by_role("heading", name="核对入围结果")).to_be_visible()
    text = agency.text()
    for fact in (number, XINGCHENG.name, YUELU.name, "18,000.00 元", "18,500.00 元", "满 5场：17,500.00 元", "直接选定、二次竞价"):
        assert fact in text, fact
    assert agreement_by_no(as_user, number) == []  # nothing is published before 发布

    agency.click("发布", see="发布确认")
    agency.confirm()
    expect(page.get_by_role("status")).to_contain_text(f"框架协议 {number} 已发布")
    expect(page.get_by_role("heading", level=1)).to_contain_text("有效")
    assert "18,500.00 元" in agency.text() and "未上架" in agency.text()
    [published] = agreement_by_no(as_user, number)

    agency.open("/agreements?agreement_no=" + number, "框架协议列表中的新协议")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("C08 商务服务")
    expect(row.get_by_role("cell").nth(5)).to_have_text("2")

    # The supplier lists its service; the purchaser finds it in 入围服务库.
    detail = as_user("agency").get(f"/api/v1/catalog/agreements/{published['id']}").json()
    offering = next(o for o in detail["offerings"] if o["supplier_id"] == XINGCHENG.org_id)
    listed = as_user("supplier-3").post(f"/api/v1/catalog/agreements/{published['id']}/listings",
                                        json={"service_id": offering["service_id"], "price": "17800.00"})
    assert listed.status_code == 200, listed.text
    buyer = console("purchaser-a")
    buyer.open(f"/catalog?q={service}", "入围服务库中的新服务")
    expect(buyer.page.get_by_role("main")).to_contain_text(service)


def stage1_workbook(number: str, service: str, *, bad_price: str | None = None) -> bytes:
    today = shanghai_today()
    book = Workbook()
    sheet = book.active
    sheet.title = "协议"
    sheet.append(["协议编号", "协议名称", "品目代码", "有效期起", "有效期止", "采购方式", "征集人地址", "合同条款"])
    sheet.append([number, f"湖南省印刷服务框架协议（导入 {number}）", "C08", today - timedelta(days=1),
                  today + timedelta(days=300), "直接选定、二次竞价", "长沙市芙蓉区五一大道 1 号", ""])
    sheet = book.create_sheet("入围供应商")
    sheet.append(["统一社会信用代码", "供应商名称", "地址", "联系人", "联系电话"])
    sheet.append([YUELU.org_id, YUELU.name, YUELU.address, YUELU.contact_name, YUELU.contact_phone])
    sheet.append([XINGCHENG.org_id, XINGCHENG.name, XINGCHENG.address, XINGCHENG.contact_name, XINGCHENG.contact_phone])
    sheet = book.create_sheet("服务与价格")
    sheet.append(["统一社会信用代码", "品目代码", "服务名称", "计量单位", "协议价格（元）", "服务说明"])
    sheet.append([YUELU.org_id, "C0814", service, "册", 12.5, "A4 彩色 32 页"])
    sheet.append([XINGCHENG.org_id, "C0814", service, "册", bad_price or "13.00", ""])
    sheet = book.create_sheet("优惠阶梯")
    sheet.append(["统一社会信用代码", "服务名称", "起始数量", "优惠单价（元）"])
    sheet.append([YUELU.org_id, service, 1000, "11.80"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_the_stage1_workbook_a_bad_row_stores_nothing(console, as_user, tmp_path):
    tag = uuid4().hex[:6].upper()
    agency = console("agency")
    agency.open("/agreements/import", "导入入围结果")
    page = agency.page
    with page.expect_download() as download:
        page.get_by_role("link", name="下载导入模板").click()
    template = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert template.sheetnames == ["协议", "入围供应商", "服务与价格", "优惠阶梯", "说明"]
    assert [c.value for c in template["服务与价格"][1]] == ["统一社会信用代码", "品目代码", "服务名称", "计量单位",
                                                       "协议价格（元）", "服务说明"]

    bad_number = f"HNKJ-BAD-{tag}"
    bad = tmp_path / "入围结果（有误）.xlsx"
    bad.write_bytes(stage1_workbook(bad_number, f"宣传册印制{tag}", bad_price="13.005"))
    page.get_by_label("入围结果工作簿（.xlsx）").set_input_files(str(bad))
    agency.click("导入", see="工作簿有误")
    expect(page.get_by_role("alert")).to_contain_text("没有导入任何内容")
    row = page.locator("table.problems tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text("服务与价格")
    expect(row.get_by_role("cell").nth(1)).to_have_text("3")
    expect(row.get_by_role("cell").nth(2)).to_contain_text("“协议价格（元）”“13.005”不是有效金额")
    assert agreement_by_no(as_user, bad_number) == []  # nothing stored

    number, service = f"HNKJ-XLSX-{tag}", f"宣传册印制{tag}"
    good = tmp_path / "入围结果.xlsx"
    good.write_bytes(stage1_workbook(number, service))
    page.get_by_label("入围结果工作簿（.xlsx）").set_input_files(str(good))
    agency.click("导入", see="核对导入的入围结果")
    text = agency.text()
    for fact in (number, YUELU.name, XINGCHENG.name, "12.50 元", "13.00 元", "满 1000册：11.80 元"):
        assert fact in text, fact
    assert agreement_by_no(as_user, number) == []
    agency.click("发布", see="发布确认")
    agency.confirm()
    expect(page.get_by_role("status")).to_contain_text(f"框架协议 {number} 已发布，入围供应商 2 家")
    [published] = agreement_by_no(as_user, number)
    detail = as_user("agency").get(f"/api/v1/catalog/agreements/{published['id']}").json()
    prices = sorted((o["supplier_id"], o["agreement_price"], [t["unit_price"] for t in o["discount_tiers"]])
                    for o in detail["offerings"])
    assert prices == sorted([(YUELU.org_id, "12.50", ["11.80"]), (XINGCHENG.org_id, "13.00", [])])

    # The same workbook again: the API refuses (the number is taken) and the page says so.
    agency.open("/agreements/import", "再次导入")
    page.get_by_label("入围结果工作簿（.xlsx）").set_input_files(str(good))
    agency.click("导入", see="再次核对")
    agency.click("发布", see="再次发布确认")
    agency.confirm()
    expect(page.get_by_role("alert")).to_contain_text("已发布过")  # in Chinese, whatever the API's own sentence
    assert len(agreement_by_no(as_user, number)) == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_suspend_and_reinstate_a_shortlisted_supplier(console, as_user, javascript):
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(agreement_no=f"HNKJ-SUSP-{tag}", name=f"车辆维修服务框架协议（暂停测试 {tag}）", category_code="C05",
                      service_category="C0501", service_name=f"公务用车维修{tag}", unit="次", description="",
                      prices={"supplier-4": ("800.00", "780.00"), "supplier-6": ("820.00", "800.00")},
                      methods=("direct_selection",))
    market = open_market(as_user, spec)
    aid = market.agreement["id"]
    target = market.suppliers["supplier-4"]
    agency = console("agency", javascript=javascript)
    agency.open("/suppliers", "供应商管理")
    agency.page.get_by_label("框架协议", exact=True).select_option(aid)
    agency.click("查询", see="协议的入围供应商")
    row = agency.page.get_by_role("row").filter(has_text=target["org_name"])
    expect(row).to_contain_text("正常")

    row.get_by_role("link", name="暂停").click()
    agency.see("暂停原因")
    if javascript:  # the browser asks for the required reason before anything is posted
        agency.page.get_by_role("button", name="暂停").click()
        expect(agency.page.get_by_label("暂停原因")).to_have_attribute("aria-required", "true")
    agency.page.get_by_label("暂停原因").fill("经核查存在违约行为，暂停至整改完成")
    agency.click("暂停", see="暂停确认")
    agency.confirm()
    expect(agency.page.get_by_role("status")).to_contain_text(f"已暂停“{target['org_name']}”的入围资格")
    row = agency.page.get_by_role("row").filter(has_text=target["org_name"])
    expect(row).to_contain_text("已暂停")
    expect(row).to_contain_text("经核查存在违约行为")
    supplier = next(s for s in as_user("agency").get(f"/api/v1/catalog/agreements/{aid}").json()["suppliers"]
                    if s["supplier_id"] == target["org_id"])
    assert (supplier["status"], supplier["status_reason"]) == ("suspended", "经核查存在违约行为，暂停至整改完成")

    row.get_by_role("button", name="恢复").click()
    agency.confirm()
    expect(agency.page.get_by_role("status")).to_contain_text(f"已恢复“{target['org_name']}”的入围资格")
    expect(agency.page.get_by_role("row").filter(has_text=target["org_name"])).to_contain_text("正常")
    wait_for(lambda: next(s for s in as_user("agency").get(f"/api/v1/catalog/agreements/{aid}").json()["suppliers"]
                          if s["supplier_id"] == target["org_id"])["status"] == "active", what="reinstated")
    assert re.search(r"/suppliers\?agreement_id=", agency.page.url)
