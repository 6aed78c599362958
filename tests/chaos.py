"""The chaos matrix (issue 11): each of the five services and the broker SIGKILLed right after each command
of manual 1.2 (直接选定) and 1.3 (二次竞价) that makes an event, brought back the way an operator would, and
the flow finished: exactly one order, one contract, one award announcement, and the plan's ledger exact.

    make chaos                                   # every cell (6 processes × 19 steps), then the table
    python tests/chaos.py --sample 5 --seed 42   # five cells, as CI's tests/test_chaos.py picks them
    python tests/chaos.py --cell orders:1.2:confirm --cell broker:1.3:close

A cell is (process, flow, step) and has a plan and a project of its own; every cell runs on one platform,
started as `make run` starts it (`devstack up`: circus, SQLite, the embedded broker with memory storage).
A killed service is started again by circus alone; the broker is SIGKILLed and then `devstack restart
broker` run, as an operator would — either way it comes back empty, and the services' outbox replay
refills it. Cells run in batches: every cell of a batch is walked up to its step (in parallel), then one
by one its step is done, the process killed at once and the cell's next effect awaited (the seconds to
recover: SIGKILL → the process answering /readyz again and the step's effect seen elsewhere), then every
cell is finished and checked (in parallel). Kills rotate over the processes, so that none dies twice in
circus's flapping window. Every wait polls a condition up to a deadline. `--per-kill N` lets one kill
strike N cells of a process: their steps are done at once and the kill follows the last answer (fewer
kills for a busy machine; each cell's command is then up to a second or two before the kill).

Outcomes: `ok` (finished, everything exact), `LOST` (finished, but an order, contract or announcement is
missing or doubled, or the ledger is off: a real bug), `error` (a step refused or a wait ran out; also a
bug until shown otherwise). The table prints the outcome and the seconds to recover of each cell."""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

sys.path.insert(0, str(Path(__file__).parent))  # `python tests/chaos.py`: the helpers beside it

from devstack.walkthrough import (Market, MarketSpec, Platform, expect, open_market, shanghai_today,  # noqa: E402
                                  wait_for_listings, wait_until)
from platform_client import find, pdf  # noqa: E402
from supervised import Supervised, supervised  # noqa: E402
from test_manual_1_2_direct_selection import plan_for as direct_plan, publish as publish_direct  # noqa: E402
from test_manual_1_3_secondary_bidding import QUANTITY, plan_for as bidding_plan, save_draft  # noqa: E402

PROCESSES = ("plans", "catalog", "bidding", "contracts", "orders", "broker")
CONTRACT_STEPS = ("send", "confirm_contract", "seal_supplier", "seal_purchaser")
AFTER_AWARD = ("confirm", *CONTRACT_STEPS, "perform", "acceptance", "payment")
FLOWS = {  # every step of the flow in order; "perform" (service record, invoice) is walked, not a cell
    "1.2": ("publish", "quote", *AFTER_AWARD),
    "1.3": ("publish", "quote", "close", *AFTER_AWARD),
}
CELL_STEPS = tuple((flow, step) for flow, steps in FLOWS.items() for step in steps if step != "perform")
CA_PASSWORD = "ca12345"
# Settings of the chaos platform: bidding windows of a few seconds, no per-user rate limit (cells poll in parallel).
PLATFORM_ENV = {"BIDDING_MIN_DURATION_SECONDS": "2", "BIDDING_TIMER_INTERVAL": "0.1", "RATE_LIMIT_ENABLED": "false"}
WAIT = 90.0  # the deadline of every wait of a cell (a busy machine restarts a process slowly)
WORKERS = 4


@dataclass(frozen=True, order=True)
class Cell:
    process: str
    flow: str
    step: str

    def __str__(self) -> str:
        return f"{self.process}:{self.flow}:{self.step}"

    @classmethod
    def parse(cls, text: str) -> Cell:
        process, flow, step = text.split(":")
        if process not in PROCESSES or (flow, step) not in CELL_STEPS:
            raise ValueError(f"no such cell: {text} (process:flow:step, e.g. orders:1.2:confirm)")
        return cls(process, flow, step)


def matrix() -> list[Cell]:
    return [Cell(process, flow, step) for process in PROCESSES for flow, step in CELL_STEPS]


def sample(count: int, seed: int) -> list[Cell]:
    """`count` cells of different processes (as long as there are processes), each at a random step."""
    rng = random.Random(seed)
    processes = rng.sample(PROCESSES, min(count, len(PROCESSES)))
    processes += rng.choices(PROCESSES, k=count - len(processes))
    return [Cell(process, *rng.choice(CELL_STEPS)) for process in processes]


# ── the markets: one agreement per flow, made once per platform ─────────────────────────────────────────

def direct_market(tag: str) -> MarketSpec:
    return MarketSpec(
        agreement_no=f"HNKJ-CH12-{tag}", name=f"会议服务框架协议（故障测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"中型会议会务服务 {tag}", unit="场", description="100 人以内",
        prices={"supplier-3": ("18000.00", "17500.00")}, methods=("direct_selection",))


def bidding_market(tag: str) -> MarketSpec:
    # the highest agreement price is listed last (see walkthrough.wait_for_listings)
    return MarketSpec(
        agreement_no=f"HNKJ-CH13-{tag}", name=f"秩序维护服务框架协议（故障测试 {tag}）", category_code="C1204",
        service_category="C120403", service_name=f"秩序维护服务 {tag}", unit="人·月", description="门岗值守",
        prices={"supplier-1": ("5200.00", "5100.00"), "supplier-6": ("5300.00", "5200.00")},
        methods=("direct_selection", "secondary_bidding"))


DIRECT = {"quantity": "2", "budget": "40000.00", "ceiling": "36000.00", "amount": "35000.00", "winner": "supplier-3"}
BIDDING = {"budget": "150000.00", "ceiling": str(Decimal("5300.00") * QUANTITY), "amount": "117000.00",
           "winner": "supplier-1", "quotes": (("supplier-6", "118000.00"), ("supplier-1", "117000.00"))}


@dataclass
class World:
    """The platform, the people on it (logged in once) and the two markets."""

    platform: Supervised
    people: Platform
    markets: dict[str, Market]

    @classmethod
    def open(cls, platform: Supervised) -> World:
        people = Platform(platform.url("gateway"))
        for user in ("purchaser-a", "supplier-1", "supplier-3", "supplier-6", "agency"):
            people(user)
        tag = uuid4().hex[:6].upper()
        return cls(platform, people, {"1.2": open_market(people, direct_market(tag)),
                                      "1.3": open_market(people, bidding_market(tag))})


# ── one cell: its flow, step by step ────────────────────────────────────────────────────────────────────

@dataclass
class Run:
    cell: Cell
    world: World
    plan: dict[str, Any] = field(default_factory=dict)
    pid: str = ""
    cid: str = ""
    oid: str = ""
    done: int = 0  # steps of FLOWS[flow] walked
    outcome: str = ""
    detail: str = ""
    recovery: float | None = None

    @property
    def terms(self) -> dict[str, Any]:
        return DIRECT if self.cell.flow == "1.2" else BIDDING

    @property
    def steps(self) -> tuple[str, ...]:
        return FLOWS[self.cell.flow]

    def client(self, user: str) -> httpx.Client:
        return self.world.people(user)

    @property
    def purchaser(self) -> httpx.Client:
        return self.client("purchaser-a")

    @property
    def supplier(self) -> httpx.Client:
        return self.client(self.terms["winner"])

    # walking

    def walk_to(self, last: int) -> None:
        """Walks the steps up to index `last` (included)."""
        if not self.plan:
            self.setup()
        while self.done <= last:
            getattr(self, f"do_{self.steps[self.done]}")()
            self.done += 1

    def walk_before(self) -> None:
        """Up to the cell's step, but a secondary bidding only to its draft when the step is in its window
        (the window is opened next to the kill, so that it lasts while the process is away)."""
        target = self.steps.index(self.cell.step)
        if self.cell.flow == "1.3" and target <= self.steps.index("close"):
            target = self.steps.index("publish")
        self.walk_to(target - 1)

    def setup(self) -> None:
        market = self.world.markets[self.cell.flow]
        if self.cell.flow == "1.2":
            self.plan = direct_plan(self.purchaser, quantity=DIRECT["quantity"], budget=DIRECT["budget"])
        else:
            self.plan = bidding_plan(self.purchaser, budget=BIDDING["budget"])
            self.pid = save_draft(self.purchaser, market, self.plan, name=f"故障测试 {self.cell}")["id"]
            wait_for_listings(self.purchaser, self.pid, Decimal(BIDDING["ceiling"]), timeout=WAIT)

    def project(self) -> dict[str, Any]:
        return expect(self.purchaser.get(f"/api/v1/projects/{self.pid}"), "view the project")

    def order(self) -> dict[str, Any]:
        return expect(self.purchaser.get(f"/api/v1/orders/{self.order_id()}"), "open the order")

    def line(self) -> dict[str, Any]:
        return expect(self.purchaser.get(f"/api/v1/plans/{self.plan['id']}"), "open the plan")["lines"][0]

    def until(self, check: Callable[[], Any], what: str) -> Any:
        return wait_until(check, f"{self.cell}: {what}", WAIT)

    def do_publish(self) -> None:
        if self.cell.flow == "1.2":
            self.pid = publish_direct(self.purchaser, self.world.markets["1.2"], DIRECT["winner"], self.plan,
                                      quantity=DIRECT["quantity"])["id"]
            return
        # the window lasts while the killed process is away when the kill follows the publish; else a few seconds
        seconds = {"publish": 60}.get(self.cell.step, 20)
        expect(self.purchaser.post(f"/api/v1/projects/{self.pid}/publish", json={"duration_seconds": seconds}),
               "发布")

    def in_status(self, status: str) -> bool:
        project = self.project()
        if project["status"] in ("failed", "terminated"):
            raise RuntimeError(f"the project ended {project['status_label']}: {project['outcome_reason']}")
        return project["status"] == status

    def do_quote(self) -> None:
        self.until(lambda: self.in_status("quoting"), "项目报价中")
        quotes = [("supplier-3", DIRECT["amount"])] if self.cell.flow == "1.2" else BIDDING["quotes"]
        for user, amount in quotes:
            expect(self.client(user).post(f"/api/v1/projects/{self.pid}/quotes", json={"amount": amount}),
                   f"{user} quotes", 201)

    def do_close(self) -> None:
        self.until(lambda: self.in_status("awaiting_confirmation"), "the window closed (结果待确认)")

    def do_confirm(self) -> None:
        self.until(lambda: self.in_status("awaiting_confirmation"), "结果待确认")
        winner = expect(self.purchaser.get(f"/api/v1/projects/{self.pid}/quotes"), "the quotes")["proposed_winner"]
        expect(self.purchaser.post(f"/api/v1/projects/{self.pid}/confirm-result", json={"quote_id": winner["id"]}),
               "确认成交结果")

    def find(self, client: httpx.Client, path: str) -> dict[str, Any] | None:
        return find(client, path, self.pid)

    def contract_id(self) -> str:
        if not self.cid:
            self.cid = self.until(lambda: self.find(self.supplier, "/api/v1/contracts"), "the contract drafted")["id"]
        return self.cid

    def order_id(self) -> str:
        if not self.oid:
            self.oid = self.until(lambda: self.find(self.purchaser, "/api/v1/orders"), "the order created")["id"]
        return self.oid

    def do_send(self) -> None:
        expect(self.supplier.post(f"/api/v1/contracts/{self.contract_id()}/send"), "send the contract")

    def do_confirm_contract(self) -> None:
        expect(self.purchaser.post(f"/api/v1/contracts/{self.contract_id()}/confirm", json={"ca_mode": "ca_seal"}),
               "confirm the contract")

    def do_seal_supplier(self) -> None:
        expect(self.supplier.post(f"/api/v1/contracts/{self.contract_id()}/seal", json={"ca_password": CA_PASSWORD}),
               "the supplier seals")

    def do_seal_purchaser(self) -> None:
        expect(self.purchaser.post(f"/api/v1/contracts/{self.contract_id()}/seal",
                                   json={"ca_password": CA_PASSWORD}), "the purchaser seals")

    def do_perform(self) -> None:
        oid = self.order_id()
        self.until(lambda: self.order()["status"] == "contracted", "the order in performance (履约中)")
        expect(self.supplier.post(f"/api/v1/orders/{oid}/logistics",
                                  json={"kind": "service", "description": "会务团队进场"}), "物流信息", 201)
        expect(self.supplier.post(f"/api/v1/orders/{oid}/invoices", files=pdf("发票.pdf"), data={
            "invoice_no": f"44{uuid4().int % 10**18:018d}", "amount": self.terms["amount"],
            "issued_on": str(shanghai_today())}), "开票信息", 201)

    def do_acceptance(self) -> None:
        expect(self.purchaser.post(f"/api/v1/orders/{self.order_id()}/acceptance", files=pdf("验收单.pdf")),
               "验收单", 201)

    def do_payment(self) -> None:
        expect(self.purchaser.post(f"/api/v1/orders/{self.order_id()}/payments", files=pdf("支付凭证.pdf"),
                                   data={"amount": self.terms["amount"], "paid_on": str(shanghai_today())}),
               "支付凭证", 201)

    # what the step's event does elsewhere: seen → the platform recovered for this cell

    def effect_seen(self) -> bool:
        step, amount = self.cell.step, self.terms["amount"]
        if step == "publish":
            return self.project()["funds_status"] == "reserved"
        if step == "confirm":
            return (self.find(self.purchaser, "/api/v1/orders") is not None
                    and self.find(self.supplier, "/api/v1/contracts") is not None
                    and self.line()["consumed_amount"] == amount)
        if step in CONTRACT_STEPS:
            contract = self.order()["contract"] or {}
            status = {"send": "sent", "confirm_contract": "confirmed", "seal_supplier": "supplier_sealed",
                      "seal_purchaser": "purchaser_sealed"}[step]
            return contract.get("status") == status and (step != "seal_purchaser" or self.order()["status"] == "contracted")
        if step == "payment":
            return self.line()["spent_amount"] == amount
        return True  # quote, close, acceptance: no other service acts on them

    # the end: exactly one of each, the ledger exact

    def check(self) -> list[str]:
        amount, lost = self.terms["amount"], []
        orders = _all(self.purchaser, "/api/v1/orders", self.pid)
        contracts = _all(self.supplier, "/api/v1/contracts", self.pid)
        awards = expect(self.world.people.anonymous.get("/api/v1/announcements", params={
            "project_id": self.pid, "kind": "award"}), "the award announcements")["total"]
        for what, count in (("orders", len(orders)), ("contracts", len(contracts)), ("award announcements", awards)):
            if count != 1:
                lost.append(f"{count} {what}")
        if orders and orders[0]["status"] != "paid":
            lost.append(f"order {orders[0]['status']}")
        line = self.line()
        ledger = (line["reserved_amount"], line["consumed_amount"], line["spent_amount"])
        if ledger != ("0.00", amount, amount):
            lost.append("ledger reserved/consumed/spent {}/{}/{}".format(*ledger))
        return lost


def _all(client: httpx.Client, path: str, project_id: str) -> list[dict[str, Any]]:
    """Every item of a list (all its pages) that belongs to the project."""
    items, offset = [], 0
    while True:
        page = expect(client.get(path, params={"limit": 200, "offset": offset}), f"list {path}")
        items += [item for item in page["items"] if item["project_id"] == project_id]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return items


# ── killing and bringing back ───────────────────────────────────────────────────────────────────────────

def kill(platform: Supervised, process: str) -> Callable[[], bool]:
    """SIGKILLs the process; for the broker then runs `devstack restart broker` as an operator would.
    Returns the check that it is back (a new process answering /readyz; every service ready)."""
    before = wait_until(lambda: platform.pids()[process], f"{process} running, to be killed", WAIT)
    os.kill(before, signal.SIGKILL)
    if process == "broker":
        done = platform.devstack("restart", "broker")
        assert done.returncode == 0, done.stderr

    def back() -> bool:
        now = platform.pids()[process]
        return bool(now and now != before and platform.all_ready())

    return back


def strikes(cells: list[Cell], per_kill: int) -> list[list[Cell]]:
    """The kills, in order: up to `per_kill` cells of one process each; the processes in turn, so that
    the same one is killed as seldom in a row as can be (circus holds back one that dies twice in 30 s)."""
    by_process: dict[str, list[list[Cell]]] = {}
    for process in PROCESSES:
        mine = [cell for cell in cells if cell.process == process]
        if mine:
            by_process[process] = [mine[i:i + per_kill] for i in range(0, len(mine), per_kill)]
    order: list[list[Cell]] = []
    while any(by_process.values()):
        for process in sorted(by_process, key=lambda p: -len(by_process[p])):
            if by_process[process]:
                order.append(by_process[process].pop(0))
    return order


def _guard(run: Run, action: Callable[[], None]) -> None:
    if run.outcome:
        return
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the cell's outcome says what went wrong
        run.outcome, run.detail = "error", f"{type(exc).__name__}: {exc}"
        if os.environ.get("CHAOS_TRACEBACK"):
            traceback.print_exc()


def _fail(runs: list[Run], exc: Exception) -> None:
    for run in runs:
        if not run.outcome:
            run.outcome, run.detail = "error", f"{type(exc).__name__}: {exc}"


def strike(runs: list[Run], pool: ThreadPoolExecutor) -> None:
    """The cells' steps (at once when several), the kill right after the last answer, then for each cell
    the wait for the process and the step's effect elsewhere."""
    platform = runs[0].world.platform
    try:
        wait_until(platform.all_ready, "every process ready before the kill", WAIT)
    except Exception as exc:  # noqa: BLE001 - said in each cell's outcome; the matrix goes on
        _fail(runs, exc)
        return
    list(pool.map(lambda r: _guard(r, lambda: r.walk_to(r.steps.index(r.cell.step))), runs))
    live = [run for run in runs if not run.outcome]
    if not live:
        return
    started = time.monotonic()
    try:
        back = kill(platform, runs[0].cell.process)
    except Exception as exc:  # noqa: BLE001
        _fail(live, exc)
        return

    def recover(run: Run) -> None:
        wait_until(back, f"{run.cell}: {run.cell.process} back and every service ready", WAIT)
        wait_until(run.effect_seen, f"{run.cell}: the effect of {run.cell.step}", WAIT)
        run.recovery = time.monotonic() - started
        if run.cell.flow == "1.3" and run.cell.step == "publish":
            run.walk_to(run.steps.index("quote"))  # within the window that opened while the process was away

    list(pool.map(lambda r: _guard(r, lambda: recover(r)), live))


def finish(run: Run) -> None:
    """The rest of the flow, then the end state, polled until it is exact or the deadline passes."""
    run.walk_to(len(run.steps) - 1)
    deadline = time.monotonic() + WAIT
    while (lost := run.check()) and time.monotonic() < deadline:
        time.sleep(0.5)
    run.outcome, run.detail = ("LOST", "; ".join(lost)) if lost else ("ok", "")


def run_cells(world: World, cells: list[Cell], batch: int = 38, per_kill: int = 1,
              say: Callable[[str], None] = print) -> list[Run]:
    """Every cell, in batches of about `batch`: walked up to its step in parallel, struck (`per_kill` cells
    of one process to a kill), finished in parallel. Prints a line per kill and per cell as it ends."""
    runs: list[Run] = []
    order = strikes(cells, per_kill)
    per_batch = max(1, batch // per_kill)
    with ThreadPoolExecutor(WORKERS) as pool:
        for first in range(0, len(order), per_batch):
            kills = [[Run(cell, world) for cell in group] for group in order[first:first + per_batch]]
            group = [run for runs_of_kill in kills for run in runs_of_kill]
            runs += group
            say(f"batch of {len(group)} cells: walking each up to its step…")
            list(pool.map(lambda r: _guard(r, r.walk_before), group))
            for struck in kills:
                strike(struck, pool)
                say(f"  killed {struck[0].cell.process} after " + ", ".join(
                    f"{r.cell.flow} {r.cell.step} ({r.outcome or _seconds(r.recovery)})" for r in struck))
            list(pool.map(lambda r: _guard(r, lambda: finish(r)), group))
            for run in group:
                say(f"  {run.cell!s:<32} {run.outcome:<5} {_seconds(run.recovery):>6}  {run.detail}")
    return runs


# ── the table ───────────────────────────────────────────────────────────────────────────────────────────

def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def table(runs: list[Run]) -> str:
    """process × step → outcome and seconds to recover, then the totals."""
    by_cell = {run.cell: run for run in runs}
    processes = [p for p in PROCESSES if any(run.cell.process == p for run in runs)]
    lines = [f"{'step':<22}" + "".join(f"{p:>14}" for p in processes)]
    for flow, step in CELL_STEPS:
        if not any((run.cell.flow, run.cell.step) == (flow, step) for run in runs):
            continue
        row = f"{flow + ' ' + step:<22}"
        for process in processes:
            run = by_cell.get(Cell(process, flow, step))
            row += f"{'' if run is None else run.outcome + ' ' + _seconds(run.recovery):>14}"
        lines.append(row)
    times = [run.recovery for run in runs if run.recovery is not None]
    recovered = sum(run.outcome == "ok" for run in runs)
    lines.append(f"cells {len(runs)}, recovered {recovered}, lost {len(runs) - recovered}"
                 + (f", recovery median {statistics.median(times):.1f} s, worst {max(times):.1f} s" if times else ""))
    for run in runs:
        if run.outcome != "ok":
            lines.append(f"  {run.cell}: {run.outcome}: {run.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="this many random cells (of different processes) instead of all")
    parser.add_argument("--seed", type=int, help="the sample's seed (printed; give it again to re-run a sample)")
    parser.add_argument("--cell", action="append", type=Cell.parse, help="one cell, process:flow:step (repeatable)")
    parser.add_argument("--batch", type=int, default=38, help="cells walked and struck together (default 38)")
    parser.add_argument("--per-kill", type=int, default=1,
                        help="cells of one process struck by one kill: their steps at once, the kill after the "
                             "last answer (default 1: every cell its own kill)")
    args = parser.parse_args(argv)
    if args.cell:
        cells = args.cell
    elif args.sample:
        seed = args.seed if args.seed is not None else random.randrange(10**6)
        print(f"chaos sample of {args.sample} cells, seed {seed} (re-run: python tests/chaos.py --sample "
              f"{args.sample} --seed {seed})")
        cells = sample(args.sample, seed)
    else:
        cells = matrix()
    started = time.monotonic()
    print(f"{len(cells)} cells; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}; starting the platform (devstack up)…", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="chaos-"))
    print(f"the platform's folder (its log devstack-up.log, the stores): {folder}", flush=True)
    with supervised(folder, PLATFORM_ENV) as platform:
        world = World.open(platform)
        try:
            runs = run_cells(world, cells, batch=args.batch, per_kill=args.per_kill, say=lambda line: print(line, flush=True))
        finally:
            world.people.close()
    print(f"\n{table(runs)}\n{time.monotonic() - started:.0f} s in all; load average now "
          f"{os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0 if all(run.outcome == "ok" for run in runs) else 1


if __name__ == "__main__":
    # SIGTERM (a person's `kill`, a CI timeout) ends the run like Ctrl-C: the platform it started is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise SystemExit(main())
