"""我的服务 (supplier): its services under each framework agreement it is shortlisted in, with their
status, and 【上架】 (at a price never above the agreement price) / 【下架】, each asked first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.gateway import ApiError
from web.pages.records import refusal
from web.render import checked_form, confirmation, gateway, redirect, render, text
from web.session import Viewer, require

router = APIRouter()

STATUSES = (("listed", "已上架"), ("delisted", "已下架"), ("unlisted", "未上架"))


def by_agreement(offerings: list[dict[str, Any]], status: str, q: str) -> list[dict[str, Any]]:
    """The offerings grouped by agreement, in the API's order, keeping those the filters let through."""
    groups: dict[str, dict[str, Any]] = {}
    for offering in offerings:
        if status and offering["status"] != status:
            continue
        if q and q.lower() not in offering["service_name"].lower():
            continue
        group = groups.setdefault(offering["agreement_id"], {"agreement": offering["agreement"], "offerings": []})
        group["offerings"].append(offering)
    return list(groups.values())


async def _page(request: Request, viewer: Viewer, *, status_code: int = 200, status: str = "", q: str = "",
                error: Any = None, failed: str = "", errors: dict[str, str] | None = None,
                price: str = "") -> Response:
    offerings = await gateway(request).get("/catalog/my-offerings", token=viewer.token)
    return render(request, "services/list.html", status=status_code, title="我的服务", breadcrumbs=[("我的服务", None)],
                  groups=by_agreement(offerings, status, q), any_offering=bool(offerings), statuses=STATUSES,
                  chosen_status=status, q=q, filters={k: v for k, v in {"status": status, "q": q}.items() if v},
                  error=error, failed=failed, errors=errors or {}, typed_price=price)


@router.get("/my-services")
async def my_services(request: Request, status: str = "", q: str = "") -> Response:
    viewer = require(request, "supplier")
    return await _page(request, viewer, status=status if status in dict(STATUSES) else "", q=q.strip())


@router.post("/my-services/list")
async def list_service(request: Request) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    agreement_id, service_id, price = text(form, "agreement_id"), text(form, "service_id"), text(form, "price")
    name = text(form, "service_name")
    asking = confirmation(request, form, question=f"确认上架“{name}”？",
                          detail=f"上架价格：{price} 元。上架后采购人即可在入围服务库中选择该服务。", action_label="确认上架")
    if asking:
        return asking
    try:
        await gateway(request).post(f"/catalog/agreements/{agreement_id}/listings", token=viewer.token,
                                    json={"service_id": service_id, "price": price})
    except ApiError as exc:
        box, errors = refusal(exc, {"price_above_agreement_price": "price", "invalid": "price"})
        return await _page(request, viewer, status_code=exc.status, error=box, failed=f"{agreement_id}/{service_id}",
                           errors=errors, price=price)
    return redirect(request, "/my-services", flash=f"“{name}”已上架。")


@router.post("/my-services/delist")
async def delist_service(request: Request) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    agreement_id, service_id, name = text(form, "agreement_id"), text(form, "service_id"), text(form, "service_name")
    asking = confirmation(request, form, question=f"确认下架“{name}”？",
                          detail="下架后采购人不能再选择该服务；已成交的项目、合同和订单不受影响。", action_label="确认下架")
    if asking:
        return asking
    try:
        await gateway(request).post(f"/catalog/agreements/{agreement_id}/listings/{service_id}/delist",
                                    token=viewer.token, json={"reason": text(form, "reason")})
    except ApiError as exc:
        box, _ = refusal(exc)
        return await _page(request, viewer, status_code=exc.status, error=box)
    return redirect(request, "/my-services", flash=f"“{name}”已下架。")
