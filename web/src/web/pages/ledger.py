"""协议执行台账 (the agency): per agreement, every award by supplier, purchaser and method, the totals
against the agreement's estimate with the warnings, and the export to a spreadsheet
(web.spreadsheet.ledger_workbook). The API (`/api/v1/ledgers/{agreement_id}`) does the sums; the console
only shows them. And the dimensions of the purchasers' evaluations (用户评价维度) the agency sets, for one
agreement (on the agreement's page) or for every agreement without its own (on the ledgers' page)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from web import spreadsheet
from web.gateway import ApiError
from web.pages.records import said
from web.render import checked_form, gateway, redirect, render, text
from web.session import require

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/ledgers")
async def ledgers(request: Request, page: int = 1) -> Response:
    """The agreements, each with the way to its ledger."""
    viewer = require(request, "agency")
    page = max(page, 1)
    listing = await gateway(request).get("/catalog/agreements", token=viewer.token, page=page, page_size=20)
    dimensions = await gateway(request).get("/orders/evaluation-dimensions", token=viewer.token)
    return render(request, "agency/ledgers.html", title="协议执行台账", breadcrumbs=[("协议执行台账", None)],
                  rows=listing["items"], total=listing["total"], page=page,
                  has_next=page * 20 < listing["total"], dimensions=dimensions["dimensions"])


@router.get("/agreements/{agreement_id}/ledger")
async def ledger_page(request: Request, agreement_id: str) -> Response:
    viewer = require(request, "agency")
    ledger = await gateway(request).get(f"/ledgers/{agreement_id}", token=viewer.token)
    return render(request, "agency/ledger.html", title=f"{ledger['agreement_name']} 协议执行台账",
                  breadcrumbs=[("协议执行台账", "/ledgers"), (ledger["agreement_no"], None)], ledger=ledger)


@router.get("/agreements/{agreement_id}/ledger.xlsx")
async def ledger_export(request: Request, agreement_id: str) -> Response:
    viewer = require(request, "agency")
    ledger = await gateway(request).get(f"/ledgers/{agreement_id}", token=viewer.token)
    name = f"{ledger['agreement_no']}-协议执行台账.xlsx"
    return Response(spreadsheet.ledger_workbook(ledger), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"ledger-{ledger['agreement_no']}.xlsx\"; "
                                                    f"filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})


def dimension_names(typed: str) -> list[str]:
    """The dimensions as typed: separated by 顿号, commas or new lines."""
    for mark in ("、", "，", ",", "\n", "；", ";"):
        typed = typed.replace(mark, "\n")
    return [name.strip() for name in typed.split("\n") if name.strip()]


@router.post("/evaluation-dimensions")
async def set_dimensions(request: Request) -> Response:
    viewer = require(request, "agency")
    form = await checked_form(request)
    agreement_id = text(form, "agreement_id")
    back = f"/agreements/{agreement_id}#dimensions" if agreement_id else "/ledgers#dimensions"
    try:
        answer = await gateway(request).call("PUT", "/orders/evaluation-dimensions", token=viewer.token, json={
            "agreement_id": agreement_id, "dimensions": dimension_names(text(form, "dimensions"))})
    except ApiError as exc:
        return redirect(request, back, flash=f"评价维度未保存：{said(exc)}")
    return redirect(request, back, flash=f"评价维度已保存：{'、'.join(answer['dimensions'])}。")
