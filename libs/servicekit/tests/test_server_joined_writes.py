"""servicekit.server: what one turn of the event loop writes leaves in one write, in order, and nothing
is held past that turn or above JOIN_BELOW; uvicorn serving through it answers as it always did."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
import uvicorn
from devstack.broker import free_port
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

from servicekit.server import JOIN_BELOW, JoinedHttpToolsProtocol, JoinedWrites


class Wire:
    """A transport that notes each write it is given."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = self.eof = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def write_eof(self) -> None:
        self.eof = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default


async def test_the_writes_of_one_turn_leave_in_one_write_at_its_end():
    wire = Wire()
    joined = JoinedWrites(wire, asyncio.get_running_loop())
    joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
    joined.write(b"")
    joined.writelines([b"{", b"}"])
    assert wire.writes == [] and joined.get_write_buffer_size() == 21
    await asyncio.sleep(0)
    assert wire.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    joined.write(b"next")
    await asyncio.sleep(0)
    assert wire.writes[1:] == [b"next"]
    assert joined.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest is the transport's


async def test_large_writes_go_out_at_once_and_keep_their_order():
    wire = Wire()
    joined = JoinedWrites(wire, asyncio.get_running_loop())
    big = b"x" * JOIN_BELOW
    joined.write(big)  # nothing kept: straight through
    assert wire.writes == [big]
    joined.write(b"head")
    joined.write(big)  # behind what is kept, with it
    assert wire.writes[1:] == [b"head" + big]
    for _ in range(JOIN_BELOW // 1000 + 1):  # small writes without a pause never add up past the limit
        joined.write(b"y" * 1000)
        assert joined.kept_bytes < JOIN_BELOW
    await asyncio.sleep(0)
    assert b"".join(wire.writes) == big + b"head" + big + b"y" * 1000 * (JOIN_BELOW // 1000 + 1)


async def test_close_and_eof_send_what_is_kept_first_and_abort_drops_it():
    loop = asyncio.get_running_loop()
    wire = Wire()
    joined = JoinedWrites(wire, loop)
    joined.write(b"last words")
    joined.close()
    assert wire.writes == [b"last words"] and wire.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing
    assert wire.writes == [b"last words"]

    wire = Wire()
    joined = JoinedWrites(wire, loop)
    joined.write(b"body")
    joined.write_eof()
    assert wire.writes == [b"body"] and wire.eof

    wire = Wire()
    joined = JoinedWrites(wire, loop)
    joined.write(b"never sent")
    joined.abort()
    await asyncio.sleep(0)
    assert wire.writes == [] and wire.aborted


@contextlib.asynccontextmanager
async def serving(app: FastAPI):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=JoinedHttpToolsProtocol,
                                           log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    chunk = bytes(range(256)) * 256  # 64 KiB

    @app.api_route("/small", methods=["GET", "HEAD"])
    async def small() -> Response:
        return Response(b'{"ok": true}', media_type="application/json")

    @app.get("/download")
    async def download() -> StreamingResponse:
        def parts():  # no pause between the parts: nothing must pile up in JoinedWrites
            for _ in range(80):
                yield chunk
        return StreamingResponse(parts(), media_type="application/octet-stream")

    @app.get("/chunked-small")
    async def chunked_small() -> StreamingResponse:
        async def parts():
            for number in range(5):
                yield f"part {number};".encode()
        return StreamingResponse(parts(), media_type="text/plain")

    return app


async def test_uvicorn_through_joined_writes_answers_as_before(app):
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        answers = await asyncio.gather(*(client.get("/small") for _ in range(30)))  # kept-alive, concurrent
        assert all(a.status_code == 200 and a.json() == {"ok": True} for a in answers)
        head = await client.head("/small")
        assert head.status_code == 200 and head.content == b""
        streamed = await client.get("/chunked-small")
        assert streamed.text == "".join(f"part {n};" for n in range(5))
        download = await client.get("/download")
        assert download.content == bytes(range(256)) * 256 * 80
        closing = await client.get("/small", headers={"Connection": "close"})
        assert closing.status_code == 200 and closing.headers["connection"] == "close"
        assert (await client.get("/small")).status_code == 200  # a new connection after the close


class CountingWire:
    """The socket's transport, with its writes counted."""

    def __init__(self, transport: asyncio.Transport, writes: list[int]) -> None:
        self.transport = transport
        self.writes = writes

    def write(self, data: bytes) -> None:
        self.writes.append(len(data))
        self.transport.write(data)

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


async def test_a_small_answer_reaches_the_socket_in_one_write(app, monkeypatch):
    writes: list[int] = []
    joined_made = JoinedHttpToolsProtocol.connection_made
    monkeypatch.setattr(JoinedHttpToolsProtocol, "connection_made",
                        lambda self, transport: joined_made(self, CountingWire(transport, writes)))
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        for _ in range(5):
            assert (await client.get("/small")).json() == {"ok": True}
    assert len(writes) == 5  # uvicorn itself writes twice an answer: the head, then the body
