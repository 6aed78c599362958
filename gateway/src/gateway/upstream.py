"""The pooled HTTP clients that call the services, behind one small interface.

aiohttp is the default; httpx is kept so bench/gateway_passthrough.py can compare both in one run
(UPSTREAM_CLIENT=httpx). Each client maps its own errors to two outcomes the proxy answers for:
the service cannot be reached (502) or did not answer in time (504)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

import aiohttp
import httpx
from yarl import URL

RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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

    async def open(self) -> None:
        # keepalive_timeout below uvicorn's 5 s: the gateway drops an idle connection before the service
        # does, so a request is never written to a connection the service is closing.
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=self.pool_size, keepalive_timeout=4,
                                         ttl_dns_cache=300)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=self.timeout, auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"))

    async def close(self) -> None:
        if self.session:
            await self.session.close()
            self.session = None

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> _AiohttpResponse:
        assert self.session is not None, "upstream client not opened"
        plain = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        target = URL(url, encoded=True)
        attempts = 2 if body is None and method in RETRYABLE_METHODS else 1
        for attempt in range(attempts):
            try:
                response = await self.session.request(method, target, headers=plain, data=body,
                                                       allow_redirects=False)
                return _AiohttpResponse(response)
            except aiohttp.ServerDisconnectedError as exc:
                # A kept-alive connection the service closed as we reused it: safe to try once more
                # when the request has no body and changes nothing.
                if attempt + 1 < attempts:
                    continue
                raise Unreachable(str(exc) or "server disconnected") from exc
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise TimedOut(str(exc) or "timed out") from exc
            except aiohttp.ClientError as exc:
                raise Unreachable(str(exc) or type(exc).__name__) from exc
        raise AssertionError("unreachable")


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

    async def open(self) -> None:
        self.client = httpx.AsyncClient(timeout=self.timeout, limits=self.limits, follow_redirects=False,
                                        trust_env=False)

    async def close(self) -> None:
        if self.client:
            await self.client.aclose()
            self.client = None

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> _HttpxResponse:
        assert self.client is not None, "upstream client not opened"
        request = self.client.build_request(method, url, headers=headers, content=body)
        try:
            return _HttpxResponse(await self.client.send(request, stream=True))
        except httpx.TimeoutException as exc:
            raise TimedOut(str(exc) or type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc


def make_client(kind: str, *, timeout: float, connect_timeout: float, pool_size: int) -> UpstreamClient:
    cls = {"aiohttp": AiohttpClient, "httpx": HttpxClient}[kind]
    return cls(timeout=timeout, connect_timeout=connect_timeout, pool_size=pool_size)
