"""顺序轮候 (rotation) and 清退 (clearing):

- the purchaser's 顺序轮候项目: 【新增轮候项目】 (the agreement allowing rotation, the plan line, the
  quantity, the contact) → 发布 (asked first) → the project's page (projects.py) says who it went to;
- the supplier's answer on its project page (quoting.py): 【接受授予】 (asked first) or 【拒绝授予】 with a
  reason chosen from the list (only the listed valid reasons are 正当理由; 其他原因 counts toward 清退);
- the agency's 轮候顺序 of an agreement (each place, its supplier's turn in the current period) and its
  清退管理: per supplier the cases that may lead to clearing, counted by the platform, and 【清退】 with a
  cause from the measures and the facts; the clearings done, with who and when."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from web.gateway import ApiError
from web.refusals import field_errors, summary
from web.render import checked_form, confirmation, error_summary, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()

NEW = "/projects/rotation/new"
FIELDS = ("name", "agreement_id", "plan_line", "quantity", "contact_name", "contact_phone", "office_phone",
          "requirements")
LABELS = {"name": "项目名称", "agreement_id": "框架协议", "plan_line": "采购计划明细", "quantity": "采购数量",
          "contact_name": "联系人", "contact_phone": "联系电话", "office_phone": "办公电话", "requirements": "采购需求",
          "reason": "拒绝原因", "reason_code": "拒绝理由", "cause": "清退情形"}
RULES = {"quantity_above_plan": "quantity", "unknown_plan": "plan_line", "unknown_plan_line": "plan_line",
         "category_mismatch": "plan_line", "agreement_not_valid": "agreement_id", "unknown_agreement": "agreement_id",
         "no_eligible_supplier": "agreement_id", "no_rotation_supplier": "agreement_id",
         "unknown_decline_reason": "reason_code", "reason_code_required": "reason_code",
         "unknown_clearing_cause": "cause"}


# --- 顺序轮候项目: 新增 → 发布 ------------------------------------------------------------------------------

async def _choices(request: Request, viewer: Viewer) -> dict[str, Any]:
    """The agreements in force that allow rotation, and the unit's plan lines each may serve."""
    api = gateway(request)
    agreements, plans = await asyncio.gather(api.get("/catalog/agreements", token=viewer.token, status="active",
                                                     page_size=100),
                                             api.get("/plans", token=viewer.token, page_size=50))
    usable = [a for a in agreements["items"] if any(m["code"] == "rotation" for m in a.get("methods", []))]
    details = await asyncio.gather(*(api.get(f"/plans/{p['id']}", token=viewer.token) for p in plans["items"]))
    return {"agreements": [(a["id"], f"{a['agreement_no']} {a['name']}（有效期至 {a['valid_to']}）") for a in usable],
            "plan_lines": [(f"{plan['id']}:{line['id']}",
                            f"{plan['plan_no']} {plan['name']} — 第 {line['line_no']} 行 {line['item_name']}，"
                            f"{line['quantity']} {line['unit']}，可用 {line['remaining_amount']} 元")
                           for plan in details for line in plan["lines"]]}


async def _form(request: Request, viewer: Viewer, values: dict[str, str], *, errors: dict[str, str] | None = None,
                error: dict[str, Any] | None = None, status: int = 200) -> Response:
    return render(request, "rotation/form.html", status=status, title="新增轮候项目",
                  breadcrumbs=[("项目管理", ""), ("顺序轮候项目", "/projects?method=rotation"), ("新增轮候项目", "")],
                  values=values, errors=errors or {}, error=error, **await _choices(request, viewer))


@router.get(NEW)
async def new_rotation(request: Request) -> Response:
    viewer = require(request, "purchaser")
    me = await gateway(request).get("/me", token=viewer.token)
    mobile = str(me.get("org_contact_phone") or "")
    values = {name: "" for name in FIELDS} | {
        "contact_name": me.get("org_contact_name") or "",
        "contact_phone": mobile if mobile.isdigit() and len(mobile) == 11 else ""}
    return await _form(request, viewer, values)


def _body(values: dict[str, str]) -> dict[str, Any]:
    plan_id, _, line_id = values["plan_line"].partition(":")
    body: dict[str, Any] = {k: values[k] for k in ("agreement_id", "quantity", "contact_name", "contact_phone",
                                                   "office_phone", "requirements")}
    body.update(plan_id=plan_id, plan_line_id=line_id)
    if values["name"]:
        body["name"] = values["name"]
    return body


@router.post(NEW)
async def publish_rotation(request: Request) -> Response:
    viewer = require(request, "purchaser")
    form: FormData = await checked_form(request)
    values = {name: text(form, name) for name in FIELDS}
    missing = {k: f"请填写{LABELS[k]}" for k in ("agreement_id", "plan_line", "quantity", "contact_name",
                                                 "contact_phone") if not values[k]}
    if missing:
        return await _form(request, viewer, values, errors=missing, status=422)
    asked = confirmation(request, form, question="确认发布该顺序轮候项目？",
                         detail="发布后项目按框架协议的轮候顺序授予下一家供应商，由其接受或拒绝；成交价格为该供应商的协议价格。"
                                "同时按协议价格预留计划资金。", action_label="确认发布")
    if asked is not None:
        return asked
    try:
        project = await gateway(request).post("/projects/rotations", token=viewer.token, json=_body(values))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise

        def rename(name: str) -> str | None:
            return "plan_line" if name in ("plan_id", "plan_line_id") else name if name in FIELDS else None

        errors = field_errors(exc, labels=LABELS, typed=values, rename=rename, rules=RULES)
        return await _form(request, viewer, values, errors=errors, status=422,
                           error=summary(exc, errors, title="项目未发布，请按下列提示修改"))
    return redirect(request, f"/projects/{project['id']}",
                    flash=f"项目已发布，项目编号 {project['project_no']}，按轮候顺序授予 {project.get('supplier_name') or ''}。")


# --- the supplier: 接受授予 / 拒绝授予 ---------------------------------------------------------------------------

@router.post("/quoting/{project_id}/accept")
async def accept(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    project = await gateway(request).get(f"/projects/{project_id}", token=viewer.token)
    asked = confirmation(request, form, question=f"确认接受项目“{project['name']}”的授予？",
                         detail=f"按本单位的协议价格成交，成交金额 {project.get('ceiling_amount')} 元以内（协议价格 × 数量）。"
                                "接受后生成订单，请到【我的合同】发送合同。", action_label="确认接受")
    if asked is not None:
        return asked
    try:
        done = await gateway(request).post(f"/projects/{project_id}/accept", token=viewer.token)
    except ApiError as exc:
        if exc.status == 404:
            raise
        return redirect(request, f"/quoting/{project_id}", flash=f"未能接受授予：{exc.message}")
    return redirect(request, f"/quoting/{project_id}",
                    flash=f"已接受授予，成交金额 {done.get('award_amount')} 元。请到【我的合同】发送合同。")


async def _decline_page(request: Request, viewer: Viewer, project: dict[str, Any], values: dict[str, str], *,
                        errors: dict[str, str] | None = None, error: dict[str, Any] | None = None,
                        status: int = 200) -> Response:
    order = await gateway(request).get(f"/projects/rotation-orders/{project['agreement_id']}", token=viewer.token)
    reasons = list(order["decline_reasons"].items())
    return render(request, "rotation/decline.html", status=status, title="拒绝授予",
                  breadcrumbs=[("项目", ""), ("待报价项目", "/quoting"), (project["name"], f"/quoting/{project['id']}"),
                               ("拒绝授予", "")],
                  project=project, reasons=reasons, values=values, errors=errors or {}, error=error)


@router.get("/quoting/{project_id}/decline-award")
async def decline_page(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    project = await gateway(request).get(f"/projects/{project_id}", token=viewer.token)
    return await _decline_page(request, viewer, project, {"reason_code": "", "reason": ""})


@router.post("/quoting/{project_id}/decline-award")
async def decline(request: Request, project_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    project = await gateway(request).get(f"/projects/{project_id}", token=viewer.token)
    values = {"reason_code": text(form, "reason_code"), "reason": text(form, "reason")}
    missing = {k: f"请填写{LABELS[k]}" if k == "reason" else "请选择拒绝理由" for k, v in values.items() if not v}
    if missing:
        return await _decline_page(request, viewer, project, values, errors=missing, status=422)
    counted = "" if values["reason_code"] != "other" else "该理由不属于正当理由，将记入可能导致清退的情形。"
    asked = confirmation(request, form, question=f"确认拒绝项目“{project['name']}”的授予？",
                         detail=f"拒绝原因：{values['reason']}。拒绝后本轮轮候视为已轮到本单位，项目转给轮候顺序中的下一家供应商。"
                                + counted, action_label="确认拒绝")
    if asked is not None:
        return asked
    try:
        await gateway(request).post(f"/projects/{project_id}/decline", token=viewer.token, json=values)
    except ApiError as exc:
        if exc.status == 404:
            raise
        errors = field_errors(exc, labels=LABELS, typed=values, rules=RULES)
        return await _decline_page(request, viewer, project, values, errors=errors, error=error_summary(exc),
                                   status=422)
    return redirect(request, "/quoting", flash="已拒绝授予，项目已转给轮候顺序中的下一家供应商。")


# --- the agency: 轮候顺序, 清退管理 --------------------------------------------------------------------------------

async def _own_agreement(request: Request, viewer: Viewer, agreement_id: str) -> dict[str, Any]:
    return await gateway(request).get(f"/catalog/agreements/{agreement_id}", token=viewer.token)


@router.get("/agreements/{agreement_id}/rotation")
async def rotation_order(request: Request, agreement_id: str) -> Response:
    viewer = require(request, "agency")
    agreement, order = await asyncio.gather(
        _own_agreement(request, viewer, agreement_id),
        gateway(request).get(f"/projects/rotation-orders/{agreement_id}", token=viewer.token))
    return render(request, "rotation/order.html", title="轮候顺序",
                  breadcrumbs=[("框架协议", "/agreements"), (agreement["agreement_no"], f"/agreements/{agreement_id}"),
                               ("轮候顺序", None)], agreement=agreement, order=order)


async def _clearing_page(request: Request, viewer: Viewer, agreement_id: str, *, chosen: str = "",
                         values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                         error: dict[str, Any] | None = None, status: int = 200) -> Response:
    overview = await gateway(request).get(f"/catalog/agreements/{agreement_id}/clearing", token=viewer.token)
    agreement = overview["agreement"]
    return render(request, "rotation/clearing.html", status=status, title="清退管理",
                  breadcrumbs=[("供应商管理", f"/suppliers?agreement_id={agreement_id}"), ("清退管理", None)],
                  agreement=agreement, overview=overview, chosen=chosen,
                  causes=[(c["code"], c["label"]) for c in overview["causes"]],
                  values=values or {"cause": "", "reason": ""}, errors=errors or {}, error=error)


@router.get("/suppliers/{agreement_id}/clearing")
async def clearing(request: Request, agreement_id: str, supplier: str = "") -> Response:
    viewer = require(request, "agency")
    return await _clearing_page(request, viewer, agreement_id, chosen=supplier)


@router.post("/suppliers/{agreement_id}/{supplier_id}/clear")
async def clear(request: Request, agreement_id: str, supplier_id: str) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    values = {"cause": text(form, "cause"), "reason": text(form, "reason")}
    missing = {k: "请选择清退情形" if k == "cause" else "请填写清退事实：哪个项目或合同、发生了什么"
               for k, v in values.items() if not v}
    if missing:
        return await _clearing_page(request, viewer, agreement_id, chosen=supplier_id, values=values,
                                    errors=missing, status=422)
    asked = confirmation(request, form, question="确认清退该供应商？",
                         detail=f"清退事实：{values['reason']}。清退后该供应商退出本框架协议，不再参与任何新项目和顺序轮候，"
                                "且不能恢复。", action_label="确认清退")
    if asked is not None:
        return asked
    try:
        done = await gateway(request).post(f"/catalog/agreements/{agreement_id}/suppliers/{supplier_id}/clear",
                                           token=viewer.token, json=values)
    except ApiError as exc:
        if exc.status == 404 or exc.status >= 500:
            raise
        errors = field_errors(exc, labels=LABELS, typed=values, rules=RULES)
        return await _clearing_page(request, viewer, agreement_id, chosen=supplier_id, values=values, errors=errors,
                                    error=error_summary(exc), status=422)
    return redirect(request, f"/suppliers/{agreement_id}/clearing",
                    flash=f"已清退“{done['supplier_name']}”：{done['cause_label']}。")
