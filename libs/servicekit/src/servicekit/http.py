"""HTTP plumbing: request ids and trace context on every request and log line, health endpoints."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts_schema.envelope import new_traceparent, trace_id_of
from servicekit.errors import error_body
from servicekit.logging import _context

if TYPE_CHECKING:
    from servicekit.app import Service


class RequestContextMiddleware:
    """Pure ASGI (no per-request task): takes X-Request-ID and traceparent from the caller (the gateway
    sets both) or makes them, binds them to the log context, and returns X-Request-ID."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        request_id = (headers.get(b"x-request-id") or b"").decode() or uuid.uuid4().hex
        traceparent = (headers.get(b"traceparent") or b"").decode() or new_traceparent()
        token = _context.set({"request_id": request_id, "traceparent": traceparent,
                              "trace_id": trace_id_of(traceparent)})

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _context.reset(token)


def health_router(service: Service) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service.name}

    @router.get("/readyz", summary="Readiness: database, broker and relay are up")
    async def readyz(request: Request) -> JSONResponse:
        checks = await service.readiness()
        failing = [name for name, ok in checks.items() if not ok]
        if failing:
            return JSONResponse(error_body("not_ready", f"{service.name} not ready: {', '.join(failing)}", checks),
                                status_code=503)
        return JSONResponse({"status": "ready", "service": service.name, "checks": checks})

    return router
