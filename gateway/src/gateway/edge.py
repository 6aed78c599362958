"""The edge layer, in front of every /api/ request (the gateway's own and the passed-through):

1. who is calling: a bearer token is verified here (RS256 with the gateway's public key; a verified
   token is remembered until it expires), so a bad or expired token is a 401 before any service works
   on it, and the log context names the user and unit. No token: the request goes on anonymously and
   the service decides (announcements are public).
2. the per-user rate limit (per client address without a token): over it is a 429 with Retry-After.
3. one access-log line per request (method, path, service, status, milliseconds), carrying the request
   id that servicekit's RequestContextMiddleware bound just outside this layer;
4. an error in these layers (outside FastAPI, so outside its error handler) is still a JSON 500."""

from __future__ import annotations

import logging
import time
from typing import Any


from gateway.asgi import header, send_error
from gateway.domain import Limit, rate_key
from gateway.ratelimit import RateLimiter
from gateway.routes import service_for
from servicekit.auth import TokenVerifier
from servicekit.errors import APIError
from servicekit.logging import AccessLog, bind_context

log = logging.getLogger("gateway.edge")
access = AccessLog("gateway.access")

LOGIN_PATH = "/api/v1/auth/token"


def bearer(scope: dict) -> str | None:
    value = header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class EdgeMiddleware:
    def __init__(self, app: Any, *, tokens: TokenVerifier, limiter: RateLimiter | None, user_limit: Limit,
                 anonymous_limit: Limit, access_log: bool = True) -> None:
        self.app = app
        self.tokens = tokens
        self.limiter = limiter
        self.user_limit = user_limit
        self.anonymous_limit = anonymous_limit
        self.access_log = access_log

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_noting_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, send_noting_status)
        except Exception:
            # These layers sit outside FastAPI (app.py): its error handler cannot answer for them.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if status:
                raise  # the status line is out: uvicorn cuts the connection
            await send_error(send_noting_status, 500, "internal_error",
                             "服务器内部错误，请稍后重试（请求编号可在日志中查到）")
        finally:
            if self.access_log:
                access.info(f"{scope['method']} {scope['path']} {status}",
                            {"upstream": service_for(scope["path"]) or "gateway",
                             "duration_ms": round((time.perf_counter() - started) * 1000, 2)})

    async def _handle(self, scope: dict, receive: Any, send: Any) -> None:
        username = None
        # Logging in needs no token: an old one a frontend still sends along must not stand in the way.
        token = bearer(scope) if scope["path"] != LOGIN_PATH else None
        if token is not None:
            try:
                principal = self.tokens.verify(token)  # remembered until it expires (servicekit.auth)
            except APIError as refused:
                await send_error(send, refused.status, refused.code, refused.message,
                                 [(b"www-authenticate", b"Bearer")])
                return
            username = principal.username
            bind_context(user=principal.username, org_id=principal.org_id)
        if self.limiter is not None:
            client = scope.get("client")
            key = rate_key(username=username, client_ip=client[0] if client else None)
            decision = await self.limiter.hit(key, self.user_limit if username else self.anonymous_limit)
            if not decision.allowed:
                wait = decision.retry_after_seconds
                await send_error(send, 429, "rate_limited",
                                 f"请求过于频繁，请 {wait} 秒后再试",
                                 [(b"retry-after", str(wait).encode())])
                return
        await self.app(scope, receive, send)
