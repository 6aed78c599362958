"""采购公告, 成交结果公告 and 直接选定汇总公告 (public, no login): the lists, newest first, and one
announcement laid out as an official notice (the same template the purchaser previews before
publishing). An award or a summary shows the deadline the measures set for it (发布期限) and whether it
was met."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.render import gateway, render

router = APIRouter()

PAGE_SIZE = 20
KINDS = {"procurement": "采购公告", "award": "成交结果公告", "summary": "直接选定汇总公告"}


@router.get("/announcements")
async def announcement_list(request: Request, kind: str = "procurement", page: int = 1) -> Response:
    kind = kind if kind in KINDS else "procurement"
    page = max(page, 1)
    answer = await gateway(request).get("/announcements", kind=kind, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "public/list.html", title=KINDS[kind], breadcrumbs=[("公告", ""), (KINDS[kind], "")],
                  kind=kind, kinds=KINDS, items=answer["items"], total=answer["total"], page=page,
                  has_next=page * PAGE_SIZE < answer["total"], query={"kind": kind})


@router.get("/announcements/{announcement_id}")
async def announcement_page(request: Request, announcement_id: str) -> Response:
    notice = await gateway(request).get(f"/announcements/{announcement_id}")
    kind = notice["kind"] if notice["kind"] in KINDS else "procurement"
    return render(request, "public/detail.html", title=notice["title"],
                  breadcrumbs=[("公告", ""), (KINDS[kind], f"/announcements?kind={kind}"), (notice["title"], "")],
                  notice=notice, kind=kind)
