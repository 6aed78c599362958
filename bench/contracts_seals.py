"""Benchmark of the contracts service's heavy steps, in process, on its own temporary SQLite database
(or TEST_DATABASE_URL): drafting a contract from ResultConfirmed (PDF rendered and stored), sealing
(scrypt at the production cost + a PAdES signature in the PDF with an RFC 3161 timestamp from the platform
TSA and the CA's CRL embedded), and verifying a sealed contract. Prints p50/p99 in ms, and the figures
the issue asks for (12: sealing with timestamp and revocation data, verification, the sealed PDF's size)
beside targets proposed here — a person waits for 盖章 and for 签章验证, a party downloads the PDF:
sealing p99 ≤ 2,000 ms, verification p50 ≤ 500 ms, sealed PDF ≤ 1 MB.

    uv run --no-sync python bench/contracts_seals.py [rounds]
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
from contracts.app import build
from contracts.settings import Settings
from contracts_schema.events import Party
from contracts_schema.events.bidding import ResultConfirmed
from servicekit.migrations import upgrade
from servicekit.testing import TokenFactory, temporary_database


def pct(values: list[float], q: float) -> float:
    """The q-th quantile (0–1) of seconds, in milliseconds."""
    return percentile(values, q * 100) * 1000


SEAL_P99_MS, VERIFY_P50_MS, SIZE_BYTES = 2000.0, 500.0, 1_000_000


def against(figure: str, value: float, limit: float, unit: str) -> None:
    """One line report.py collects: the figure, its target, met / NOT met."""
    print(f"{figure}: {value:,.1f} {unit} (target ≤ {limit:,.0f} {unit}) {'met' if value <= limit else 'NOT met'}")


def report(name: str, values: list[float]) -> None:
    print(f"{name:<28} n={len(values):<4} p50={pct(values, 0.5):7.1f} ms  p99={pct(values, 0.99):7.1f} ms  "
          f"mean={statistics.mean(values) * 1000:7.1f} ms")


async def main(rounds: int) -> None:
    load_before = os.getloadavg()[0]
    tokens = TokenFactory.generate()
    purchaser = Party(org_id="11430000006100011A", name="湖南省教育厅")
    supplier = Party(org_id="91430100MA4L1A0011", name="湖南潇湘物业管理有限公司")
    p_headers = tokens.headers("purchaser-a", purchaser.org_id, "purchaser", purchaser.name)
    s_headers = tokens.headers("supplier-1", supplier.org_id, "supplier", supplier.name)
    sizes: list[int] = []
    timings: dict[str, list[float]] = {"draft (ResultConfirmed)": [], "seal (supplier)": [], "seal (purchaser)": [],
                                       "verification": []}
    with tempfile.TemporaryDirectory() as var_dir:
        async with temporary_database("bench_contracts") as url:
            await asyncio.to_thread(upgrade, "contracts", url)
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
                        agreement_no="HNKJ-2026-001", agreement_name="湖南省物业管理服务框架协议", service_id="SV1",
                        service_name="办公楼物业管理", category_code="C1204", unit="月", quantity=Decimal("12"),
                        unit_price=Decimal("25000.00"), amount=Decimal("300000.00"),
                        reserved_amount=Decimal("300000.00"), confirmed_at=datetime.now(timezone.utc))
                    start = time.perf_counter()
                    await service.dispatch(event)
                    timings["draft (ResultConfirmed)"].append(time.perf_counter() - start)
                    listing = (await client.get("/api/v1/contracts", headers=s_headers)).json()["items"]
                    cid = next(c["id"] for c in listing if c["project_id"] == project_id)
                    await client.post(f"/api/v1/contracts/{cid}/send", headers=s_headers)
                    await client.post(f"/api/v1/contracts/{cid}/confirm", headers=p_headers, json={"ca_mode": "ca_seal"})
                    for name, headers in (("seal (supplier)", s_headers), ("seal (purchaser)", p_headers)):
                        start = time.perf_counter()
                        response = await client.post(f"/api/v1/contracts/{cid}/seal", headers=headers,
                                                     json={"ca_password": "ca12345"})
                        timings[name].append(time.perf_counter() - start)
                        assert response.status_code == 200, response.text
                    start = time.perf_counter()
                    verified = (await client.get(f"/api/v1/contracts/{cid}/verification", headers=p_headers)).json()
                    timings["verification"].append(time.perf_counter() - start)
                    assert verified["valid"], verified
                    document = await client.get(f"/api/v1/contracts/{cid}/document", headers=p_headers)
                    sizes.append(len(document.content))
            finally:
                await client.aclose()
                await service.stop()
    load = os.getloadavg()
    print(f"contracts service, in process, {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, "
          f"scrypt n={Settings.model_fields['seal_kdf_n'].default}, {rounds} contracts, "
          f"load average {load_before:.1f} → {load[0]:.1f} on {os.cpu_count()} CPUs")
    for name, values in timings.items():
        report(name, values)
    if sizes:
        print(f"{'document as served (bytes)':<28} p50={statistics.median(sizes):,.0f}  max={max(sizes):,}")
    seals = timings["seal (supplier)"] + timings["seal (purchaser)"]
    print(f"sealing p50 (timestamp + CRL embedded): {pct(seals, 0.5):,.1f} ms")
    against("sealing p99 (timestamp + CRL embedded)", pct(seals, 0.99), SEAL_P99_MS, "ms")
    against("verification p50 (pyHanko, both seals)", pct(timings["verification"], 0.5), VERIFY_P50_MS, "ms")
    if sizes:
        against("sealed PDF size (two seals, B-LT)", float(max(sizes)), SIZE_BYTES, "bytes")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
