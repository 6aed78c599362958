"""HTTP plumbing: the JSON rendering of every error, request ids and trace context on every request
and log line (with its metrics and, when tracing is on, its server span), health endpoints."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts_schema.envelope import new_traceparent, random_hex, trace_id_of
from servicekit.errors import APIError, error_body, validation_details, validation_message
from servicekit import tracing
from servicekit.logging import _context
from servicekit.metrics import Metrics, route_template
from servicekit.openapi import errors

log = logging.getLogger("servicekit.http")

# Framework errors (no such route, wrong method, ...): a stable code and a Chinese message.
_HTTP_ERRORS = {
    400: ("bad_request", "请求体无法解析：须为有效的 JSON（或所声明类型的表单）"),
    401: ("unauthorized", "请先登录"),
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "这个地址不接受该请求方法"),
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{"error": {"code", "message"}}`: the servicekit.errors types with their
    status, request validation as 422 `validation_error` naming each field, anything else a 500."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(error_body("validation_error", validation_message(errors), validation_details(errors)),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_ERRORS.get(exc.status_code, ("error", str(exc.detail)))
        return JSONResponse(error_body(code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "服务内部错误，请稍后重试；日志中的请求编号可查明原因"),
                            status_code=500)

if TYPE_CHECKING:
    from servicekit.app import Service


class RequestContextMiddleware:
    """Pure ASGI (no per-request task): takes X-Request-ID and traceparent from the caller (the gateway
    sets both) or makes them, binds them to the log context, and returns X-Request-ID. With `metrics`,
    counts and times every request by route template (`route_of(scope)` after the app answered; the
    gateway names its pass-through by service prefix); with tracing on (servicekit.tracing), the
    request is a server span, child of the caller's traceparent, and the span's own traceparent is
    what the request's events and calls carry."""

    def __init__(self, app: Any, metrics: Metrics | None = None,
                 route_of: Callable[[dict], str] = route_template) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        # 32 random hex digits, as uuid4().hex, without its system call (the gateway makes one a request)
        request_id = (headers.get(b"x-request-id") or b"").decode() or random_hex(128)
        traceparent = (headers.get(b"traceparent") or b"").decode() or None
        span = None
        if tracing.enabled():
            span = tracing.start(scope["method"], tracing.SERVER, traceparent,
                                 {"http.request.method": scope["method"], "url.path": scope["path"]})
            traceparent = tracing.traceparent_of(span)
        traceparent = traceparent or new_traceparent()
        token = _context.set({"request_id": request_id, "traceparent": traceparent,
                              "trace_id": trace_id_of(traceparent)})
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _context.reset(token)
            if self.metrics is not None or span is not None:
                route = self.route_of(scope)
                if self.metrics is not None:
                    self.metrics.observe_request(route, scope["method"], status or 500,
                                                 time.perf_counter() - started)
                if span is not None:
                    span.update_name(f"{scope['method']} {route}")
                    tracing.finish(span, error=f"HTTP {status}" if not status or status >= 500 else None,
                                   attributes={"http.route": route, "http.response.status_code": status or 500})


def health_router(service: Service) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service.name}

    @router.get("/readyz", summary="Readiness: database, broker and relay are up",
                responses=errors(503, codes={503: ["not_ready"]}))
    async def readyz(request: Request) -> JSONResponse:
        report = await service.readiness()
        checks = {name: problem is None for name, problem in report.items()}
        problems = {name: problem for name, problem in report.items() if problem is not None}
        if problems:
            return JSONResponse(error_body("not_ready", f"{service.name} 尚未就绪：{'；'.join(problems.values())}",
                                           {"checks": checks, "problems": problems}), status_code=503)
        return JSONResponse({"status": "ready", "service": service.name, "checks": checks})

    return router
