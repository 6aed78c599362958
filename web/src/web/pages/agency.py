"""征集人 (the collecting agency): 框架协议 (the agreements, one agreement with its stage-1 result),
发布框架协议 by a form or 导入入围结果 from the workbook it keeps, and 供应商管理 (暂停 / 恢复).

Both ways of entering a stage-1 result meet on one page: 核对入围结果 shows what will be published, and
its 【发布】 makes the one call `POST /catalog/agreements`. The form and the workbook are checked by the
same row rules (web.spreadsheet) before anything is sent; a bad workbook shows every bad row and sends
nothing. The form works without JavaScript: rows are added and removed with submit buttons (`op`) and
the page comes back with everything typed so far."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from web import refusals, spreadsheet, texts
from web.gateway import ApiError
from web.render import checked_form, confirmation, gateway, redirect, render, text, upload
from web.session import Viewer, require

router = APIRouter()

MAX_UPLOAD = 5 * 1024 * 1024
PAGE_SIZE = 20
STATUS_FILTER = (("active", "有效"), ("scheduled", "未生效"), ("expired", "已过期"))
METHOD_OPTIONS = (("direct_selection", "直接选定"), ("secondary_bidding", "二次竞价"),
                  ("rotation", "顺序轮候"))  # rotation order: the suppliers as entered (stage-1 ranking)

DEFAULT_TEMPLATE = """第一条 合同标的：乙方依照框架协议 {agreement_no}（{agreement_name}）向甲方提供 {service_name}，数量 {quantity}{unit}，单价 {unit_price} 元。
第二条 合同金额：人民币 {amount} 元（大写：{amount_upper}），不高于框架协议约定的协议价格。
第三条 履约与验收：乙方按采购需求提供服务，甲方在服务完成后组织验收并出具验收单。
第四条 付款：甲方在验收合格并收到乙方发票之日起 30 日内付款。
第五条 其他：未尽事宜按框架协议及《中华人民共和国民法典》执行。本合同经双方盖章后生效，采购计划财政备案号：{filing_no}。"""

AGREEMENT_FIELDS = ("agreement_no", "name", "category_code", "valid_from", "valid_to", "agency_address",
                    "estimated_amount", "contract_template")
SUPPLIER_FIELDS = tuple(c.key for c in spreadsheet.SUPPLIERS.columns)
SERVICE_FIELDS = ("category_code", "name", "unit", "agreement_price", "description")
TIER_FIELDS = ("min_quantity", "unit_price")
LABELS = {"agreement_no": "协议编号", "name": "名称", "category_code": "品目", "valid_from": "有效期起",
          "valid_to": "有效期止", "agency_address": "征集人地址", "estimated_amount": "预估采购金额", "contract_template": "合同条款", "methods": "采购方式",
          "supplier_id": "统一社会信用代码", "address": "地址", "contact_name": "联系人", "contact_phone": "联系电话",
          "unit": "计量单位", "agreement_price": "协议价格", "description": "服务说明", "min_quantity": "起始数量",
          "unit_price": "优惠单价", "reason": "原因"}


def refusal(error: ApiError, title: str) -> dict[str, Any]:
    """The box of a refused call: the API's sentence when it is Chinese, else the console's for its code."""
    message = error.message if refusals.chinese(error.message) else texts.error_text(error.code)
    return {"code": error.code, "title": title, "message": message}


def refused_fields(error: ApiError) -> dict[str, str]:
    return refusals.field_errors(error, labels=LABELS, typed={})


# ── reading the API ──────────────────────────────────────────────────────────────────────────────


async def categories_of(request: Request, viewer: Viewer) -> list[dict[str, Any]]:
    """The category tree as a flat list in display order: code, name, depth."""
    tree = await gateway(request).get("/catalog/categories", token=viewer.token)
    flat: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            flat.append({"code": node["code"], "name": node["name"], "depth": depth})
            walk(node.get("children") or [], depth + 1)
    walk(tree.get("items") or [], 0)
    return flat


def category_options(flat: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["code"], f"{'　' * c['depth']}{c['code']} {c['name']}") for c in flat]


def by_supplier(agreement: dict[str, Any]) -> list[dict[str, Any]]:
    """An agreement of the API as the pages show it: each supplier with its services, prices and tiers."""
    offers: dict[str, list[dict[str, Any]]] = {}
    for o in agreement.get("offerings") or []:
        offers.setdefault(o["supplier_id"], []).append({
            "category_code": o["category_code"], "name": o["service_name"], "unit": o["unit"],
            "agreement_price": o["agreement_price"], "discount_tiers": o["discount_tiers"],
            "status": o["status"], "status_label": o["status_label"], "price": o.get("price")})
    return [{**s, "services": offers.get(s["supplier_id"], [])} for s in agreement.get("suppliers") or []]


# ── 框架协议: the list and one agreement ───────────────────────────────────────────────────────────


@router.get("/agreements")
async def agreements(request: Request, status: str = "", agreement_no: str = "", category: str = "",
                     page: int = 1) -> Response:
    viewer = require(request, "agency")
    page = max(page, 1)
    filters = {"status": status if status in dict(STATUS_FILTER) else "",
               "agreement_no": agreement_no.strip(), "category": category.strip()}
    listing, flat = await asyncio.gather(
        gateway(request).get("/catalog/agreements", token=viewer.token, page=page, page_size=PAGE_SIZE,
                             **{k: v for k, v in filters.items() if v}),
        categories_of(request, viewer))
    details = await asyncio.gather(*(gateway(request).get(f"/catalog/agreements/{a['id']}", token=viewer.token)
                                     for a in listing["items"]))
    rows = [{**a, "category_code": d["category_code"], "category_name": d["category_name"],
             "supplier_count": len(d["suppliers"]),
             "suspended_count": sum(1 for s in d["suppliers"] if s["status"] == "suspended")}
            for a, d in zip(listing["items"], details, strict=True)]
    return render(request, "agency/agreements.html", title="框架协议", breadcrumbs=[("框架协议", None)],
                  rows=rows, total=listing["total"], page=page, has_next=page * PAGE_SIZE < listing["total"],
                  filters=filters, statuses=STATUS_FILTER, categories=category_options(flat))


# ── 发布框架协议: the form ────────────────────────────────────────────────────────────────────────


def empty_service() -> dict[str, Any]:
    return {"values": dict.fromkeys(SERVICE_FIELDS, ""), "tiers": []}


def empty_supplier() -> dict[str, Any]:
    return {"values": dict.fromkeys(SUPPLIER_FIELDS, ""), "services": [empty_service()]}


def empty_draft() -> dict[str, Any]:
    return {"agreement": {**dict.fromkeys(AGREEMENT_FIELDS, ""), "contract_template": DEFAULT_TEMPLATE},
            "methods": ["direct_selection", "secondary_bidding"], "suppliers": [empty_supplier()]}


def _indexed(form: FormData, prefix: str) -> list[int]:
    """The row numbers present under `prefix` (`suppliers.` → [0, 1, 3]), in order."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return sorted({int(m.group(1)) for key in form.keys() if (m := pattern.match(key))})


def draft_of_form(form: FormData) -> dict[str, Any]:
    """The form as it was typed: the agreement, the methods ticked, each supplier with its services and tiers."""
    suppliers = []
    for i in _indexed(form, "suppliers."):
        services = []
        for j in _indexed(form, f"suppliers.{i}.services."):
            base = f"suppliers.{i}.services.{j}"
            tiers = [{k: text(form, f"{base}.discount_tiers.{t}.{k}") for k in TIER_FIELDS}
                     for t in _indexed(form, f"{base}.discount_tiers.")]
            services.append({"values": {k: text(form, f"{base}.{k}") for k in SERVICE_FIELDS}, "tiers": tiers})
        suppliers.append({"values": {k: text(form, f"suppliers.{i}.{k}") for k in SUPPLIER_FIELDS},
                          "services": services})
    agreement = {k: text(form, k) for k in AGREEMENT_FIELDS}
    agreement["contract_template"] = str(form.get("contract_template") or "").strip()
    return {"agreement": agreement, "methods": [m for m in form.getlist("methods") if m in dict(METHOD_OPTIONS)],
            "suppliers": suppliers}


def draft_of_body(body: dict[str, Any]) -> dict[str, Any]:
    """An API body back into the form (返回修改 from the preview, or after the API refused it)."""
    return {
        "agreement": {k: str(body.get(k) or "") for k in AGREEMENT_FIELDS},
        "methods": list(body.get("methods") or []),
        "suppliers": [{"values": {k: str(s.get(k) or "") for k in SUPPLIER_FIELDS},
                       "services": [{"values": {k: str(x.get(k) or "") for k in SERVICE_FIELDS},
                                     "tiers": [{k: str(t.get(k) or "") for k in TIER_FIELDS}
                                               for t in x.get("discount_tiers") or []]}
                                    for x in s.get("services") or []]}
                      for s in body.get("suppliers") or []],
    }


def apply_op(draft: dict[str, Any], op: str) -> None:
    """新增/删除 a supplier, a service or a discount tier: `add_service:0`, `remove_tier:0:1:2`."""
    action, *where = op.split(":")
    try:
        place = [int(p) for p in where]
        suppliers = draft["suppliers"]
        if action == "add_supplier":
            suppliers.append(empty_supplier())
        elif action == "remove_supplier":
            suppliers.pop(place[0])
        elif action == "add_service":
            suppliers[place[0]]["services"].append(empty_service())
        elif action == "remove_service":
            suppliers[place[0]]["services"].pop(place[1])
        elif action == "add_tier":
            suppliers[place[0]]["services"][place[1]]["tiers"].append(dict.fromkeys(TIER_FIELDS, ""))
        elif action == "remove_tier":
            suppliers[place[0]]["services"][place[1]]["tiers"].pop(place[2])
    except (ValueError, IndexError):
        pass  # a stale button (the row is already gone): the page simply comes back


def tables_of_draft(draft: dict[str, Any]) -> tuple[spreadsheet.Tables, dict[tuple[str, int], str]]:
    """The form as the workbook's tables, and where each row's fields are on the form (for the refusals)."""
    where: dict[tuple[str, int], str] = {("agreement", 1): ""}
    agreement = {**draft["agreement"], "methods": "、".join(draft["methods"])}
    tables = spreadsheet.Tables(agreement=[spreadsheet.Row(1, agreement)])
    for i, supplier in enumerate(draft["suppliers"]):
        code, number = supplier["values"]["supplier_id"].strip(), len(tables.suppliers) + 1
        tables.suppliers.append(spreadsheet.Row(number, {k: v.strip() for k, v in supplier["values"].items()}))
        where[("suppliers", number)] = f"suppliers.{i}."
        for j, service in enumerate(supplier["services"]):
            number = len(tables.services) + 1
            values = {k: v.strip() for k, v in service["values"].items()}
            tables.services.append(spreadsheet.Row(number, {**values, "supplier_id": code}))
            where[("services", number)] = f"suppliers.{i}.services.{j}."
            for t, tier in enumerate(service["tiers"]):
                number = len(tables.tiers) + 1
                tables.tiers.append(spreadsheet.Row(number, {**{k: v.strip() for k, v in tier.items()},
                                                             "supplier_id": code, "service_name": values["name"]}))
                where[("tiers", number)] = f"suppliers.{i}.services.{j}.discount_tiers.{t}."
    return tables, where


def check_draft(draft: dict[str, Any], categories: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The refusals of the row rules, beside the fields they concern (and the rest, for the summary)."""
    tables, where = tables_of_draft(draft)
    fields: dict[str, str] = {}
    rest: list[str] = []
    for problem in spreadsheet.check(tables, categories=categories, today=today_in_beijing()):
        derived = problem.table in ("services", "tiers") and problem.key in ("supplier_id", "service_name")
        if derived:
            continue  # the supplier's code and the service's name are typed once, above: refused there
        reason = re.sub(r"与第 \d+ 行重复", "重复了", problem.reason.replace("“品目代码”", "“品目”")
                        .replace("在「服务与价格」表中没有服务", "还没有服务"))  # the form has no row numbers
        prefix = where.get((problem.table, problem.row or 0))
        if prefix is None or not problem.key:
            rest.append(reason)
        else:
            fields.setdefault(prefix + problem.key, reason)
    if not draft["methods"]:
        fields["methods"] = "请至少选择一种第二阶段采购方式"
    return fields, rest


def today_in_beijing() -> Any:
    return datetime.now(timezone(timedelta(hours=8))).date()


async def _form_page(request: Request, viewer: Viewer, draft: dict[str, Any], *, status: int = 200,
                     error: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> Response:
    flat = await categories_of(request, viewer)
    return render(request, "agency/new.html", status=status, title="发布框架协议",
                  breadcrumbs=[("框架协议", "/agreements"), ("发布框架协议", None)], draft=draft, error=error,
                  errors=errors or {}, categories=category_options(flat), methods=METHOD_OPTIONS)


@router.get("/agreements/new")
async def new_agreement(request: Request) -> Response:
    viewer = require(request, "agency")
    return await _form_page(request, viewer, empty_draft())


@router.post("/agreements/new")
async def edit_agreement(request: Request) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    op = text(form, "op") or "preview"
    if op == "edit":  # 返回修改 from the preview: the body comes back into the form
        return await _form_page(request, viewer, draft_of_body(_body_of(form)))
    draft = draft_of_form(form)
    if op != "preview":
        apply_op(draft, op)
        return await _form_page(request, viewer, draft)
    flat = await categories_of(request, viewer)
    fields, rest = check_draft(draft, {c["code"]: c["name"] for c in flat})
    if fields or rest:
        count = len(fields) + len(rest)
        error = {"title": "请修改标红的内容", "message": f"共 {count} 处需要修改，修改后再点【预览】。",
                 "list": rest}
        return await _form_page(request, viewer, draft, status=422, error=error, errors=fields)
    tables, _ = tables_of_draft(draft)
    return await _preview(request, viewer, spreadsheet.build(tables, default_template=DEFAULT_TEMPLATE), "form")


# ── 核对入围结果 → 【发布】: the one call ─────────────────────────────────────────────────────────


def _body_of(form: FormData) -> dict[str, Any]:
    try:
        body = json.loads(str(form.get("body") or "{}"))
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


def _counts(body: dict[str, Any]) -> dict[str, int]:
    services = [x for s in body.get("suppliers") or [] for x in s.get("services") or []]
    return {"suppliers": len(body.get("suppliers") or []), "services": len(services),
            "tiers": sum(len(x.get("discount_tiers") or []) for x in services)}


async def _preview(request: Request, viewer: Viewer, body: dict[str, Any], source: str, *, status: int = 200,
                   error: dict[str, Any] | None = None) -> Response:
    flat = await categories_of(request, viewer)
    names = {c["code"]: c["name"] for c in flat}
    return render(request, "agency/preview.html", status=status, title="核对入围结果",
                  breadcrumbs=[("框架协议", "/agreements"),
                               ("发布框架协议" if source == "form" else "导入入围结果",
                                "/agreements/new" if source == "form" else "/agreements/import"),
                               ("核对入围结果", None)],
                  body=body, body_json=json.dumps(body, ensure_ascii=False), source=source, counts=_counts(body),
                  category_names=names, error=error,
                  methods_text="、".join(dict(METHOD_OPTIONS).get(m, m) for m in body.get("methods") or []))


@router.post("/agreements/publish")
async def publish_agreement(request: Request) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    body, source = _body_of(form), "import" if text(form, "source") == "import" else "form"
    ask = confirmation(request, form, question=f"确认发布框架协议“{body.get('name', '')}”？",
                       detail="发布后入围供应商即可上架服务，采购人即可在入围服务库中选用。协议内容发布后不能修改。",
                       action_label="确认发布")
    if ask is not None:
        return ask
    try:
        agreement = await gateway(request).post("/catalog/agreements", token=viewer.token, json=body)
    except ApiError as refused:
        if source == "form":
            return await _form_page(request, viewer, draft_of_body(body), status=422,
                                    error=refusal(refused, "框架协议未发布"), errors=refused_fields(refused))
        return await _preview(request, viewer, body, source, status=422, error=refusal(refused, "框架协议未发布"))
    return redirect(request, f"/agreements/{agreement['id']}",
                    flash=f"框架协议 {agreement['agreement_no']} 已发布，入围供应商 {len(agreement['suppliers'])} 家。")


# ── 导入入围结果: the workbook ────────────────────────────────────────────────────────────────────


def _import_page(request: Request, *, status: int = 200, problems: list[spreadsheet.Problem] | None = None,
                 filename: str = "", error: dict[str, Any] | None = None) -> Response:
    return render(request, "agency/import.html", status=status, title="导入入围结果",
                  breadcrumbs=[("框架协议", "/agreements"), ("导入入围结果", None)], problems=problems or [],
                  filename=filename, error=error, tables=spreadsheet.TABLES)


@router.get("/agreements/import")
async def import_page(request: Request) -> Response:
    require(request, "agency")
    return _import_page(request)


@router.get("/agreements/import/template.xlsx")
async def import_template(request: Request) -> Response:
    viewer = require(request, "agency")
    flat = await categories_of(request, viewer)
    data = spreadsheet.template((c["code"], c["name"]) for c in flat)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=\"agreement-template.xlsx\"; "
                                                    "filename*=UTF-8''%E5%85%A5%E5%9B%B4%E7%BB%93%E6%9E%9C"
                                                    "%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx",
                             "Cache-Control": "no-store"})


@router.post("/agreements/import")
async def import_workbook(request: Request) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    file = upload(form, "workbook")
    if file is None:
        return _import_page(request, status=422, error={
            "title": "请选择文件", "message": "请先选择填写好的入围结果工作簿（.xlsx），再点【导入】。"})
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _import_page(request, status=413, filename=file.filename or "", error={
            "title": "文件太大", "message": "工作簿不能超过 5 MB：请删去无关的工作表或图片后重新上传。"})
    flat = await categories_of(request, viewer)
    result = spreadsheet.read(data, categories={c["code"]: c["name"] for c in flat}, today=today_in_beijing(),
                              default_template=DEFAULT_TEMPLATE)
    if not result.ok:
        return _import_page(request, status=422, problems=result.problems, filename=file.filename or "")
    return await _preview(request, viewer, result.body or {}, "import")


# ── one agreement ────────────────────────────────────────────────────────────────────────────────


@router.get("/agreements/{agreement_id}")
async def agreement_page(request: Request, agreement_id: str) -> Response:
    viewer = require(request, "agency")
    agreement, flat, dimensions = await asyncio.gather(
        gateway(request).get(f"/catalog/agreements/{agreement_id}", token=viewer.token), categories_of(request, viewer),
        gateway(request).get("/orders/evaluation-dimensions", token=viewer.token, agreement_id=agreement_id))
    return render(request, "agency/agreement.html", title=agreement["name"],
                  breadcrumbs=[("框架协议", "/agreements"), (agreement["agreement_no"], None)],
                  agreement=agreement, suppliers=by_supplier(agreement),
                  category_names={c["code"]: c["name"] for c in flat}, dimensions=dimensions["dimensions"])


# ── 供应商管理: 暂停 / 恢复 ────────────────────────────────────────────────────────────────────────


@router.get("/suppliers")
async def suppliers(request: Request, agreement_id: str = "", status: str = "", q: str = "",
                    view: str = "") -> Response:
    viewer = require(request, "agency")
    listing = await gateway(request).get("/catalog/agreements", token=viewer.token, page_size=100)
    choices = [a for a in listing["items"] if a["status"] != "expired"] or listing["items"]
    chosen = agreement_id or (choices[0]["id"] if choices else "")
    if view == "clearing" and chosen:  # the menu's 清退管理: the chosen agreement's clearing screen
        return redirect(request, f"/suppliers/{chosen}/clearing")
    agreement = None
    rows: list[dict[str, Any]] = []
    if chosen:
        agreement = await gateway(request).get(f"/catalog/agreements/{chosen}", token=viewer.token)
        words = q.strip()
        rows = [s for s in by_supplier(agreement)
                if (not status or s["status"] == status)
                and (not words or words in s["name"] or words in s["supplier_id"])]
    return render(request, "agency/suppliers.html", title="供应商管理", breadcrumbs=[("供应商管理", None)],
                  choices=listing["items"], chosen=chosen, agreement=agreement, rows=rows,
                  filters={"agreement_id": chosen, "status": status, "q": q.strip()})


async def _supplier(request: Request, viewer: Viewer, agreement_id: str,
                    supplier_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    agreement = await gateway(request).get(f"/catalog/agreements/{agreement_id}", token=viewer.token)
    supplier = next((s for s in agreement["suppliers"] if s["supplier_id"] == supplier_id), None)
    if supplier is None:
        raise ApiError(404, "not_found", "该供应商不是此框架协议的入围供应商。")
    return agreement, supplier


def _suspend_page(request: Request, agreement: dict[str, Any], supplier: dict[str, Any], *, status: int = 200,
                  reason: str = "", errors: dict[str, str] | None = None,
                  error: dict[str, Any] | None = None) -> Response:
    return render(request, "agency/suspend.html", status=status, title="暂停入围供应商",
                  breadcrumbs=[("供应商管理", f"/suppliers?agreement_id={agreement['id']}"), ("暂停", None)],
                  agreement=agreement, supplier=supplier, reason=reason, errors=errors or {}, error=error)


@router.get("/suppliers/{agreement_id}/{supplier_id}/suspend")
async def suspend_page(request: Request, agreement_id: str, supplier_id: str) -> Response:
    viewer = require(request, "agency")
    agreement, supplier = await _supplier(request, viewer, agreement_id, supplier_id)
    return _suspend_page(request, agreement, supplier)


@router.post("/suppliers/{agreement_id}/{supplier_id}/suspend")
async def suspend(request: Request, agreement_id: str, supplier_id: str) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    reason = text(form, "reason")
    agreement, supplier = await _supplier(request, viewer, agreement_id, supplier_id)
    if not reason:
        return _suspend_page(request, agreement, supplier, status=422,
                             errors={"reason": "请填写暂停原因：供应商和采购人都会看到它"})
    ask = confirmation(request, form, question=f"确认暂停“{supplier['name']}”的入围资格？",
                       detail=f"暂停原因：{reason}。暂停后，该供应商在框架协议 {agreement['agreement_no']} 下的服务"
                              "不再向采购人提供，也不能参与新的报价，直到恢复。", action_label="确认暂停")
    if ask is not None:
        return ask
    try:
        await gateway(request).post(f"/catalog/agreements/{agreement_id}/suppliers/{supplier_id}/suspend",
                                    token=viewer.token, json={"reason": reason})
    except ApiError as refused:
        return _suspend_page(request, agreement, supplier, status=refused.status if refused.status < 500 else 503,
                             reason=reason, errors=refused_fields(refused), error=refusal(refused, "未能暂停"))
    return redirect(request, f"/suppliers?agreement_id={agreement_id}", flash=f"已暂停“{supplier['name']}”的入围资格。")


@router.post("/suppliers/{agreement_id}/{supplier_id}/reinstate")
async def reinstate(request: Request, agreement_id: str, supplier_id: str) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    agreement, supplier = await _supplier(request, viewer, agreement_id, supplier_id)
    ask = confirmation(request, form, question=f"确认恢复“{supplier['name']}”的入围资格？",
                       detail="恢复后，该供应商已上架的服务重新向采购人提供。", action_label="确认恢复")
    if ask is not None:
        return ask
    await gateway(request).post(f"/catalog/agreements/{agreement_id}/suppliers/{supplier_id}/reinstate",
                                token=viewer.token, json={"reason": text(form, "reason")})
    return redirect(request, f"/suppliers?agreement_id={agreement_id}", flash=f"已恢复“{supplier['name']}”的入围资格。")
