"""A service that drops a kept-alive connection (uvicorn does, just after answering a 500) never turns into
a 502 for the next caller: a request that failed on a pooled connection before the service answered is sent
once more on a fresh connection, with both upstream clients. A stream already partly sent is not sent again,
nor is a request that failed on a fresh connection (the service may have acted on it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from devstack.broker import free_port

CLIENTS = ["httptools", "aiohttp", "httpx"]
PAYMENTS = "/api/v1/orders/O1/payments"


class DropsKeptAlive:
    """A raw HTTP/1.1 service: answers `answers_per_connection` requests on a connection as if keeping it
    alive (no `Connection: close`), then, once `drop_after` bytes of the next request have arrived on it,
    resets the connection without answering. Records what it answered and what it dropped."""

    def __init__(self, answers_per_connection: int = 1, drop_after: int = 1) -> None:
        self.answers_per_connection, self.drop_after = answers_per_connection, drop_after
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.answered: list[bytes] = []
        self.dropped = 0
        self.connections = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for _ in range(self.answers_per_connection):
                body = await read_request(reader)
                if body is None:
                    return
                self.answered.append(body)
                answer = json.dumps({"answered": len(self.answered)}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
            received = 0
            while received < self.drop_after:
                data = await reader.read(65536)
                if not data:
                    return
                received += len(data)
            self.dropped += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.transport.abort()  # unread bytes left: the peer gets a reset

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DropsKeptAlive]:
        server = await asyncio.start_server(self.serve, "127.0.0.1", self.port)
        try:
            yield self
        finally:
            server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request's body (Content-Length or chunked), or None when the connection ended first."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    headers = {name.strip().lower(): value.strip() for name, value in headers.items()}
    if headers.get(b"transfer-encoding") == b"chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
        return body
    return await reader.readexactly(int(headers.get(b"content-length", b"0")))


def auth(tokens) -> dict[str, str]:
    return tokens.headers("purchaser-a", "11430000006100011A", "purchaser")


async def stream(size: int, chunk: int = 64 * 1024):
    for offset in range(0, size, chunk):
        yield b"x" * min(chunk, size - offset)


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_post_after_the_service_dropped_the_kept_alive_connection_is_answered(make_gateway, tokens, client):
    async with DropsKeptAlive().running() as service, \
            make_gateway(upstream_client=client, orders_url=service.url) as gw:
        answers = [await gw.post(PAYMENTS, json={"n": n}, headers=auth(tokens)) for n in range(10)]
        bodiless = await gw.post(PAYMENTS, headers=auth(tokens))
        read = await gw.get("/api/v1/orders", headers=auth(tokens))
    assert [answer.status_code for answer in answers] == [200] * 10, answers[-1].text
    assert (bodiless.status_code, read.status_code) == (200, 200)
    assert service.dropped > 0  # the gateway did meet dropped connections …
    # … and the service acted on every request exactly once, in order
    assert service.answered == [json.dumps({"n": n}, separators=(",", ":")).encode() for n in range(10)] + [b"", b""]


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_stream_already_partly_sent_is_not_sent_again(make_gateway, tokens, client):
    async with DropsKeptAlive(drop_after=512 * 1024).running() as service, \
            make_gateway(upstream_client=client, orders_url=service.url) as gw:
        first = await gw.post(PAYMENTS, json={}, headers=auth(tokens))  # leaves a kept-alive connection
        upload = await gw.post("/api/v1/orders/O1/acceptance", content=stream(2 * 1024 * 1024),
                               headers=auth(tokens))
    assert first.status_code == 200
    assert upload.status_code == 502 and upload.json()["error"]["code"] == "service_unavailable"
    assert (service.connections, service.dropped, len(service.answered)) == (1, 1, 1)  # no second try


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_request_that_fails_on_a_fresh_connection_is_not_sent_again(make_gateway, tokens, client):
    async with DropsKeptAlive(answers_per_connection=0).running() as service, \
            make_gateway(upstream_client=client, orders_url=service.url) as gw:
        response = await gw.post(PAYMENTS, json={"n": 1}, headers=auth(tokens))
    assert response.status_code == 502
    assert (service.connections, service.dropped) == (1, 1)
