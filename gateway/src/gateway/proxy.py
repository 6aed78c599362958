"""The pass-through to the services: a pure ASGI layer in front of the gateway's own routes.

One pooled aiohttp session; request and response bodies stream; every call carries X-Request-ID and
traceparent; a service that is down answers a JSON 502 naming it, a slow one a JSON 504."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import aiohttp

from contracts_schema.envelope import new_traceparent
from gateway.routes import service_for
from servicekit.errors import error_body

log = logging.getLogger("gateway.proxy")

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailers",
              b"transfer-encoding", b"upgrade", b"host", b"content-length"}
RESPONSE_SKIP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


class Upstreams:
    def __init__(self, urls: dict[str, str], *, timeout: float, connect_timeout: float) -> None:
        self.urls = urls
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=timeout)
        self.session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30, ttl_dns_cache=300)
        self.session = aiohttp.ClientSession(connector=connector, timeout=self.timeout, auto_decompress=False,
                                             skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"))

    async def close(self) -> None:
        if self.session:
            await self.session.close()
            self.session = None


async def _json(send: Any, status: int, body: dict[str, Any], request_id: str) -> None:
    import json

    payload = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"x-request-id", request_id.encode())]})
    await send({"type": "http.response.body", "body": payload})


class ProxyMiddleware:
    def __init__(self, app: Any, upstreams: Upstreams) -> None:
        self.app = app
        self.upstreams = upstreams

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (service := service_for(scope["path"])) is None:
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
        incoming = dict(scope["headers"])
        request_id = (incoming.get(b"x-request-id") or b"").decode() or uuid.uuid4().hex
        traceparent = (incoming.get(b"traceparent") or b"").decode() or new_traceparent()
        headers = [(k, v) for k, v in headers if k not in (b"x-request-id", b"traceparent")]
        headers += [(b"x-request-id", request_id.encode()), (b"traceparent", traceparent.encode())]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", client[0].encode()))
        query = scope.get("query_string", b"")
        url = self.upstreams.urls[service] + scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if query:
            url += "?" + query.decode("latin-1")
        has_body = incoming.get(b"content-length", b"0") not in (b"0", b"") or b"transfer-encoding" in incoming
        data = _stream_body(receive) if has_body else None
        assert self.upstreams.session is not None, "gateway not started"
        try:
            async with self.upstreams.session.request(
                scope["method"], url, headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                data=data, allow_redirects=False,
            ) as upstream:
                out = [(k, v) for k, v in upstream.raw_headers if k.decode("latin-1").lower() not in RESPONSE_SKIP]
                if upstream.content_length is not None:
                    out.append((b"content-length", str(upstream.content_length).encode()))
                await send({"type": "http.response.start", "status": upstream.status, "headers": out})
                async for chunk in upstream.content.iter_chunked(65536):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            log.warning("%s service unreachable: %s", service, exc, extra={"request_id": request_id})
            await _json(send, 502, error_body("service_unavailable", f"the {service} service is unavailable; "
                                                                    "try again shortly"), request_id)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            log.warning("%s service timed out", service, extra={"request_id": request_id})
            await _json(send, 504, error_body("service_timeout", f"the {service} service did not answer in time"),
                        request_id)


async def _stream_body(receive: Any):
    while True:
        message = await receive()
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            break
