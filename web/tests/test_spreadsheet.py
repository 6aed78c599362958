"""The agency's workbook: the template reads back as a good stage-1 result; each bad row is named with its
sheet, row number and reason, and nothing is built when any row is bad."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook, load_workbook

from web import spreadsheet
from web.spreadsheet import AGREEMENT, SERVICES, SUPPLIERS, TIERS

CATEGORIES = {"C08": "商务服务", "C0806": "会议服务", "C0814": "印刷服务", "C12": "房地产服务"}
TODAY = date(2026, 6, 1)
SUPPLIER_A, SUPPLIER_B = "91430100MA4L1A0033", "91430100MA4L1A0022"


def workbook(agreement=None, suppliers=None, services=None, tiers=None, *, drop: str = "") -> bytes:
    book = Workbook()
    book.remove(book.active)
    content = {
        AGREEMENT: agreement if agreement is not None else [
            ["HNKJ-2026-018", "会议服务框架协议", "C08", "2026-01-01", "2027-12-31", "直接选定、二次竞价", "", ""]],
        SUPPLIERS: suppliers if suppliers is not None else [
            [SUPPLIER_A, "湖南星城会务服务有限公司", "长沙市天心区", "张静", "13807310003"],
            [SUPPLIER_B, "长沙岳麓印务有限公司", "", "", ""]],
        SERVICES: services if services is not None else [
            [SUPPLIER_A, "C0806", "中型会议会务服务", "场", "18000.00", "100 人以内"],
            [SUPPLIER_B, "C0814", "宣传册印制", "册", 12.5, ""]],
        TIERS: tiers if tiers is not None else [[SUPPLIER_A, "中型会议会务服务", 5, "17500"],
                                                [SUPPLIER_A, "中型会议会务服务", "10", "17000.00"]],
    }
    for table, rows in content.items():
        if table.sheet == drop:
            continue
        sheet = book.create_sheet(table.sheet)
        sheet.append([c.header for c in table.columns])
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes) -> spreadsheet.Result:
    return spreadsheet.read(data, categories=CATEGORIES, today=TODAY, default_template="标准条款")


def reasons(result: spreadsheet.Result) -> list[str]:
    return [str(p) for p in result.problems]


def test_a_good_workbook_becomes_the_agreements_body():
    result = read(workbook())
    assert result.ok, reasons(result)
    body = result.body
    assert (body["agreement_no"], body["valid_from"], body["valid_to"]) == ("HNKJ-2026-018", "2026-01-01", "2027-12-31")
    assert body["methods"] == ["direct_selection", "secondary_bidding"] and body["contract_template"] == "标准条款"
    first, second = body["suppliers"]
    assert first["supplier_id"] == SUPPLIER_A and first["contact_phone"] == "13807310003"
    [meeting] = first["services"]
    assert (meeting["agreement_price"], meeting["discount_tiers"]) == (
        "18000.00", [{"min_quantity": "5", "unit_price": "17500"}, {"min_quantity": "10", "unit_price": "17000.00"}])
    assert second["services"][0]["agreement_price"] == "12.5"  # a number cell keeps its value, without float noise


def test_the_template_reads_back_and_explains_every_column():
    data = spreadsheet.template(CATEGORIES.items())
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["协议", "入围供应商", "服务与价格", "优惠阶梯", "说明"]
    assert [c.value for c in book["服务与价格"][1]] == [c.header for c in SERVICES.columns]
    guide = [[c.value for c in row] for row in book["说明"].iter_rows()]
    for table in spreadsheet.TABLES:
        for column in table.columns:
            assert any(r[0] == table.sheet and r[1] == column.header and r[3] for r in guide), column.header
    assert ["C0806", "会议服务", None, None, None] in guide
    result = read(data)
    assert result.ok, reasons(result)  # the example rows are a valid stage-1 result
    assert result.body["suppliers"][0]["services"][0]["discount_tiers"] == [
        {"min_quantity": "5", "unit_price": "17500.00"}]


def test_each_bad_row_is_named_with_its_sheet_row_and_reason_and_nothing_is_built():
    result = read(workbook(
        agreement=[["HNKJ-2026-018", "会议服务框架协议", "C08", "2027-01-01", "2026-12-31", "直接选定", "", ""]],
        suppliers=[[SUPPLIER_A, "湖南星城会务服务有限公司", "", "", ""], [SUPPLIER_A, "重复的供应商", "", "", ""],
                   ["91430100MA4L1A0099", "", "", "", ""]],
        services=[[SUPPLIER_A, "C0806", "中型会议会务服务", "场", "18000.123", ""],
                  ["91430100MA4L1A0077", "C0806", "大型会议", "场", "30000", ""],
                  [SUPPLIER_A, "C0806", "中型会议会务服务", "场", "18000", ""],
                  [SUPPLIER_A, "C1204", "物业", "月", "100", ""]],
        tiers=[[SUPPLIER_A, "不存在的服务", "5", "1"]]))
    assert result.body is None and not result.ok
    found = reasons(result)
    expected = [
        "「协议」第 2 行：有效期止 2026-12-31 早于有效期起 2027-01-01",
        "「入围供应商」第 3 行：统一社会信用代码 91430100MA4L1A0033 与第 2 行重复",
        "「入围供应商」第 4 行：“供应商名称”不能为空",
        "「服务与价格」第 2 行：“协议价格（元）”“18000.123”不是有效金额：应为数字，最多两位小数，如 18000.00",
        "「服务与价格」第 3 行：统一社会信用代码 91430100MA4L1A0077 不在「入围供应商」表中",
        "「服务与价格」第 4 行：服务“中型会议会务服务”与第 2 行重复（同一供应商）",
        "「服务与价格」第 5 行：“品目代码”“C1204”不是平台的品目代码（见「说明」表的品目代码）",
        "「优惠阶梯」第 2 行：服务“不存在的服务”不在「服务与价格」表中该供应商名下",
        "「入围供应商」第 4 行：该供应商在「服务与价格」表中没有服务（至少一项）",
    ]
    assert sorted(found) == sorted(expected), found


def test_discounts_must_fall_below_the_price_and_each_other():
    result = read(workbook(tiers=[[SUPPLIER_A, "中型会议会务服务", "5", "18000.00"],
                                  [SUPPLIER_A, "中型会议会务服务", "5", "17000"],
                                  [SUPPLIER_A, "中型会议会务服务", "10", "17500"]]))
    assert reasons(result) == [
        "「优惠阶梯」第 3 行：起始数量 5 与第 2 行重复",
        "「优惠阶梯」第 2 行：优惠单价 18000.00 元应低于协议价格 18000.00 元",
    ]
    result = read(workbook(tiers=[[SUPPLIER_A, "中型会议会务服务", "10", "17600"],
                                  [SUPPLIER_A, "中型会议会务服务", "5", "17500"]]))
    assert reasons(result) == ["「优惠阶梯」第 2 行：优惠单价 17600.00 元应低于数量更少一档的优惠单价 17500.00 元"]


def test_an_expired_agreement_a_missing_sheet_a_missing_column_and_a_file_that_is_no_workbook():
    expired = read(workbook(agreement=[["HK", "旧协议", "C08", "2020-01-01", "2020-12-31", "二次竞价", "", ""]]))
    assert set(reasons(expired)) == {"「协议」第 2 行：“协议编号”“HK”格式不正确：只能含字母、数字和连字符，3–60 位",
                                     "「协议」第 2 行：有效期已于 2020-12-31 结束：已过期的协议不能发布"}
    assert reasons(read(workbook(drop="服务与价格"))) == ["「服务与价格」：工作簿缺少「服务与价格」工作表"]
    assert read(workbook(drop="优惠阶梯")).ok  # discounts are optional

    book = Workbook()
    book.active.title = "协议"
    book.active.append(["协议编号", "协议名称"])
    for table in (SUPPLIERS, SERVICES):
        book.create_sheet(table.sheet).append([c.header for c in table.columns])
    out = io.BytesIO()
    book.save(out)
    assert "「协议」第 1 行：缺少“品目代码”列（第一行是列名）" in reasons(read(out.getvalue()))

    assert reasons(read(b"not a workbook")) == ["无法读取该文件：请上传 Excel 工作簿（.xlsx），可先下载模板再填写"]


def test_cells_as_a_spreadsheet_keeps_them():
    assert spreadsheet.cell_text(18000.0) == "18000" and spreadsheet.cell_text(0.1) == "0.1"
    assert spreadsheet.cell_text(date(2026, 1, 2)) == "2026-01-02" and spreadsheet.cell_text("  x ") == "x"
    assert spreadsheet.parse_date("2026/1/2") == date(2026, 1, 2) == spreadsheet.parse_date("2026年1月2日")
    assert spreadsheet.parse_date("2026-02-30") is None
    assert spreadsheet.parse_methods("二次竞价, 直接选定") == ["secondary_bidding", "direct_selection"]
    assert spreadsheet.parse_methods("招标") is None


def test_the_ledger_workbook_lists_every_award_and_the_totals_as_numbers():
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    award = {"awarded_at": "2026-03-02T10:00:00+08:00", "project_no": "ZX2026000001", "project_name": "物业服务",
             "method_label": "直接选定", "purchaser_name": "湖南省教育厅", "supplier_name": "供应商1",
             "service_name": "办公楼物业管理", "quantity": "12", "unit": "月", "unit_price": "25000.00",
             "amount": "300000.00", "passed_estimate": False}
    total = {"key": "all", "name": "合计", "count": 2, "amount": "500000.00", "quantity": "24"}
    ledger = {"agreement_id": "AG1", "agreement_no": "HNKJ-1", "agreement_name": "物业服务框架协议",
              "valid_from": "2026-01-01", "valid_to": "2026-12-31", "estimated_amount": "400000.00",
              "estimated_quantity": None, "total": total, "remaining_amount": "-100000.00",
              "by_supplier": [{**total, "key": "S1", "name": "供应商1"}],
              "by_purchaser": [{**total, "key": "P1", "name": "湖南省教育厅"}],
              "by_method": [{**total, "key": "direct_selection", "name": "直接选定"}],
              "awards": [award, {**award, "project_no": "ZX2026000002", "amount": "200000.00",
                                 "passed_estimate": True}],
              "exceeded": True, "warnings": ["成交金额合计 500000.00 元超过框架协议预估采购金额 400000.00 元"]}
    book = load_workbook(io.BytesIO(spreadsheet.ledger_workbook(ledger)))
    assert book.sheetnames == ["台账汇总", "成交明细"]
    rows = list(book["成交明细"].values)
    assert rows[0] == spreadsheet.LEDGER_AWARD_HEADERS
    assert [r[1] for r in rows[1:3]] == ["ZX2026000001", "ZX2026000002"]
    assert [Decimal(str(r[10])) for r in rows[1:3]] == [Decimal("300000"), Decimal("200000")]
    assert rows[2][11] == "是" and rows[3][0] == "合计" and Decimal(str(rows[3][10])) == Decimal("500000")
    summary = [r for r in book["台账汇总"].values if r and r[0]]
    assert ("提示", ledger["warnings"][0]) in [r[:2] for r in summary]
    assert ("预估采购金额（元）", 400000) in [r[:2] for r in summary]


def test_the_agreements_optional_estimate_is_checked_and_sent():
    head = {"agreement_no": "HNKJ-2026-018", "name": "会议服务框架协议", "category_code": "C08",
            "valid_from": "2026-01-01", "valid_to": "2027-12-31", "methods": "直接选定", "agency_address": "",
            "contract_template": "条款"}
    plain = spreadsheet.build(spreadsheet.Tables(agreement=[spreadsheet.Row(1, head)]))
    assert "estimated_amount" not in plain
    stated = spreadsheet.build(spreadsheet.Tables(agreement=[spreadsheet.Row(1, {**head,
                                                                                   "estimated_amount": "5000000.00"})]))
    assert stated["estimated_amount"] == "5000000.00"
    column = spreadsheet.AGREEMENT.column("estimated_amount")
    assert spreadsheet.cell_problem(column, "") is None and spreadsheet.cell_problem(column, "五百万")
