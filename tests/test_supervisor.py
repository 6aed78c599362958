"""The embedded default's supervisor (`devstack up`, what `make run` starts): a real process set on free
ports, SQLite under the test's folder, driven as an operator would.

- a service killed with SIGKILL comes back alone (its /readyz answers again), the others keep their PIDs;
- `devstack restart NAME` restarts exactly that one; `devstack status` lists every process;
- issue 11, report 1: orders killed right after 确认成交结果 is restarted by the supervisor and the
  project gets exactly one order (the broker keeps running);
- `devstack stop` stops every process and `devstack up` exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from devstack import supervisor
from devstack.broker import free_port
from devstack.stack import ALL
from devstack.walkthrough import MarketSpec, Platform, await_read_model, new_plan, open_market
from platform_client import find, ok, project_in, wait_for

pytestmark = pytest.mark.stack

PROCESSES = ("broker", *(spec.name for spec in ALL))


@dataclass
class Supervised:
    process: subprocess.Popen[bytes]
    var: Path
    log: Path
    ports: dict[str, int]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def pids(self) -> dict[str, int | None]:
        return {row["name"]: row["pid"] for row in supervisor.status(self.var)}

    def ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def devstack(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "devstack.cli", *args, "--var", str(self.var)],
                              capture_output=True, text=True, timeout=60)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    folder = tmp_path_factory.mktemp("supervised")
    ports = {name: free_port() for name in PROCESSES}
    env = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    log = folder / "devstack-up.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "devstack.cli", "up", "--var", str(folder / "var")],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Supervised(process, folder / "var", log, ports)
    try:
        wait_for(lambda: "Ctrl-C stops everything." in running.output() or process.poll() is not None,
                 timeout=150, what="the banner")
        assert process.poll() is None, running.output()[-4000:]
        yield running
    finally:
        if process.poll() is None:  # a failed test left it running
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def as_user(platform: Supervised) -> Iterator[Platform]:
    """The demo accounts, logged in through the gateway (the walkthrough's own login)."""
    people = Platform(platform.url("gateway"))
    yield people
    people.close()


def test_status_lists_every_process_running(platform):
    rows = supervisor.status(platform.var)
    assert sorted(row["name"] for row in rows) == sorted(PROCESSES)
    assert all(row["state"] == "active" and row["pid"] and row["uptime"] >= 0 for row in rows), rows
    printed = platform.devstack("status")
    assert printed.returncode == 0, printed.stderr
    assert [line.split()[:2] for line in printed.stdout.splitlines()[1:]] == [
        [row["name"], "active"] for row in sorted(rows, key=lambda row: row["name"])]
    # the banner names the console first, as before
    banner = platform.output().split("┌", 1)[1]
    assert banner.splitlines()[1].strip().endswith(f"控制台 The console:  {platform.url('gateway')}/      "
                                                   "(open it in a browser and log in)")


def test_a_killed_service_comes_back_alone(platform):
    before = platform.pids()
    os.kill(before["orders"], signal.SIGKILL)
    after = wait_for(lambda: (pids := platform.pids())["orders"] not in (None, before["orders"]) and pids,
                     timeout=30, what="circus started orders again")
    wait_for(lambda: platform.ready("orders"), timeout=60, what="the new orders answering /readyz")
    assert {name: pid for name, pid in platform.pids().items() if name != "orders"} == {
        name: pid for name, pid in before.items() if name != "orders"}
    assert after["orders"] != before["orders"]
    assert f"orders (pid {before['orders']}) ended with signal 9" in platform.output()


def test_a_process_that_keeps_dying_is_held_back_then_started_again(platform):
    before = platform.pids()
    os.kill(before["catalog"], signal.SIGKILL)
    second = wait_for(lambda: platform.pids()["catalog"] not in (None, before["catalog"]) and platform.pids(),
                      timeout=30, what="catalog started again")["catalog"]
    os.kill(second, signal.SIGKILL)  # again within the flapping window: circus waits RETRY_IN s first
    wait_for(lambda: "catalog: flapping detected" in platform.output(), timeout=30, what="the backoff")
    third = wait_for(lambda: platform.pids()["catalog"] not in (None, before["catalog"], second) and platform.pids(),
                     timeout=60, what="catalog started after the backoff")
    wait_for(lambda: platform.ready("catalog"), timeout=60, what="catalog answering /readyz")
    assert {n: p for n, p in third.items() if n != "catalog"} == {n: p for n, p in before.items() if n != "catalog"}


def test_restart_restarts_the_one_named(platform):
    before = platform.pids()
    done = platform.devstack("restart", "bidding")
    assert done.returncode == 0, done.stderr
    after = platform.pids()
    assert after["bidding"] not in (None, before["bidding"])
    assert {n: p for n, p in after.items() if n != "bidding"} == {n: p for n, p in before.items() if n != "bidding"}
    wait_for(lambda: platform.ready("bidding"), timeout=60, what="bidding answering /readyz after the restart")
    unknown = platform.devstack("restart", "nosuch")
    assert unknown.returncode == 1 and "nosuch" in unknown.stderr


def test_orders_killed_right_after_the_award_still_makes_exactly_one_order(platform, as_user):
    """Issue 11, report 1, with the supervisor bringing orders back (the broker is not restarted)."""
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-SV-{tag}", name=f"会议服务框架协议（监督测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"小型会议会务服务 {tag}", unit="场", description="50 人以内",
        prices={"supplier-3": ("18000.00", "17500.00")}, methods=("direct_selection",))
    market = open_market(as_user, spec)
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-3")
    plan = new_plan(purchaser, name=f"会务服务采购计划 {tag}", line={
        "category_code": "C0806", "item_name": "会务服务", "quantity": "2", "unit": "场", "budget_amount": "40000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers["supplier-3"]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": "2", "contact_name": "李明",
            "contact_phone": "13800000001", "office_phone": "0731-84710001", "requirements": "会场 50 人"}
    published = await_read_model(lambda: purchaser.post("/api/v1/projects/direct-selections", json=body),
                                 "the plan and the listing reaching bidding")
    pid = ok(published, 201)["id"]
    wait_for(lambda: project_in(purchaser, pid, "quoting"), what="plans reserved, quoting opened")
    quote = ok(supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "35000.00"}), 201)
    orders_pid = platform.pids()["orders"]
    ok(purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": quote["id"]}))
    os.kill(orders_pid, signal.SIGKILL)

    wait_for(lambda: platform.pids()["orders"] not in (None, orders_pid), timeout=30, what="orders started again")
    wait_for(lambda: platform.ready("orders"), timeout=60, what="the new orders answering /readyz")
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", pid), timeout=60, what="the order of the award")
    assert order["amount"] == "35000.00"
    wait_for(lambda: find(supplier, "/api/v1/contracts", pid), what="the contract of the award")
    # a redelivered ResultConfirmed (orders died before committing its offset) changed nothing
    orders = [o for o in ok(purchaser.get("/api/v1/orders", params={"limit": 200}))["items"] if o["project_id"] == pid]
    assert len(orders) == 1, orders


def test_stop_stops_every_process(platform):
    pids = [pid for pid in platform.pids().values() if pid]
    done = platform.devstack("stop")
    assert done.returncode == 0, done.stderr
    assert platform.process.wait(timeout=60) == 0
    assert [pid for pid in pids if _alive(pid)] == []
    assert platform.devstack("status").returncode == 1  # nothing answers any more


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
