"""The default upstream client: kept-alive HTTP/1.1 connections per service over asyncio Protocols, the
answers parsed by httptools (llhttp in C, the parser uvicorn itself runs on).

Why not aiohttp: measured, aiohttp's client spent 80–95 µs of CPU a proxied request (session, request
and response objects, connector, stream reader, timers) — more than half of the gateway's whole cost;
this one spends ≈ 20 µs for the same work (bench/README.md, "The gateway's upstream client"). It keeps
every rule of upstream.py's docstring:
- 502 (Unreachable) when a service refuses, resets or closes, or answers what is not HTTP; 504 (TimedOut)
  when connecting takes longer than the connect timeout, or the service stays silent longer than the
  read timeout between two pieces of its answer, or no connection of the pool comes free in that time;
- the single resend on a fresh connection of a request that failed on a reused one before any answer,
  when its body can be sent again (upstream._Body, upstream._try_again_or_raise);
- bodies stream both ways: a request body goes out as it arrives (with its declared length, else
  chunked), an answer is read as it comes and the service is paused past READ_AHEAD unread bytes;
- an idle connection is dropped after KEEPALIVE seconds, below uvicorn's 5 s, so the gateway seldom
  writes to a connection the service is closing; at most `pool_size` requests in flight per service.

HTTP only what the services speak: no redirects, no decompression, no proxies from the environment.
An answer to HEAD, or one that says `Connection: close` or ends with the connection, is not reused."""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

from gateway.upstream import TimedOut, Unreachable, _Body, _try_again_or_raise

KEEPALIVE = 4.0
READ_AHEAD = 256 * 1024
# Methods that carry no body unless one is declared; for the others a request without one says length 0.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


_NO_BODY = _Body(None, [])  # holds nothing of a request: shared by those without a body


class _Dropped(Exception):
    """The connection ended (reset or closed) before the service's answer began."""


class _Origin:
    """One service's address, its idle kept-alive connections (newest last) and its in-flight limit."""

    def __init__(self, base: str, limit: int) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) service address: {base}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.authority = parts.netloc.encode("latin-1")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.idle: collections.deque[_Connection] = collections.deque()
        self.limit = limit
        self.in_flight = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()  # for a free slot
        self.sweep: asyncio.TimerHandle | None = None


class _Connection(asyncio.Protocol):
    """One connection to a service and the answer on it. httptools calls the on_* methods from
    data_received; whoever awaits the answer waits in `wait()` and is woken by any progress."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.lost: BaseException | None = None  # set once the connection has ended
        self.broken: BaseException | None = None  # an answer that is not HTTP
        self.waiter: asyncio.Future[None] | None = None
        self.can_write: asyncio.Future[None] | None = None  # set while the service does not read
        self.writer: asyncio.Task[None] | None = None  # a request body on its way out
        self.idle_since = 0.0
        self.busy = False
        self._begin(b"GET")

    def _begin(self, method: bytes) -> None:
        self.method = method
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.keep_alive = False
        self.complete = False
        self.informational = False
        self.body: list[bytes] = []
        self.unread = 0
        self.paused = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # nothing was asked: a service talking out of turn cannot be trusted again
            self.broken = Unreachable("the service sent bytes nobody asked for")
            self.transport.abort()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.broken = Unreachable(f"the service's answer is not HTTP: {exc}")
            self.transport.abort()
        self._wake()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionResetError("the service closed the connection")
        self._wake()
        if self.can_write is not None and not self.can_write.done():
            self.can_write.set_result(None)

    def pause_writing(self) -> None:
        self.can_write = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.can_write is not None and not self.can_write.done():
            self.can_write.set_result(None)
        self.can_write = None

    # -- httptools callbacks

    def on_message_begin(self) -> None:
        if self.complete:  # a second answer to one request
            self.broken = Unreachable("the service sent bytes nobody asked for")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 200 and self.status != 101:  # 103 Early Hints and the like: the answer is still to come
            self.headers = []
            self.informational = True
            return
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()  # known here, not after the message
        if self.method == b"HEAD":  # no body follows, whatever the headers say; the parser cannot be told
            self.complete = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.unread += len(body)
        if self.unread > READ_AHEAD and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        self.complete = True

    # -- the request

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def wait(self) -> None:
        """Until something happens on the connection, at most the read timeout."""
        waiter = self.waiter = self.loop.create_future()
        timer = self.loop.call_later(self.timeout, _time_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self.waiter = None

    async def request(self, head: bytes, body: AsyncIterator[bytes] | None, chunked: bool) -> None:
        """Sends the request and returns once the head of the answer is in."""
        self.busy = True
        if body is None:
            self.transport.write(head)
        else:
            self.writer = self.loop.create_task(self._send(head, body, chunked))
            self.writer.add_done_callback(self._written)
        while not self.head_done:
            if self.broken is not None:
                raise self.broken
            if self.writer is not None and self.writer.done() and not self.writer.cancelled() \
                    and (failure := self.writer.exception()) is not None and not isinstance(failure, _Dropped):
                raise failure  # the caller's body failed (too large, caller gone): the proxy answers for it
            if self.lost is not None:
                raise _Dropped(str(self.lost) or type(self.lost).__name__) from self.lost
            await self.wait()

    def _written(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            task.exception()  # looked at below or in reusable(); never "never retrieved"
        self._wake()

    async def _send(self, head: bytes, body: AsyncIterator[bytes], chunked: bool) -> None:
        pending: bytes | None = head  # the head goes out with the first chunk: one write for a small body
        async for chunk in body:
            if not chunk:
                continue  # an empty chunk would end a chunked body
            if self.lost is not None:
                raise _Dropped(str(self.lost) or type(self.lost).__name__)
            if chunked:
                parts = [b"%x\r\n" % len(chunk), chunk, b"\r\n"]
            else:
                parts = [chunk]
            if pending is not None:
                parts.insert(0, pending)
                pending = None
            self.transport.writelines(parts)
            if self.can_write is not None:
                await self.can_write
        end = b"0\r\n\r\n" if chunked else b""
        if pending is not None or end:
            self.transport.write((pending or b"") + end)

    def reusable(self) -> bool:
        return (self.complete and self.lost is None and self.broken is None and self.method != b"HEAD"
                and self.keep_alive
                and (self.writer is None or (self.writer.done() and not self.writer.cancelled()
                                             and self.writer.exception() is None)))

    def finish(self) -> None:
        """Ready for the next request on this connection."""
        self.busy = False
        self.writer = None
        if self.paused:
            self.transport.resume_reading()
        self._begin(b"GET")

    def abort(self) -> None:
        if self.writer is not None and not self.writer.done():
            self.writer.cancel()
        if self.transport is not None:
            self.transport.abort()


def _time_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimedOut("the service stayed silent too long"))


class _PoolResponse:
    __slots__ = ("status", "raw_headers", "_client", "_origin", "_conn")

    def __init__(self, client: PoolClient, origin: _Origin, conn: _Connection) -> None:
        self.status = conn.status
        self.raw_headers = conn.headers
        self._client = client
        self._origin = origin
        self._conn: _Connection | None = conn

    def _take(self) -> bytes:
        conn = self._conn
        data = conn.body[0] if len(conn.body) == 1 else b"".join(conn.body)
        conn.body.clear()
        conn.unread = 0
        if conn.paused:
            conn.paused = False
            conn.transport.resume_reading()
        return data

    def _ended(self) -> bool:
        """True when the answer is all in; raises when it was cut short."""
        conn = self._conn
        if conn.complete:
            return True
        if conn.broken is not None:
            raise conn.broken
        if conn.lost is not None:
            if conn.head_done and _until_closed(conn.headers):
                return True  # an answer without length or chunks ends with its connection
            raise Unreachable(f"the service broke off its answer: {conn.lost or 'closed'}")
        return False

    async def chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        assert conn is not None, "answer already closed"
        while True:
            if conn.body:
                yield self._take()
            elif self._ended():
                return
            else:
                await conn.wait()

    async def read(self) -> bytes:
        conn = self._conn
        assert conn is not None, "answer already closed"
        while not self._ended():
            await conn.wait()
        return self._take()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client._release(self._origin, conn)


def _until_closed(headers: list[tuple[bytes, bytes]]) -> bool:
    return not any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers)


class PoolClient:
    def __init__(self, *, timeout: float, connect_timeout: float, pool_size: int) -> None:
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.pool_size = pool_size
        self.origins: dict[str, _Origin] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    async def open(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed = False

    async def close(self) -> None:
        self.closed = True  # a connection still lent out is closed when its answer is
        for origin in self.origins.values():
            if origin.sweep is not None:
                origin.sweep.cancel()
            while origin.idle:
                origin.idle.pop().transport.close()
        self.origins.clear()

    async def send(self, method: str, url: str, headers: list[tuple[bytes, bytes]],
                   body: AsyncIterator[bytes] | None) -> _PoolResponse:
        assert self.loop is not None and not self.closed, "upstream client not opened"
        slash = url.find("/", url.find("://") + 3)
        base, target = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        origin = self.origins.get(base)
        if origin is None:
            origin = self.origins[base] = _Origin(base, self.pool_size)
        # The caller's headers are looked through only for a body, or a method that should say it has none.
        outgoing = _NO_BODY if body is None and method in _BODILESS else _Body(body, headers)
        declared = outgoing.length is not None
        extra = b""
        if body is not None and not declared:
            extra = b"transfer-encoding: chunked\r\n"
        elif body is None and not declared and method not in _BODILESS:
            extra = b"content-length: 0\r\n"
        head = b"".join([b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method.encode("latin-1"), target.encode("latin-1"),
                                                               origin.authority),
                         *[name + b": " + value + b"\r\n" for name, value in headers], extra, b"\r\n"])

        if origin.in_flight >= origin.limit:
            await self._wait_for_slot(origin)
        origin.in_flight += 1
        try:
            for first_try in (True, False):
                conn = self._idle(origin) if first_try else None
                reused = conn is not None
                if conn is None:
                    conn = await self._connect(origin)
                conn.method = method.encode("latin-1")
                try:
                    await conn.request(head, outgoing.chunks(), chunked=body is not None and not declared)
                except _Dropped as exc:
                    conn.abort()
                    _try_again_or_raise(outgoing, first_try=first_try, reused=reused, url=url, exc=exc)
                    continue
                except BaseException:
                    conn.abort()
                    raise
                return _PoolResponse(self, origin, conn)
        except BaseException:
            self._free_slot(origin)
            raise
        raise AssertionError("unreachable")

    async def _wait_for_slot(self, origin: _Origin) -> None:
        deadline = self.loop.time() + self.timeout
        while origin.in_flight >= origin.limit:
            waiter = self.loop.create_future()
            origin.waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, deadline - self.loop.time())
            except asyncio.TimeoutError as exc:
                raise TimedOut("no connection to the service came free in time") from exc
            finally:
                if not waiter.done():
                    waiter.cancel()

    def _free_slot(self, origin: _Origin) -> None:
        origin.in_flight -= 1
        while origin.waiters:
            waiter = origin.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _idle(self, origin: _Origin) -> _Connection | None:
        now = self.loop.time()
        while origin.idle:
            conn = origin.idle.pop()
            if conn.lost is None and conn.broken is None and now - conn.idle_since < KEEPALIVE:
                return conn
            conn.transport.close()
        return None

    async def _connect(self, origin: _Origin) -> _Connection:
        loop = self.loop
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(loop, self.timeout), origin.host, origin.port,
                                       ssl=origin.ssl),
                self.connect_timeout)
        except asyncio.TimeoutError as exc:
            raise TimedOut(f"connecting took longer than {self.connect_timeout:g} s") from exc
        except OSError as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        return conn

    def _release(self, origin: _Origin, conn: _Connection) -> None:
        self._free_slot(origin)
        if self.closed or not conn.reusable():
            conn.abort()
            return
        conn.finish()
        conn.idle_since = self.loop.time()
        origin.idle.append(conn)
        if origin.sweep is None:
            origin.sweep = self.loop.call_later(KEEPALIVE, self._sweep, origin)

    def _sweep(self, origin: _Origin) -> None:
        """Closes the connections idle for KEEPALIVE seconds (the oldest are first in line)."""
        origin.sweep = None
        now = self.loop.time()
        while origin.idle and (now - origin.idle[0].idle_since >= KEEPALIVE or origin.idle[0].lost is not None):
            origin.idle.popleft().transport.close()
        if origin.idle:
            origin.sweep = self.loop.call_later(origin.idle[0].idle_since + KEEPALIVE - now, self._sweep, origin)
