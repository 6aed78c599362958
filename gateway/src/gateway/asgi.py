"""Small pure-ASGI pieces the gateway's layers share: a JSON error answer and the request-id guard."""

from __future__ import annotations

import json
import re
from typing import Any

from servicekit.errors import error_body

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")


async def send_error(send: Any, status: int, code: str, message: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answers `{"error": {"code", "message"}}` like every service does."""
    payload = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


def header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class RequestIdGuard:
    """Outermost layer: a caller's X-Request-ID is kept only if it looks like one (letters, digits,
    `._:-`, at most 128), so a client cannot write arbitrary text into every log line; otherwise the
    request gets a fresh id from servicekit's RequestContextMiddleware, right inside this layer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = header(scope, b"x-request-id")
            if given is not None and not _REQUEST_ID.match(given):
                scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]}
        await self.app(scope, receive, send)
