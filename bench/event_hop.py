"""One event hop, outbox commit to the consumer's committed effect, through the real broker.

Starts the embedded broker (or uses KAFKA_BOOTSTRAP_SERVERS), the plans and bidding services as real
processes (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), creates N plans through plans' HTTP
API one after another, and for every PlanCreated event compares
    t0 = plans' outbox row created_at (written in the transaction that saves the plan), with
    t1 = bidding's inbox row processed_at (written in the transaction that applies the event),
both on this machine's clock. Prints p50, p90, p99 and max. Target: p50 ≤ 30 ms, p99 ≤ 100 ms.

    uv run python bench/event_hop.py [--events 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from benchlib import percentile
from devstack.keys import ensure_jwt_keys
from devstack.stack import LocalStack
from devstack.testing import broker_for_tests, service_databases
from servicekit.db import Database
from servicekit.settings import normalize_database_url
from servicekit.testing import TokenFactory

PLAN = {"name": "基准测试计划", "year": 2026, "filing_no": "湘财采备〔2026〕00001", "funding_source": "财政拨款",
        "contact_name": "李明", "contact_phone": "0731-84710001",
        "lines": [{"category_code": "C1204", "item_name": "物业管理", "quantity": "1", "unit": "项",
                   "budget_amount": "1000.00"}]}


async def rows(url: str, sql: str) -> list[sa.Row]:
    db = Database(normalize_database_url(url))
    try:
        async with db.read() as session:
            return list((await session.exec(sa.text(sql))).all())
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-hop-"))
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    tokens = TokenFactory(private_key.read_text(), public_key.read_text())
    headers = tokens.headers("purchaser-a", "11430000006100011A", "purchaser", "湖南省教育厅")
    names = ("plans", "bidding")
    with broker_for_tests(workdir) as bootstrap, service_databases(names, workdir) as urls:
        stack = LocalStack(workdir, bootstrap, urls, public_key, private_key, names=names,
                           extra_env={n: {"LOG_LEVEL": "WARNING"} for n in names})
        try:
            stack.start_all()
            print(f"plans and bidding up ({'PostgreSQL' if 'postgresql' in urls['plans'] else 'SQLite'}); "
                  f"creating {args.events} plans...", flush=True)
            with httpx.Client(base_url=stack.url("plans"), headers=headers, timeout=30) as client:
                for _ in range(20):  # warm-up: connections, consumer fetch loop
                    client.post("/api/v1/plans", json=PLAN).raise_for_status()
                first_id = asyncio.run(rows(urls["plans"], "SELECT max(id) FROM outbox"))[0][0]
                started = time.perf_counter()
                for i in range(args.events):
                    client.post("/api/v1/plans", json=PLAN).raise_for_status()
                    if (i + 1) % 250 == 0:
                        print(f"  {i + 1}/{args.events} plans created", flush=True)
                elapsed = time.perf_counter() - started
            sent = asyncio.run(rows(urls["plans"], f"SELECT event_id, created_at, sent_at FROM outbox WHERE id > {first_id}"))
            created = {r.event_id: r.created_at for r in sent}
            relayed = {r.event_id: r.sent_at for r in sent}
            deadline = time.monotonic() + 60
            while True:
                applied = asyncio.run(rows(urls["bidding"], "SELECT event_id, processed_at FROM inbox"))
                done = {r.event_id: r.processed_at for r in applied if r.event_id in created}
                if len(done) == len(created) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            stack.stop_all()

    def as_utc_seconds(value) -> float:
        from datetime import datetime, timezone

        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()

    latencies = [(as_utc_seconds(done[e]) - as_utc_seconds(created[e])) * 1000 for e in done]
    missing = len(created) - len(done)
    print(f"\nevent hop (plans outbox commit → bidding committed effect), {len(latencies)} events, "
          f"{len(created) / elapsed:.0f} events/s offered")
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"  p50 {p50:6.1f} ms   (target ≤ 30: {'met' if p50 <= 30 else 'NOT met'})")
    print(f"  p90 {percentile(latencies, 90):6.1f} ms")
    print(f"  p99 {p99:6.1f} ms   (target ≤ 100: {'met' if p99 <= 100 else 'NOT met'})")
    print(f"  max {max(latencies):6.1f} ms   mean {statistics.mean(latencies):.1f} ms")
    print(f"  lost: {missing}")
    relay = [(as_utc_seconds(relayed[e]) - as_utc_seconds(created[e])) * 1000 for e in done if relayed.get(e)]
    print(f"  of which outbox → marked sent (relay): p50 {percentile(relay, 50):.1f} ms, p99 {percentile(relay, 99):.1f} ms")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
