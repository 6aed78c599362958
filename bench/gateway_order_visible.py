"""From ResultConfirmed on the bus to the order visible to the purchaser through the gateway.

    uv run --no-sync python bench/gateway_order_visible.py [--events 200]

Starts the embedded broker (or uses KAFKA_BOOTSTRAP_SERVERS), the orders service and the gateway as
real processes (SQLite, or PostgreSQL when TEST_DATABASE_URL is set). Then, one project at a time, it
publishes a ResultConfirmed to bidding.events exactly as the bidding service's relay would (CloudEvents
headers, key = project id) and polls GET /api/v1/orders through the gateway, logged in as the purchaser,
every 5 ms until the project's order is listed. Latency = first poll that shows the order minus the
moment before the send (so it includes the broker hop, the consumer's transaction, and one gateway
round trip; polling adds up to 5 ms). Prints p50, p90, p99 and max. Target (issue 6): p99 <= 300 ms."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from benchlib import percentile
from contracts_schema.envelope import Envelope, encode_headers
from contracts_schema.events.base import Party
from contracts_schema.events.bidding import ResultConfirmed
from devstack.keys import ensure_jwt_keys
from devstack.stack import LocalStack
from devstack.testing import broker_for_tests, service_databases
from gateway.demo import DEMO_PASSWORD, PURCHASER_A, SUPPLIERS

POLL = 0.005


def result_confirmed(n: int) -> ResultConfirmed:
    supplier = SUPPLIERS[n % 3]
    project_id = f"PJ{uuid.uuid4().hex[:14]}"
    return ResultConfirmed(
        project_id=project_id, project_no=f"XM2026{n:06d}", project_name=f"办公楼物业管理服务（基准 {n}）",
        method="direct_selection",
        purchaser=Party(org_id=PURCHASER_A.org_id, name=PURCHASER_A.name, address=PURCHASER_A.address,
                        contact_name=PURCHASER_A.contact_name, contact_phone=PURCHASER_A.contact_phone),
        supplier=Party(org_id=supplier.org_id, name=supplier.name, address=supplier.address,
                       contact_name=supplier.contact_name, contact_phone=supplier.contact_phone),
        plan_id=f"PL{uuid.uuid4().hex[:12]}", plan_line_id=f"PLL{uuid.uuid4().hex[:12]}",
        filing_no="湘财采备〔2026〕00123", agreement_id="AG-BENCH", agreement_no="HNKJ-2026-001",
        agreement_name="湖南省物业管理服务框架协议", service_id="SV-BENCH", service_name="办公楼物业管理服务",
        category_code="C120401", unit="月", quantity=Decimal("12"), unit_price=Decimal("30000.00"),
        amount=Decimal("360000.00"), reserved_amount=Decimal("360000.00"),
        confirmed_at=datetime.now(timezone.utc))


async def measure(bootstrap: str, gateway: str, count: int) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post("/api/v1/auth/token", data={"username": "purchaser-a", "password": DEMO_PASSWORD})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        async def one(n: int, timeout: float) -> float:
            event = result_confirmed(n)
            envelope = Envelope(type=event.ce_type(), source="/bidding", subject=event.project_id, sequence=1)
            started = time.perf_counter()
            await producer.send_and_wait(event.topic(), event.model_dump_json().encode(),
                                         key=event.project_id.encode(),
                                         headers=[(k, v.encode()) for k, v in encode_headers(envelope).items()])
            while True:
                response = await client.get("/api/v1/orders", params={"limit": 5})
                response.raise_for_status()
                if any(o["project_id"] == event.project_id for o in response.json()["items"]):
                    return (time.perf_counter() - started) * 1000
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"order of {event.project_id} not visible after {timeout:g} s")
                await asyncio.sleep(POLL)

        try:
            await one(-1, timeout=60)  # warm-up: the consumer joins its group, connections open
            latencies = []
            for n in range(count):
                latencies.append(await one(n, timeout=30))
                if (n + 1) % 50 == 0:
                    print(f"  {n + 1}/{count}", flush=True)
            return latencies
        finally:
            await producer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-order-visible-") as folder:
        workdir = Path(folder)
        private_key, public_key = ensure_jwt_keys(workdir / "keys")
        names = ("orders", "gateway")
        with broker_for_tests(workdir) as bootstrap, service_databases(names, workdir) as urls:
            stack = LocalStack(workdir, bootstrap, urls, public_key, private_key, names=names,
                               # the bench polls every 5 ms, far above a person's rate limit
                               extra_env={"gateway": {"DEMO_ACCOUNTS": "true", "LOG_LEVEL": "WARNING",
                                                      "RATE_LIMIT_PER_SECOND": "100000", "RATE_LIMIT_BURST": "100000"},
                                          "orders": {"LOG_LEVEL": "WARNING"}})
            try:
                stack.start_all()
                print(f"orders and gateway up ({'PostgreSQL' if 'postgresql' in urls['orders'] else 'SQLite'}); "
                      f"{args.events} results, one at a time...", flush=True)
                latencies = asyncio.run(measure(bootstrap, stack.url("gateway"), args.events))
            finally:
                stack.stop_all()
    p99 = percentile(latencies, 99)
    print(f"\nResultConfirmed published → order listed through the gateway, {len(latencies)} results "
          f"(polling every {POLL * 1000:g} ms)")
    print(f"  p50 {percentile(latencies, 50):6.1f} ms")
    print(f"  p90 {percentile(latencies, 90):6.1f} ms")
    print(f"  p99 {p99:6.1f} ms   (target <= 300: {'met' if p99 <= 300 else 'NOT met'})")
    print(f"  max {max(latencies):6.1f} ms   mean {statistics.mean(latencies):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
