"""What 我的合同 and 我的订单 share: a list with filters and pages, a file streamed from the gateway to
the browser, and a refusal turned into the Chinese sentence a page shows beside the field it concerns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from web.gateway import ApiError
from web.render import gateway, render
from web.session import Viewer
from web.texts import error_text

PAGE_SIZE = 20
SCAN_LIMIT = 2000  # a keyword looks through at most this many rows (the API has no keyword filter)

# The Chinese sentence of a refusal whose API message is not (yet) in Chinese, by its stable code.
SENTENCES: dict[str, str] = {
    "wrong_ca_password": "CA 密码不正确，请重新输入。连续输错多次，签章将被锁定一段时间。",
    "seal_locked": "连续输错 CA 密码次数过多，签章已被锁定，请稍后再试。",
    "seal_not_enrolled": "本单位尚未办理 CA 电子签章证书，暂不能盖章。请先办理单位 CA 签章。",
    "certificate_expired": "本单位的 CA 签章证书已过期，请重新办理后再盖章。",
    "certificate_revoked": "本单位的 CA 签章证书已被吊销，请重新办理后再盖章。",
    "document_changed": "合同文件与合同记录不一致，不能盖章，请联系平台运维人员。",
    "wrong_party": "此操作应由合同的另一方办理。",
    "offline_contract": "此合同选择了线下签订：请上传双方签字盖章后的合同扫描件，无需 CA 盖章。",
    "ca_seal_contract": "此合同使用单位 CA 电子签章：请输入 CA 密码盖章，无需上传扫描件。",
    "illegal_transition": "合同或订单的当前状态不能进行此操作，请刷新页面查看最新状态。",
    "duplicate_invoice": "该发票号码已在本订单登记过。",
    "overinvoiced": "开票金额累计将超过订单金额。",
    "overpayment": "支付金额累计将超过订单金额，请核对本次支付金额。",
    "invalid_amount": "金额必须大于零。",
    "date_in_future": "日期不能晚于今天。",
    "price_above_agreement_price": "上架价格不能高于第一阶段确定的协议价格。",
    "agreement_expired": "该框架协议已过期，不能再上架服务。",
    "supplier_suspended": "贵单位在该框架协议下已被暂停，不能上架服务。",
    "not_shortlisted": "贵单位不是该框架协议的入围供应商。",
    "service_not_in_agreement": "第一阶段没有为贵单位确定该服务的协议价格。",
    "unsupported_file_type": "文件类型不支持：请上传 PDF、PNG、JPEG 或 OFD 文件。",
    "file_too_large": "文件太大，请压缩后重新上传。",
    "empty_file": "文件是空的，请重新选择。",
    "bad_file_name": "文件名不合规，请改名后重新上传。",
}
# A refusal of an uploaded file, whatever the form: it stands beside the file field.
FILE_CODES = frozenset({"unsupported_file_type", "file_too_large", "too_large", "empty_file", "bad_file_name"})
_CJK = re.compile(r"[\u4e00-\u9fff]")
_UNTIL = re.compile(r"until (\d{4}-\d{2}-\d{2} \d{2}:\d{2})")


def said(error: ApiError) -> str:
    """The API's own sentence when it is Chinese; else the console's sentence for its code."""
    if _CJK.search(error.message):
        return error.message
    if error.code == "seal_locked" and (until := _UNTIL.search(error.message)):
        return f"连续输错 CA 密码次数过多，签章已被锁定，请于 {until.group(1)}（北京时间）之后再试。"
    return SENTENCES.get(error.code) or error_text(error.code)


def refusal(error: ApiError, by_code: dict[str, str] | None = None, file_field: str = "file") -> tuple[dict, dict]:
    """(the message box, {field: sentence}) of a refused post: the API's fields, the file field for a file
    refusal, and `by_code` naming the field a rule's code concerns (e.g. overpayment → amount)."""
    sentence = said(error)
    fields = {name: (text if _CJK.search(text) else sentence) for name, text in error.fields.items()}
    named = (by_code or {}).get(error.code) or (file_field if error.code in FILE_CODES else None)
    if named:
        fields.setdefault(named, sentence)
    box = {"code": error.code, "title": error_text(error.code), "message": sentence, "fields": fields}
    return box, fields


def not_yours(request: Request, what: str) -> Any:
    """The page for a record that is not the viewer's (or not there): no data, the same answer either way."""
    return render(request, "error.html", status=404, title=f"未找到该{what}", heading=f"未找到该{what}",
                  message=f"未找到该{what}，或您的单位无权查看。请从左侧菜单【我的{what}】进入。")


def page_number(value: str | int | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


async def search(request: Request, viewer: Viewer, path: str, *, status: str, q: str, page: int,
                 fields: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """One page of a list and how many match: the API pages by status; a keyword is matched here, in the
    given fields (the API has no keyword filter), over the first SCAN_LIMIT rows."""
    gw = gateway(request)
    if not q:
        answer = await gw.get(path, token=viewer.token, status=status, limit=PAGE_SIZE,
                              offset=(page - 1) * PAGE_SIZE)
        return answer["items"], answer["total"]
    wanted, matched, offset = q.lower(), [], 0
    names = tuple(fields)
    while offset < SCAN_LIMIT:
        answer = await gw.get(path, token=viewer.token, status=status, limit=200, offset=offset)
        matched += [item for item in answer["items"]
                    if any(wanted in str(item.get(name) or "").lower() for name in names)]
        offset += 200
        if offset >= answer["total"]:
            break
    return matched[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], len(matched)


async def stream(request: Request, viewer: Viewer, path: str, *, inline: bool | None = None) -> StreamingResponse:
    """A file of the gateway, streamed to the browser with its type; `inline` True/False sets how the browser
    opens it (in the page, or as a download), None keeps the gateway's choice."""
    response, chunks = await gateway(request).download(path, token=viewer.token)
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    disposition = response.headers.get("content-disposition", "")
    if disposition and inline is not None:
        _, _, rest = disposition.partition(";")
        disposition = ("inline" if inline else "attachment") + (";" + rest if rest else "")
    if disposition:
        headers["Content-Disposition"] = disposition
    if response.headers.get("content-length"):
        headers["Content-Length"] = response.headers["content-length"]
    return StreamingResponse(chunks, media_type=response.headers.get("content-type", "application/octet-stream"),
                             headers=headers)
