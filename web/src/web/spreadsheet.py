"""The agency's stage-1 workbook (入围结果): read it, check every row, write the template — pure, no I/O.

One workbook, one sheet per table, Chinese headers in the first row, one record per row after it:

- 协议        the framework agreement (exactly one row)
- 入围供应商  the shortlisted suppliers, by 统一社会信用代码
- 服务与价格  each supplier's services with their agreement price (协议价格, the ceiling of every award)
- 优惠阶梯    volume discounts: from a quantity on, a lower unit price (optional)
- 说明        what each column means (the template writes it; reading ignores it)

Columns are found by their header, so the agency may keep its own column order and extra columns. Every
bad row is named — sheet, row number, reason in Chinese — and when any row is bad nothing is built: the
caller stores nothing. The same row rules check the console's form (`check`), which names fields instead."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MONEY = re.compile(r"^\d+(\.\d{1,2})?$")
QUANTITY = re.compile(r"^\d+(\.\d{1,3})?$")
SUPPLIER_CODE = re.compile(r"^[0-9A-Z]{18}$")
AGREEMENT_NO = re.compile(r"^[A-Za-z0-9\-]{3,60}$")
CATEGORY = re.compile(r"^C\d{2,8}$")
PHONE = re.compile(r"^[0-9+\- ]{0,20}$")
MAX_MONEY = Decimal("999999999.99")
MAX_ROWS = 5000
METHODS = {"直接选定": "direct_selection", "二次竞价": "secondary_bidding", "顺序轮候": "rotation"}
METHOD_LABELS = {code: label for label, code in METHODS.items()}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | money | quantity | date | supplier_code | category | phone | methods | agreement_no
    required: bool = True
    max_length: int = 200
    note: str = ""
    example: str = ""


@dataclass(frozen=True)
class Table:
    key: str
    sheet: str
    purpose: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


AGREEMENT = Table("agreement", "协议", "框架协议本身，只填一行。", (
    Column("agreement_no", "协议编号", "agreement_no", note="字母、数字和连字符，3–60 位，平台内唯一",
           example="HNKJ-2026-018"),
    Column("name", "协议名称", note="如：湖南省省直单位会议服务框架协议", example="湖南省省直单位会议服务框架协议"),
    Column("category_code", "品目代码", "category", note="协议覆盖的品目（见下方品目代码表），其下的服务才可列入",
           example="C08"),
    Column("valid_from", "有效期起", "date", note="日期，如 2026-01-01", example="2026-01-01"),
    Column("valid_to", "有效期止", "date", note="最后可用的一天（含当天），不得早于有效期起", example="2027-12-31"),
    Column("methods", "采购方式", "methods", note="直接选定、二次竞价、顺序轮候，可填一种或多种，用顿号分隔（顺序轮候的轮候顺序为本表供应商的先后顺序，即第一阶段排名）",
           example="直接选定、二次竞价"),
    Column("agency_address", "征集人地址", required=False, max_length=300, note="选填",
           example="湖南省长沙市芙蓉区五一大道 1 号"),
    Column("estimated_amount", "预估采购金额", "money", required=False,
           note="选填；元，至多两位小数。协议执行台账以此衡量成交合计，将超出时提示采购人和征集人", example="5000000.00"),
    Column("contract_template", "合同条款", required=False, max_length=50000,
           note="选填；留空则使用平台标准合同条款。可用占位符：{service_name} {quantity} {unit} {unit_price} "
                "{amount} {amount_upper} {filing_no} {agreement_no} {agreement_name}"),
))
SUPPLIERS = Table("suppliers", "入围供应商", "第一阶段确定的入围供应商，每家一行。", (
    Column("supplier_id", "统一社会信用代码", "supplier_code", note="18 位数字或大写字母", example="91430100MA4L1A0033"),
    Column("name", "供应商名称", note="与营业执照上的名称一致", example="湖南星城会务服务有限公司"),
    Column("address", "地址", required=False, max_length=300, note="选填", example="长沙市天心区芙蓉南路 368 号"),
    Column("contact_name", "联系人", required=False, max_length=100, note="选填", example="张静"),
    Column("contact_phone", "联系电话", "phone", required=False, note="选填；数字、+、- 和空格，至多 20 位",
           example="13807310003"),
))
SERVICES = Table("services", "服务与价格", "每家供应商入围的服务及其协议价格，每项一行；协议价格是此后每次成交的最高价。", (
    Column("supplier_id", "统一社会信用代码", "supplier_code", note="须是「入围供应商」表中的供应商",
           example="91430100MA4L1A0033"),
    Column("category_code", "品目代码", "category", note="服务所属品目，须在协议品目之下", example="C0806"),
    Column("name", "服务名称", note="同一供应商的服务名称不得重复", example="中型会议会务服务"),
    Column("unit", "计量单位", max_length=20, note="如：场、次、月、人次", example="场"),
    Column("agreement_price", "协议价格（元）", "money", note="单价，大于 0，最多两位小数，如 18000.00",
           example="18000.00"),
    Column("description", "服务说明", required=False, max_length=2000, note="选填",
           example="100 人以内，会场布置、签到、茶歇、音视频保障"),
))
TIERS = Table("tiers", "优惠阶梯", "选填：采购数量达到起始数量时的优惠单价，须低于协议价格，数量越大单价越低。", (
    Column("supplier_id", "统一社会信用代码", "supplier_code", note="须是「入围供应商」表中的供应商",
           example="91430100MA4L1A0033"),
    Column("service_name", "服务名称", note="须是该供应商在「服务与价格」表中的服务", example="中型会议会务服务"),
    Column("min_quantity", "起始数量", "quantity", note="大于 0，最多三位小数", example="5"),
    Column("unit_price", "优惠单价（元）", "money", note="低于协议价格，最多两位小数", example="17500.00"),
))
TABLES = (AGREEMENT, SUPPLIERS, SERVICES, TIERS)
GUIDE_SHEET = "说明"


@dataclass(frozen=True)
class Row:
    """One record: `number` is its row in the sheet (or its place in the form); values are cleaned text."""

    number: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    reason: str
    table: str = ""
    key: str = ""

    def __str__(self) -> str:
        where = f"「{self.sheet}」" if self.sheet else ""
        if self.row is not None:
            where += f"第 {self.row} 行"
        return f"{where}：{self.reason}" if where else self.reason


@dataclass
class Tables:
    agreement: list[Row] = field(default_factory=list)
    suppliers: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    tiers: list[Row] = field(default_factory=list)

    def rows(self, table: Table) -> list[Row]:
        return getattr(self, table.key)


@dataclass
class Result:
    body: dict[str, Any] | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.body is not None and not self.problems


# ── one cell ─────────────────────────────────────────────────────────────────────────────────────


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a float's noise, dates as YYYY-MM-DD, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value).strip()


def parse_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_methods(text: str) -> list[str] | None:
    words = [w for w in re.split(r"[、,，;；/\s]+", text.strip()) if w]
    codes = [METHODS.get(w, w if w in METHOD_LABELS else "") for w in words]
    if not codes or "" in codes:
        return None
    return list(dict.fromkeys(codes))


def cell_problem(column: Column, text: str, categories: Mapping[str, str] | None = None) -> str | None:
    """Why this cell is refused, in Chinese; None when it is good."""
    name = f"“{column.header}”"
    if not text:
        return f"{name}不能为空" if column.required else None
    if len(text) > column.max_length:
        return f"{name}至多 {column.max_length} 个字"
    kind = column.kind
    if kind == "money":
        if not MONEY.match(text):
            return f"{name}“{text}”不是有效金额：应为数字，最多两位小数，如 18000.00"
        if Decimal(text) <= 0 or Decimal(text) > MAX_MONEY:
            return f"{name}应大于 0 且不超过 999,999,999.99 元"
    elif kind == "quantity":
        if not QUANTITY.match(text) or Decimal(text) <= 0:
            return f"{name}“{text}”应为大于 0 的数量，最多三位小数"
    elif kind == "date":
        if parse_date(text) is None:
            return f"{name}“{text}”不是有效日期，应如 2026-01-01"
    elif kind == "supplier_code":
        if not SUPPLIER_CODE.match(text):
            return f"{name}“{text}”格式不正确：应为 18 位数字或大写字母"
    elif kind == "agreement_no":
        if not AGREEMENT_NO.match(text):
            return f"{name}“{text}”格式不正确：只能含字母、数字和连字符，3–60 位"
    elif kind == "category":
        if not CATEGORY.match(text) or (categories is not None and text not in categories):
            return f"{name}“{text}”不是平台的品目代码（见「说明」表的品目代码）"
    elif kind == "phone":
        if not PHONE.match(text):
            return f"{name}“{text}”格式不正确：只能含数字、+、- 和空格，至多 20 位"
    elif kind == "methods":
        if parse_methods(text) is None:
            return f"{name}“{text}”应为“直接选定”“二次竞价”之一或两者（用顿号分隔）"
    return None


# ── the whole stage-1 result ─────────────────────────────────────────────────────────────────────


def check(tables: Tables, *, categories: Mapping[str, str] | None = None, today: date | None = None) -> list[Problem]:
    """Every problem of every row: the cells, then the rules between rows (one agreement, date order,
    duplicates, references to a supplier or a service that is not there, discounts below the price)."""
    problems: list[Problem] = []

    def report(table: Table, row: Row, reason: str, key: str = "") -> None:
        problems.append(Problem(table.sheet, row.number, reason, table.key, key))

    bad: set[tuple[str, int, str]] = set()
    for table in TABLES:
        for row in tables.rows(table):
            for column in table.columns:
                reason = cell_problem(column, row[column.key], categories)
                if reason:
                    report(table, row, reason, column.key)
                    bad.add((table.key, row.number, column.key))

    def good(table: Table, row: Row, key: str) -> bool:
        return bool(row[key]) and (table.key, row.number, key) not in bad

    # 协议: exactly one, its dates in order, its category covering the services
    if not tables.agreement:
        problems.append(Problem(AGREEMENT.sheet, None, "没有填写协议（应有一行）", AGREEMENT.key))
    for extra in tables.agreement[1:]:
        report(AGREEMENT, extra, "只能填写一份协议：请把其他协议放到另一个工作簿", "agreement_no")
    agreement_category = ""
    if tables.agreement:
        head = tables.agreement[0]
        if good(AGREEMENT, head, "valid_from") and good(AGREEMENT, head, "valid_to"):
            starts, ends = parse_date(head["valid_from"]), parse_date(head["valid_to"])
            if starts and ends and ends < starts:
                report(AGREEMENT, head, f"有效期止 {ends} 早于有效期起 {starts}", "valid_to")
            elif ends and today and ends < today:
                report(AGREEMENT, head, f"有效期已于 {ends} 结束：已过期的协议不能发布", "valid_to")
        if good(AGREEMENT, head, "category_code"):
            agreement_category = head["category_code"]

    # 入围供应商: no supplier twice, each with at least one service
    if not tables.suppliers:
        problems.append(Problem(SUPPLIERS.sheet, None, "没有填写入围供应商（至少一家）", SUPPLIERS.key))
    suppliers: dict[str, Row] = {}
    for row in tables.suppliers:
        code = row["supplier_id"]
        if code and code in suppliers:
            report(SUPPLIERS, row, f"统一社会信用代码 {code} 与第 {suppliers[code].number} 行重复", "supplier_id")
        elif code:
            suppliers[code] = row

    # 服务与价格: a known supplier, no service twice per supplier, inside the agreement's category
    services: dict[tuple[str, str], Row] = {}
    offered: set[str] = set()
    for row in tables.services:
        code, name = row["supplier_id"], row["name"]
        if good(SERVICES, row, "supplier_id") and code not in suppliers:
            report(SERVICES, row, f"统一社会信用代码 {code} 不在「入围供应商」表中", "supplier_id")
            continue
        offered.add(code)
        if code and name and (code, name) in services:
            report(SERVICES, row, f"服务“{name}”与第 {services[(code, name)].number} 行重复（同一供应商）", "name")
            continue
        if code and name:
            services[(code, name)] = row
        category = row["category_code"]
        if agreement_category and good(SERVICES, row, "category_code") and not category.startswith(agreement_category):
            report(SERVICES, row, f"品目 {category} 不在协议品目 {agreement_category} 之下", "category_code")
    for code, row in suppliers.items():
        if tables.services and code not in offered:
            report(SUPPLIERS, row, "该供应商在「服务与价格」表中没有服务（至少一项）", "supplier_id")
    if tables.suppliers and not tables.services:
        problems.append(Problem(SERVICES.sheet, None, "没有填写服务与价格（每家供应商至少一项）", SERVICES.key))

    # 优惠阶梯: a known service, no quantity twice, each price below the one before it
    tiers: dict[tuple[str, str], list[Row]] = {}
    for row in tables.tiers:
        code, name = row["supplier_id"], row["service_name"]
        if good(TIERS, row, "supplier_id") and code not in suppliers:
            report(TIERS, row, f"统一社会信用代码 {code} 不在「入围供应商」表中", "supplier_id")
        elif code and name and (code, name) not in services:
            report(TIERS, row, f"服务“{name}”不在「服务与价格」表中该供应商名下", "service_name")
        elif good(TIERS, row, "min_quantity") and good(TIERS, row, "unit_price"):
            tiers.setdefault((code, name), []).append(row)
    for (code, name), rows in tiers.items():
        service = services[(code, name)]
        if len(rows) > 10:
            report(TIERS, rows[10], f"服务“{name}”至多 10 个优惠阶梯", "min_quantity")
        seen: dict[Decimal, Row] = {}
        for row in rows:
            quantity = Decimal(row["min_quantity"])
            if quantity in seen:
                report(TIERS, row, f"起始数量 {row['min_quantity']} 与第 {seen[quantity].number} 行重复", "min_quantity")
            else:
                seen[quantity] = row
        if not good(SERVICES, service, "agreement_price"):
            continue
        previous, previous_what = Decimal(service["agreement_price"]), "协议价格"
        for quantity in sorted(seen):
            row = seen[quantity]
            price = Decimal(row["unit_price"])
            if price >= previous:
                report(TIERS, row, f"优惠单价 {price:.2f} 元应低于{previous_what} {previous:.2f} 元", "unit_price")
            else:
                previous, previous_what = price, "数量更少一档的优惠单价"
    return problems


def build(tables: Tables, *, default_template: str = "") -> dict[str, Any]:
    """The body of `POST /catalog/agreements` from tables that passed `check`."""
    head = tables.agreement[0]
    tiers: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in tables.tiers:
        tiers.setdefault((row["supplier_id"], row["service_name"]), []).append(
            {"min_quantity": row["min_quantity"], "unit_price": row["unit_price"]})
    services: dict[str, list[dict[str, Any]]] = {}
    for row in tables.services:
        services.setdefault(row["supplier_id"], []).append({
            "category_code": row["category_code"], "name": row["name"], "unit": row["unit"],
            "description": row["description"], "agreement_price": row["agreement_price"],
            "discount_tiers": tiers.get((row["supplier_id"], row["name"]), [])})
    return {
        "agreement_no": head["agreement_no"], "name": head["name"], "agency_address": head["agency_address"],
        "category_code": head["category_code"], "valid_from": str(parse_date(head["valid_from"])),
        "valid_to": str(parse_date(head["valid_to"])), "methods": parse_methods(head["methods"]),
        "contract_template": head["contract_template"] or default_template,
        **({"estimated_amount": head["estimated_amount"]} if head["estimated_amount"] else {}),
        "suppliers": [{"supplier_id": row["supplier_id"], "name": row["name"], "address": row["address"],
                       "contact_name": row["contact_name"], "contact_phone": row["contact_phone"],
                       "services": services.get(row["supplier_id"], [])} for row in tables.suppliers],
    }


# ── the workbook ─────────────────────────────────────────────────────────────────────────────────


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]|（必填）|\(必填\)", "", text)


def _read_sheet(sheet: Any, table: Table, problems: list[Problem]) -> list[Row]:
    rows = sheet.iter_rows(values_only=True)
    headers = [_header_key(cell_text(v)) for v in next(rows, ())]
    where: dict[str, int] = {}
    for column in table.columns:
        if _header_key(column.header) in headers:
            where[column.key] = headers.index(_header_key(column.header))
        elif column.required:
            problems.append(Problem(table.sheet, 1, f"缺少“{column.header}”列（第一行是列名）", table.key, column.key))
    found: list[Row] = []
    for number, values in enumerate(rows, start=2):
        cells = {key: cell_text(values[i]) if i < len(values) else "" for key, i in where.items()}
        if not any(cells.values()):
            continue
        if len(found) >= MAX_ROWS:
            problems.append(Problem(table.sheet, number, f"一张表至多 {MAX_ROWS} 行", table.key))
            break
        found.append(Row(number, cells))
    return found


def read(data: bytes, *, categories: Mapping[str, str] | None = None, today: date | None = None,
         default_template: str = "") -> Result:
    """The workbook's stage-1 result: the API body when every row is good, else every problem (and no body)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl says, the person needs one sentence
        return Result(None, [Problem("", None, "无法读取该文件：请上传 Excel 工作簿（.xlsx），可先下载模板再填写")])
    problems: list[Problem] = []
    tables = Tables()
    try:
        for table in TABLES:
            if table.sheet not in workbook.sheetnames:
                if table is not TIERS:  # discounts are optional
                    problems.append(Problem(table.sheet, None, f"工作簿缺少「{table.sheet}」工作表", table.key))
                continue
            tables.rows(table).extend(_read_sheet(workbook[table.sheet], table, problems))
    finally:
        workbook.close()
    if any(p.row == 1 or p.row is None for p in problems):  # the shape is wrong: the rows cannot be read
        return Result(None, problems)
    problems = check(tables, categories=categories, today=today)
    if problems:
        return Result(None, problems)
    return Result(build(tables, default_template=default_template), [])


def template(categories: Iterable[tuple[str, str]] = ()) -> bytes:
    """The workbook to fill: the four tables with their Chinese headers and an example row each, and a
    说明 sheet explaining every column (and listing the category codes, when given)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    required_fill, optional_fill = PatternFill("solid", fgColor="F6D5D7"), PatternFill("solid", fgColor="E8EBF0")
    bold = Font(bold=True)
    for index, table in enumerate(TABLES):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = table.sheet
        sheet.append([c.header for c in table.columns])
        sheet.append([c.example for c in table.columns])
        for position, column in enumerate(table.columns, start=1):
            head = sheet.cell(row=1, column=position)
            head.font, head.fill = bold, required_fill if column.required else optional_fill
            sheet.column_dimensions[head.column_letter].width = max(14, min(40, len(column.header) * 2 + 6))
            sheet.cell(row=2, column=position).number_format = "@"  # text: 18-digit codes and prices stay as typed
        sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.append(["湖南省政府采购框架协议 · 入围结果导入模板"])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append(["填写后在控制台【框架协议】-【导入入围结果】上传。每张表第一行是列名，请勿修改；第二行是示例，请替换为实际内容。"
                  "列名底色为红色的列必填。任何一行有误时不会保存任何内容，页面会列出每个有误的工作表、行号和原因。"])
    guide.append([])
    guide.append(["工作表", "列名", "是否必填", "填写说明", "示例"])
    for cell in guide[4]:
        cell.font = bold
    for table in TABLES:
        guide.append([table.sheet, "", "", table.purpose, ""])
        guide.cell(row=guide.max_row, column=1).font = bold
        for column in table.columns:
            guide.append([table.sheet, column.header, "必填" if column.required else "选填", column.note, column.example])
    listed = list(categories)
    if listed:
        guide.append([])
        guide.append(["品目代码", "品目名称"])
        for cell in guide[guide.max_row]:
            cell.font = bold
        for code, name in listed:
            guide.append([code, name])
    for letter, width in zip("ABCDE", (14, 20, 10, 70, 30), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(values: Sequence[dict[str, str]], start: int = 1) -> list[Row]:
    """Rows from plain dicts (the form's records), numbered from `start`."""
    return [Row(start + i, {k: (v or "").strip() for k, v in item.items()}) for i, item in enumerate(values)]


# ── The agreement's ledger (协议执行台账), exported for the agency ─────────────────────────────────────
# One workbook: 台账汇总 (the agreement, its estimate, the totals by method, supplier and purchaser, the
# warnings) and 成交明细 (every award). Money stays a number with two places, so the sums can be checked in
# the spreadsheet itself; ids and project numbers are text.

LEDGER_AWARD_HEADERS = ("成交日期（北京时间）", "项目编号", "项目名称", "采购方式", "采购人", "成交供应商", "服务",
                        "数量", "单位", "单价（元）", "成交金额（元）", "超出预估")


def ledger_workbook(ledger: Mapping[str, Any]) -> bytes:
    """The ledger as the API answers it (`GET /api/v1/ledgers/{agreement_id}`), as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    workbook = Workbook()
    summary = workbook.active
    summary.title = "台账汇总"
    summary.append([f"{ledger['agreement_name']} 协议执行台账"])
    summary["A1"].font = Font(bold=True, size=14)
    total = ledger["total"]
    for label, value in (("协议编号", ledger["agreement_no"]),
                         ("有效期", f"{ledger['valid_from']} 至 {ledger['valid_to']}"),
                         ("预估采购金额（元）", _number(ledger.get("estimated_amount")) or "未设定"),
                         ("预估采购数量", ledger.get("estimated_quantity") or "未设定"),
                         ("成交笔数", total["count"]), ("成交金额合计（元）", _number(total["amount"])),
                         ("成交数量合计", total["quantity"]),
                         ("预估剩余金额（元）", _number(ledger.get("remaining_amount")) or "—")):
        summary.append([label, value])
        summary.cell(row=summary.max_row, column=1).font = bold
    for warning in ledger.get("warnings") or ():
        summary.append(["提示", warning])
    for caption, key in (("按采购方式", "by_method"), ("按成交供应商", "by_supplier"), ("按采购人", "by_purchaser")):
        summary.append([])
        summary.append([caption, "笔数", "成交金额（元）", "数量"])
        for cell in summary[summary.max_row]:
            cell.font = bold
        for row in ledger[key]:
            summary.append([row["name"], row["count"], _number(row["amount"]), row["quantity"]])
    for cell in summary["C"]:
        cell.number_format = "#,##0.00"
    summary["B7"].number_format = summary["B9"].number_format = "#,##0.00"
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 28, 60
    summary.column_dimensions["C"].width = 18

    awards = workbook.create_sheet("成交明细")
    awards.append(list(LEDGER_AWARD_HEADERS))
    for cell in awards[1]:
        cell.font = bold
    for a in ledger["awards"]:
        awards.append([a["awarded_at"][:10], a["project_no"], a["project_name"], a["method_label"],
                       a["purchaser_name"], a["supplier_name"], a["service_name"], a["quantity"], a["unit"],
                       _number(a["unit_price"]), _number(a["amount"]), "是" if a["passed_estimate"] else ""])
        for column in (10, 11):
            awards.cell(row=awards.max_row, column=column).number_format = "#,##0.00"
    awards.append(["合计", "", "", "", "", "", "", total["quantity"], "", "", _number(total["amount"]), ""])
    awards.cell(row=awards.max_row, column=11).number_format = "#,##0.00"
    for cell in awards[awards.max_row]:
        cell.font = bold
    for letter, width in zip("ABCDEFGHIJKL", (14, 16, 30, 10, 24, 24, 20, 10, 8, 14, 16, 10), strict=True):
        awards.column_dimensions[letter].width = width
    awards.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _number(text: Any) -> Decimal | None:
    """A money text of the API as a number the spreadsheet adds up (None when absent)."""
    return Decimal(str(text)) if text not in (None, "") else None
