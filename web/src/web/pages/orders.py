"""我的订单 (purchaser and supplier): the list; the order page with its contract's progress, 物流信息 and
开票信息 (the supplier adds entries), 上传验收单 and 上传支付凭证 (the purchaser), the paid progress, and
the uploaded files streamed from the gateway.

Order: 待签合同 → (both seals) 履约中 → (验收单) 已验收 → (支付凭证 up to the amount) 已支付."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.format import BEIJING, from_local_input
from web.gateway import ApiError
from web.pages.records import Filter, counterparty, fetch, list_page, not_yours, refusal, stream
from web.render import checked_form, file_part, gateway, redirect, render, text, upload
from web.session import Viewer, require

router = APIRouter()

STATUSES = (("awaiting_contract", "待签合同"), ("contracted", "履约中"), ("accepted", "已验收"), ("paid", "已支付"))
LOGISTICS_KINDS = (("service", "服务进度"), ("shipment", "发货物流"))
# The form a rule's code concerns, by form: its refusal stands beside that field.
FIELD_OF = {
    "logistics": {"date_in_future": "occurred_at"},
    "invoice": {"date_in_future": "issued_on", "duplicate_invoice": "invoice_no", "overinvoiced": "amount",
                "invalid_amount": "amount"},
    "acceptance": {},
    "payment": {"date_in_future": "paid_on", "overpayment": "amount", "invalid_amount": "amount"},
    "evaluation": {"invalid_scores": "scores"},
    "answer": {},
}
SCORES = tuple((str(n), f"{n} 分") for n in range(5, 0, -1))


def deadline(order: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((d for d in order.get("deadlines") or () if d["name"] == name), None)


@router.get("/orders")
async def order_list(request: Request, status: str = "", q: str = "", since: str = "", until: str = "",
                     page: str = "1") -> Response:
    viewer = require(request, "purchaser", "supplier")
    return await list_page(request, viewer, what="订单", path="/orders", statuses=STATUSES, status=status,
                           filters=Filter.of(q, since, until),
                           page=page, number_field="order_no", row=lambda o: {"payment_due": deadline(o, "payment")})


async def _order(request: Request, viewer: Viewer, order_id: str) -> dict[str, Any] | None:
    return await fetch(request, viewer, f"/orders/{order_id}")


def _today() -> str:
    return datetime.now(BEIJING).date().isoformat()


def _page(request: Request, viewer: Viewer, order: dict[str, Any], *, status: int = 200, failed: str = "",
          error: Any = None, errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    """The order page; after a refused form, that form keeps what was typed and says why beside the field."""
    amount, paid = Decimal(order["amount"]), Decimal(order["paid_total"])
    remaining = amount - paid
    defaults = {"payment": {"amount": f"{remaining:.2f}", "paid_on": _today()},
                "invoice": {"amount": f"{amount - Decimal(order['invoiced_total']):.2f}", "issued_on": _today()},
                "logistics": {"kind": "service"}, "acceptance": {}, "evaluation": {}, "answer": {}}
    if failed:
        defaults[failed] = values or {}
    status_now, role = order["status"], viewer.role
    return render(request, "orders/detail.html", status=status, title=f"订单 {order['order_no']}",
                  breadcrumbs=[("我的订单", "/orders"), (order["order_no"], None)], order=order,
                  counterparty=counterparty(viewer, order), payment_due=deadline(order, "payment"),
                  contract_due=deadline(order, "contract_signing"), remaining=remaining,
                  paid_percent=int(paid * 100 / amount) if amount else 0, kinds=LOGISTICS_KINDS,
                  can_log=role == "supplier" and status_now == "contracted",
                  can_invoice=role == "supplier" and status_now in ("contracted", "accepted"),
                  can_accept=role == "purchaser" and status_now == "contracted",
                  can_pay=role == "purchaser" and status_now == "accepted",
                  can_evaluate=role == "purchaser" and order.get("evaluable", False),
                  can_answer=role == "supplier" and bool(order.get("evaluation"))
                  and order["evaluation"]["answer"] is None, scores=SCORES,
                  failed=failed, error=error, errors=errors or {}, values=defaults)


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: str) -> Response:
    viewer = require(request, "purchaser", "supplier")
    order = await _order(request, viewer, order_id)
    if order is None:
        return not_yours(request, "订单")
    return _page(request, viewer, order)


@router.get("/orders/{order_id}/files/{file_id}")
async def order_file(request: Request, order_id: str, file_id: str, inline: str = "") -> Response:
    """An uploaded file of the order (验收单, 支付凭证, 发票), from the gateway with the viewer's token."""
    viewer = require(request, "purchaser", "supplier")
    try:
        return await stream(request, viewer, f"/orders/{order_id}/files/{file_id}", inline=True if inline else None)
    except ApiError as exc:
        if exc.status == 404:
            return not_yours(request, "订单")
        raise


async def _post(request: Request, viewer: Viewer, order_id: str, form_name: str, values: dict[str, str],
                done: str, *, no_file: bool = False, **call: Any) -> Response:
    """One gateway call for one form of the order page: back to the page with `done`, or the page again
    with the refusal beside the field it concerns and what was typed (`no_file`: none was chosen)."""
    try:
        answer = await gateway(request).post(f"/orders/{order_id}/{call.pop('path')}", token=viewer.token, **call)
    except ApiError as exc:
        if no_file:
            exc.fields = {**exc.fields, "file": "请选择要上传的文件。"}
        order = None if exc.status == 404 else await _order(request, viewer, order_id)
        if order is None:
            return not_yours(request, "订单")
        box, errors = refusal(exc, FIELD_OF[form_name])
        return _page(request, viewer, order, status=exc.status, failed=form_name, error=box, errors=errors,
                     values=values)
    state = f"订单状态：{answer['status_label']}。" if "status_label" in answer else ""
    return redirect(request, f"/orders/{order_id}#{form_name}", flash=f"{done}{state}")


@router.post("/orders/{order_id}/logistics")
async def add_logistics(request: Request, order_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("kind", "description", "carrier", "tracking_no", "occurred_at")}
    body: dict[str, Any] = {k: values[k] for k in ("kind", "description", "carrier", "tracking_no")}
    if values["occurred_at"]:
        moment = from_local_input(values["occurred_at"])
        body["occurred_at"] = moment.isoformat() if moment else values["occurred_at"]
    return await _post(request, viewer, order_id, "logistics", values, "物流信息已保存。", path="logistics", json=body)


async def _files(form: Any, name: str = "file") -> dict[str, Any] | None:
    chosen = upload(form, name)
    return {name: await file_part(chosen)} if chosen else None


@router.post("/orders/{order_id}/invoices")
async def add_invoice(request: Request, order_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("invoice_no", "amount", "issued_on")}
    return await _post(request, viewer, order_id, "invoice", values, "开票信息已保存。", path="invoices", data=values,
                       files=await _files(form))


@router.post("/orders/{order_id}/acceptance")
async def upload_acceptance(request: Request, order_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = {"note": text(form, "note")}
    files = await _files(form)
    return await _post(request, viewer, order_id, "acceptance", values, "验收单已上传。",
                       path="acceptance", data=values if files else {**values, "file": ""}, files=files,
                       no_file=files is None)


@router.post("/orders/{order_id}/payments")
async def upload_payment(request: Request, order_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("amount", "paid_on")}
    files = await _files(form)
    return await _post(request, viewer, order_id, "payment", values, "支付凭证已上传。", path="payments",
                       data=values if files else {**values, "file": ""}, files=files, no_file=files is None)


@router.post("/orders/{order_id}/evaluation")
async def submit_evaluation(request: Request, order_id: str) -> Response:
    """用户评价: a score per dimension (the dimensions the page showed, posted beside their scores) and a comment."""
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    values = {"comment": text(form, "comment")}
    scores = []
    for i in range(10):
        dimension = text(form, f"dimension-{i}")
        if not dimension:
            break
        values[f"score-{i}"] = text(form, f"score-{i}")
        scores.append({"dimension": dimension, "score": int(values[f"score-{i}"])
                       if values[f"score-{i}"].isdigit() else 0})
    return await _post(request, viewer, order_id, "evaluation", values, "评价已提交，供应商可查看并回复。",
                       path="evaluation", json={"scores": scores, "comment": values["comment"]})


@router.post("/orders/{order_id}/evaluation/answer")
async def answer_evaluation(request: Request, order_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    values = {"answer": text(form, "answer")}
    return await _post(request, viewer, order_id, "answer", values, "回复已提交。", path="evaluation/answer",
                       json=values)
