"""The pooled HTTP clients that call the services, behind one small interface.

The default is the gateway's own pool over httptools (gateway/pool.py: it spends a fraction of aiohttp's
CPU a request); aiohttp and httpx are kept so bench/gateway_passthrough.py can compare all three in one
run (UPSTREAM_CLIENT=aiohttp, =httpx). Each client maps its own errors to two outcomes the proxy answers
for: the service cannot be reached (502) or did not answer in time (504).

A pooled (kept-alive) connection the service dropped — uvicorn closes one just after answering a 500 —
fails the next request written to it before the service has read any of it. Such a request, of any
method, is sent once more on a fresh connection: when it failed on a reused connection with a reset or
close and before any answer, and its body can be sent again (none, or all of it kept: at most
REPLAY_LIMIT bytes of a declared length, all read). A stream already partly sent, or a request that
failed on a fresh connection (the service may have acted on it), is not sent again."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, Protocol

import aiohttp
import httpx
from yarl import URL

log = logging.getLogger("gateway.upstream")

REPLAY_LIMIT = 64 * 1024


class UpstreamError(Exception):
    """The service failed us (not the caller)."""


class Unreachable(UpstreamError):
    """Refused, reset or closed: the service is down or restarting."""


class TimedOut(UpstreamError):
    """Connected, or tried to, and the service stayed silent too long."""


class UpstreamResponse(Protocol):
    status: int
    raw_headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...

    async def close(self) -> None: ...


class UpstreamClient(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> UpstreamResponse:
        """Returns once the status and headers have arrived; the body streams from `chunks()`."""
        ...


class _Body:
    """The caller's body on its way out. One of a declared length up to REPLAY_LIMIT is kept as it goes,
    so a failed try can send it again once all of it was read; a stream (chunked) or a longer body cannot
    be sent twice once its first chunk went out."""

    def __init__(self, source: AsyncIterator[bytes] | None, headers: list[tuple[bytes, bytes]]) -> None:
        self.source = source
        declared = next((value for name, value in headers if name.lower() == b"content-length"), b"")
        self.length = int(declared) if declared.isdigit() else None
        self.kept: list[bytes] = []
        self.size = 0
        self.started = False

    @property
    def replayable(self) -> bool:
        if self.source is None or not self.started:
            return True
        return self.length is not None and self.length <= REPLAY_LIMIT and self.size == self.length

    def chunks(self) -> AsyncIterator[bytes] | None:
        if self.source is None:
            return None
        return self._again() if self.started else self._first()

    async def _first(self) -> AsyncIterator[bytes]:
        self.started = True
        async for chunk in self.source:
            self.size += len(chunk)
            if self.size <= REPLAY_LIMIT:
                self.kept.append(chunk)
            yield chunk

    async def _again(self) -> AsyncIterator[bytes]:
        for chunk in self.kept:
            yield chunk


def _try_again_or_raise(body: _Body, *, first_try: bool, reused: bool, url: str, exc: Exception) -> None:
    """After a reset or close before any answer: returns when the request goes once more on a fresh
    connection, else raises Unreachable."""
    if first_try and reused and body.replayable:
        log.info("a kept-alive connection to %s was dropped (%s): sending the request again on a fresh one",
                 url.split("?", 1)[0], str(exc) or type(exc).__name__)
        return
    raise Unreachable(str(exc) or type(exc).__name__) from exc


# ---------------------------------------------------------------------------------------------- aiohttp

class _AiohttpResponse:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.raw_headers = response.raw_headers

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(65536):
                yield chunk
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut(str(exc) or "read timed out") from exc
        except aiohttp.ClientError as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut(str(exc) or "read timed out") from exc
        except aiohttp.ClientError as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        self._response.release()


class AiohttpClient:
    def __init__(self, *, timeout: float, connect_timeout: float, pool_size: int) -> None:
        # connect= bounds waiting for a free pooled connection plus connecting; sock_read= the silence
        # between bytes of the answer.
        self.timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_connect=connect_timeout,
                                             sock_read=timeout)
        self.pool_size = pool_size
        self.session: aiohttp.ClientSession | None = None
        self.fresh: aiohttp.ClientSession | None = None  # a new connection for every request: the second try

    async def open(self) -> None:
        # keepalive_timeout below uvicorn's 5 s: the gateway drops an idle connection before the service
        # does, so a request is seldom written to a connection the service is closing.
        connector = _NotingReuse(limit=0, limit_per_host=self.pool_size, keepalive_timeout=4, ttl_dns_cache=300)
        options = {"timeout": self.timeout, "auto_decompress": False,
                   "skip_auto_headers": ("User-Agent", "Accept-Encoding", "Content-Type")}
        self.session = aiohttp.ClientSession(connector=connector, **options)
        self.fresh = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True), **options)

    async def close(self) -> None:
        for session in (self.session, self.fresh):
            if session:
                await session.close()
        self.session = self.fresh = None

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> _AiohttpResponse:
        assert self.session is not None and self.fresh is not None, "upstream client not opened"
        plain = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        target = URL(url, encoded=True)
        outgoing = _Body(body, headers)
        for session in (self.session, self.fresh):
            attempt = SimpleNamespace(reused=False)
            _ATTEMPT.set(attempt)
            try:
                response = await session.request(method, target, headers=plain, data=outgoing.chunks(),
                                                  allow_redirects=False)
                return _AiohttpResponse(response)
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise TimedOut(str(exc) or "timed out") from exc
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
                    aiohttp.ClientConnectionResetError) as exc:
                _try_again_or_raise(outgoing, first_try=session is self.session, reused=attempt.reused, url=url,
                                    exc=exc)
            except aiohttp.ClientError as exc:
                raise Unreachable(str(exc) or type(exc).__name__) from exc
        raise AssertionError("unreachable")


_ATTEMPT: contextvars.ContextVar[SimpleNamespace] = contextvars.ContextVar("upstream_attempt")


class _NotingReuse(aiohttp.TCPConnector):
    """Notes on the current try (`_ATTEMPT`, set in this task just before the request) whether the pool
    gave it a connection an earlier request used. What a TraceConfig's on_connection_reuseconn told
    before: measured, a trace config made aiohttp build and await its signals at every step of every
    request (about 15 µs of CPU a request)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._used: weakref.WeakSet[object] = weakref.WeakSet()

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        connection = await super().connect(req, traces, timeout)
        protocol = connection.protocol
        if protocol in self._used:
            attempt = _ATTEMPT.get(None)
            if attempt is not None:
                attempt.reused = True
        else:
            self._used.add(protocol)
        return connection


# ------------------------------------------------------------------------------------------------ httpx

class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.raw_headers = response.headers.raw

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw(65536):
                yield chunk
        except httpx.TimeoutException as exc:
            raise TimedOut(str(exc) or "read timed out") from exc
        except httpx.HTTPError as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def close(self) -> None:
        await self._response.aclose()


class HttpxClient:
    def __init__(self, *, timeout: float, connect_timeout: float, pool_size: int) -> None:
        self.timeout = httpx.Timeout(connect=connect_timeout, read=timeout, write=timeout, pool=timeout)
        self.limits = httpx.Limits(max_connections=None, max_keepalive_connections=pool_size,
                                   keepalive_expiry=4)
        self.client: httpx.AsyncClient | None = None
        self.fresh: httpx.AsyncClient | None = None  # keeps no connection: the second try

    async def open(self) -> None:
        self.client = httpx.AsyncClient(timeout=self.timeout, limits=self.limits, follow_redirects=False,
                                        trust_env=False)
        self.fresh = httpx.AsyncClient(timeout=self.timeout, limits=httpx.Limits(max_keepalive_connections=0),
                                       follow_redirects=False, trust_env=False)

    async def close(self) -> None:
        for client in (self.client, self.fresh):
            if client:
                await client.aclose()
        self.client = self.fresh = None

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> _HttpxResponse:
        assert self.client is not None and self.fresh is not None, "upstream client not opened"
        outgoing = _Body(body, headers)
        for client in (self.client, self.fresh):
            attempt = SimpleNamespace(connected=False)

            async def trace(event: str, info: dict, attempt: SimpleNamespace = attempt) -> None:
                if event.startswith("connection.connect_tcp."):  # else the pool gave a kept-alive connection
                    attempt.connected = True

            request = client.build_request(method, url, headers=headers, content=outgoing.chunks(),
                                           extensions={"trace": trace})
            try:
                return _HttpxResponse(await client.send(request, stream=True))
            except httpx.TimeoutException as exc:
                raise TimedOut(str(exc) or type(exc).__name__) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                _try_again_or_raise(outgoing, first_try=client is self.client, reused=not attempt.connected, url=url,
                                    exc=exc)
            except httpx.HTTPError as exc:
                raise Unreachable(str(exc) or type(exc).__name__) from exc
        raise AssertionError("unreachable")


def make_client(kind: str, *, timeout: float, connect_timeout: float, pool_size: int) -> UpstreamClient:
    from gateway.pool import PoolClient  # it builds on this module's rules

    cls = {"httptools": PoolClient, "aiohttp": AiohttpClient, "httpx": HttpxClient}[kind]
    return cls(timeout=timeout, connect_timeout=connect_timeout, pool_size=pool_size)
