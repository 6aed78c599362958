"""Fixtures of the gateway's tests: the gateway in-process (its real middleware stack and database) in
front of stub services, each a tiny aiohttp server on a free port that records what reached it.

    async def test_x(make_gateway, stubs):
        async with make_gateway(upstream_timeout=0.3) as gw:      # settings overrides
            response = await gw.get("/api/v1/plans/1", headers=...)
            assert stubs["plans"].seen[-1]["path"] == "/api/v1/plans/1"
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web

from devstack.broker import free_port
from gateway.app import build
from gateway.routes import ROUTES, SERVICES
from gateway.settings import Settings
from servicekit.migrations import upgrade
from servicekit.testing import temporary_database

REDIS_URL = "redis://127.0.0.1:6379/0"
CHUNK = 64 * 1024


class Stub:
    """One fake service. Every path answers JSON describing the request it received, except:
    `.../upload` (streams the body into a sha256), `.../download?size=N[&gate=1]` (streams N bytes;
    with gate=1 it holds after the first chunk until `download_gate` is set), `.../slow` (answers only
    when `release` is set) and /openapi.json."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.prefix = next(prefix for prefix, service in ROUTES if service == name)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[dict[str, Any]] = []
        self.openapi_calls = 0
        self.release = asyncio.Event()
        self.upload_first_chunk = asyncio.Event()
        self.download_gate = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def openapi(self) -> dict[str, Any]:
        thing = {"type": "object", "properties": {"id": {"type": "string"}, "service": {"const": self.name}}}
        return {
            "openapi": "3.1.0", "info": {"title": f"{self.name} service", "version": "1.0.0"},
            "paths": {
                f"{self.prefix}/things": {"get": {"tags": [f"{self.name} tag"], "summary": f"list {self.name}",
                                                  "responses": {"200": {"description": "ok", "content": {
                                                      "application/json": {"schema": {
                                                          "$ref": "#/components/schemas/Thing"}}}}}}},
                "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
            },
            "components": {"schemas": {"Thing": thing, "HTTPValidationError": {"type": "object"}}},
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        record = {"method": request.method, "path": request.path, "raw_path": request.raw_path,
                  "query": request.query_string, "headers": dict(request.headers),
                  "header_list": list(request.headers.items())}
        self.seen.append(record)
        if request.path == "/openapi.json":
            self.openapi_calls += 1
            return web.json_response(self.openapi())
        if request.path.endswith("/upload"):
            digest, size = hashlib.sha256(), 0
            async for chunk in request.content.iter_chunked(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                self.upload_first_chunk.set()
            return web.json_response({"size": size, "sha256": digest.hexdigest(), "service": self.name})
        if request.path.endswith("/download"):
            size = int(request.query["size"])
            response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
            await response.prepare(request)
            sent = 0
            while sent < size:
                part = min(CHUNK, size - sent)
                await response.write(bytes([sent // CHUNK % 251]) * part)
                sent += part
                if request.query.get("gate") and sent == part:
                    await self.download_gate.wait()
            await response.write_eof()
            return response
        if request.path.endswith("/slow"):
            await self.release.wait()
            return web.json_response({"late": True})
        body = await request.read()
        record["body"] = body
        return web.json_response({"service": self.name, "method": request.method, "path": request.path,
                                  "query": request.query_string, "body_size": len(body)},
                                 status=int(request.query.get("status", "200")),
                                 headers={"X-Stub": self.name, "Set-Cookie": "stub=1; HttpOnly"})

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 ** 3)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        self.release.set()
        self.download_gate.set()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture(scope="module")
async def stubs() -> AsyncIterator[dict[str, Stub]]:
    servers = {name: Stub(name) for name in SERVICES}
    for stub in servers.values():
        await stub.start()
    yield servers
    for stub in servers.values():
        await stub.stop()


@pytest.fixture(scope="module")
async def gateway_db() -> AsyncIterator[str]:
    async with temporary_database("gateway") as url:
        await asyncio.to_thread(upgrade, "gateway", url)
        yield url


class GatewayClient(httpx.AsyncClient):
    service: Any


@pytest.fixture(scope="module")
def make_gateway(stubs: dict[str, Stub], gateway_db: str, tokens) -> Callable[..., Any]:
    """An in-process gateway in front of the stubs; keyword arguments override its settings. Generous
    rate limits unless a test sets its own."""

    @asynccontextmanager
    async def make(client_ip: str = "10.20.30.40", **overrides: Any) -> AsyncIterator[GatewayClient]:
        values: dict[str, Any] = {
            "database_url": gateway_db, "jwt_private_key": tokens.private_pem, "demo_accounts": True,
            "rate_limit_per_second": 10_000, "rate_limit_burst": 10_000,
            "rate_limit_anonymous_per_second": 10_000, "rate_limit_anonymous_burst": 10_000,
            "login_attempts_per_minute": 10_000, "login_attempts_burst": 10_000,
            "login_attempts_per_address_per_minute": 10_000,
            **{f"{name}_url": stub.url for name, stub in stubs.items()},
        }
        service = build(Settings(**(values | overrides)))
        await service.start()
        try:
            transport = httpx.ASGITransport(app=service.app, client=(client_ip, 50000))
            async with GatewayClient(transport=transport, base_url="http://gateway.test", timeout=30) as client:
                client.service = service
                yield client
        finally:
            await service.stop()

    return make


@pytest.fixture(scope="module")
async def gateway(make_gateway) -> AsyncIterator[GatewayClient]:
    async with make_gateway() as client:
        yield client


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of its own, so tests never share rate-limit state in Redis."""
    return f"test:gateway:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL
