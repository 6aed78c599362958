"""计划管理 › 我的计划 (manual 1.1): the unit's purchase plans, 【录入计划】 with its lines, a plan with the
ledger of every line (预算, 已预留, 已成交, 已支付, 剩余), 编辑.

The plan form works without JavaScript: 【新增】 and 删除 are submit buttons (`op=add_line`,
`op=remove_line:N`) that post everything typed and get the same form back with one line more or less;
【保存】 (`op=save`, also what Enter does) sends the plan to the API. A refusal re-renders the form as typed,
with the API's sentence beside each field it concerns (`lines.0.quantity` → the quantity of line 1)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from web.format import BEIJING
from web.gateway import ApiError
from web.refusals import field_errors, summary
from web.render import checked_form, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()

PAGE_SIZE = 20
BASIC = ("name", "year", "filing_no", "funding_source", "contact_name", "contact_phone", "purchaser_address")
LINE = ("category_code", "item_name", "quantity", "unit", "budget_amount", "requirements")
LABELS = {
    "name": "计划名称", "year": "预算年度", "filing_no": "财政备案号", "funding_source": "资金来源",
    "contact_name": "联系人", "contact_phone": "联系电话", "purchaser_address": "采购单位地址",
    "category_code": "品目", "item_name": "明细名称", "quantity": "数量", "unit": "计量单位",
    "budget_amount": "预算金额", "requirements": "需求说明", "lines": "采购计划明细",
}
# What each field expects, said when the API's reason is not a sentence for a person.
EXPECTED = {
    "year": "预算年度须为 2000–2100 之间的四位年份",
    "filing_no": "财政备案号格式不正确，应形如 湘财采备〔2026〕00123 或 HNCZ-2026-00123",
    "contact_phone": "联系电话格式不正确，如 0731-84710001 或 13800000001",
    "category_code": "请从列表中选择品目",
    "quantity": "数量须为大于 0 的数字，至多三位小数",
    "budget_amount": "预算金额须为大于 0 的金额（元），至多两位小数，如 48600.00",
}
HINT = "温馨提示：采购计划信息录入前，请先在财政完成计划备案，确保信息合规有效。"
EMPTY = "还没有采购计划。请先在财政完成计划备案，再点击【录入计划】。"
_CATEGORY = re.compile(r"^C\d{2,8}$")


# ── what a plan shows ─────────────────────────────────────────────────────────────────────────────


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("0")


def usage(plan: dict[str, Any]) -> tuple[str, str]:
    """(badge style, label) of how far a plan is used — the plans API has no status of its own; this is
    what its amounts say: nothing held or awarded yet, some, or the whole budget."""
    reserved, consumed = _amount(plan.get("reserved_total")), _amount(plan.get("consumed_total"))
    if reserved == 0 and consumed == 0 and _amount(plan.get("spent_total")) == 0:
        return "draft", "未使用"
    if _amount(plan.get("remaining_total")) <= 0:
        return "accepted", "预算已用完"
    return "open", "执行中"


def line_used(line: dict[str, Any]) -> bool:
    return any(_amount(line.get(k)) > 0 for k in ("reserved_amount", "consumed_amount", "spent_amount"))


def this_year() -> int:
    return datetime.now(BEIJING).year


async def category_tree(request: Request, viewer: Viewer) -> list[tuple[str, str, int]]:
    """The 品目 tree as (code, name, depth), each parent before its children."""
    tree = await gateway(request).get("/catalog/categories", token=viewer.token)
    rows: list[tuple[str, str, int]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            rows.append((node["code"], node["name"], depth))
            walk(node.get("children") or [], depth + 1)
    walk(tree.get("items") or [], 0)
    return rows


async def category_options(request: Request, viewer: Viewer) -> list[tuple[str, str]]:
    """The options of a 品目 select: `C0806 会议服务`, children indented under their parent."""
    return [(code, "　" * depth + f"{code} {name}") for code, name, depth in await category_tree(request, viewer)]


# ── 我的计划 ──────────────────────────────────────────────────────────────────────────────────────


@router.get("/plans")
async def my_plans(request: Request, q: str = "", year: str = "", category: str = "", page: str = "1") -> Response:
    viewer = require(request, "purchaser")
    q = q.strip()[:100]
    year = year.strip() if re.fullmatch(r"\d{4}", year.strip()) else ""
    category = category if _CATEGORY.match(category) else ""
    number = int(page) if page.isdigit() and int(page) >= 1 else 1
    found, categories = await asyncio.gather(
        gateway(request).get("/plans", token=viewer.token, q=q, year=year, category=category, page=number,
                             page_size=PAGE_SIZE),
        category_options(request, viewer))
    plans = [{**p, "usage": usage(p)} for p in found["items"]]
    query = {k: v for k, v in {"q": q, "year": year, "category": category}.items() if v}
    return render(request, "plans/list.html", title="我的计划", breadcrumbs=[("计划管理", None), ("我的计划", None)],
                  plans=plans, total=found["total"], page=number, has_next=number * PAGE_SIZE < found["total"],
                  query=query, filters={"q": q, "year": year, "category": category}, categories=categories,
                  years=[str(y) for y in range(this_year() + 1, this_year() - 4, -1)], empty=EMPTY)


# ── the plan form: 录入计划 and 编辑 ────────────────────────────────────────────────────────────────


def blank_line() -> dict[str, str]:
    return {name: "" for name in ("id", *LINE)}


def read_form(form: FormData) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The basic info and the lines as typed (`lines.<n>.<field>`), lines in their order on the page."""
    basic = {name: text(form, name) for name in BASIC}
    rows: dict[int, dict[str, str]] = {}
    for key in form.keys():
        match = re.fullmatch(r"lines\.(\d+)\.(\w+)", key)
        if match and match[2] in ("id", *LINE):
            rows.setdefault(int(match[1]), blank_line())[match[2]] = text(form, key)
    return basic, [rows[n] for n in sorted(rows)]


def apply_op(op: str, lines: list[dict[str, str]]) -> tuple[list[dict[str, str]], int | None] | None:
    """【新增】 or 删除 of line N: the lines after it and the line to focus; None for 【保存】."""
    if op == "add_line":
        return [*lines, blank_line()], len(lines)
    if op.startswith("remove_line:") and op.split(":", 1)[1].isdigit():
        index = int(op.split(":", 1)[1])
        return [line for n, line in enumerate(lines) if n != index], None
    return None


def typed_fields(basic: dict[str, str], lines: list[dict[str, str]]) -> dict[str, str]:
    typed = dict(basic)
    for n, line in enumerate(lines):
        typed.update({f"lines.{n}.{k}": line[k] for k in LINE})
    return typed


def create_body(basic: dict[str, str], lines: list[dict[str, str]]) -> dict[str, Any]:
    return {**basic, "lines": [{k: line[k] for k in LINE} for line in lines]}


def patch_body(plan: dict[str, Any], basic: dict[str, str],
               lines: list[dict[str, str]]) -> tuple[dict[str, Any], dict[str, int]]:
    """The PATCH of a plan edited on the page, and where each of its lines is on the page
    (`add_lines.0` → row 2): kept lines are updated, new ones added, the missing ones removed."""
    known = {line["id"] for line in plan["lines"]}
    add: list[dict[str, str]] = []
    update: list[dict[str, str]] = []
    rows: dict[str, int] = {}
    for n, line in enumerate(lines):
        values = {k: line[k] for k in LINE}
        if line["id"] in known:
            rows[f"update_lines.{len(update)}"] = n
            update.append({"id": line["id"], **values})
        else:
            rows[f"add_lines.{len(add)}"] = n
            add.append(values)
    kept = {line["id"] for line in lines}
    body = {"expected_revision": plan["revision"], **basic, "add_lines": add, "update_lines": update,
            "remove_lines": [line["id"] for line in plan["lines"] if line["id"] not in kept]}
    return body, rows


def form_errors(error: ApiError, basic: dict[str, str], lines: list[dict[str, str]],
                rows: dict[str, int] | None = None, plan: dict[str, Any] | None = None) -> dict[str, str]:
    """The refusal beside the fields it concerns (see web.refusals)."""

    def rename(name: str) -> str | None:
        match = re.fullmatch(r"((?:add|update)_lines\.\d+)\.(\w+)", name)
        if match and rows is not None:
            return f"lines.{rows[match[1]]}.{match[2]}" if match[1] in rows else None
        return name

    errors = field_errors(error, labels=LABELS, typed=typed_fields(basic, lines), fallback=EXPECTED,
                          rename=rename, rules={"invalid_filing_no": "filing_no", "plan_in_use": "filing_no"})
    if error.code == "unknown_category":
        errors.update({f"lines.{n}.category_code": error.message for n, line in enumerate(lines)
                       if line["category_code"] and line["category_code"] in error.message})
    if error.code in ("budget_below_committed", "budget_below_spent") and plan:
        by_id = {line["id"]: line for line in plan["lines"]}
        for n, line in enumerate(lines):
            old = by_id.get(line["id"])
            floor = _amount(old["reserved_amount"]) + _amount(old["consumed_amount"]) if old else Decimal(0)
            if old and (_amount(line["budget_amount"]) < floor
                        or _amount(line["budget_amount"]) < _amount(old["spent_amount"])):
                errors[f"lines.{n}.budget_amount"] = error.message
    if "lines" in errors and not lines:
        errors["lines"] = "请点击【新增】至少填写一条采购计划明细"
    return errors


def where(name: str) -> str:
    """Where a refused field is, for the summary above the form: `lines.1.quantity` → （第 2 条明细）."""
    match = re.fullmatch(r"lines\.(\d+)\.\w+", name)
    return f"（第 {int(match[1]) + 1} 条明细）" if match else ""


def refused(error: ApiError, errors: dict[str, str]) -> dict[str, Any]:
    return summary(error, errors, title="未能保存，请按下列提示修改", where=where)


async def form_page(request: Request, viewer: Viewer, *, basic: dict[str, str], lines: list[dict[str, str]],
                    plan: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                    error: dict[str, Any] | None = None, focus: int | None = None, status: int = 200) -> Response:
    editing = plan is not None
    title = "编辑计划" if editing else "录入计划"
    crumbs = [("计划管理", None), ("我的计划", "/plans")]
    if editing:
        crumbs.append((plan["name"], f"/plans/{plan['id']}"))
    used = {line["id"]: line for line in (plan or {}).get("lines", []) if line_used(line)}
    return render(request, "plans/form.html", status=status, title=title, breadcrumbs=[*crumbs, (title, None)],
                  plan=plan, basic=basic, lines=lines, used=used, errors=errors or {}, error=error, focus=focus,
                  categories=await category_options(request, viewer), hint=HINT,
                  action=f"/plans/{plan['id']}/edit" if editing else "/plans/new")


@router.get("/plans/new")
async def new_plan_form(request: Request) -> Response:
    viewer = require(request, "purchaser")
    me = await gateway(request).get("/me", token=viewer.token)
    basic = {name: "" for name in BASIC} | {
        "year": str(this_year()), "contact_name": me.get("org_contact_name") or "",
        "contact_phone": me.get("org_contact_phone") or "", "purchaser_address": me.get("org_address") or ""}
    return await form_page(request, viewer, basic=basic, lines=[blank_line()])


@router.post("/plans/new")
async def enter_plan(request: Request) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    basic, lines = read_form(form)
    moved = apply_op(text(form, "op"), lines)
    if moved is not None:
        return await form_page(request, viewer, basic=basic, lines=moved[0], focus=moved[1])
    try:
        plan = await gateway(request).post("/plans", token=viewer.token, json=create_body(basic, lines))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        errors = form_errors(exc, basic, lines)
        return await form_page(request, viewer, basic=basic, lines=lines, errors=errors, error=refused(exc, errors),
                               status=422)
    return redirect(request, f"/plans/{plan['id']}", flash=f"采购计划已保存，计划编号 {plan['plan_no']}")


async def _plan(request: Request, viewer: Viewer, plan_id: str) -> dict[str, Any]:
    return await gateway(request).get(f"/plans/{plan_id}", token=viewer.token)


@router.get("/plans/{plan_id}/edit")
async def edit_plan_form(request: Request, plan_id: str) -> Response:
    viewer = require(request, "purchaser")
    plan = await _plan(request, viewer, plan_id)
    basic = {name: str(plan.get(name) or "") for name in BASIC}
    lines = [{"id": line["id"], **{k: str(line.get(k) or "") for k in LINE}} for line in plan["lines"]]
    return await form_page(request, viewer, basic=basic, lines=lines, plan=plan)


@router.post("/plans/{plan_id}/edit")
async def edit_plan(request: Request, plan_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    plan = await _plan(request, viewer, plan_id)
    basic, lines = read_form(form)
    moved = apply_op(text(form, "op"), lines)
    if moved is not None:
        return await form_page(request, viewer, basic=basic, lines=moved[0], plan=plan, focus=moved[1])
    revision = text(form, "revision")
    if revision.isdigit():
        plan = {**plan, "revision": int(revision)}  # the revision the person edited: a change since is refused
    body, rows = patch_body(plan, basic, lines)
    try:
        saved = await gateway(request).call("PATCH", f"/plans/{plan_id}", token=viewer.token, json=body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        errors = form_errors(exc, basic, lines, rows, plan)
        return await form_page(request, viewer, basic=basic, lines=lines, plan=plan, status=422, errors=errors,
                               error=refused(exc, errors))
    return redirect(request, f"/plans/{plan_id}", flash=f"采购计划已修改（第 {saved['revision']} 版）")


# ── one plan and its ledger ──────────────────────────────────────────────────────────────────────


@router.get("/plans/{plan_id}")
async def plan_page(request: Request, plan_id: str) -> Response:
    viewer = require(request, "purchaser")
    plan, tree = await asyncio.gather(_plan(request, viewer, plan_id), category_tree(request, viewer))
    line_no = {line["id"]: line["line_no"] for line in plan["lines"]}
    projects: dict[str, dict[str, Any]] = {}
    if plan.get("reservations"):  # the projects holding money on the plan, by name rather than by id
        found = await gateway(request).get("/projects", token=viewer.token, limit=200)
        projects = {p["id"]: p for p in found.get("items") or []}
    reservations = [{**r, "line_no": line_no.get(r["line_id"]), "project": projects.get(r["project_id"])}
                    for r in plan.get("reservations") or []]
    return render(request, "plans/detail.html", title=plan["name"],
                  breadcrumbs=[("计划管理", None), ("我的计划", "/plans"), (plan["plan_no"], None)],
                  plan=plan, usage=usage(plan), reservations=reservations,
                  category_names={code: name for code, name, _ in tree})
