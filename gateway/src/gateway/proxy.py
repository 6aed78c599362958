"""The pass-through to the services: a pure ASGI layer in front of the gateway's own routes.

Paths go to their service unchanged (routes.py). Request and response bodies stream chunk by chunk
(an upload or a download is never held whole in the gateway); a declared body above MAX_BODY_BYTES is
a 413 before any service sees it. Every call carries X-Request-ID and traceparent (bound by servicekit's
RequestContextMiddleware outside this layer). A service that cannot be reached answers a JSON 502 that
names it, a silent one a JSON 504: never a hang, never a 500."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from contracts_schema.envelope import new_traceparent
from gateway.asgi import header, send_error
from gateway.routes import CONSOLE, service_for
from gateway.upstream import TimedOut, UpstreamClient, UpstreamError
from servicekit.logging import current_context

log = logging.getLogger("gateway.proxy")

# Never forwarded to a service: hop-by-hop headers (RFC 9110 §7.6.1), the caller's Host, Expect
# (the gateway answers 100-continue itself), and what the gateway sets itself.
DROP_REQUEST = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
                          b"trailer", b"trailers", b"transfer-encoding", b"upgrade", b"host", b"expect",
                          b"x-request-id", b"traceparent", b"x-forwarded-for", b"x-forwarded-proto"})
# Never passed back: hop-by-hop, and what the gateway's own server and middleware set.
DROP_RESPONSE = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"trailer", b"upgrade",
                           b"server", b"date", b"x-request-id"})
# Answers up to this size are read whole before the status line goes out: one message to the caller, and
# a service breaking off mid-answer is still a clean 502. Larger ones (or of unknown length) stream, and
# watch for the caller hanging up mid-download.
SMALL_ANSWER = 256 * 1024


class BodyTooLarge(Exception):
    pass


class CallerGone(Exception):
    pass


class RequestBody:
    """The caller's body as an async stream of chunks, counted against the size limit as it flows."""

    def __init__(self, receive: Any, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.size = 0
        self.done = False
        self.too_large = False
        self.caller_gone = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self.done:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.caller_gone = True
                raise CallerGone("the caller hung up during the upload")
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > self.limit:
                self.too_large = True
                raise BodyTooLarge(f"request body above {self.limit} bytes")
            self.done = not message.get("more_body", False)
            if chunk:
                yield chunk


def forwarded_headers(scope: dict, request_id: str, traceparent: str) -> list[tuple[bytes, bytes]]:
    """The caller's headers as the service should see them."""
    drop = DROP_REQUEST
    connection = header(scope, b"connection")
    if connection:  # headers the caller named as hop-by-hop
        drop = drop | {token.strip().lower() for token in connection.split(b",")}
    headers = [(k, v) for k, v in scope["headers"] if k not in drop]
    if header(scope, b"transfer-encoding"):  # chunked: the length is not known, the client library chunks it
        headers = [(k, v) for k, v in headers if k != b"content-length"]
    client = scope.get("client")
    forwarded_for = header(scope, b"x-forwarded-for")
    if client:
        forwarded_for = (forwarded_for + b", " if forwarded_for else b"") + client[0].encode()
    if forwarded_for:
        headers.append((b"x-forwarded-for", forwarded_for))
    headers += [(b"x-forwarded-proto", scope.get("scheme", "http").encode()),
                (b"x-request-id", request_id.encode()), (b"traceparent", traceparent.encode())]
    return headers


def _declared_length(scope: dict) -> int | None:
    value = header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class ProxyMiddleware:
    def __init__(self, app: Any, *, client: UpstreamClient, urls: dict[str, str], max_body_bytes: int) -> None:
        self.app = app
        self.client = client
        self.urls = urls
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (service := service_for(scope["path"])) is None:
            await self.app(scope, receive, send)
            return
        if "/." in scope["path"] and any(part in (".", "..") for part in scope["path"].split("/")):
            # A service would not resolve it, but no caller has a reason to send it either.
            await send_error(send, 400, "bad_request", "路径中不能含有 “.” 或 “..” 段")
            return
        context = current_context()
        request_id = context.get("request_id") or ""
        headers = forwarded_headers(scope, request_id, context.get("traceparent") or new_traceparent())
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(send)
            return
        has_body = bool(declared) or header(scope, b"transfer-encoding") is not None
        body = RequestBody(receive, self.max_body_bytes) if has_body else None
        url = self.urls[service] + scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")

        try:
            response = await self.client.send(scope["method"], url, headers, body.chunks() if body else None)
        except (UpstreamError, BodyTooLarge, CallerGone) as failure:
            await self._refuse(send, service, failure, body)
            return
        try:
            await self._relay(response, service, send, receive, body_done=body is None or body.done)
        finally:
            await response.close()

    async def _too_large(self, send: Any) -> None:
        await send_error(send, 413, "too_large", f"上传内容超过允许的 "
                                                 f"{self.max_body_bytes / (1024 * 1024):g} MiB")

    async def _refuse(self, send: Any, service: str, failure: Exception, body: RequestBody | None) -> None:
        # A client library may wrap what the body stream raised: the body's own record is the truth.
        if body is not None and body.caller_gone:
            log.info("the caller hung up during the upload to %s", service)
        elif body is not None and body.too_large:
            await self._too_large(send)
        elif isinstance(failure, TimedOut):
            log.warning("%s service did not answer in time: %s", service, failure, extra={"upstream": service})
            await self._unavailable(send, service, 504, "service_timeout", f"{service} 服务未能及时响应，请稍后重试")
        else:
            log.warning("%s service unreachable: %s", service, failure, extra={"upstream": service})
            await self._unavailable(send, service, 502, "service_unavailable", f"{service} 服务暂时不可用，请稍后重试")

    @staticmethod
    async def _unavailable(send: Any, service: str, status: int, code: str, message: str) -> None:
        if service != CONSOLE:
            await send_error(send, status, code, message)
            return
        # A person's browser asked for a page: a page, not JSON.
        page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>暂时无法访问</title>'
                f'<body style="font-family:sans-serif;margin:4em"><h1>控制台暂时无法访问</h1>'
                f'<p>{message}。</p><p><a href="/">重新加载</a></p></body></html>').encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(page)).encode()), (b"retry-after", b"5")]})
        await send({"type": "http.response.body", "body": page})

    async def _relay(self, response: Any, service: str, send: Any, receive: Any, *, body_done: bool) -> None:
        out = [(k, v) for k, v in response.raw_headers if k.lower() not in DROP_RESPONSE]
        length = next((int(v) for k, v in out if k.lower() == b"content-length"), None)
        if length is not None and length <= SMALL_ANSWER:
            try:
                body = await response.read()
            except UpstreamError as failure:
                await self._refuse(send, service, failure, None)
                return
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        caller_gone = asyncio.Event()
        watcher = None
        if body_done:
            # uvicorn drops what is sent to a caller that hung up: notice it, stop reading the service.
            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                caller_gone.set()
            watcher = asyncio.create_task(watch())
        try:
            async for chunk in response.chunks():
                if caller_gone.is_set():
                    log.info("the caller hung up during the download from %s", service)
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except UpstreamError as failure:
            # The status line is out: the only honest signal left is to cut the connection short.
            log.warning("%s service broke off its answer: %s", service, failure, extra={"upstream": service})
        finally:
            if watcher is not None:
                watcher.cancel()
