"""Issue 11, report 2: the embedded broker (memory storage) killed and started again on the same port,
mid-flow, with every service running. The broker comes back empty: no topics, no offsets, no groups.

- the award confirmed while the broker was away gets exactly one order once it is back;
- a direct selection published after it reaches 项目报价中 (bidding → plans → bidding);
- the consumers' complaints about the lost topics are bounded (not ~60 lines a second);
- /readyz is 503 while the broker is away and 200 again once every consumer fetches.

The recovery time (broker started again → the order exists) is printed for the note."""

from __future__ import annotations

import re
import signal
import time
from uuid import uuid4

import httpx
import pytest

from devstack.stack import SERVICES, LocalStack
from devstack.walkthrough import MarketSpec, Platform, await_read_model, new_plan, open_market
from platform_client import find, ok, project_in, wait_for

pytestmark = pytest.mark.stack

LOST_TOPIC = re.compile(r"UnknownTopicOrPartition")


def readyz(stack: LocalStack, name: str) -> httpx.Response | None:
    try:
        return httpx.get(f"{stack.url(name)}/readyz", timeout=5.0)
    except httpx.HTTPError:
        return None


def all_ready(stack: LocalStack) -> bool:
    return all((r := readyz(stack, spec.name)) is not None and r.status_code == 200 for spec in SERVICES)


def lost_topic_lines(stack: LocalStack) -> dict[str, int]:
    return {spec.name: len(LOST_TOPIC.findall(stack.log_path(spec.name).read_text(errors="replace")))
            for spec in SERVICES}


def direct_selection(people: Platform, market, tag: str, supplier: str) -> str:
    purchaser = people("purchaser-a")
    plan = new_plan(purchaser, name=f"会务服务采购计划 {tag}", line={
        "category_code": "C0806", "item_name": "会务服务", "quantity": "2", "unit": "场", "budget_amount": "40000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers[supplier]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": "2", "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": "会场 50 人"}
    published = await_read_model(lambda: purchaser.post("/api/v1/projects/direct-selections", json=body),
                                 "the plan and the listing reaching bidding", timeout=60)
    return ok(published, 201)["id"]


def test_the_broker_restarted_empty_mid_flow_loses_nothing(own_platform, own_broker):
    platform, broker = own_platform, own_broker  # a broker of this module's own, which the test kills
    people = Platform(platform.url("gateway"))
    tag = uuid4().hex[:6].upper()
    market = open_market(people, MarketSpec(
        agreement_no=f"HNKJ-BR-{tag}", name=f"会议服务框架协议（重启测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"小型会议会务服务 {tag}", unit="场", description="50 人以内",
        prices={"supplier-3": ("18000.00", "17500.00")}, methods=("direct_selection",)))
    purchaser, supplier = people("purchaser-a"), people("supplier-3")
    before = direct_selection(people, market, f"{tag}-1", "supplier-3")
    wait_for(lambda: project_in(purchaser, before, "quoting"), timeout=30, what="the first project quoting")
    quote = ok(supplier.post(f"/api/v1/projects/{before}/quotes", json={"amount": "35000.00"}), 201)
    lines_before = lost_topic_lines(platform)

    broker.process.send_signal(signal.SIGKILL)
    broker.process.wait(timeout=10)
    outage = wait_for(lambda: all((r := readyz(platform, spec.name)) is not None and r.status_code == 503
                                  for spec in SERVICES) and [readyz(platform, spec.name) for spec in SERVICES],
                      timeout=30, what="every service not ready without the broker")
    problems = outage[SERVICES.index(next(s for s in SERVICES if s.name == "orders"))].json()["error"]
    assert "消息代理无法连接" in problems["message"] and problems["details"]["checks"]["relay"] is False, problems
    # the award while the broker is away: the command commits, its event waits in the outbox
    ok(purchaser.post(f"/api/v1/projects/{before}/confirm-result", json={"quote_id": quote["id"]}))

    broker.start()  # the same port, nothing in it
    restarted = time.monotonic()
    wait_for(lambda: all_ready(platform), timeout=90, what="every service ready again")
    ready_after = time.monotonic() - restarted
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", before), timeout=90,
                     what="the order of the award confirmed during the outage")
    recovered = time.monotonic() - restarted
    assert order["amount"] == "35000.00"

    after = direct_selection(people, market, f"{tag}-2", "supplier-3")
    wait_for(lambda: project_in(purchaser, after, "quoting"), timeout=60,
             what="a direct selection published after the restart reaching 项目报价中")
    wait_for(lambda: find(supplier, "/api/v1/contracts", before), timeout=30, what="the contract of the award")
    orders = [o for o in ok(purchaser.get("/api/v1/orders", params={"limit": 200}))["items"]
              if o["project_id"] == before]
    assert len(orders) == 1, orders
    print(f"\nbroker restart: every /readyz 200 after {ready_after:.1f} s, "
          f"the outage's award has its order after {recovered:.1f} s")

    complaints = {name: n - lines_before[name] for name, n in lost_topic_lines(platform).items()}
    assert all(n <= 20 for n in complaints.values()), complaints
    people.close()
