"""What metrics and traces cost the gateway per request: CPU time (not wall time: the machine is
shared) of the gateway's whole ASGI stack in-process — request-id guard, request context (metrics,
span), token check, rate limit (in-process), access log (off: it writes to a stream), pass-through —
in front of an upstream client that answers at once, so only the gateway's own work is measured.

    uv run --no-sync python bench/metrics_overhead.py [--requests 20000] [--rounds 5]

Three configurations, measured in turn for several rounds (median of the rounds): metrics off (the
middleware without its Metrics object: what the gateway cost before /metrics), metrics on (the
default), metrics on and tracing on (spans exported to an exporter that drops them: the SDK's cost,
without a network). Prints µs of CPU per request for each and the difference."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from devstack.keys import ensure_jwt_keys
from gateway.app import build
from gateway.settings import Settings
from servicekit import tracing
from servicekit.http import RequestContextMiddleware

BODY = b'{"items": []}'


class Answer:
    status = 200
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

    async def read(self) -> bytes:
        return BODY

    async def chunks(self) -> Any:
        yield BODY

    async def close(self) -> None:
        pass


class AtOnce:
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, method: str, url: str, headers: Any, body: Any) -> Answer:
        return Answer()


class Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def find(layer: Any, cls: type) -> Any:
    while not isinstance(layer, cls):
        layer = layer.app
    return layer


async def measure(app: Any, token: str, requests: int) -> float:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/v1/catalog/services", "raw_path": b"/api/v1/catalog/services", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"gateway"), (b"authorization", f"Bearer {token}".encode())]}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(200):  # warm: token cache, labelled children, connection-free upstream
        await app(dict(scope), receive, send)
    assert set(statuses) == {200}, statuses[:5]  # passed through, not refused
    started = time.process_time()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return (time.process_time() - started) / requests * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="metrics-bench-"))
    private, public = ensure_jwt_keys(folder / "keys")
    settings = Settings(database_url=f"sqlite:///{folder}/gateway.db", jwt_private_key_file=private,
                        jwt_public_key_file=public, access_log=False, rate_limit_per_second=1e9,
                        rate_limit_burst=10**9)
    service = build(settings)
    app = service.app
    proxy = app.layers
    while not hasattr(proxy, "client"):
        proxy = proxy.app
    proxy.client = AtOnce()
    context = find(app.layers, RequestContextMiddleware)
    token, _ = app.state.issuer.issue(username="purchaser-a", org_id="ORG-A", org_name="A", role="purchaser")

    figures: dict[str, list[float]] = {"metrics off": [], "metrics on": [], "metrics on, tracing on": []}
    for _ in range(args.rounds):
        context.metrics = None
        figures["metrics off"].append(await measure(app, token, args.requests))
        context.metrics = service.metrics
        figures["metrics on"].append(await measure(app, token, args.requests))
        tracing.configure("gateway", exporter=Drop())
        figures["metrics on, tracing on"].append(await measure(app, token, args.requests))
        tracing.shutdown()
    base = statistics.median(figures["metrics off"])
    print(f"gateway in-process, GET /api/v1/catalog/services passed through; {args.requests} requests x "
          f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:<24} {median:7.1f} µs CPU per request   (+{median - base:5.1f} µs)   "
              f"rounds: {', '.join(f'{v:.1f}' for v in values)}")


if __name__ == "__main__":
    asyncio.run(main())
