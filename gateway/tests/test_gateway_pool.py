"""The gateway's own upstream pool (gateway/pool.py) on what the other tests do not reach through the
stubs: one kept-alive connection serves request after request, an idle one is dropped after the
keep-alive, the in-flight limit makes requests wait (and time out) rather than open more connections,
answers without a length, answers to HEAD, and a service that does not speak HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from devstack.broker import free_port
from gateway import pool
from gateway.pool import PoolClient
from gateway.upstream import TimedOut, Unreachable


class RawService:
    """Answers every request on a connection with `answer` (bytes), after `delay` seconds; counts
    connections and requests."""

    def __init__(self, answer: bytes, delay: float = 0.0, close_after: bool = False) -> None:
        self.answer, self.delay, self.close_after = answer, delay, close_after
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.requests: list[bytes] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head)
                await asyncio.sleep(self.delay)
                writer.write(self.answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RawService]:
        server = await asyncio.start_server(self.serve, "127.0.0.1", self.port)
        try:
            yield self
        finally:
            server.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


@asynccontextmanager
async def client(pool_size: int = 10, timeout: float = 5.0) -> AsyncIterator[PoolClient]:
    upstream = PoolClient(timeout=timeout, connect_timeout=2.0, pool_size=pool_size)
    await upstream.open()
    try:
        yield upstream
    finally:
        await upstream.close()


async def get(upstream: PoolClient, url: str, method: str = "GET") -> tuple[int, bytes]:
    response = await upstream.send(method, url, [(b"accept", b"text/plain")], None)
    try:
        return response.status, await response.read()
    finally:
        await response.close()


async def test_one_kept_alive_connection_serves_request_after_request():
    async with RawService(OK).running() as service, client() as upstream:
        answers = [await get(upstream, service.url + f"/things/{n}?q=1") for n in range(20)]
    assert answers == [(200, b"hello")] * 20
    assert service.connections == 1
    assert service.requests[3].startswith(b"GET /things/3?q=1 HTTP/1.1\r\nhost: 127.0.0.1:%d\r\n" % service.port)


async def test_an_idle_connection_is_dropped_after_the_keep_alive(monkeypatch):
    monkeypatch.setattr(pool, "KEEPALIVE", 0.2)
    async with RawService(OK).running() as service, client() as upstream:
        await get(upstream, service.url + "/a")
        await asyncio.sleep(0.4)
        origin = next(iter(upstream.origins.values()))
        assert not origin.idle  # the sweep closed it
        await get(upstream, service.url + "/b")
    assert service.connections == 2


async def test_beyond_the_pool_size_requests_wait_for_a_connection_and_time_out_waiting():
    async with RawService(OK, delay=0.3).running() as service, client(pool_size=2) as upstream:
        answers = await asyncio.gather(*(get(upstream, service.url + "/x") for _ in range(6)))
        assert answers == [(200, b"hello")] * 6
        assert service.connections == 2
    async with RawService(OK, delay=1.0).running() as service, client(pool_size=1, timeout=0.3) as upstream:
        results = await asyncio.gather(*(get(upstream, service.url + "/x") for _ in range(2)),
                                       return_exceptions=True)
    assert all(isinstance(result, TimedOut) for result in results), results


async def test_an_answer_without_length_ends_with_its_connection_and_is_not_reused():
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    async with RawService(answer, close_after=True).running() as service, client() as upstream:
        first = await upstream.send("GET", service.url + "/x", [], None)
        body = b"".join([chunk async for chunk in first.chunks()])
        await first.close()
        second = await get(upstream, service.url + "/y")
    assert (first.status, body, second) == (200, b"all of it", (200, b"all of it"))
    assert service.connections == 2


async def test_an_answer_to_head_has_no_body_whatever_its_length_says():
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    async with RawService(answer).running() as service, client() as upstream:
        assert await get(upstream, service.url + "/x", "HEAD") == (200, b"")
        assert await get(upstream, service.url + "/x", "HEAD") == (200, b"")
    assert service.connections == 2  # an answer to HEAD leaves the parser unsure: not reused


async def test_a_service_that_does_not_speak_http_is_unreachable():
    async with RawService(b"SMTP ready\r\n\r\n").running() as service, client() as upstream:
        with pytest.raises(Unreachable):
            await get(upstream, service.url + "/x")


async def test_a_connection_with_bytes_beyond_the_answer_is_not_reused():
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"
    async with RawService(answer).running() as service, client() as upstream:
        assert [await get(upstream, service.url + "/x") for _ in range(2)] == [(200, b"hello")] * 2
    assert service.connections == 2
