"""Console pages through the gateway, in a real Chromium: time to first byte and full load.

    uv run --no-sync python bench/console_pages.py [--services 10000] [--loads 40]

Starts the embedded broker (or uses KAFKA_BOOTSTRAP_SERVERS), every service, the gateway and the console
as real processes (SQLite). Before the catalog starts, 10,000 listed services are bulk-loaded into its
database as bench/catalog_search.py does; through the API the agency publishes one agreement, a supplier
lists its service, purchaser-a enters a plan and a direct selection that the supplier quotes (结果待确认:
a to-do on the home page). Then purchaser-a logs in through the console's login page in Chromium
(Debian's package, through Playwright) and each page is loaded `--loads` times (after a few warm-up loads):

- 待办事项        /                          (six list calls to the gateway, at once)
- 入围服务库      /catalog                   (the first page of 10,000 listed services)
- 入围服务库 搜索 /catalog?q=物业管理         (a keyword over the 10,000)
- 查看项目        /projects/{id}

Figures from the browser's Navigation Timing: time to first byte (responseStart − startTime) and full
load (loadEventEnd − startTime: HTML, CSS, JS, fonts all in). Printed as p50 / p95 / max beside the
limit a page must meet on this machine: ready ≤ 300 ms. Printed, not asserted."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from benchlib import percentile
from catalog_search import load as load_library

from devstack.keys import ensure_jwt_keys
from devstack.stack import WITH_DATABASE, LocalStack
from devstack.testing import broker_for_tests, service_databases
from devstack.walkthrough import MarketSpec, Platform, await_read_model, expect, new_plan, open_market, wait_until
from gateway.demo import DEMO_PASSWORD
from servicekit.migrations import upgrade
from servicekit.settings import normalize_database_url

LIMIT_MS = 300.0
TIMING = """() => { const t = performance.getEntriesByType('navigation')[0];
  return {ttfb: t.responseStart - t.startTime, load: t.loadEventEnd - t.startTime}; }"""


def a_project(gateway_url: str) -> str:
    """A direct selection awaiting confirmation, made through the API as the manual's 1.2 ①–⑥ would."""
    platform = Platform(gateway_url)
    try:
        tag = uuid4().hex[:6].upper()
        market = open_market(platform, MarketSpec(
            agreement_no=f"HNKJ-BENCH-WEB-{tag}", name=f"会议服务框架协议（页面基准 {tag}）", category_code="C08",
            service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场", description="",
            prices={"supplier-3": ("18000.00", "17500.00")}, methods=("direct_selection",)))
        buyer = platform("purchaser-a")
        plan = new_plan(buyer, name=f"页面基准采购计划 {tag}", line={
            "category_code": "C0806", "item_name": "全省工作会议会务服务", "quantity": "2", "unit": "场",
            "budget_amount": "40000.00"})
        body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
                "supplier_id": market.suppliers["supplier-3"]["org_id"], "plan_id": plan["id"],
                "plan_line_id": plan["lines"][0]["id"], "quantity": "2", "contact_name": "李明",
                "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": "会场 100 人"}
        project = expect(await_read_model(lambda: buyer.post("/api/v1/projects/direct-selections", json=body),
                                          "the plan and the listing reaching bidding"), "直接选定", 201)
        wait_until(lambda: expect(buyer.get(f"/api/v1/projects/{project['id']}"), "view")["status"] == "quoting",
                   "quoting opened")
        expect(platform("supplier-3").post(f"/api/v1/projects/{project['id']}/quotes", json={"amount": "35000.00"}),
               "报价", 201)
        return project["id"]
    finally:
        platform.close()


def measure(gateway_url: str, pages: dict[str, str], loads: int) -> dict[str, tuple[list[float], list[float]]]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, tuple[list[float], list[float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
                                             args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                          viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(gateway_url + "/login")
            page.get_by_label("用户名").fill("purchaser-a")
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(lambda url: "/login" not in url)
            for label, path in pages.items():
                ttfb, full = [], []
                for n in range(loads + 5):
                    response = page.goto(gateway_url + path, wait_until="load")
                    assert response is not None and response.status == 200, (path, response and response.status)
                    timing = page.evaluate(TIMING)
                    if n >= 5:  # the first loads warm the caches and the connections
                        ttfb.append(timing["ttfb"])
                        full.append(timing["load"])
                figures[label] = (ttfb, full)
        finally:
            browser.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=40)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    private_key, public_key = ensure_jwt_keys(workdir / "keys")
    with broker_for_tests(workdir) as bootstrap, service_databases(WITH_DATABASE, workdir) as urls:
        upgrade("catalog", urls["catalog"])
        started = time.perf_counter()
        asyncio.run(load_library(normalize_database_url(urls["catalog"]), args.services))
        print(f"loaded {args.services:,} listed services into the catalog in {time.perf_counter() - started:.1f} s",
              flush=True)
        quiet = {"LOG_LEVEL": "WARNING"}
        stack = LocalStack(workdir, bootstrap, urls, public_key, private_key, extra_env={
            **{name: quiet for name in WITH_DATABASE}, "gateway": {**quiet, "DEMO_ACCOUNTS": "true"},
            "web": quiet})
        try:
            stack.start_all(timeout=180)
            project_id = a_project(stack.url("gateway"))
            pages = {"待办事项 /": "/", "入围服务库 /catalog": "/catalog", "入围服务库 搜索 /catalog?q=物业管理":
                     "/catalog?q=物业管理", "查看项目 /projects/{id}": f"/projects/{project_id}"}
            figures = measure(stack.url("gateway"), pages, args.loads)
        finally:
            stack.stop_all()
    print(f"console pages through the gateway, purchaser-a in Chromium, {args.loads} loads each "
          f"({args.services:,} listed services); limit: ready ≤ {LIMIT_MS:.0f} ms")
    print("  TTFB p50    p95 | load p50    p95    max | ready ≤ 300 ms (load p95) | page")
    for label, (ttfb, full) in figures.items():
        verdict = "yes" if percentile(full, 95) <= LIMIT_MS else ("p50 only" if percentile(full, 50) <= LIMIT_MS else "no")
        print(f"{percentile(ttfb, 50):>8.0f} ms {percentile(ttfb, 95):>3.0f} ms | {percentile(full, 50):>5.0f} ms "
              f"{percentile(full, 95):>3.0f} ms {max(full):>3.0f} ms | {verdict:<25} | {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
