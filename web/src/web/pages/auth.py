"""登录 / 退出. The token the gateway issues goes into the HttpOnly session cookie and nowhere else."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.gateway import ApiError
from web.render import checked_form, gateway, redirect, render, set_csrf_cookie, text
from web.session import NAME_COOKIE, SESSION_COOKIE, Csrf, safe_next, set_cookie, viewer_of

router = APIRouter()

DEMO_ACCOUNTS = ("agency", "purchaser-a", "purchaser-b", "supplier-1", "supplier-2", "supplier-3")


@router.get("/login")
async def login_page(request: Request, next: str = "/", expired: str = "") -> Response:  # noqa: A002
    if viewer_of(request) is not None and not expired:
        return redirect(request, safe_next(next))
    return render(request, "login.html", title="登录", next=safe_next(next), expired=bool(expired),
                  username="", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    username, password, next_path = text(form, "username"), form.get("password") or "", safe_next(text(form, "next"))
    error = None
    if not username or not password:
        error = "请输入用户名和密码。"
    else:
        try:
            answer = await gateway(request).post("/auth/token", data={"username": username, "password": password})
        except ApiError as refused:
            error = refused.message if refused.code != "invalid_credentials" else "用户名或密码错误，请重新输入。"
        else:
            token = answer["access_token"]
            try:
                me = await gateway(request).get("/me", token=token)
            except ApiError:
                me = {}
            response = redirect(request, next_path)
            mode = request.app.state.settings.cookie_secure
            set_cookie(response, request, SESSION_COOKIE, token, mode=mode, max_age=int(answer.get("expires_in", 1800)))
            set_cookie(response, request, NAME_COOKIE, quote(me.get("display_name") or username), mode=mode)
            set_csrf_cookie(request, response, Csrf.new_seed())  # a new form key for the new session
            return response
    return render(request, "login.html", status=401 if password else 422, title="登录", next=next_path,
                  expired=False, username=username, error=error)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    response = redirect(request, "/login", flash="您已安全退出。")
    for name in (SESSION_COOKIE, NAME_COOKIE):
        response.delete_cookie(name, path="/")
    return response
