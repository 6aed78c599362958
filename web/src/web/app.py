"""Composition of the console: settings, the gateway client, the pages of each area, the error pages.

The console is a frontend of the gateway like any other: it calls `/api/v1` through `web.gateway` and
nothing else — never a service, never a database. Pages are rendered on the server (Jinja2) and work
without JavaScript; `static/console.js` only adds what must move by itself (the countdown, a status that
changes while you look, the confirmation dialog)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from servicekit import tracing
from servicekit.http import RequestContextMiddleware
from servicekit.metrics import Metrics, metrics_router
from servicekit.logging import bind_context
from web.gateway import ApiError, Gateway, SessionExpired
from web.pages import ROUTERS
from web.render import render
from web.session import SESSION_COOKIE, CsrfRefused, LoginRequired, NotAllowed, here, login_url
from web.settings import Settings

log = logging.getLogger("web")

SECURITY_HEADERS = {
    # Scripts and styles only from this site; the contract PDF is framed from this site only.
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
                               "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
}


class SecurityHeaders:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", []).extend(
                    (k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present)
            await send(message)
        await self.app(scope, receive, with_headers)


class ClientAddress:
    """Names the person's address (uvicorn took it from the gateway's X-Forwarded-For) in the request's context,
    so every call to the gateway says whom it is for, and log lines say it too."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "http" and scope.get("client"):
            bind_context(client=scope["client"][0])
        await self.app(scope, receive, send)


def build(settings: Settings) -> FastAPI:
    secret = settings.secret()
    if not secret:
        log.warning("WEB_SECRET is not set: a key of this process only (forms opened before a restart, or on "
                    "another replica, will ask to be reloaded)")
        secret = secrets.token_urlsafe(32)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = Gateway(settings.gateway_url, timeout=settings.gateway_timeout)
        try:
            yield
        finally:
            await app.state.gateway.close()
            tracing.shutdown()

    app = FastAPI(title="框架协议采购平台 控制台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    metrics = Metrics("web")
    app.state.metrics = metrics
    app.include_router(metrics_router(metrics))  # scraped on the internal network; the gateway serves its own
    tracing.configure("web", endpoint=settings.otel_exporter_otlp_endpoint)
    from web.session import Csrf

    app.state.settings = settings
    app.state.csrf = Csrf(secret)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "web"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        if await request.app.state.gateway.ready():
            return JSONResponse({"status": "ready", "checks": {"gateway": True}})
        return JSONResponse({"error": {"code": "not_ready", "message": "控制台暂不可用：无法连接网关",
                                       "details": {"gateway": False}}}, status_code=503)

    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(SessionExpired)
    async def _expired(request: Request, exc: SessionExpired) -> Response:
        response = RedirectResponse(login_url(here(request)) + ("&" if "?" in login_url(here(request)) else "?")
                                    + "expired=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> Response:
        return render(request, "error.html", status=403, title="无权访问",
                      heading="无权访问", message="此页面不属于您的角色，请从左侧菜单进入您的功能。")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return render(request, "error.html", status=403, title="页面已过期", heading="页面已过期",
                      message="为了您的账号安全，此表单已失效。请返回上一页，刷新后重新提交；没有做任何修改。")

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        heading = {403: "无权访问", 404: "未找到"}.get(exc.status, "操作未完成")
        status = exc.status if 400 <= exc.status < 500 else 503
        return render(request, "error.html", status=status, title=heading, heading=heading, message=exc.message,
                      code=exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render(request, "error.html", status=404, title="页面不存在", heading="页面不存在",
                          message="您访问的页面不存在。请从左侧菜单进入。")
        return render(request, "error.html", status=exc.status_code, title="操作未完成", heading="操作未完成",
                      message=str(exc.detail))

    app.add_middleware(ClientAddress)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeaders)
    return app
