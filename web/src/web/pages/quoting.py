"""待报价项目 (supplier): the projects it is invited to, each with its own ceiling (最高限价) and the time
left; the project page with 【报价】 (and revise: the latest counts), its own quotes only, and 【拒绝】 with a
reason for a direct selection. A quote above the ceiling is refused by the API: the sentence stands at
the amount field and nothing is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web import refusals
from web.gateway import ApiError
from web.pages.projects import STATUS_OPTIONS, ReasonedStep, reasoned
from web.render import checked_form, error_summary, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()

PAGE_SIZE = 20
AMOUNT_CODES = {"above_ceiling": "amount", "invalid_amount": "amount", "service_required": "service_id",
                "service_not_listed": "service_id", "window_closed": "amount", "window_not_open": "amount"}
LABELS = {"amount": "报价金额", "service_id": "报价服务", "note": "报价说明", "reason": "拒绝原因"}
FALLBACK = {"amount": "请填写报价金额：大于 0、最多两位小数的数字（元）"}


def my_ceiling(project: dict[str, Any]) -> str | None:
    """The most this supplier may quote here: its service's ceiling (the highest, when it lists several)."""
    ceilings = [s["ceiling_amount"] for s in project.get("my_services") or []]
    return max(ceilings, key=float) if ceilings else project.get("ceiling_amount")


def can_quote(project: dict[str, Any]) -> bool:
    if project["status"] != "quoting":
        return False
    return project.get("window") in (None, "open")


def _crumbs(project: dict[str, Any] | None = None, *tail: tuple[str, str]) -> list[tuple[str, str]]:
    crumbs = [("项目", ""), ("待报价项目", "/quoting")]
    if project:
        crumbs.append((project["name"], f"/quoting/{project['id']}"))
    return crumbs + list(tail)


@router.get("/quoting")
async def quoting_list(request: Request, status: str = "", page: int = 1) -> Response:
    viewer = require(request, "supplier")
    status = status if status in dict(STATUS_OPTIONS) else ""
    page = max(page, 1)
    api = gateway(request)
    answer = await api.get("/projects", token=viewer.token, status=status, limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE)
    # The list does not carry this supplier's own ceiling: each project's page does.
    rows = await asyncio.gather(*(api.get(f"/projects/{p['id']}", token=viewer.token) for p in answer["items"]))
    rows = [{**p, "my_ceiling": my_ceiling(p), "can_quote": can_quote(p)} for p in rows]
    return render(request, "quoting/list.html", title="待报价项目", breadcrumbs=[("项目", ""), ("待报价项目", "")],
                  rows=rows, chosen=status, statuses=[s for s in STATUS_OPTIONS if s[0] != "draft"],
                  total=answer["total"], page=page, has_next=page * PAGE_SIZE < answer["total"],
                  query={"status": status})


async def _page(request: Request, viewer: Viewer, project_id: str, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, error: dict[str, Any] | None = None,
                status: int = 200) -> Response:
    api = gateway(request)
    project, quotes = await asyncio.gather(api.get(f"/projects/{project_id}", token=viewer.token),
                                           api.get(f"/projects/{project_id}/quotes", token=viewer.token))
    mine = project.get("my_quote")
    values = values or {"amount": "", "service_id": (mine or {}).get("service_id", ""), "note": ""}
    services = project.get("my_services") or []
    return render(request, "quoting/detail.html", status=status, title=project["name"], breadcrumbs=_crumbs(project),
                  project=project, quotes=quotes["quotes"], mine=mine, services=services,
                  service_options=[(s["service_id"], f"{s['name']}（最高限价 {s['ceiling_amount']} 元）") for s in services],
                  ceiling=my_ceiling(project), can_quote=can_quote(project), values=values, errors=errors or {},
                  error=error, refresh=project["status"] == "scheduled" or (
                      project["status"] == "quoting" and project.get("window") == "ended"))


@router.get("/quoting/{project_id}")
async def quoting_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    return await _page(request, viewer, project_id)


@router.post("/quoting/{project_id}/quote")
async def submit_quote(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    values = {"amount": text(form, "amount"), "service_id": text(form, "service_id"), "note": text(form, "note")}
    if not values["amount"]:
        return await _page(request, viewer, project_id, values=values, errors={"amount": "请填写报价金额"}, status=422)
    body: dict[str, Any] = {"amount": values["amount"], "note": values["note"]}
    if values["service_id"]:
        body["service_id"] = values["service_id"]
    try:
        quote = await gateway(request).post(f"/projects/{project_id}/quotes", token=viewer.token, json=body)
    except ApiError as exc:
        if exc.status == 404:
            raise
        errors = refusals.field_errors(exc, labels=LABELS, typed=values, fallback=FALLBACK, rules=AMOUNT_CODES)
        return await _page(request, viewer, project_id, values=values, errors=errors, error=error_summary(exc),
                           status=422)
    done = "报价已提交" if quote["revision"] == 1 else f"报价已修改（第 {quote['revision']} 次报价），以最后一次报价为准"
    return redirect(request, f"/quoting/{project_id}", flash=f"{done}：{quote['amount']} 元。")


@router.get("/quoting/{project_id}/decline")
async def decline_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    project = await gateway(request).get(f"/projects/{project_id}", token=viewer.token)
    return render(request, "quoting/decline.html", title="拒绝报价", breadcrumbs=_crumbs(project, ("拒绝", "")),
                  project=project, reason="", errors={}, error=None)


@router.post("/quoting/{project_id}/decline")
async def decline(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    project = await gateway(request).get(f"/projects/{project_id}", token=viewer.token)
    return await reasoned(request, form, viewer, project, _crumbs(project, ("拒绝", "")), ReasonedStep(
        template="quoting/decline.html", title="拒绝报价", api_path=f"/projects/{project_id}/decline",
        question=f"确认拒绝项目“{project['name']}”？", detail="拒绝原因：{reason}。拒绝后该项目失败，不能再报价。",
        action_label="确认拒绝", done_url=f"/quoting/{project_id}", flash="已拒绝该项目。", missing="请填写拒绝原因"))
