"""A lean Redis connection for the one thing the gateway asks Redis on every request: the rate-limit
script. One TCP connection per gateway process; commands are pipelined (written without waiting) and
Redis answers them in order, so each reply resolves the oldest waiting call. The commands of one turn
of the event loop (the requests that arrived together) go out in one write, and their replies mostly
come back in one read. hiredis packs commands and parses replies in C.

Why not redis-py: measured in this process it spent 60-85 µs of CPU per script call (connection pool,
command packing and parsing in Python), a fifth of the gateway's whole cost per request; this spends a
few µs. It speaks what the limits need over plain TCP: redis://[user:password@]host[:port][/db].

What it does not speak goes to redis-py (asyncio) behind the same `call()` (`connect(url)` chooses):
  rediss://[user:password@]host[:port][/db][?ssl_ca_certs=/ca.pem&ssl_certfile=…&ssl_keyfile=…]   TLS
  redis+sentinel://[user:password@]host[:26379][,host2[:26379]…]/<master name>[/db][?sentinel_password=…]
  rediss+sentinel://…                                                       Sentinel, TLS to every node
(user:password are the master's; Sentinel's own password, if it has one, is `sentinel_password`.) The
fast path stays for plain redis://; TLS and Sentinel cost what redis-py costs (above).

A call that gets no answer within `timeout` fails, and with it the connection (every call pipelined
behind it would wait as long): the next call connects anew."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis


class RedisUnavailable(ConnectionError):
    pass


class ReplyError(Exception):
    """Redis answered the command with an error (NOSCRIPT, WRONGTYPE, ...)."""


class _Pipeline(asyncio.Protocol):
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.reader = hiredis.Reader()
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._unsent: list[bytes] = []
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            future, _ = self.waiting.popleft()
            if future.done():
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(ReplyError(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisUnavailable(f"connection lost: {exc or 'closed by the server'}"))

    def _fail(self, error: Exception) -> None:
        self.lost = self.lost or error
        if self._watchdog:
            self._watchdog.cancel()
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport and not self.transport.is_closing():
            self.transport.abort()

    def _check(self) -> None:
        self._watchdog = None
        if not self.waiting:
            return
        deadline = self.waiting[0][1]
        if self.loop.time() >= deadline:
            self._fail(RedisUnavailable(f"no answer within {self.timeout:g} s"))
        else:
            self._watchdog = self.loop.call_at(deadline, self._check)

    def call(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if self.lost is not None or self.transport is None:
            raise RedisUnavailable(str(self.lost or "not connected"))
        future = self.loop.create_future()
        self.waiting.append((future, self.loop.time() + self.timeout))
        if not self._unsent:
            self.loop.call_soon(self._flush)
        self._unsent.append(hiredis.pack_command(args))
        if self._watchdog is None:
            self._watchdog = self.loop.call_at(self.waiting[0][1], self._check)
        return future

    def _flush(self) -> None:
        unsent, self._unsent = self._unsent, []
        if self.lost is None and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(unsent))  # else _fail has answered every waiting call

    def close(self) -> None:
        self._fail(RedisUnavailable("closed"))


class RedisConnection:
    def __init__(self, url: str, *, timeout: float = 0.25) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError("the lean connection speaks redis://[user:password@]host[:port][/db] only; "
                             "connect() hands other URLs to redis-py")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.db = int(parts.path.strip("/") or 0)
        self.timeout = timeout
        self._pipeline: _Pipeline | None = None
        self._connecting = asyncio.Lock()

    async def _connect(self) -> _Pipeline:
        async with self._connecting:
            if self._pipeline is not None and self._pipeline.lost is None:
                return self._pipeline
            loop = asyncio.get_running_loop()
            try:
                _, pipeline = await asyncio.wait_for(
                    loop.create_connection(lambda: _Pipeline(self.timeout), self.host, self.port), self.timeout)
            except (OSError, asyncio.TimeoutError) as exc:
                raise RedisUnavailable(f"cannot connect to {self.host}:{self.port}: "
                                       f"{exc or type(exc).__name__}") from exc
            try:
                if self.password:
                    auth = ("AUTH", self.username, self.password) if self.username else ("AUTH", self.password)
                    await pipeline.call(auth)
                if self.db:
                    await pipeline.call(("SELECT", self.db))
            except BaseException:
                pipeline.close()
                raise
            self._pipeline = pipeline
            return pipeline

    async def call(self, *args: Any) -> Any:
        """Sends one command; raises RedisUnavailable (no connection, no answer in time) or ReplyError."""
        pipeline = self._pipeline
        if pipeline is None or pipeline.lost is not None:
            pipeline = await self._connect()
        return await pipeline.call(args)

    async def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None


SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
SCHEMES = ("redis", "rediss", *SENTINEL_SCHEMES)


class RedisPyConnection:
    """The same `call()` over redis-py (asyncio), for TLS and Sentinel: its pool reconnects, and with
    Sentinel asks the sentinels where the master is now (after a failover too). Errors are the lean
    connection's: RedisUnavailable (no connection, no answer within `timeout`) and ReplyError."""

    def __init__(self, url: str, *, timeout: float = 0.25) -> None:
        import redis.asyncio as redis_asyncio

        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(f"not a Redis URL: {parts.scheme}://")
        self.timeout = timeout
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if parts.scheme in SENTINEL_SCHEMES:
            self.client = _sentinel_client(parts, options)
        else:
            self.client = redis_asyncio.Redis.from_url(url, **options)

    async def call(self, *args: Any) -> Any:
        """Sends one command; raises RedisUnavailable (no connection, no answer in time) or ReplyError."""
        import redis.exceptions as errors

        try:
            return await asyncio.wait_for(self.client.execute_command(*args), self.timeout * 2)
        except errors.NoScriptError as reply:  # redis-py drops the error's code word: put it back
            raise ReplyError(f"NOSCRIPT {reply}") from reply
        except errors.ResponseError as reply:
            raise ReplyError(str(reply)) from reply
        except (errors.ConnectionError, errors.TimeoutError, asyncio.TimeoutError, OSError) as exc:
            raise RedisUnavailable(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        await self.client.aclose()


def _sentinel_client(parts: Any, options: dict[str, Any]) -> Any:
    from urllib.parse import parse_qs

    from redis.asyncio.sentinel import Sentinel

    nodes = [(node.hostname or "127.0.0.1", node.port or 26379)
             for node in (urlsplit("//" + where) for where in parts.netloc.rpartition("@")[2].split(","))]
    path = [part for part in parts.path.split("/") if part]
    if not path:
        raise ValueError("a Sentinel URL names its master: redis+sentinel://host:26379/<master name>[/db]")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    flags = {"true": True, "false": False}
    tls = {"ssl": True, **{key: flags.get(value.lower(), value) for key, value in query.items()
                           if key.startswith("ssl_")}} if parts.scheme.startswith("rediss") else {}
    sentinel_auth = {"password": query["sentinel_password"]} if "sentinel_password" in query else {}
    sentinel = Sentinel(nodes, sentinel_kwargs={**options, **tls, **sentinel_auth}, **options, **tls)
    return sentinel.master_for(path[0], db=int(path[1]) if len(path) > 1 else 0,
                               username=unquote(parts.username) if parts.username else None,
                               password=unquote(parts.password) if parts.password else None, **options, **tls)


def connect(url: str, *, timeout: float = 0.25) -> RedisConnection | RedisPyConnection:
    """The lean connection for redis://, redis-py for rediss:// and Sentinel."""
    scheme = urlsplit(url).scheme
    if scheme == "redis":
        return RedisConnection(url, timeout=timeout)
    if scheme in SCHEMES:
        return RedisPyConnection(url, timeout=timeout)
    raise ValueError(f"unsupported Redis URL scheme {scheme}://: use redis://, rediss:// or redis+sentinel://")
