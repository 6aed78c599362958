"""采购公告, 成交结果公告, 直接选定汇总公告 and 合同公告 (public, no login): the lists, newest first, and one
announcement laid out as an official notice (the same template the purchaser previews before
publishing). An award or a summary shows the deadline the measures set for it (发布期限) and whether it
was met. 合同公告 are the contracts service's (/contracts/announcements), the others bidding's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.render import gateway, render

router = APIRouter()

PAGE_SIZE = 20
KINDS = {"procurement": "采购公告", "award": "成交结果公告", "summary": "直接选定汇总公告", "contract": "合同公告"}


@router.get("/announcements")
async def announcement_list(request: Request, kind: str = "procurement", page: int = 1) -> Response:
    kind = kind if kind in KINDS else "procurement"
    page = max(page, 1)
    offset = (page - 1) * PAGE_SIZE
    if kind == "contract":
        answer = await gateway(request).get("/contracts/announcements", limit=PAGE_SIZE, offset=offset)
    else:
        answer = await gateway(request).get("/announcements", kind=kind, limit=PAGE_SIZE, offset=offset)
    return render(request, "public/list.html", title=KINDS[kind], breadcrumbs=[("公告", ""), (KINDS[kind], "")],
                  kind=kind, kinds=KINDS, items=answer["items"], total=answer["total"], page=page,
                  has_next=page * PAGE_SIZE < answer["total"], query={"kind": kind})


@router.get("/announcements/contracts/{announcement_id}")
async def contract_announcement_page(request: Request, announcement_id: str) -> Response:
    facts = await gateway(request).get(f"/contracts/announcements/{announcement_id}")
    notice = {"kind": "contract", "title": facts["title"], "details": facts, "published_at": facts["published_at"],
              "content": f"{facts['purchaser_name']}与{facts['supplier_name']}已于 {facts['signed_at'][:10]} 签订"
                         f"{facts['project_name']}合同（合同编号 {facts['contract_no']}），现将合同主要信息公告如下。"}
    return render(request, "public/detail.html", title=facts["title"],
                  breadcrumbs=[("公告", ""), (KINDS["contract"], "/announcements?kind=contract"), (facts["title"], "")],
                  notice=notice, kind="contract", kinds=KINDS)


@router.get("/announcements/{announcement_id}")
async def announcement_page(request: Request, announcement_id: str) -> Response:
    notice = await gateway(request).get(f"/announcements/{announcement_id}")
    kind = notice["kind"] if notice["kind"] in KINDS else "procurement"
    return render(request, "public/detail.html", title=notice["title"],
                  breadcrumbs=[("公告", ""), (KINDS[kind], f"/announcements?kind={kind}"), (notice["title"], "")],
                  notice=notice, kind=kind, kinds=KINDS)
