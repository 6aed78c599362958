"""What 我的合同 and 我的订单 share: a list with filters and pages, a file streamed from the gateway to
the browser, and a refusal turned into the Chinese sentence a page shows beside the field it concerns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from web.format import BEIJING
from web.gateway import ApiError
from web.render import gateway, render
from web.session import Viewer
from web.texts import error_text

PAGE_SIZE = 20
SCAN_LIMIT = 2000  # a keyword or a date range looks through at most this many rows (the APIs have neither)

# A refusal of an uploaded file, whatever the form: it stands beside the file field.
FILE_CODES = frozenset({"unsupported_file_type", "file_too_large", "too_large", "empty_file", "bad_file_name"})
_CJK = re.compile(r"[\u4e00-\u9fff]")
_UNTIL = re.compile(r"until (\d{4}-\d{2}-\d{2} \d{2}:\d{2})")
_PART = re.compile(r"(?:^|；)字段 ([\w.]+)：([^；]+)")  # `字段 amount：须大于 0；字段 file：必填`


def _field_reason(reason: str | None, sentence: str) -> str:
    """The API's reason for one field (a validation error names each), else the refusal's sentence."""
    if reason is None:
        return sentence
    return "请填写此项。" if reason == "必填" else reason


def said(error: ApiError) -> str:
    """The API's own sentence when it is Chinese; else the console's sentence for its code (web.texts)."""
    if _CJK.search(error.message):
        return error.message
    if error.code == "seal_locked" and (until := _UNTIL.search(error.message)):
        return f"连续输错 CA 密码次数过多，签章已被锁定，请于 {until.group(1)}（北京时间）之后再试。"
    return error_text(error.code)


def refusal(error: ApiError, by_code: dict[str, str] | None = None, file_field: str = "file") -> tuple[dict, dict]:
    """(the message box, {field: sentence}) of a refused post: the API's fields, the file field for a file
    refusal, and `by_code` naming the field a rule's code concerns (e.g. overpayment → amount)."""
    sentence = said(error)
    reasons = dict(_PART.findall(error.message)) if error.code == "validation_error" else {}
    fields = {name: _field_reason(reasons.get(name), sentence) for name in error.fields}
    named = (by_code or {}).get(error.code) or (file_field if error.code in FILE_CODES else None)
    if named:
        fields.setdefault(named, sentence)
    title = "未能完成此操作，请按提示修改" if fields else "未能完成此操作"
    box = {"code": error.code, "title": title, "message": sentence, "fields": fields}
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


def counterparty(viewer: Viewer, record: dict[str, Any]) -> str:
    """The other party of a contract or an order, as the viewer sees it."""
    return record["supplier_name"] if viewer.role == "purchaser" else record["purchaser_name"]


async def fetch(request: Request, viewer: Viewer, path: str) -> dict[str, Any] | None:
    """One record of the viewer's, or None when the API says there is none for them (404)."""
    try:
        return await gateway(request).get(path, token=viewer.token)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


@dataclass(frozen=True)
class Filter:
    """A list's filters beyond the status the API pages by: a keyword in the given fields and a date range
    (北京时间 days, both ends included) on one time field. The API has neither, so they are applied here."""

    q: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def of(cls, q: str = "", since: str = "", until: str = "") -> Filter:
        return cls(q.strip(), _day(since), _day(until))

    def __bool__(self) -> bool:
        return bool(self.q or self.since or self.until)

    def query(self) -> dict[str, str]:
        return {k: v for k, v in {"q": self.q, "since": self.since.isoformat() if self.since else "",
                                  "until": self.until.isoformat() if self.until else ""}.items() if v}

    def matches(self, item: dict[str, Any], fields: Iterable[str], date_field: str) -> bool:
        if self.q and not any(self.q.lower() in str(item.get(name) or "").lower() for name in fields):
            return False
        if self.since or self.until:
            day = beijing_day(item.get(date_field))
            if day is None or (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def beijing_day(value: Any) -> date | None:
    """The 北京时间 day of an API time (RFC 3339, any offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(BEIJING).date()


async def list_page(request: Request, viewer: Viewer, *, what: str, path: str, statuses: tuple[tuple[str, str], ...],
                    status: str, filters: Filter, page: str, number_field: str,
                    row: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
    """我的合同 / 我的订单: a table of one page, filtered by status, keyword and date; `row` adds what a row
    shows."""
    status = status if status in dict(statuses) else ""
    number = page_number(page)
    items, total = await search(request, viewer, path, {"status": status}, filters, page=number,
                                fields=(number_field, "project_name", "project_no", "supplier_name", "purchaser_name"),
                                date_field="created_at")
    return render(request, f"{path.strip('/')}/list.html", title=f"我的{what}", breadcrumbs=[(f"我的{what}", None)],
                  rows=[{**item, "counterparty": counterparty(viewer, item), **row(item)} for item in items],
                  total=total, page=number, has_next=number * PAGE_SIZE < total, statuses=statuses,
                  chosen_status=status, q=filters.q, since=filters.since, until=filters.until,
                  filters={k: v for k, v in {"status": status, **filters.query()}.items() if v},
                  counterparty_label="供应商" if viewer.role == "purchaser" else "采购单位")


async def search(request: Request, viewer: Viewer, path: str, params: dict[str, str], filters: Filter, *,
                 page: int, fields: Iterable[str], date_field: str) -> tuple[list[dict[str, Any]], int]:
    """One page of a list and how many match: the API pages by `params` (status, method); a keyword and a
    date range are matched here (the APIs have neither), over the first SCAN_LIMIT rows, newest first."""
    gw = gateway(request)
    if not filters:
        answer = await gw.get(path, token=viewer.token, **params, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return answer["items"], answer["total"]
    matched: list[dict[str, Any]] = []
    names, offset = tuple(fields), 0
    while offset < SCAN_LIMIT:
        answer = await gw.get(path, token=viewer.token, **params, limit=200, offset=offset)
        matched += [item for item in answer["items"] if filters.matches(item, names, date_field)]
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
