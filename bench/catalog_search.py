"""Catalog keyword search (入围服务库) at 10,000 and 100,000 (and, asked for, 1,000,000) listed services,
directly against the catalog service.

Starts the embedded broker (or uses KAFKA_BOOTSTRAP_SERVERS), loads the library in bulk straight into
the catalog's own tables (not through the API) — 20 agreements, 6 suppliers each, N services with 1–3
listed offers each and their browse summary — then starts the catalog service as a real process and
times keyword searches over HTTP on one keep-alive connection: the issue's queries `会`, `会议`,
`长沙 物业管理` and one matching nothing, then a mix (with and without a category, price order, later
pages), and the category tree. Prints p50, p99 and max per query with the load average. Target (issue 14): p50 ≤ 20 ms and
p99 ≤ 50 ms at every size, on SQLite and PostgreSQL.

Runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.

    uv run python bench/catalog_search.py [--sizes 10000,100000,1000000] [--requests 200] [--databases postgresql]
        [--keep NAME]

`--keep NAME` loads each size once and keeps it between runs: PostgreSQL database `NAME_<size>`,
SQLite file `<tmp>/NAME_<size>.db` (loaded when absent or unfinished, else only migrated to head);
drop them when done with `--drop NAME`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa
import sqlalchemy.ext.asyncio
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
from servicekit.testing import TokenFactory, _pg_dsn, create_postgres_database, drop_postgres_database

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
    """The library, written in bulk straight into the service's own tables (not through the API): 20
    agreements, 6 suppliers each, `services` services with 1–3 listed offers each and their browse
    summary (offered, lowest price, supplier and agreement counts) computed as store.refresh_services
    would, the categories' characters (store.add_category_grams) as store.service_ids_for notes them and the categories' offered counts (store.add_offered_counts) as store.refresh_services keeps them; on SQLite the triggers of migrations 0002 and 0006 fill the search indexes as the rows go in."""
    rng = random.Random(110)
    db = Database(url, metadata=store.metadata, service="catalog")
    today = utcnow().date()
    services_table, offerings_table = store.Service.__table__, store.Offering.__table__
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
                suppliers[agreement.id] = suppliers_of(a)
                session.add_all([store.ShortlistedSupplier(agreement_id=agreement.id, supplier_id=s,
                                                           name=f"基准供应商{s[-6:]}") for s in suppliers[agreement.id]])
            await session.flush()
        listed_at = utcnow()
        await gin_pending_lists(db, on=True)
        for start in range(0, services, 5000):
            rows, offerings = [], []
            for n in range(start, min(services, start + 5000)):
                code = rng.choice(list(KINDS))
                name = f"{rng.choice(CITIES)}{rng.choice(KINDS[code])}{rng.choice(VARIANTS)}-{n:07d}"
                description = f"{categories.NAMES[code]}，服务范围覆盖{rng.choice(CITIES)}市区"
                candidates = [a for a in agreements if categories.within(code, a.category_code)] or agreements[:1]
                agreement = rng.choice(candidates)
                prices = []
                for supplier in rng.sample(suppliers[agreement.id], rng.randint(1, 3)):
                    ceiling = Decimal(rng.randint(100, 5_000_000)) / 100
                    price = (ceiling * Decimal("0.97")).quantize(Decimal("0.01"))
                    prices.append(price)
                    offerings.append(dict(
                        id=f"OFB{n:07d}{supplier[6:10]}", agreement_id=agreement.id, service_id=f"SVB{n:07d}",
                        supplier_id=supplier, agreement_price=ceiling, discount_tiers=[], status="listed",
                        price=price, listed_at=listed_at, delisted_at=None, delist_reason=""))
                rows.append(dict(id=f"SVB{n:07d}", category_code=code, name=name, unit="次", description=description,
                                 search_text=store.search_text(name, description, code), offered=True,
                                 min_price=min(prices), supplier_count=len(prices), agreement_count=1))
            async with db.transaction() as session:
                connection = await session.connection()
                await connection.execute(services_table.insert(), rows)
                await connection.execute(offerings_table.insert(), offerings)
                await store.add_category_grams(connection, store.category_gram_counts(
                    (row["category_code"], row["search_text"]) for row in rows))
                await store.add_offered_counts(connection, Counter(row["category_code"] for row in rows))
        await gin_pending_lists(db, on=False)
        if db.is_postgres:  # as autovacuum does after so many inserts: the statistics and the visibility map
            # (the count of a common word reads the index alone only where the map says all visible)
            async with db.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(sa.text("VACUUM (ANALYZE) services"))
    finally:
        await db.dispose()


GIN_INDEXES = ("ix_services_search_trgm", "ix_services_search_chars")


async def gin_pending_lists(db: Database, *, on: bool) -> None:
    """PostgreSQL: the search's GIN indexes take the bulk load into their pending lists (on), then merge
    them and go back to updating in place (off), as the migration left them: a million rows inserted
    straight into the indexes take four times longer."""
    if not db.is_postgres:
        return
    async with db.transaction() as session:
        connection = await session.connection()
        for index in GIN_INDEXES:
            if not on:
                await connection.execute(sa.text(f"SELECT gin_clean_pending_list('{index}'::regclass)"))
            await connection.execute(sa.text(f"ALTER INDEX {index} SET (fastupdate = {'on' if on else 'off'})"))


def suppliers_of(a: int) -> list[str]:
    return SUPPLIER_IDS[a * 3 % 60:a * 3 % 60 + 6]


ISSUE_QUERIES = ["会", "会议", "长沙 物业管理", "不存在的服务"]  # one, two characters, two words, nothing


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat; 0 once it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_meter(service_pid: int, url: str) -> Callable[[], float]:
    """The CPU seconds so far of the service and, on PostgreSQL, of the backends serving its database
    (local processes; a backend that ended is missed: a lower bound). The figure load does not blur."""
    if not url.startswith("postgresql"):
        return lambda: cpu_seconds(service_pid)
    import asyncpg

    dsn = normalize_database_url(url).replace("postgresql+asyncpg://", "postgresql://")

    async def backends() -> list[int]:
        conn = await asyncpg.connect(dsn)
        try:
            return [r["pid"] for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        finally:
            await conn.close()

    return lambda: cpu_seconds(service_pid) + sum(cpu_seconds(pid) for pid in asyncio.run(backends()))


def measure(base_url: str, headers: dict[str, str], requests: int,
            cpu: Callable[[], float]) -> tuple[dict[str, list[float]], dict[str, str], dict[str, float]]:
    """The issue's four queries one after the other (`requests` each, first page, default order), then
    the mixed workload (QUERIES with and without a category, price order, later pages), then the
    category tree (GET /api/v1/catalog/categories, its counts of offered services)."""
    rng = random.Random(7)
    timings: dict[str, list[float]] = {}
    matches: dict[str, str] = {}
    cpu_ms: dict[str, float] = {}  # CPU per request (service + database)
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        def one(params: dict[str, str | int]) -> float:
            started = time.perf_counter()
            response = client.get("/api/v1/catalog/services", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if set(params) == {"q"}:
                answer = response.json()
                matches[str(params["q"])] = f"{answer['total']}{'' if answer['total_exact'] else '+'}"
            return elapsed

        def mixed() -> dict[str, str | int]:
            params: dict[str, str | int] = {"q": rng.choice(QUERIES)}
            if rng.random() < 0.5:
                params["sort"] = "price"
            if rng.random() < 0.3:
                params["category"] = rng.choice(["C12", "C1204", "C08", "C0501"])
            if rng.random() < 0.2:
                params["page"] = rng.randint(2, 5)
            return params

        for _ in range(20):  # warm-up: connection, caches, SQLAlchemy statement cache
            one(mixed())
        def timed(what: str, request: Callable[[], float]) -> None:
            before = cpu()
            timings[what] = [request() for _ in range(requests)]
            cpu_ms[what] = (cpu() - before) * 1000 / requests

        for q in ISSUE_QUERIES:
            timed(q, lambda q=q: one({"q": q}))
        timed("mixed", lambda: one(mixed()))

        def tree() -> float:
            started = time.perf_counter()
            client.get("/api/v1/catalog/categories").raise_for_status()
            return (time.perf_counter() - started) * 1000

        timed("category tree", tree)
    return timings, matches, cpu_ms


LOADED = "bench_loaded"  # a table --keep writes once the library is loaded in full


async def loaded(url: str) -> bool:
    engine = sa.ext.asyncio.create_async_engine(normalize_database_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: sa.inspect(c).has_table(LOADED))
    finally:
        await engine.dispose()


async def mark_loaded(url: str) -> None:
    engine = sa.ext.asyncio.create_async_engine(normalize_database_url(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"CREATE TABLE {LOADED} (n integer)"))
    finally:
        await engine.dispose()


def run(kind: str, url: str, workdir: Path, bootstrap: str, size: int, args: argparse.Namespace) -> list[dict]:
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    tokens = TokenFactory(private_key.read_text(), public_key.read_text())
    upgrade("catalog", url)
    if args.keep and asyncio.run(loaded(url)):
        print(f"[{kind}] {size:,} listed services kept from an earlier run ({url})", flush=True)
    else:
        started = time.perf_counter()
        asyncio.run(load(normalize_database_url(url), size))
        print(f"[{kind}] loaded {size:,} listed services in {time.perf_counter() - started:.1f}s", flush=True)
        if args.keep:
            asyncio.run(mark_loaded(url))
    stack = LocalStack(workdir, bootstrap, {"catalog": url}, public_key, private_key, names=("catalog",),
                       extra_env={"catalog": {"LOG_LEVEL": "WARNING"}})
    try:
        stack.start("catalog")
        headers = tokens.headers("purchaser-a", "11430000006100011A", "purchaser", "湖南省教育厅")
        timings, matches, cpu_ms = measure(stack.url("catalog"), headers, args.requests,
                                           cpu_meter(stack.processes["catalog"].pid, url))
    finally:
        stack.stop_all()
    figures = []
    for q, values in timings.items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        met = p50 <= 20 and p99 <= 50
        figures.append({"what": f"search {kind} {size:,} services q={q!r}", "p50": p50, "p99": p99, "met": met})
        print(f"[{kind}] {size:,} services, q={q!r} ({matches.get(q, '-')} matches), {len(values)} requests: "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(values):.1f} ms, CPU {cpu_ms[q]:.1f} ms/request (target p50 ≤ 20, p99 ≤ 50: "
              f"{'met' if met else 'NOT met'}; load average {os.getloadavg()[0]:.1f})", flush=True)
    return figures


async def kept_database(base: str, name: str) -> str:
    """The URL of PostgreSQL database `name`, created if absent (an unfinished load is loaded again)."""
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(base))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()
    if exists:
        url = normalize_database_url(_pg_dsn(base, name))
        if await loaded(url):
            return url
    return await create_postgres_database(base, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="library sizes, comma-separated (add 1000000 for a province's library: minutes to load)")
    parser.add_argument("--requests", type=int, default=200, help="requests per query")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="which of sqlite, postgresql (the latter with TEST_DATABASE_URL set)")
    parser.add_argument("--json", help="also write the figures to this file (bench/report.py reads it)")
    parser.add_argument("--keep", metavar="NAME", help="load each size once and keep it between runs (see above)")
    parser.add_argument("--drop", metavar="NAME", help="drop what --keep NAME kept, for --sizes, and stop")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = os.environ.get("TEST_DATABASE_URL")
    if args.drop:
        for size in sizes:
            Path(tempfile.gettempdir(), f"{args.drop}_{size}.db").unlink(missing_ok=True)
            if base:
                asyncio.run(drop_postgres_database(base, f"{args.drop}_{size}"))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    figures: list[dict] = []
    with broker_for_tests(workdir) as bootstrap:
        for size in sizes:
            folder = workdir / f"{size}"
            if "sqlite" in args.databases:
                kept = Path(tempfile.gettempdir(), f"{args.keep}_{size}.db") if args.keep else folder / "catalog.db"
                figures += run("SQLite", f"sqlite:///{kept}", folder / "sqlite", bootstrap, size, args)
            if base and "postgresql" in args.databases:
                if args.keep:
                    figures += run("PostgreSQL", asyncio.run(kept_database(base, f"{args.keep}_{size}")),
                                   folder / "pg", bootstrap, size, args)
                    continue
                with service_databases(("catalog",), folder / "pg") as urls:
                    figures += run("PostgreSQL", urls["catalog"], folder / "pg", bootstrap, size, args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
