"""我的合同 (purchaser and supplier): the list; the contract page with its PDF in the page, the amount in
figures and capitals and the seals checked; the supplier's 【发送合同】; the purchaser's 【确认】 (choosing
已办理单位CA签章 or 线下签订) or 退回; 【盖章】 with the CA password (【确认签章】), or in offline mode the
upload of the signed paper contract's scan.

Which button a row shows follows the contract's status and the viewer's side (DESIGN §4):
待发送 → supplier 发送合同 · 待确认 → purchaser 确认 · 已确认 → supplier 盖章 · 供应商已盖章 → purchaser 盖章."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.gateway import ApiError
from web.pages.records import Filter, counterparty, fetch, list_page, not_yours, refusal, stream
from web.render import checked_form, confirmation, file_part, gateway, redirect, render, text, upload
from web.session import Viewer, require

router = APIRouter()

STATUSES = (("drafted", "待发送"), ("sent", "待确认"), ("confirmed", "已确认"), ("supplier_sealed", "供应商已盖章"),
            ("purchaser_sealed", "采购单位已盖章"))
CA_MODES = (("ca_seal", "已办理单位CA签章", "双方使用单位 CA 电子签章在线盖章。"),
            ("offline", "线下签订", "未办理单位 CA 签章：打印合同，双方签字盖章后，由采购单位上传扫描件。"))
ROLE_NAMES = {"supplier": "供应商（乙方）", "purchaser": "采购单位（甲方）"}


def actions(viewer: Viewer, contract: dict[str, Any]) -> list[dict[str, str]]:
    """The manual's buttons for this viewer at this status (besides 查看合同)."""
    status, role, cid = contract["status"], viewer.role, contract["id"]
    if role == "supplier" and status == "drafted":
        return [{"label": "发送合同", "post": f"/contracts/{cid}/send",
                 "question": f"确认将合同 {contract['contract_no']} 发送给采购单位 {contract['purchaser_name']}？"}]
    if role == "purchaser" and status == "sent":
        return [{"label": "确认", "href": f"/contracts/{cid}/confirm"}]
    if role == "supplier" and status == "confirmed":
        return [{"label": "盖章", "href": f"/contracts/{cid}/seal"}]
    if role == "purchaser" and status == "supplier_sealed":
        offline = contract.get("ca_mode") == "offline"
        return [{"label": "上传签章合同" if offline else "盖章", "href": f"/contracts/{cid}/seal"}]
    return []


@router.get("/contracts")
async def contract_list(request: Request, status: str = "", q: str = "", since: str = "", until: str = "",
                        page: str = "1") -> Response:
    viewer = require(request, "purchaser", "supplier")
    return await list_page(request, viewer, what="合同", path="/contracts", statuses=STATUSES, status=status,
                           filters=Filter.of(q, since, until),
                           page=page, number_field="contract_no", row=lambda c: {"actions": actions(viewer, c)})


async def _contract(request: Request, viewer: Viewer, contract_id: str) -> dict[str, Any] | None:
    return await fetch(request, viewer, f"/contracts/{contract_id}")


async def _reloaded(request: Request, viewer: Viewer, contract_id: str, exc: ApiError) -> dict[str, Any] | None:
    """After a refused post: the contract as it stands now, or None when it is not the viewer's."""
    return None if exc.status == 404 else await _contract(request, viewer, contract_id)


def _crumbs(contract: dict[str, Any], last: str | None = None) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [("我的合同", "/contracts")]
    if last:
        return crumbs + [(contract["contract_no"], f"/contracts/{contract['id']}"), (last, None)]
    return crumbs + [(contract["contract_no"], None)]


@router.get("/contracts/{contract_id}")
async def contract_page(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser", "supplier")
    contract = await _contract(request, viewer, contract_id)
    if contract is None:
        return not_yours(request, "合同")
    verification = None
    if contract["seals"] or contract["status"] == "purchaser_sealed":
        verification = await gateway(request).get(f"/contracts/{contract_id}/verification", token=viewer.token)
    return render(request, "contracts/detail.html", title=f"合同 {contract['contract_no']}",
                  breadcrumbs=_crumbs(contract), contract=contract, actions=actions(viewer, contract),
                  counterparty=counterparty(viewer, contract), verification=verification, role_names=ROLE_NAMES,
                  can_file=may_file(viewer, contract))


def may_file(viewer: Viewer, contract: dict[str, Any]) -> bool:
    """合同备案 is recorded by the purchaser once the contract is in force."""
    return viewer.role == "purchaser" and contract["status"] == "purchaser_sealed" and not contract.get("filed_at")


@router.get("/contracts/{contract_id}/document")
async def contract_document(request: Request, contract_id: str, download: str = "") -> Response:
    """The contract PDF from the gateway, with the viewer's token: shown in the page, or downloaded."""
    viewer = require(request, "purchaser", "supplier")
    try:
        return await stream(request, viewer, f"/contracts/{contract_id}/document", inline=not download)
    except ApiError as exc:
        if exc.status == 404:
            return not_yours(request, "合同")
        raise


@router.get("/contracts/{contract_id}/files/{file_id}")
async def contract_file(request: Request, contract_id: str, file_id: str) -> Response:
    viewer = require(request, "purchaser", "supplier")
    try:
        return await stream(request, viewer, f"/contracts/{contract_id}/files/{file_id}")
    except ApiError as exc:
        if exc.status == 404:
            return not_yours(request, "合同")
        raise


@router.post("/contracts/{contract_id}/send")
async def send_contract(request: Request, contract_id: str) -> Response:
    viewer = require(request, "supplier")
    form = await checked_form(request)
    asking = confirmation(request, form, question="确认发送合同？",
                          detail="发送后，采购单位将查看并确认合同。", action_label="确认发送")
    if asking:
        return asking
    body = {"supplementary_terms": text(form, "supplementary_terms")} if "supplementary_terms" in form else None
    try:
        contract = await gateway(request).post(f"/contracts/{contract_id}/send", token=viewer.token, json=body)
    except ApiError as exc:
        return await _refused(request, viewer, contract_id, exc, typed_terms=text(form, "supplementary_terms"))
    return redirect(request, f"/contracts/{contract_id}", flash=f"合同已发送，状态：{contract['status_label']}")


async def _refused(request: Request, viewer: Viewer, contract_id: str, exc: ApiError, **typed: str) -> Response:
    """A refused button of the contract page: the page again, the reason at its top."""
    contract = await _reloaded(request, viewer, contract_id, exc)
    if contract is None:
        return not_yours(request, "合同")
    box, errors = refusal(exc)
    return render(request, "contracts/detail.html", status=exc.status, title=f"合同 {contract['contract_no']}",
                  breadcrumbs=_crumbs(contract), contract=contract, actions=actions(viewer, contract),
                  counterparty=counterparty(viewer, contract), verification=None, role_names=ROLE_NAMES,
                  can_file=may_file(viewer, contract), error=box, errors=errors, **typed)


# ---- 确认 / 退回 (purchaser) -------------------------------------------------------------------------

def _confirm_page(request: Request, contract: dict[str, Any], *, status: int = 200, error: Any = None,
                  errors: dict[str, str] | None = None, ca_mode: str = "ca_seal", reason: str = "") -> Response:
    return render(request, "contracts/confirm.html", status=status, title=f"确认合同 {contract['contract_no']}",
                  breadcrumbs=_crumbs(contract, "确认"), contract=contract, ca_modes=CA_MODES, ca_mode=ca_mode,
                  reason=reason, error=error, errors=errors or {})


@router.get("/contracts/{contract_id}/confirm")
async def confirm_form(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser")
    contract = await _contract(request, viewer, contract_id)
    if contract is None:
        return not_yours(request, "合同")
    return _confirm_page(request, contract)


@router.post("/contracts/{contract_id}/confirm")
async def confirm_contract(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    ca_mode = text(form, "ca_mode")
    label = dict((v, label) for v, label, _ in CA_MODES).get(ca_mode, "")
    if label:
        asking = confirmation(request, form, question=f"确认合同内容无误，并选择“{label}”？",
                              detail="确认后合同状态变为“已确认”，等待供应商盖章。", action_label="确认")
        if asking:
            return asking
    try:
        await gateway(request).post(f"/contracts/{contract_id}/confirm", token=viewer.token,
                                    json={"ca_mode": ca_mode})
    except ApiError as exc:
        contract = await _reloaded(request, viewer, contract_id, exc)
        if contract is None:
            return not_yours(request, "合同")
        box, errors = refusal(exc)
        if not label:
            errors["ca_mode"] = "请选择单位 CA 签章办理情况。"
        return _confirm_page(request, contract, status=exc.status, error=box, errors=errors, ca_mode=ca_mode)
    return redirect(request, f"/contracts/{contract_id}", flash=f"合同已确认（{label}），等待供应商盖章。")


@router.post("/contracts/{contract_id}/return")
async def return_contract(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    reason = text(form, "reason")
    if reason:
        asking = confirmation(request, form, question="确认将合同退回供应商？", detail=f"退回原因：{reason}",
                              action_label="确认退回")
        if asking:
            return asking
    try:
        await gateway(request).post(f"/contracts/{contract_id}/return", token=viewer.token, json={"reason": reason})
    except ApiError as exc:
        contract = await _reloaded(request, viewer, contract_id, exc)
        if contract is None:
            return not_yours(request, "合同")
        box, errors = refusal(exc)
        if not reason:
            errors["reason"] = "请填写退回原因。"
        return _confirm_page(request, contract, status=exc.status, error=box, errors=errors, reason=reason)
    return redirect(request, "/contracts", flash="合同已退回供应商，等待供应商修改后重新发送。")


# ---- 盖章 (both sides, at their turn) / 线下签订的扫描件 (purchaser) ---------------------------------

def _seal_page(request: Request, viewer: Viewer, contract: dict[str, Any], *, status: int = 200, error: Any = None,
               errors: dict[str, str] | None = None) -> Response:
    turn = bool(actions(viewer, contract)) and contract["status"] in ("confirmed", "supplier_sealed")
    offline = viewer.role == "purchaser" and contract.get("ca_mode") == "offline"
    return render(request, "contracts/seal.html", status=status, title=f"合同盖章 {contract['contract_no']}",
                  breadcrumbs=_crumbs(contract, "上传签章合同" if offline else "盖章"), contract=contract,
                  turn=turn, offline=offline, counterparty=counterparty(viewer, contract), error=error,
                  errors=errors or {})


@router.get("/contracts/{contract_id}/seal")
async def seal_form(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser", "supplier")
    contract = await _contract(request, viewer, contract_id)
    if contract is None:
        return not_yours(request, "合同")
    return _seal_page(request, viewer, contract)


async def _seal_refused(request: Request, viewer: Viewer, contract_id: str, exc: ApiError, field: str) -> Response:
    contract = await _reloaded(request, viewer, contract_id, exc)
    if contract is None:
        return not_yours(request, "合同")
    box, errors = refusal(exc, {"wrong_ca_password": "ca_password", "seal_locked": "ca_password"}, file_field=field)
    return _seal_page(request, viewer, contract, status=exc.status, error=box, errors=errors)


@router.post("/contracts/{contract_id}/seal")
async def seal_contract(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser", "supplier")
    form = await checked_form(request)
    password = form.get("ca_password")
    password = password if isinstance(password, str) else ""
    if password:
        asking = confirmation(request, form, question="确认使用本单位 CA 电子签章在合同上盖章？",
                              detail="盖章后不可撤销。", action_label="确认签章")
        if asking:
            return asking
    try:
        contract = await gateway(request).post(f"/contracts/{contract_id}/seal", token=viewer.token,
                                               json={"ca_password": password})
    except ApiError as exc:
        if not password:
            exc.fields = {**exc.fields, "ca_password": "请输入 CA 密码。"}
        return await _seal_refused(request, viewer, contract_id, exc, "ca_password")
    return redirect(request, f"/contracts/{contract_id}", flash=f"盖章成功，合同状态：{contract['status_label']}")


@router.post("/contracts/{contract_id}/signed-scan")
async def upload_scan(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    chosen = upload(form, "file")
    try:
        files = {"file": await file_part(chosen)} if chosen else None
        contract = await gateway(request).post(f"/contracts/{contract_id}/signed-scan", token=viewer.token,
                                               files=files, data={} if files else {"file": ""})
    except ApiError as exc:
        if chosen is None:
            exc.fields = {**exc.fields, "file": "请选择双方签字盖章后的合同扫描件。"}
        return await _seal_refused(request, viewer, contract_id, exc, "file")
    return redirect(request, f"/contracts/{contract_id}",
                    flash=f"签章合同扫描件已上传，合同状态：{contract['status_label']}")


# ---- 合同备案 (purchaser) ------------------------------------------------------------------------------

@router.post("/contracts/{contract_id}/filing")
async def record_filing(request: Request, contract_id: str) -> Response:
    viewer = require(request, "purchaser")
    form = await checked_form(request)
    reference = text(form, "filing_reference")
    try:
        await gateway(request).post(f"/contracts/{contract_id}/filing", token=viewer.token,
                                    json={"filing_reference": reference})
    except ApiError as exc:
        return await _refused(request, viewer, contract_id, exc, filing_reference=reference)
    return redirect(request, f"/contracts/{contract_id}", flash=f"合同备案已登记（备案号 {reference}）。")
