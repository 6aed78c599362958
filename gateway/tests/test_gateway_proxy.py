"""The pass-through: routing, headers, request ids in every log line, streamed uploads and downloads,
and clear JSON answers when a service is down (502), silent (504) or the body too large (413)."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import pytest

from devstack.broker import free_port
from servicekit.logging import current_context

MiB = 1024 * 1024


def auth(tokens, username="purchaser-a", org="11430000006100011A", role="purchaser") -> dict[str, str]:
    return tokens.headers(username, org, role)


@pytest.mark.parametrize("path, service", [
    ("/api/v1/plans", "plans"), ("/api/v1/plans/PL1", "plans"), ("/api/v1/catalog/services", "catalog"),
    ("/api/v1/projects/P1/quotes", "bidding"), ("/api/v1/announcements/A1", "bidding"),
    ("/api/v1/contracts/C1/seal", "contracts"), ("/api/v1/orders/O1/payments", "orders"),
])
async def test_every_public_path_reaches_its_service_unchanged(gateway, stubs, tokens, path, service):
    headers = auth(tokens)
    response = await gateway.post(path + "?q=%E7%89%A9%E4%B8%9A&page=2", json={"a": 1}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == service
    seen = stubs[service].seen[-1]
    assert (seen["method"], seen["raw_path"]) == ("POST", path + "?q=%E7%89%A9%E4%B8%9A&page=2")
    assert seen["headers"]["Authorization"] == headers["Authorization"]
    assert response.json()["body_size"] == len(b'{"a":1}')


async def test_a_path_no_service_owns_is_the_gateways_own_json_404(gateway):
    response = await gateway.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/plans/../orders/O1", "/api/v1/plans/./x", "/api/v1/plans/.."])
async def test_dot_segments_are_refused_before_any_service(gateway, stubs, path):
    before = {name: len(stub.seen) for name, stub in stubs.items()}

    async def on_body(received: int) -> bool:
        return False

    status, _ = await call_asgi(gateway.service.app, path, b"", on_body)  # as sent: httpx would resolve them
    assert status == 400
    encoded = await gateway.get("/api/v1/plans/%2E%2E/orders")
    assert encoded.status_code == 400 and encoded.json()["error"]["code"] == "bad_request"
    assert {name: len(stub.seen) for name, stub in stubs.items()} == before


async def test_the_services_answer_comes_back_as_it_was(gateway, stubs):
    response = await gateway.get("/api/v1/orders/O404?status=404")
    assert response.status_code == 404
    assert response.json()["service"] == "orders"
    assert response.headers["x-stub"] == "orders"
    assert response.headers["set-cookie"] == "stub=1; HttpOnly"
    assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]  # exactly one


async def test_requests_without_a_token_pass_through_and_the_service_decides(gateway, stubs):
    response = await gateway.get("/api/v1/announcements")
    assert response.status_code == 200
    assert "Authorization" not in stubs["bidding"].seen[-1]["headers"]


async def test_hop_by_hop_headers_stay_at_the_gateway_and_forwarding_headers_are_added(gateway, stubs):
    response = await gateway.get("/api/v1/plans", headers={
        "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "Proxy-Authorization": "Basic eA==",
        "TE": "trailers", "X-Forwarded-For": "203.0.113.7", "Accept-Language": "zh-CN"})
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in stubs["plans"].seen[-1]["header_list"]}
    assert "x-secret-hop" not in headers and "proxy-authorization" not in headers and "te" not in headers
    assert headers["x-forwarded-for"] == "203.0.113.7, 10.20.30.40"
    assert headers["accept-language"] == "zh-CN"
    assert headers["host"].startswith("127.0.0.1:")


async def test_every_call_carries_a_request_id_and_trace_context(gateway, stubs):
    response = await gateway.get("/api/v1/catalog/categories")
    request_id = response.headers["x-request-id"]
    seen = stubs["catalog"].seen[-1]["headers"]
    assert seen["X-Request-ID"] == request_id and len(request_id) >= 16
    assert seen["traceparent"].startswith("00-") and len(seen["traceparent"].split("-")) == 4

    chosen = await gateway.get("/api/v1/catalog/categories", headers={"X-Request-ID": "frontend-42.a:b",
                                                                       "traceparent": seen["traceparent"]})
    assert chosen.headers["x-request-id"] == "frontend-42.a:b"
    assert stubs["catalog"].seen[-1]["headers"]["X-Request-ID"] == "frontend-42.a:b"
    assert stubs["catalog"].seen[-1]["headers"]["traceparent"] == seen["traceparent"]

    forged = await gateway.get("/api/v1/catalog/categories", headers={"X-Request-ID": "x" * 200})
    assert forged.headers["x-request-id"] != "x" * 200
    assert stubs["catalog"].seen[-1]["headers"]["X-Request-ID"] == forged.headers["x-request-id"]


class ContextRecorder(logging.Handler):
    """Notes, for each log record, the request id the log context held when it was written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str | None, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        context = current_context()
        self.lines.append((record.getMessage(), context.get("request_id"), context.get("user")))


@pytest.fixture
def gateway_log():
    recorder, logger = ContextRecorder(), logging.getLogger("gateway")
    level = logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    yield recorder
    logger.removeHandler(recorder)
    logger.setLevel(level)


async def test_every_log_line_of_a_request_names_its_request_id(make_gateway, tokens, gateway_log):
    down = f"http://127.0.0.1:{free_port()}"
    async with make_gateway(contracts_url=down) as gw:
        ok = await gw.get("/api/v1/plans", headers=auth(tokens))
        failed = await gw.get("/api/v1/contracts", headers=auth(tokens))
    assert failed.status_code == 502
    ids = {ok.headers["x-request-id"], failed.headers["x-request-id"]}
    lines = [line for line in gateway_log.lines if "/api/v1/" in line[0] or "contracts" in line[0]]
    assert len(lines) >= 3  # two access lines and the warning about contracts
    assert all(request_id in ids for _, request_id, _ in lines), lines
    assert all(user == "purchaser-a" for _, _, user in lines), lines
    access = [message for message, _, _ in lines if message.startswith("GET /api/v1/")]
    assert access == ["GET /api/v1/plans 200", "GET /api/v1/contracts 502"]


async def test_a_service_that_is_down_is_a_json_502_naming_it(make_gateway, tokens):
    async with make_gateway(orders_url=f"http://127.0.0.1:{free_port()}") as gw:
        response = await gw.get("/api/v1/orders", headers=auth(tokens))
        upload = await gw.post("/api/v1/orders/O1/acceptance", content=b"x" * 100_000, headers=auth(tokens))
    assert response.status_code == 502
    assert response.json() == {"error": {"code": "service_unavailable",
                                         "message": "orders 服务暂时不可用，请稍后重试"}}
    assert response.headers["x-request-id"]
    assert upload.status_code == 502 and "orders" in upload.json()["error"]["message"]


async def test_a_silent_service_is_a_json_504_naming_it(make_gateway, stubs, tokens):
    async with make_gateway(upstream_timeout=0.3) as gw:
        response = await gw.get("/api/v1/projects/P1/slow", headers=auth(tokens))
    assert response.status_code == 504
    assert response.json()["error"] == {"code": "service_timeout",
                                         "message": "bidding 服务未能及时响应，请稍后重试"}


def payload(size: int, chunk: int = MiB):
    """Deterministic bytes, chunk by chunk."""
    for offset in range(0, size, chunk):
        yield bytes([offset // chunk % 251]) * min(chunk, size - offset)


async def test_a_large_upload_streams_through_without_being_held(gateway, stubs, tokens):
    stub, size = stubs["orders"], 48 * MiB
    stub.upload_first_chunk.clear()
    expected = hashlib.sha256()
    for part in payload(size):
        expected.update(part)

    async def body():
        parts = payload(size)
        yield next(parts)
        # The service must hold the first bytes while the caller has not sent the rest: a gateway that
        # read the whole body first would never get here.
        await asyncio.wait_for(stub.upload_first_chunk.wait(), timeout=20)
        for part in parts:
            yield part

    response = await gateway.post("/api/v1/orders/O1/upload", content=body(),
                                  headers={**auth(tokens), "Content-Length": str(size),
                                           "Content-Type": "application/octet-stream"})
    assert response.status_code == 200, response.text
    assert response.json() == {"size": size, "sha256": expected.hexdigest(), "service": "orders"}
    assert stub.seen[-1]["headers"]["Content-Length"] == str(size)


async def test_an_upload_of_unknown_length_streams_chunked(gateway, stubs, tokens):
    async def body():
        for part in payload(3 * MiB):
            yield part

    response = await gateway.post("/api/v1/orders/O1/upload", content=body(), headers=auth(tokens))
    assert response.status_code == 200
    assert response.json()["size"] == 3 * MiB
    assert stubs["orders"].seen[-1]["headers"].get("Transfer-Encoding") == "chunked"


async def test_a_body_above_the_limit_is_a_413_and_reaches_no_service(make_gateway, stubs, tokens):
    async with make_gateway(max_body_bytes=MiB) as gw:
        before = len(stubs["orders"].seen)
        declared = await gw.post("/api/v1/orders/O1/upload", content=b"x" * (MiB + 1), headers=auth(tokens))
        assert declared.status_code == 413
        assert declared.json()["error"] == {"code": "too_large",
                                            "message": "上传内容超过允许的 1 MiB"}
        assert len(stubs["orders"].seen) == before

        async def body():
            for part in payload(3 * MiB, chunk=256 * 1024):
                yield part

        chunked = await gw.post("/api/v1/orders/O1/upload", content=body(), headers=auth(tokens))
        assert chunked.status_code == 413
        assert chunked.json()["error"]["code"] == "too_large"


async def call_asgi(app, path: str, query: bytes, on_body) -> tuple[int, int]:
    """Calls the gateway as a server would and returns (status, bytes received). `on_body(n)` runs after
    each body chunk with the bytes so far; it returns True when the caller hangs up."""
    hung_up = asyncio.Event()
    asked_once = False
    status, received = 0, 0

    async def receive():
        nonlocal asked_once
        if not asked_once:
            asked_once = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, received
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message.get("body"):
            received += len(message["body"])
            if await on_body(received):
                hung_up.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"gateway.test")], "client": ("10.9.9.9", 1), "server": ("gateway.test", 80)}
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return status, received


async def test_a_large_download_streams_through_without_being_held(gateway, stubs):
    stub, size = stubs["orders"], 16 * MiB
    stub.download_gate.clear()

    async def on_body(received: int) -> bool:
        stub.download_gate.set()  # the service sends the rest only once the caller has its first bytes
        return False

    status, received = await call_asgi(gateway.service.app, "/api/v1/orders/O1/download",
                                       f"size={size}&gate=1".encode(), on_body)
    assert (status, received) == (200, size)


async def test_a_caller_hanging_up_mid_download_stops_the_transfer(gateway, stubs):
    stub, size = stubs["orders"], 256 * MiB
    stub.download_gate.clear()

    async def on_body(received: int) -> bool:
        stub.download_gate.set()
        return True  # hang up after the first chunk

    status, received = await call_asgi(gateway.service.app, "/api/v1/orders/O1/download",
                                       f"size={size}&gate=1".encode(), on_body)
    assert status == 200 and received < size
