"""首页: the signed-in person's to-dos (结果待确认, contracts to confirm or seal, orders to accept or pay,
deadlines near or overdue in red); the public announcements for someone not signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.render import render, redirect
from web.session import viewer_of

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return redirect(request, "/login")
    return render(request, "home.html", title="待办事项", todos=[])
