"""Catalog keyword search (入围服务库) over 10,000 listed services, directly against the catalog service.

Starts the embedded broker (or uses KAFKA_BOOTSTRAP_SERVERS), loads the library into the catalog's own
database — 20 agreements, 6 suppliers each, 10,000 services with 1–3 listed offers each, the browse
summary computed by the service's own code (store.refresh_services) — then starts the catalog service
as a real process and times keyword searches over HTTP on one keep-alive connection (Chinese
substrings, with and without a category, default and price order, first pages). Prints p50, p90, p99
and max per request. Target: p50 ≤ 20 ms.

Runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.

    uv run python bench/catalog_search.py [--services 10000] [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from benchlib import percentile
from catalog import store
from contracts_schema import categories
from contracts_schema.types import utcnow
from devstack.keys import ensure_jwt_keys
from devstack.stack import LocalStack
from devstack.testing import broker_for_tests, service_databases
from servicekit.db import Database
from servicekit.migrations import upgrade
from servicekit.settings import normalize_database_url
from servicekit.testing import TokenFactory

CITIES = ["长沙", "株洲", "湘潭", "衡阳", "邵阳", "岳阳", "常德", "张家界", "益阳", "郴州", "永州", "怀化", "娄底", "湘西"]
KINDS = {
    "C120401": ["办公楼物业管理服务", "综合楼物业管理服务", "园区物业管理服务"],
    "C120402": ["办公区域保洁服务", "玻璃幕墙清洗服务", "地毯清洗服务"],
    "C120403": ["秩序维护服务", "门岗值守服务", "消防监控值班服务"],
    "C0501": ["小型客车常规保养", "公务用车维修", "轮胎更换服务", "车辆年检代办服务"],
    "C0806": ["中型会议服务", "大型会议会务服务", "视频会议保障服务"],
    "C0814": ["宣传册印制", "公文印刷", "海报喷绘印制", "档案装订服务"],
    "C0801": ["常年法律顾问服务", "专项法律服务", "合同审查服务"],
    "C0205": ["信息系统运行维护服务", "网络安全运维服务"],
    "C1301": ["机关食堂餐饮服务", "会议用餐服务"],
}
VARIANTS = ["（标准型）", "（加强型）", "（夜间）", "（节假日）", "（含耗材）", "（一站式）", ""]
QUERIES = ["物业", "长沙 物业管理", "保洁", "会议", "印制", "法律顾问", "岳阳 保养", "运维", "餐饮",
           "湘西 会议", "加强型", "不存在的服务"]
SUPPLIER_IDS = [f"914301{n:04d}MA4BENCH"[:18] for n in range(1, 61)]


async def load(url: str, services: int) -> None:
    """The library, written with the service's own tables and summary code."""
    rng = random.Random(110)
    db = Database(url, metadata=store.metadata, service="catalog")
    today = utcnow().date()
    try:
        async with db.transaction() as session:
            agreements = []
            for a in range(20):
                code = list(KINDS)[a % len(KINDS)]
                agreement = store.Agreement(
                    id=f"AGBENCH{a:04d}", agreement_no=f"HNKJ-BENCH-{a:03d}", name=f"基准测试框架协议{a}",
                    agency_org_id="12430000MB1A46001K", agency_name="湖南省政府采购中心",
                    category_code=categories.path_of(code)[0], valid_from=today - timedelta(days=30),
                    valid_to=today + timedelta(days=700), methods=["direct_selection", "secondary_bidding"],
                    contract_template="服务内容：{service_name}", status="active", published_at=utcnow())
                agreements.append(agreement)
                session.add(agreement)
            await session.flush()
            suppliers = {}
            for a, agreement in enumerate(agreements):
                suppliers[agreement.id] = SUPPLIER_IDS[a * 3 % 60:a * 3 % 60 + 6]
                session.add_all([store.ShortlistedSupplier(agreement_id=agreement.id, supplier_id=s,
                                                           name=f"基准供应商{s[-6:]}") for s in suppliers[agreement.id]])
            await session.flush()
            ids, offerings = [], []
            for n in range(services):
                code = rng.choice(list(KINDS))
                name = f"{rng.choice(CITIES)}{rng.choice(KINDS[code])}{rng.choice(VARIANTS)}-{n:05d}"
                description = f"{categories.NAMES[code]}，服务范围覆盖{rng.choice(CITIES)}市区"
                service = store.Service(id=f"SVB{n:06d}", category_code=code, name=name, unit="次",
                                        description=description,
                                        search_text=store.search_text(name, description, code))
                session.add(service)
                ids.append(service.id)
                candidates = [a for a in agreements if categories.within(code, a.category_code)] or agreements[:1]
                agreement = rng.choice(candidates)
                for supplier in rng.sample(suppliers[agreement.id], rng.randint(1, 3)):
                    ceiling = Decimal(rng.randint(100, 5_000_000)) / 100
                    offerings.append(store.Offering(
                        id=f"OFB{n:06d}{supplier[6:10]}", agreement_id=agreement.id, service_id=service.id,
                        supplier_id=supplier, agreement_price=ceiling, status="listed",
                        price=(ceiling * Decimal("0.97")).quantize(Decimal("0.01")), listed_at=utcnow()))
                if n % 2000 == 1999 or n == services - 1:
                    await session.flush()  # the services first: offerings refer to them
                    session.add_all(offerings)
                    await session.flush()
                    offerings.clear()
            await store.refresh_services(session, ids, today)
    finally:
        await db.dispose()


def measure(base_url: str, headers: dict[str, str], requests: int) -> tuple[list[float], dict[str, int]]:
    rng = random.Random(7)
    timings: list[float] = []
    matches: dict[str, int] = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        def one() -> float:
            params: dict[str, str | int] = {"q": rng.choice(QUERIES)}
            if rng.random() < 0.5:
                params["sort"] = "price"
            if rng.random() < 0.3:
                params["category"] = rng.choice(["C12", "C1204", "C08", "C0501"])
            if rng.random() < 0.2:
                params["page"] = rng.randint(2, 5)
            started = time.perf_counter()
            response = client.get("/api/v1/catalog/services", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if "category" not in params:
                matches[str(params["q"])] = response.json()["total"]
            return elapsed

        for _ in range(50):  # warm-up: connection, caches, SQLAlchemy statement cache
            one()
        timings = [one() for _ in range(requests)]
    return timings, matches


def run(kind: str, url: str, workdir: Path, bootstrap: str, args: argparse.Namespace) -> None:
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    tokens = TokenFactory(private_key.read_text(), public_key.read_text())
    upgrade("catalog", url)
    started = time.perf_counter()
    asyncio.run(load(normalize_database_url(url), args.services))
    print(f"[{kind}] loaded {args.services:,} listed services in {time.perf_counter() - started:.1f}s", flush=True)
    stack = LocalStack(workdir, bootstrap, {"catalog": url}, public_key, private_key, names=("catalog",),
                       extra_env={"catalog": {"LOG_LEVEL": "WARNING"}})
    try:
        stack.start("catalog")
        headers = tokens.headers("purchaser-a", "11430000006100011A", "purchaser", "湖南省教育厅")
        timings, matches = measure(stack.url("catalog"), headers, args.requests)
    finally:
        stack.stop_all()
    print(f"[{kind}] catalog keyword search over {args.services:,} listed services, {len(timings)} requests "
          f"directly against the service: p50 {percentile(timings, 50):.1f} ms, p90 {percentile(timings, 90):.1f} ms, "
          f"p99 {percentile(timings, 99):.1f} ms, max {max(timings):.1f} ms (target p50 ≤ 20 ms)")
    print(f"[{kind}] matches per keyword: " + ", ".join(f"{q}={n}" for q, n in sorted(matches.items())), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    with broker_for_tests(workdir) as bootstrap:
        run("SQLite", f"sqlite:///{workdir / 'catalog.db'}", workdir / "sqlite", bootstrap, args)
        if os.environ.get("TEST_DATABASE_URL"):
            with service_databases(("catalog",), workdir / "pg") as urls:
                run("PostgreSQL", urls["catalog"], workdir / "pg", bootstrap, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
