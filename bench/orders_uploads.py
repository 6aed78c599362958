"""Benchmark of the orders service's file steps, in process, on its own temporary SQLite database (or
TEST_DATABASE_URL) and local file storage: order creation from ResultConfirmed, acceptance report
upload, payment voucher upload, and a streamed download. Prints p50/p99 in ms.

    uv run --no-sync python bench/orders_uploads.py [rounds] [file_kib]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from benchlib import percentile
from contracts_schema.envelope import Envelope
from contracts_schema.events import Party
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.contracts import ContractStamped
from orders.app import build
from orders.settings import Settings
from servicekit.migrations import upgrade
from servicekit.testing import TokenFactory, temporary_database


def pct(values: list[float], q: float) -> float:
    """The q-th quantile (0–1) of seconds, in milliseconds."""
    return percentile(values, q * 100) * 1000


async def main(rounds: int, kib: int) -> None:
    tokens = TokenFactory.generate()
    purchaser = Party(org_id="11430000006100011A", name="湖南省教育厅")
    supplier = Party(org_id="91430100MA4L1A0011", name="湖南潇湘物业管理有限公司")
    p_headers = tokens.headers("purchaser-a", purchaser.org_id, "purchaser", purchaser.name)
    document = b"%PDF-1.4\n" + os.urandom(kib * 1024)
    timings: dict[str, list[float]] = {"order (ResultConfirmed)": [], "acceptance upload": [], "payment upload": [],
                                       "download (stream)": []}
    with tempfile.TemporaryDirectory() as var_dir:
        async with temporary_database("bench_orders") as url:
            await asyncio.to_thread(upgrade, "orders", url)
            service = build(Settings(database_url=url, jwt_public_key=tokens.public_pem, var_dir=Path(var_dir),
                                     log_level="WARNING"), with_bus=False)
            await service.start()
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://b")
            try:
                for _ in range(rounds):
                    project_id = f"PJ{uuid.uuid4().hex[:12]}"
                    event = ResultConfirmed(
                        project_id=project_id, project_no="XM2026000001", project_name="办公楼物业管理服务",
                        method="direct_selection", purchaser=purchaser, supplier=supplier, plan_id="PL1",
                        plan_line_id="PL1-1", filing_no="湘财采备〔2026〕00123", agreement_id="AG1",
                        agreement_no="HNKJ-2026-001", agreement_name="协议", service_id="SV1", service_name="物业",
                        category_code="C1204", unit="月", quantity=Decimal("12"), unit_price=Decimal("100.00"),
                        amount=Decimal("1200.00"), reserved_amount=Decimal("1200.00"),
                        confirmed_at=datetime.now(timezone.utc))
                    start = time.perf_counter()
                    await service.dispatch(event)
                    timings["order (ResultConfirmed)"].append(time.perf_counter() - start)
                    stamped = ContractStamped(contract_id=f"CT{project_id}", contract_no="HT1", project_id=project_id,
                                              ca_mode="ca_seal", document_sha256="0" * 64,
                                              signed_at=datetime.now(timezone.utc))
                    await service.dispatch(stamped, Envelope(type=stamped.ce_type(), source="/bench",
                                                             subject=stamped.contract_id, sequence=1))
                    listing = (await client.get("/api/v1/orders", headers=p_headers)).json()["items"]
                    oid = next(o["id"] for o in listing if o["project_id"] == project_id)
                    start = time.perf_counter()
                    accepted = await client.post(f"/api/v1/orders/{oid}/acceptance", headers=p_headers,
                                                 files={"file": ("验收单.pdf", document, "application/pdf")})
                    timings["acceptance upload"].append(time.perf_counter() - start)
                    assert accepted.status_code == 201, accepted.text
                    start = time.perf_counter()
                    paid = await client.post(f"/api/v1/orders/{oid}/payments", headers=p_headers,
                                             data={"amount": "1200.00", "paid_on": "2026-01-06"},
                                             files={"file": ("凭证.pdf", document, "application/pdf")})
                    timings["payment upload"].append(time.perf_counter() - start)
                    assert paid.status_code == 201 and paid.json()["status"] == "paid", paid.text
                    start = time.perf_counter()
                    download = await client.get(accepted.json()["acceptance_report"]["download_url"], headers=p_headers)
                    timings["download (stream)"].append(time.perf_counter() - start)
                    assert download.content == document
            finally:
                await client.aclose()
                await service.stop()
    print(f"orders service, in process, {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, local storage, "
          f"{kib} KiB files, {rounds} orders")
    for name, values in timings.items():
        print(f"{name:<26} n={len(values):<4} p50={pct(values, 0.5):7.1f} ms  p99={pct(values, 0.99):7.1f} ms  "
              f"mean={statistics.mean(values) * 1000:7.1f} ms")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30, int(sys.argv[2]) if len(sys.argv) > 2 else 512))
