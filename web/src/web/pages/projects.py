"""项目管理 (purchaser): 直接选定项目 and 二次竞价项目管理（服务类）.

- the list of the unit's projects by method, with the manual's buttons by state;
- 【新增项目】: choose the 品目, then the agreement, the plan line and the requirements → 【保存】 (草稿); edit a draft;
- 【发布】: 竞价开始时间 and 竞价时长, 预览公告 exactly as it will be published, then 发布 (asked first);
- the project page: status, funds, the window with its countdown, links to the announcements and the order;
  【终止项目】 with a reason; 【确认成交结果】: every quote, its time, the proposed winner, then confirm."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from web.format import from_local_input
from web import refusals, texts
from web.gateway import ApiError
from web.pages.records import PAGE_SIZE, Filter, search
from web.render import checked_form, confirmation, error_summary, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()


METHODS = {"secondary_bidding": "二次竞价项目管理（服务类）", "direct_selection": "直接选定项目",
           "rotation": "顺序轮候项目"}
STATUS_OPTIONS = [("draft", "草稿"), ("scheduled", "待开始"), ("quoting", "项目报价中"),
                  ("awaiting_confirmation", "结果待确认"), ("succeeded", "项目成功"), ("terminated", "项目终止"),
                  ("failed", "项目失败")]
OPEN_STATUSES = ("draft", "scheduled", "quoting", "awaiting_confirmation")  # 终止项目 is possible
UNITS = [("60", "分钟"), ("3600", "小时"), ("86400", "天"), ("1", "秒")]
UNIT_NAMES = {"86400": "天", "3600": "小时", "60": "分钟", "1": "秒"}

# A refusal that names no field, placed beside the field it concerns.
FIELD_OF_CODE = {
    "quantity_above_plan": "quantity", "invalid_quantity": "quantity",
    "category_mismatch": "plan_line", "unknown_plan": "plan_line", "unknown_plan_line": "plan_line",
    "unknown_agreement": "agreement_id", "agreement_not_valid": "agreement_id",
    "start_in_past": "starts_at", "invalid_duration": "duration", "ends_after_agreement": "duration",
}
FORM_FIELDS = ("name", "agreement_id", "quantity", "requirements", "contact_name", "contact_phone", "office_phone",
               "price_limit")


# --- pure helpers ------------------------------------------------------------------------------------------

def span_text(seconds: int | None) -> str:
    """3600 → 1 小时; 5400 → 1 小时 30 分钟; 150 → 2 分钟 30 秒: a window's length as a person says it."""
    if not seconds:
        return "—"
    parts, left = [], seconds
    for size, unit in ((86400, "天"), (3600, "小时"), (60, "分钟"), (1, "秒")):
        if left >= size:
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts)


def best_unit(seconds: int) -> tuple[str, str]:
    """(number, unit in seconds) for the duration inputs: 1800 → ("30", "60")."""
    for size in (86400, 3600, 60):
        if seconds % size == 0:
            return str(seconds // size), str(size)
    return str(seconds), "1"


def duration_seconds(number: str, unit: str) -> int | None:
    try:
        value, size = int(number), int(unit)
    except ValueError:
        return None
    return value * size if value > 0 and str(size) in UNIT_NAMES else None


def window_minimum(details: dict[str, Any]) -> int | None:
    """The shortest window the platform allows, read from a default preview (its start and end)."""
    try:
        start, end = (datetime.strptime(str(details[k])[:19], "%Y-%m-%d %H:%M:%S") for k in ("starts_at", "ends_at"))
    except (KeyError, ValueError):
        return None
    return int((end - start).total_seconds())


AT_ONCE = 120
"""The input has no seconds: a start typed as this minute or the one before (the time it takes to preview
and publish) means "at once"; earlier than that is refused by the platform (不得早于当前时间)."""


def start_of(value: str, now: datetime) -> tuple[datetime | None, bool]:
    """The 竞价开始时间 typed (北京时间, to the minute) → (UTC start, or None for "at once"; understood)."""
    if not value:
        return None, True
    start = from_local_input(value)
    if start is None:
        return None, False
    if start <= now and (now - start).total_seconds() < AT_ONCE:
        return None, True
    return start, True


def flatten_categories(nodes: list[dict[str, Any]], depth: int = 0) -> list[tuple[str, str]]:
    """The category tree as select options, indented; only categories with offered services."""
    options: list[tuple[str, str]] = []
    for node in nodes:
        if node.get("offered_services"):
            options.append((node["code"], "　" * depth + f"{node['code']} {node['name']}（{node['offered_services']} 项服务）"))
        options.extend(flatten_categories(node.get("children") or [], depth + 1))
    return options


def category_name(nodes: list[dict[str, Any]], code: str) -> str:
    for node in nodes:
        if node["code"] == code:
            return node["name"]
        found = category_name(node.get("children") or [], code)
        if found:
            return found
    return ""


def buttons_for(project: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The manual's buttons of a project row by state: (label, href, style)."""
    pid, status = project["id"], project["status"]
    out = [("查看", f"/projects/{pid}", "")]
    if status == "draft":
        out += [("编辑", f"/projects/{pid}/edit", ""), ("发布", f"/projects/{pid}/publish", "primary")]
    if status == "awaiting_confirmation":
        out.append(("确认成交结果", f"/projects/{pid}/result", "primary"))
    if project.get("procurement_announcement_id"):
        out.append(("采购公告", f"/announcements/{project['procurement_announcement_id']}", ""))
    if project.get("award_announcement_id"):
        out.append(("成交结果公告", f"/announcements/{project['award_announcement_id']}", ""))
    if status in OPEN_STATUSES:
        out.append(("终止项目", f"/projects/{pid}/terminate", "danger"))
    return out


def expects_change(project: dict[str, Any]) -> bool:
    """Whether the status is about to change by itself (the page reloads): funds awaited, the window about
    to open, or ended while the close is being recorded."""
    if project["status"] == "scheduled":
        return True
    return project["status"] == "quoting" and project.get("window") == "ended"


LABELS = {"name": "项目名称", "agreement_id": "框架协议", "plan_line": "采购计划明细", "plan_id": "采购计划明细",
          "plan_line_id": "采购计划明细", "quantity": "采购数量", "requirements": "竞价需求", "price_limit": "最高限价",
          "contact_name": "联系人", "contact_phone": "联系电话", "office_phone": "办公电话", "reason": "原因",
          "category_code": "采购品目", "starts_at": "竞价开始时间", "duration_seconds": "竞价时长"}
FALLBACK = {"contact_phone": "请填写 11 位手机号码", "office_phone": "办公电话只能包含数字、空格、“+”和“-”，7–20 位",
            "quantity": "请填写大于 0 的数量", "price_limit": "请填写大于 0 的金额（元，最多两位小数）"}
RENAME = {"plan_id": "plan_line", "plan_line_id": "plan_line", "duration_seconds": "duration"}


def field_errors(error: ApiError, typed: dict[str, str] | None = None) -> dict[str, str]:
    """{form field: the Chinese sentence beside it} for a refusal of these forms."""
    return refusals.field_errors(error, labels=LABELS, typed=typed or {}, fallback=FALLBACK,
                                 rename=lambda name: RENAME.get(name, name), rules=FIELD_OF_CODE)


# --- reads ---------------------------------------------------------------------------------------------------

async def _project(request: Request, viewer: Viewer, project_id: str) -> dict[str, Any]:
    return await gateway(request).get(f"/projects/{project_id}", token=viewer.token)


def _crumbs(project: dict[str, Any] | None = None, *tail: tuple[str, str]) -> list[tuple[str, str]]:
    method = (project or {}).get("method", "secondary_bidding")
    crumbs = [("项目管理", ""), (METHODS.get(method, "项目"), f"/projects?method={method}")]
    if project:
        crumbs.append((project["name"], f"/projects/{project['id']}"))
    return crumbs + list(tail)


@router.get("/projects")
async def project_list(request: Request, method: str = "secondary_bidding", status: str = "", q: str = "",
                       since: str = "", until: str = "", page: int = 1) -> Response:
    viewer = require(request, "purchaser")
    method = method if method in METHODS else "secondary_bidding"
    status = status if status in dict(STATUS_OPTIONS) else ""
    page = min(max(page, 1), 10_000)
    filters = Filter.of(q, since, until)
    items, total = await search(request, viewer, "/projects", {"method": method, "status": status}, filters,
                                page=page, fields=("name", "project_no", "item_name", "supplier_name"),
                                date_field="created_at")
    rows = [{**p, "buttons": buttons_for(p)} for p in items]
    return render(request, "projects/list.html", title=METHODS[method], breadcrumbs=[("项目管理", ""),
                  (METHODS[method], "")], method=method, chosen=status, statuses=STATUS_OPTIONS, rows=rows,
                  total=total, page=page, has_next=page * PAGE_SIZE < total, q=filters.q, since=filters.since,
                  until=filters.until, filtered=bool(filters),
                  query={k: v for k, v in {"method": method, "status": status, **filters.query()}.items() if v})


# --- 新增项目 / 保存 / 编辑 ------------------------------------------------------------------------------------

async def _choices(request: Request, viewer: Viewer, category: str) -> dict[str, Any]:
    """The category options, and for a chosen category the agreements and plan lines that fit it."""
    api = gateway(request)
    tree = (await api.get("/catalog/categories", token=viewer.token))["items"]
    out: dict[str, Any] = {"categories": flatten_categories(tree), "category": category,
                           "category_name": category_name(tree, category) if category else "",
                           "agreements": [], "plan_lines": []}
    if not category:
        return out
    root = category[:3]
    agreements, plans = await asyncio.gather(
        api.get("/catalog/agreements", token=viewer.token, category=root, status="active", page_size=100),
        api.get("/plans", token=viewer.token, category=root, page_size=50))
    usable = [a for a in agreements["items"] if any(m["code"] == "secondary_bidding" for m in a.get("methods", []))]
    covering, details = await asyncio.gather(  # the list does not say each agreement's category: its page does
        asyncio.gather(*(api.get(f"/catalog/agreements/{a['id']}", token=viewer.token) for a in usable)),
        asyncio.gather(*(api.get(f"/plans/{p['id']}", token=viewer.token) for p in plans["items"])))
    out["agreements"] = [(a["id"], f"{a['agreement_no']} {a['name']}（有效期至 {a['valid_to']}）")
                         for a in covering if category.startswith(a["category_code"])]
    out["plan_lines"] = [
        (f"{plan['id']}:{line['id']}",
         f"{plan['plan_no']} {plan['name']} — 第 {line['line_no']} 行 {line['item_name']}，{line['quantity']} {line['unit']}，"
         f"可用 {line['remaining_amount']} 元")
        for plan in details for line in plan["lines"] if category.startswith(line["category_code"])]
    return out


def _values_of(form: FormData) -> dict[str, str]:
    values = {name: text(form, name) for name in FORM_FIELDS}
    values["plan_line"] = text(form, "plan_line")
    values["category_code"] = text(form, "category_code")
    return values


def _body_of(values: dict[str, str], *, patch: bool = False) -> dict[str, Any]:
    plan_id, _, line_id = values["plan_line"].partition(":")
    body: dict[str, Any] = {k: values[k] for k in FORM_FIELDS if k != "price_limit"}
    body.update(category_code=values["category_code"], plan_id=plan_id, plan_line_id=line_id,
                price_limit=values["price_limit"] or None)
    if not body["quantity"]:
        body.pop("quantity")
    if not patch and body["price_limit"] is None:
        body.pop("price_limit")
    return body


@router.get("/projects/secondary-bidding/new")
async def new_project(request: Request, category: str = "") -> Response:
    viewer = require(request, "purchaser")
    choices = await _choices(request, viewer, category.strip())
    return render(request, "projects/form.html", title="新增项目", breadcrumbs=_crumbs(None, ("新增项目", "")),
                  action="/projects/secondary-bidding/new", values={"category_code": category}, errors={},
                  error=None, project=None, **choices)


@router.post("/projects/secondary-bidding/new")
async def save_new_project(request: Request) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = _values_of(form)
    try:
        project = await gateway(request).post("/projects/secondary-biddings", token=viewer.token,
                                              json=_body_of(values))
    except ApiError as exc:
        choices = await _choices(request, viewer, values["category_code"])
        return render(request, "projects/form.html", status=422, title="新增项目",
                      breadcrumbs=_crumbs(None, ("新增项目", "")), action="/projects/secondary-bidding/new",
                      values=values, errors=field_errors(exc, values), error=error_summary(exc), project=None, **choices)
    return redirect(request, "/projects?method=secondary_bidding",
                    flash=f"项目“{project['name']}”已保存为草稿，可在列表中点击【发布】。")


@router.get("/projects/{project_id}/edit")
async def edit_project(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    project = await _project(request, viewer, project_id)
    values = {k: ("" if project.get(k) is None else str(project.get(k))) for k in FORM_FIELDS}
    values.update(category_code=project["category_code"], plan_line=f"{project['plan_id']}:{project['plan_line_id']}")
    choices = await _choices(request, viewer, project["category_code"])
    return render(request, "projects/form.html", title="编辑项目", breadcrumbs=_crumbs(project, ("编辑", "")),
                  action=f"/projects/{project_id}/edit", values=values, errors={}, error=None, project=project,
                  **choices)


@router.post("/projects/{project_id}/edit")
async def save_project(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = _values_of(form)
    try:
        await gateway(request).call("PATCH", f"/projects/{project_id}", token=viewer.token,
                                    json=_body_of(values, patch=True))
    except ApiError as exc:
        if exc.status == 404:
            raise
        project = await _project(request, viewer, project_id)
        choices = await _choices(request, viewer, values["category_code"])
        return render(request, "projects/form.html", status=422, title="编辑项目",
                      breadcrumbs=_crumbs(project, ("编辑", "")), action=f"/projects/{project_id}/edit",
                      values=values, errors=field_errors(exc, values), error=error_summary(exc), project=project, **choices)
    return redirect(request, "/projects?method=secondary_bidding", flash="草稿已保存。")


# --- 发布: 竞价开始时间, 竞价时长, 预览公告 -------------------------------------------------------------------

def _window_body(values: dict[str, str], now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """The window the form asks for, as the API takes it, and what the form got wrong."""
    errors: dict[str, str] = {}
    starts_at, understood = start_of(values["starts_at"], now)
    if not understood:
        errors["starts_at"] = "请按“年-月-日 时:分”填写竞价开始时间（北京时间）。"
    seconds = duration_seconds(values["duration"], values["duration_unit"])
    if seconds is None:
        errors["duration"] = "请填写竞价时长（大于 0 的整数）并选择单位。"
    body: dict[str, Any] = {"duration_seconds": seconds}
    if starts_at is not None:
        body["starts_at"] = starts_at.isoformat()
    return body, errors


async def _publish_page(request: Request, viewer: Viewer, project: dict[str, Any], *, values: dict[str, str] | None,
                        preview: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                        error: dict[str, Any] | None = None, status: int = 200) -> Response:
    minimum, default_error = None, None
    try:
        default = await gateway(request).post(f"/projects/{project['id']}/announcement-preview", token=viewer.token,
                                              json={})
        minimum = window_minimum(default["details"])
    except ApiError as exc:
        if exc.status == 404:
            raise
        default_error = error_summary(exc)
    if values is None:
        number, unit = best_unit(minimum or 1800)
        values = {"starts_at": "", "duration": number, "duration_unit": unit}
    return render(request, "projects/publish.html", status=status, title="发布项目",
                  breadcrumbs=_crumbs(project, ("发布", "")), project=project, values=values, units=UNITS,
                  minimum=span_text(minimum) if minimum else None, preview=preview, errors=errors or {},
                  error=error or default_error)


@router.get("/projects/{project_id}/publish")
async def publish_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    project = await _project(request, viewer, project_id)
    return await _publish_page(request, viewer, project, values=None)


def _window_values(form: FormData) -> dict[str, str]:
    return {"starts_at": text(form, "starts_at"), "duration": text(form, "duration"),
            "duration_unit": text(form, "duration_unit") or "60"}


@router.post("/projects/{project_id}/publish")
async def publish(request: Request, project_id: str) -> Response:
    """Both buttons of the publish page: 预览公告 (renders the announcement) and 发布 (asked first)."""
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = _window_values(form)
    project = await _project(request, viewer, project_id)
    body, errors = _window_body(values, datetime.now(timezone.utc))
    if errors:
        return await _publish_page(request, viewer, project, values=values, errors=errors, status=422)
    api = gateway(request)
    if text(form, "step") != "publish":
        try:
            preview = await api.post(f"/projects/{project_id}/announcement-preview", token=viewer.token, json=body)
        except ApiError as exc:
            return await _publish_page(request, viewer, project, values=values, errors=field_errors(exc),
                                       error=error_summary(exc), status=422)
        return await _publish_page(request, viewer, project, values=values, preview=preview)
    asked = confirmation(request, form, question="确认发布该项目？",
                         detail="发布后将公开发布二次竞价采购公告并通知入围供应商，竞价开始后不能修改。",
                         action_label="确认发布")
    if asked:
        return asked
    try:
        await api.post(f"/projects/{project_id}/publish", token=viewer.token, json=body)
    except ApiError as exc:
        if exc.status == 404:
            raise
        return await _publish_page(request, viewer, project, values=values, errors=field_errors(exc),
                                   error=error_summary(exc), status=422)
    return redirect(request, f"/projects/{project_id}", flash="项目已发布，二次竞价采购公告已发布。")


# --- 查看项目 ---------------------------------------------------------------------------------------------------

async def _order_of(request: Request, viewer: Viewer, project_id: str) -> dict[str, Any] | None:
    try:
        orders = await gateway(request).get("/orders", token=viewer.token, limit=200)
    except ApiError:
        return None
    return next((o for o in orders.get("items", []) if o.get("project_id") == project_id), None)


@router.get("/projects/{project_id}")
async def project_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    project = await _project(request, viewer, project_id)
    order = await _order_of(request, viewer, project_id) if project["status"] == "succeeded" else None
    return render(request, "projects/detail.html", title=project["name"], breadcrumbs=_crumbs(project),
                  project=project, buttons=buttons_for(project), order=order, refresh=expects_change(project),
                  duration=span_text(project.get("duration_seconds")))


# --- 终止项目 ---------------------------------------------------------------------------------------------------

@router.get("/projects/{project_id}/terminate")
async def terminate_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    project = await _project(request, viewer, project_id)
    return render(request, "projects/terminate.html", title="终止项目", breadcrumbs=_crumbs(project, ("终止项目", "")),
                  project=project, reason="", errors={}, error=None)


@dataclass(frozen=True)
class ReasonedStep:
    """A step that needs a reason and is asked first (终止项目, 拒绝): its page, its question, its call."""

    template: str
    title: str
    api_path: str
    question: str
    detail: str
    action_label: str
    done_url: str
    flash: str
    missing: str


async def reasoned(request: Request, form: FormData, viewer: Viewer, project: dict[str, Any],
                   crumbs: list[tuple[str, str]], step: ReasonedStep) -> Response:
    """The reason required (beside the field), the question asked, one call, then back with a flash."""
    reason = text(form, "reason")

    def again(errors: dict[str, str], error: dict[str, Any] | None) -> Response:
        return render(request, step.template, status=422, title=step.title, breadcrumbs=crumbs, project=project,
                      reason=reason, errors=errors, error=error)

    if not reason:
        return again({"reason": step.missing}, None)
    asked = confirmation(request, form, question=step.question, detail=step.detail.format(reason=reason),
                         action_label=step.action_label)
    if asked:
        return asked
    try:
        await gateway(request).post(step.api_path, token=viewer.token, json={"reason": reason})
    except ApiError as exc:
        if exc.status == 404:
            raise
        return again(field_errors(exc, {"reason": reason}), error_summary(exc))
    return redirect(request, step.done_url, flash=step.flash)


@router.post("/projects/{project_id}/terminate")
async def terminate(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    project = await _project(request, viewer, project_id)
    return await reasoned(request, form, viewer, project, _crumbs(project, ("终止项目", "")), ReasonedStep(
        template="projects/terminate.html", title="终止项目", api_path=f"/projects/{project_id}/terminate",
        question=f"确认终止项目“{project['name']}”？", detail="终止原因：{reason}。终止后不能恢复，计划中预留的资金将退回。",
        action_label="确认终止", done_url=f"/projects/{project_id}", flash="项目已终止。", missing="请填写终止原因"))


# --- 确认成交结果 -----------------------------------------------------------------------------------------------

@router.get("/projects/{project_id}/result")
async def result_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    project = await _project(request, viewer, project_id)
    quotes, sealed = None, None
    try:
        quotes = await gateway(request).get(f"/projects/{project_id}/quotes", token=viewer.token)
    except ApiError as exc:
        if exc.code != "quotes_sealed":
            raise
        sealed = {"message": exc.message if refusals.chinese(exc.message) else texts.error_text(exc.code)}
    return render(request, "projects/result.html", title="确认成交结果",
                  breadcrumbs=_crumbs(project, ("确认成交结果", "")), project=project, quotes=quotes, sealed=sealed,
                  error=None, refresh=expects_change(project))


@router.post("/projects/{project_id}/result")
async def confirm_result(request: Request, project_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    asked = confirmation(request, form, question="确认成交结果？",
                         detail="确认后将自动发布单笔成交结果公告并生成订单，不能撤销。", action_label="确认")
    if asked:
        return asked
    quote_id = text(form, "quote_id")
    try:
        await gateway(request).post(f"/projects/{project_id}/confirm-result", token=viewer.token,
                                    json={"quote_id": quote_id} if quote_id else {})
    except ApiError as exc:
        if exc.status == 404:
            raise
        project = await _project(request, viewer, project_id)
        try:
            quotes = await gateway(request).get(f"/projects/{project_id}/quotes", token=viewer.token)
        except ApiError:
            quotes = None
        return render(request, "projects/result.html", status=422, title="确认成交结果",
                      breadcrumbs=_crumbs(project, ("确认成交结果", "")), project=project, quotes=quotes, sealed=None,
                      error=error_summary(exc), refresh=False)
    return redirect(request, f"/projects/{project_id}", flash="已确认成交结果，单笔成交结果公告已发布")
