"""首页 待办事项: what the signed-in person has to do next, gathered from the list endpoints' status
filters with a few concurrent gateway calls, the nearest deadline first (overdue in red, ≤ 3 days amber).

- 采购人: 结果待确认 projects (→ 确认成交结果), drafts to publish, contracts to confirm (待确认) or seal
  (供应商已盖章), orders to accept (履约中) or pay (已验收);
- 供应商: projects open for quoting (with the countdown to the close), contracts to send (待发送) or seal
  (已确认), orders in performance (物流信息, 开票信息);
- 征集人: agreements that expire within 30 days, suspended suppliers.

It only reads. A list that cannot be read (a service down) leaves a note, never an error page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.gateway import ApiError
from web.render import gateway, redirect, render
from web.session import Viewer, viewer_of

router = APIRouter()

BEIJING = timezone(timedelta(hours=8))
SOON_DAYS = 3
EXPIRY_DAYS = 30  # the agency sees agreements that end within this many days


@dataclass(frozen=True)
class Todo:
    group: str  # 项目 | 合同 | 订单 | 框架协议 | 供应商
    task: str  # what to do, in the manual's words: 确认成交结果, 盖章, ...
    name: str
    number: str
    status: str
    status_label: str
    href: str
    action: str
    deadline: date | datetime | None = None
    deadline_label: str = ""
    overdue: bool = False
    countdown: bool = False  # a bidding window: the page counts down to `deadline`


def urgency(deadline: date | datetime | None, now: datetime, *, overdue: bool = False) -> str:
    """overdue (past the day, or the API says so) | soon (within 3 days) | "" — on the Beijing calendar."""
    if deadline is None:
        return "overdue" if overdue else ""
    if isinstance(deadline, datetime):
        left = deadline - now
        if overdue or left.total_seconds() < 0:
            return "overdue"
        return "soon" if left <= timedelta(days=SOON_DAYS) else ""
    today = now.astimezone(BEIJING).date()
    if overdue or deadline < today:
        return "overdue"
    return "soon" if (deadline - today).days <= SOON_DAYS else ""


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def _open_deadline(record: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((d for d in record.get("deadlines") or [] if d.get("name") == name and not d.get("done_on")), None)


def _project(p: dict[str, Any], task: str, href: str, action: str, **extra: Any) -> Todo:
    return Todo("项目", task, p["name"], p["project_no"], p["status"], p["status_label"], href, action, **extra)


def _contract(c: dict[str, Any], task: str, action: str) -> Todo:
    deadline = c.get("deadline") or {}
    return Todo("合同", task, c["project_name"], c["contract_no"], c["status"], c["status_label"], f"/contracts/{c['id']}",
                action, deadline=_date(deadline.get("due_on")), deadline_label="合同签订期限",
                overdue=bool(deadline.get("overdue")))


def _filing(c: dict[str, Any]) -> Todo | None:
    """合同备案 still to record on a contract in force (its deadline, 7 working days after signing)."""
    due = _open_deadline(c, "contract_filing")
    if due is None:
        return None
    return Todo("合同", "合同备案", c["project_name"], c["contract_no"], c["status"], c["status_label"],
                f"/contracts/{c['id']}", "登记备案", deadline=_date(due["due_on"]), deadline_label="合同备案期限",
                overdue=bool(due.get("overdue")))


def _order(o: dict[str, Any], task: str, action: str, deadline_name: str = "") -> Todo:
    due = _open_deadline(o, deadline_name) if deadline_name else None
    return Todo("订单", task, o["project_name"], o["order_no"], o["status"], o["status_label"], f"/orders/{o['id']}",
                action, deadline=_date(due["due_on"]) if due else None,
                deadline_label={"payment": "付款期限", "contract_signing": "合同签订期限"}.get(deadline_name, ""),
                overdue=bool(due and due.get("overdue")))


def purchaser_todos(lists: dict[str, list[dict[str, Any]]]) -> list[Todo]:
    todos = [_project(p, "确认成交结果", f"/projects/{p['id']}/result", "确认成交结果")
             for p in lists.get("awaiting_confirmation", [])]
    todos += [_project(p, "待发布的草稿", f"/projects/{p['id']}", "查看并发布")
              for p in lists.get("draft", [])]
    todos += [_contract(c, "确认合同", "确认") for c in lists.get("contracts_sent", [])]
    todos += [_contract(c, "合同盖章", "盖章") for c in lists.get("contracts_supplier_sealed", [])]
    todos += [t for c in lists.get("contracts_in_force", []) if (t := _filing(c)) is not None]
    todos += [_order(o, "验收", "上传验收单") for o in lists.get("orders_contracted", [])]
    todos += [_order(o, "支付", "上传支付凭证", "payment") for o in lists.get("orders_accepted", [])]
    return todos


def supplier_todos(lists: dict[str, list[dict[str, Any]]]) -> list[Todo]:
    todos = [_project(p, "报价", f"/quoting/{p['id']}", "报价", deadline=_moment(p.get("ends_at")),
                      deadline_label="报价截止", countdown=True) for p in lists.get("quoting", [])]
    todos += [_project(p, "即将开始报价", f"/quoting/{p['id']}", "查看", deadline=_moment(p.get("starts_at")),
                       deadline_label="报价开始", countdown=True) for p in lists.get("scheduled", [])]
    todos += [_contract(c, "发送合同", "发送合同") for c in lists.get("contracts_drafted", [])]
    todos += [_contract(c, "合同盖章", "盖章") for c in lists.get("contracts_confirmed", [])]
    todos += [_order(o, "物流与开票", "登记物流、开票信息") for o in lists.get("orders_contracted", [])]
    return todos


def agency_todos(agreements: list[dict[str, Any]], now: datetime) -> list[Todo]:
    """`agreements`: the details (with suppliers) of the agreements not yet expired."""
    today = now.astimezone(BEIJING).date()
    todos = []
    for a in agreements:
        ends = _date(a.get("valid_to"))
        if a.get("status") == "active" and ends and (ends - today).days <= EXPIRY_DAYS:
            todos.append(Todo("框架协议", "即将到期", a["name"], a["agreement_no"], a["status"], a["status_label"],
                              f"/agreements/{a['id']}", "查看", deadline=ends, deadline_label="有效期止"))
        for s in a.get("suppliers") or []:
            if s.get("status") == "suspended":
                todos.append(Todo("供应商", "已暂停的供应商", s["name"], a["agreement_no"], s["status"], s["status_label"],
                                  f"/suppliers?agreement_id={a['id']}&status=suspended", "查看并恢复"))
    return todos


def ordered(todos: list[Todo], now: datetime) -> list[dict[str, Any]]:
    """Overdue first, then the nearest deadline, then the rest in the order they came."""
    rows = []
    for position, todo in enumerate(todos):
        level = urgency(todo.deadline, now, overdue=todo.overdue)
        rows.append({**todo.__dict__, "urgency": level, "position": position})
    rank = {"overdue": 0, "soon": 1, "": 2}

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        deadline = row["deadline"]
        moment = (deadline if isinstance(deadline, datetime)
                  else datetime.combine(deadline, datetime.min.time(), BEIJING) if deadline else None)
        return (rank[row["urgency"]], moment is None, moment or now, row["position"])
    return sorted(rows, key=key)


def tally(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many of each task, in the order they first appear (the tiles above the list)."""
    counts: dict[str, dict[str, Any]] = {}
    for row in rows:
        tile = counts.setdefault(row["task"], {"task": row["task"], "count": 0, "overdue": 0})
        tile["count"] += 1
        tile["overdue"] += row["urgency"] == "overdue"
    return list(counts.values())


# ── reading the lists ────────────────────────────────────────────────────────────────────────────

PURCHASER_LISTS = {
    "awaiting_confirmation": ("/projects", {"status": "awaiting_confirmation"}, "项目"),
    "draft": ("/projects", {"status": "draft"}, "项目"),
    "contracts_sent": ("/contracts", {"status": "sent"}, "合同"),
    "contracts_supplier_sealed": ("/contracts", {"status": "supplier_sealed"}, "合同"),
    "contracts_in_force": ("/contracts", {"status": "purchaser_sealed"}, "合同"),
    "orders_contracted": ("/orders", {"status": "contracted"}, "订单"),
    "orders_accepted": ("/orders", {"status": "accepted"}, "订单"),
}
SUPPLIER_LISTS = {
    "quoting": ("/projects", {"status": "quoting"}, "项目"),
    "scheduled": ("/projects", {"status": "scheduled"}, "项目"),
    "contracts_drafted": ("/contracts", {"status": "drafted"}, "合同"),
    "contracts_confirmed": ("/contracts", {"status": "confirmed"}, "合同"),
    "orders_contracted": ("/orders", {"status": "contracted"}, "订单"),
}


async def _gather(calls: dict[str, Awaitable[Any]]) -> tuple[dict[str, Any], list[str]]:
    """Every call at once; a refused one is left out and named (a SessionExpired still goes up)."""
    answers = await asyncio.gather(*calls.values(), return_exceptions=True)
    found, missing = {}, []
    for key, answer in zip(calls, answers, strict=True):
        if isinstance(answer, ApiError):
            missing.append(key)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            found[key] = answer
    return found, missing


async def _lists(request: Request, viewer: Viewer, spec: dict[str, tuple[str, dict[str, str], str]]
                 ) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    found, missing = await _gather({key: gateway(request).get(path, token=viewer.token, limit=100, **params)
                                    for key, (path, params, _) in spec.items()})
    return ({key: answer.get("items") or [] for key, answer in found.items()},
            sorted({spec[key][2] for key in missing}))


async def _agency(request: Request, viewer: Viewer, now: datetime) -> tuple[list[Todo], list[str]]:
    found, missing = await _gather({status: gateway(request).get("/catalog/agreements", token=viewer.token,
                                                                 status=status, page_size=100)
                                    for status in ("active", "scheduled")})
    ids = list(dict.fromkeys(a["id"] for page in found.values() for a in page.get("items") or []))
    details, lost = await _gather({i: gateway(request).get(f"/catalog/agreements/{i}", token=viewer.token) for i in ids})
    return agency_todos(list(details.values()), now), ["框架协议"] if missing or lost else []


@router.get("/")
async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return redirect(request, "/login")
    now = datetime.now(timezone.utc)
    missing: list[str] = []
    if viewer.role == "purchaser":
        lists, missing = await _lists(request, viewer, PURCHASER_LISTS)
        todos = purchaser_todos(lists)
    elif viewer.role == "supplier":
        lists, missing = await _lists(request, viewer, SUPPLIER_LISTS)
        todos = supplier_todos(lists)
    elif viewer.role == "agency":
        todos, missing = await _agency(request, viewer, now)
    else:
        todos = []
    rows = ordered(todos, now)
    return render(request, "home.html", title="待办事项", todos=rows, tiles=tally(rows), missing=missing,
                  role=viewer.role, now=now)
