"""直接选定 → 发布项目 (manual 1.2 ③): the project form the service page's 【直接选定】 opens with the
chosen agreement and supplier (`?service=<id>&offer=<offering id>`): 项目名称, 联系人, 联系电话, 办公电话,
the plan and its line (the unit's plans with a line under the service's category), the quantity; then
【发布项目】, asked once more (a dialog, or a page without script), → POST /api/v1/projects/direct-selections
→ the project's page."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from web.gateway import ApiError
from web.pages.catalog import DIRECT
from web.refusals import field_errors, summary
from web.render import checked_form, confirmation, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()

PATH = "/projects/direct-selection/new"
FIELDS = ("name", "contact_name", "contact_phone", "office_phone", "plan_line", "quantity", "requirements")
LABELS = {"name": "项目名称", "contact_name": "联系人", "contact_phone": "联系电话", "office_phone": "办公电话",
          "plan_line": "采购计划明细", "quantity": "采购数量", "requirements": "采购需求"}
EXPECTED = {
    "contact_phone": "联系电话须为 11 位手机号码，如 13800000001",
    "office_phone": "办公电话格式不正确，如 0731-84710001",
    "quantity": "采购数量须为大于 0 的数字，至多三位小数",
}
# A business refusal of the API, beside the field it concerns.
RULES = {"quantity_above_plan": "quantity", "unknown_plan": "plan_line", "unknown_plan_line": "plan_line",
         "category_mismatch": "plan_line", "invalid_quantity": "quantity"}
# What to say when the API's sentence for a rule is not in Chinese.
RULE_TEXTS = {"quantity_above_plan": "采购数量超过了所选计划明细的计划数量",
              "unknown_plan_line": "所选计划明细不在该采购计划中，请重新选择",
              "category_mismatch": "所选计划明细的品目与服务的品目不一致，请选择品目相符的计划明细",
              "invalid_quantity": "采购数量须大于 0"}
# The plan, the agreement or the listing reached the project service a moment after it was entered.
NOT_ARRIVED = {"unknown_plan": "该采购计划刚刚录入，正在同步到项目系统。请稍候几秒，再点击【发布项目】。"}


def serves(service_category: str, line_category: str) -> bool:
    """A service of category C1204 serves a plan line of C1204 or of its parent C12 (as bidding checks)."""
    return service_category.startswith(line_category)


async def choice_of(request: Request, viewer: Viewer, service_id: str, offering_id: str) -> tuple[dict, dict] | None:
    """The service and the chosen offer (agreement × supplier) if it is still listed and allows 直接选定."""
    if not service_id or not offering_id:
        return None
    service = await gateway(request).get(f"/catalog/services/{service_id}", token=viewer.token)
    offer = next((o for o in service.get("offers") or [] if o["offering_id"] == offering_id), None)
    if offer is None or not any(m["code"] == DIRECT for m in offer["agreement"].get("methods") or []):
        return None
    return service, offer


async def plan_lines(request: Request, viewer: Viewer, category: str) -> list[dict[str, Any]]:
    """The unit's plans with their lines the service can serve, newest plan first. Such a line lies beneath
    the service's top category, which the plans API filters by."""
    found = await gateway(request).get("/plans", token=viewer.token, category=category[:3], page_size=100)
    plans = await asyncio.gather(*(gateway(request).get(f"/plans/{p['id']}", token=viewer.token)
                                   for p in found["items"]))
    out = []
    for plan in plans:
        lines = [line for line in plan["lines"] if serves(category, line["category_code"])]
        if lines:
            out.append({"plan": plan, "lines": lines})
    return out


async def form_page(request: Request, viewer: Viewer, service: dict, offer: dict, values: dict[str, str], *,
                    errors: dict[str, str] | None = None, error: dict[str, Any] | None = None,
                    status: int = 200) -> Response:
    plans = await plan_lines(request, viewer, service["category_code"])
    return render(request, "direct/form.html", status=status, title="直接选定",
                  breadcrumbs=[("框架协议首页", None), ("入围服务库", "/catalog"),
                               (service["name"], f"/catalog/services/{service['id']}"), ("直接选定", None)],
                  service=service, offer=offer, plans=plans, values=values, errors=errors or {}, error=error,
                  # the choice in the address too: 取消 on the confirmation page comes back to this form
                  action=f"{PATH}?{urlencode({'service': service['id'], 'offer': offer['offering_id']})}")


def unavailable(request: Request) -> Response:
    return render(request, "error.html", status=404, title="无法直接选定", heading="无法直接选定",
                  message="所选的框架协议或供应商已不可直接选定（协议到期、供应商暂停或服务下架）。"
                          "请回到入围服务库重新选择。")


@router.get(PATH)
async def direct_form(request: Request, service: str = "", offer: str = "") -> Response:
    viewer = require(request, "purchaser")
    if service and not offer:
        return redirect(request, f"/catalog/services/{service}?missing=1")
    chosen = await choice_of(request, viewer, service, offer)
    if chosen is None:
        return unavailable(request)
    me = await gateway(request).get("/me", token=viewer.token)
    mobile = str(me.get("org_contact_phone") or "")
    values = {name: "" for name in FIELDS} | {
        "contact_name": me.get("org_contact_name") or "",
        "contact_phone": mobile if mobile.isdigit() and len(mobile) == 11 else "",
        "office_phone": "" if mobile.isdigit() else mobile}
    return await form_page(request, viewer, *chosen, values)


def body_of(service: dict, offer: dict, values: dict[str, str]) -> dict[str, Any]:
    plan_id, _, line_id = values["plan_line"].partition("/")
    body: dict[str, Any] = {
        "agreement_id": offer["agreement"]["id"], "service_id": service["id"],
        "supplier_id": offer["supplier"]["supplier_id"], "plan_id": plan_id, "plan_line_id": line_id,
        **{name: values[name] for name in ("quantity", "contact_name", "contact_phone", "office_phone",
                                            "requirements")}}
    if values["name"]:
        body["name"] = values["name"]
    return body


def form_errors(error: ApiError, values: dict[str, str]) -> dict[str, str]:
    def rename(name: str) -> str | None:
        return "plan_line" if name in ("plan_id", "plan_line_id") else name if name in FIELDS else None

    errors = field_errors(error, labels=LABELS, typed=values, fallback=EXPECTED, rename=rename, rules=RULES,
                          rule_texts=RULE_TEXTS)
    if error.code in NOT_ARRIVED:
        errors["plan_line"] = NOT_ARRIVED[error.code]
    return errors


@router.post(PATH)
async def publish(request: Request) -> Response:
    viewer = require(request, "purchaser")
    form: FormData = await checked_form(request)
    chosen = await choice_of(request, viewer, text(form, "service"), text(form, "offer"))
    if chosen is None:
        return unavailable(request)
    service, offer = chosen
    values = {name: text(form, name) for name in FIELDS}
    asked = confirmation(request, form, question="确认发布该直接选定项目？",
                         detail=f"发布后将向 {offer['supplier']['name']} 发出报价邀请，并按协议价格预留计划资金。",
                         action_label="确认发布")
    if asked is not None:
        return asked
    try:
        project = await gateway(request).post("/projects/direct-selections", token=viewer.token,
                                              json=body_of(service, offer, values))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        errors = form_errors(exc, values)
        return await form_page(request, viewer, service, offer, values, errors=errors, status=422,
                               error=summary(exc, errors, title="项目未发布，请按下列提示修改"))
    return redirect(request, f"/projects/{project['id']}",
                    flash=f"项目已发布，项目编号 {project.get('project_no', '')}。计划资金预留后即进入报价。")
