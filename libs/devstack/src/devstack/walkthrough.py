"""`make demo` / `devstack demo`: the manual's 1.3 secondary bidding (二次竞价), end to end, against the
running platform, through its gateway only — as purchaser-a and three suppliers would click through
it — printing each step and the status the platform shows. About a minute; run it as often as you
like (every run enters a fresh plan and project).

    make run                                            # terminal 1 (with a short bidding window, see below)
    make demo                                           # terminal 2: GATEWAY_URL=http://127.0.0.1:8000

What it needs and does not find, it makes: on a platform that lacks it, the agency publishes one
framework agreement for 会议用餐服务 (HNKJ-<year>-DEMO) shortlisting supplier-1, supplier-3 and
supplier-6, and each lists its service; a later run finds them there.

A bidding window lasts at least the platform's necessary response time (BIDDING_MIN_DURATION_SECONDS,
half an hour in production). The walkthrough reads it from the announcement preview and stops before
publishing, saying so, when it is longer than `max_window_seconds`; start the platform with
`BIDDING_MIN_DURATION_SECONDS=10 make run` for a one-minute demo.

The pieces (a logged-in `Platform`, `open_market`, `await_read_model`) serve the cross-service tests
of the manual too (tests/test_manual_*.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

DEMO_PASSWORD = "demo12345"
DEMO_CA_PASSWORD = "ca12345"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")
Login = Callable[[str], httpx.Client]
"""username → an httpx client on the gateway, logged in as that demo account."""


class WalkthroughError(RuntimeError):
    """A step did not go as the manual says; the message names the step and the platform's answer."""


# ── talking to the gateway ────────────────────────────────────────────────────────────────────────


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of a platform error answer, whatever its shape."""
    try:
        error = response.json()["error"]
        return str(error["code"]), str(error["message"])
    except Exception:  # noqa: BLE001 - not the platform's JSON error: show what came
        return f"http_{response.status_code}", response.text[:300]


def expect(response: httpx.Response, what: str, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response with the expected status, or a WalkthroughError saying what failed."""
    if response.status_code != status:
        code, message = error_of(response)
        raise WalkthroughError(f"{what}: {response.request.method} {response.request.url.path} answered "
                               f"{response.status_code} {code}: {message}")
    return response.json()


class Platform:
    """The platform's gateway as the demo accounts see it: one logged-in client per account."""

    def __init__(self, url: str, password: str = DEMO_PASSWORD, timeout: float = 30.0) -> None:
        self.url, self.password, self.timeout = url.rstrip("/"), password, timeout
        self.clients: dict[str, httpx.Client] = {}
        self.anonymous = httpx.Client(base_url=self.url, timeout=timeout)

    def __call__(self, username: str) -> httpx.Client:
        if username not in self.clients:
            client = httpx.Client(base_url=self.url, timeout=self.timeout)
            token = expect(self._login(client, username), f"log in as {username}")["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            self.clients[username] = client
        return self.clients[username]

    def _login(self, client: httpx.Client, username: str) -> httpx.Response:
        form = {"username": username, "password": self.password}
        try:
            response = client.post("/api/v1/auth/token", data=form)
            if response.status_code == 429:  # log-in limits: wait as long as the gateway asks, once
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 30.0))
                response = client.post("/api/v1/auth/token", data=form)
        except httpx.ConnectError as exc:
            raise WalkthroughError(f"the platform does not answer at {self.url} ({exc}): start it with `make run` "
                                   "(or set GATEWAY_URL)") from exc
        return response

    def close(self) -> None:
        for client in (*self.clients.values(), self.anonymous):
            client.close()
        self.clients.clear()


def wait_until(check: Callable[[], T], what: str, timeout: float = 30.0, interval: float = 0.2) -> T:
    """Polls `check()` until it returns something truthy: a condition, never a fixed time."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise WalkthroughError(f"{what}: not seen within {timeout:g} s")
        time.sleep(interval)
    return result


# Answers that mean "bidding has not heard of it yet": a plan or a listing just entered reaches the
# bidding service's read models through Kafka a moment later (the API's message says so).
NOT_ARRIVED = frozenset({"unknown_plan", "unknown_plan_line", "unknown_agreement", "supplier_not_shortlisted",
                         "service_not_listed", "no_eligible_supplier"})


def await_read_model(send: Callable[[], httpx.Response], what: str, timeout: float = 30.0) -> httpx.Response:
    """Sends a request again while the answer is a 422 saying that what it refers to has not reached
    the service yet; returns the first other answer."""

    def answer() -> httpx.Response | None:
        response = send()
        if response.status_code == 422 and error_of(response)[0] in NOT_ARRIVED:
            return None
        return response

    return wait_until(answer, what, timeout)


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


# ── the market: a framework agreement with its shortlisted suppliers, listed ──────────────────────────


@dataclass(frozen=True)
class MarketSpec:
    """One framework agreement of a single service, offered by several demo suppliers.
    `prices`: username → (agreement price, listed price), listed in this order."""

    agreement_no: str
    name: str
    category_code: str  # the agreement's category (品目); the service lies at or beneath it
    service_category: str
    service_name: str
    unit: str
    description: str
    prices: dict[str, tuple[str, str]]
    methods: tuple[str, ...] = ("direct_selection", "secondary_bidding")
    valid_from: date | None = None  # default: 1 January of this year
    valid_to: date | None = None  # default: 31 December of next year
    estimated_amount: str | None = None  # 预估采购金额 (the ledger warns past it); none by default


    def ceiling(self, username: str, quantity: Decimal) -> Decimal:
        """What `username` may quote at most for `quantity`: its agreement price × the quantity."""
        return (Decimal(self.prices[username][0]) * quantity).quantize(Decimal("0.01"))


@dataclass
class Market:
    agreement: dict[str, Any]
    service_id: str
    suppliers: dict[str, dict[str, Any]]  # username → its /me (org id, name, address, contacts)


CONTRACT_TEMPLATE = (
    "第一条 合同标的：乙方按照框架协议 {agreement_no}（{agreement_name}）的约定，向甲方提供 {service_name}，"
    "数量 {quantity}{unit}，单价 {unit_price} 元。\n"
    "第二条 合同金额：{amount} 元（{amount_upper}），不高于框架协议约定的协议价格。\n"
    "第三条 服务标准：按采购需求提供服务，菜品及原料符合《食品安全法》要求，甲方按批次验收。\n"
    "第四条 付款：甲方在验收合格并收到乙方发票后 30 日内支付合同款项。\n"
    "第五条 本合同经双方盖章后生效；采购计划财政备案号：{filing_no}。")


def open_market(login: Login, spec: MarketSpec) -> Market:
    """The agreement of `spec` with every supplier's service listed: published by the agency and
    listed by the suppliers when missing, found as it is otherwise."""
    agency = login("agency")
    suppliers = {user: expect(login(user).get("/api/v1/me"), f"who is {user}") for user in spec.prices}
    found = expect(agency.get("/api/v1/catalog/agreements", params={"agreement_no": spec.agreement_no}),
                   f"look for agreement {spec.agreement_no}")["items"]
    if found:
        agreement = expect(agency.get(f"/api/v1/catalog/agreements/{found[0]['id']}"),
                           f"open agreement {spec.agreement_no}")
    else:
        year = shanghai_today().year
        service = {"category_code": spec.service_category, "name": spec.service_name, "unit": spec.unit,
                   "description": spec.description}
        agreement = expect(agency.post("/api/v1/catalog/agreements", json={
            "agreement_no": spec.agreement_no, "name": spec.name, "category_code": spec.category_code,
            "valid_from": str(spec.valid_from or date(year, 1, 1)),
            "valid_to": str(spec.valid_to or date(year + 1, 12, 31)), "methods": list(spec.methods),
            "contract_template": CONTRACT_TEMPLATE,
            "suppliers": [{"supplier_id": me["org_id"], "name": me["org_name"], "address": me["org_address"],
                           "contact_name": me["org_contact_name"], "contact_phone": me["org_contact_phone"],
                           "services": [{**service, "agreement_price": spec.prices[user][0]}]}
                          for user, me in suppliers.items()],
            **({"estimated_amount": spec.estimated_amount} if spec.estimated_amount else {})}),
            f"publish agreement {spec.agreement_no}", 201)
    service_id = agreement["offerings"][0]["service_id"]
    for user, (_, price) in spec.prices.items():  # in the spec's order: the last one listed comes last
        offering = next(o for o in agreement["offerings"] if o["supplier_id"] == suppliers[user]["org_id"])
        if offering["status"] != "listed":
            expect(login(user).post(f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                                    json={"service_id": offering["service_id"], "price": price}),
                   f"{user} lists {spec.service_name}")
    return Market(agreement=agreement, service_id=service_id, suppliers=suppliers)


def new_plan(purchaser: httpx.Client, *, name: str, line: dict[str, str], filing: str = "00123") -> dict[str, Any]:
    """录入计划: a plan of one line, with the unit's contact and address, filed this year."""
    me = expect(purchaser.get("/api/v1/me"), "who am I")
    year = shanghai_today().year
    return expect(purchaser.post("/api/v1/plans", json={
        "name": name, "year": year, "filing_no": f"湘财采备〔{year}〕{filing}", "funding_source": "财政拨款",
        "contact_name": me["org_contact_name"], "contact_phone": me["org_contact_phone"],
        "purchaser_address": me["org_address"], "lines": [line]}), f"录入计划 {name}", 201)


def demo_market(year: int) -> MarketSpec:
    return MarketSpec(
        agreement_no=f"HNKJ-{year}-DEMO", name="湖南省省直单位会议用餐服务框架协议（演示）", category_code="C13",
        service_category="C1301", service_name="会议用餐服务（标准自助餐）", unit="人次",
        description="会议期间自助餐，每人次不少于 12 个菜品，含饮品",
        # The highest agreement price is listed last: see `wait_for_listings`.
        prices={"supplier-1": ("88.00", "86.00"), "supplier-3": ("85.00", "85.00"), "supplier-6": ("90.00", "88.00")})


def wait_for_listings(purchaser: httpx.Client, project_id: str, ceiling: Decimal, timeout: float = 30.0) -> None:
    """Waits until bidding knows every listing of the project's agreement. Catalog's events of one
    agreement reach bidding in order (they share the agreement's Kafka key), and the announcement
    preview states the highest ceiling among the suppliers it would invite: once that is the ceiling of
    the offer listed last, every earlier listing has arrived too."""

    def ready() -> bool:
        response = purchaser.post(f"/api/v1/projects/{project_id}/announcement-preview", json={})
        if response.status_code == 422 and error_of(response)[0] in NOT_ARRIVED:
            return False
        return Decimal(expect(response, "preview the announcement")["details"]["ceiling_amount"]) == ceiling

    wait_until(ready, "every supplier's listing reaching bidding", timeout)


# ── the walkthrough ──────────────────────────────────────────────────────────────────────────────────

PURCHASER = "purchaser-a"
QUANTITY = Decimal(600)
# (supplier, amount): three sealed quotes, then supplier-1 revises its own within the window.
QUOTES = (("supplier-6", "51000.00"), ("supplier-1", "49800.00"), ("supplier-3", "49500.00"),
          ("supplier-1", "48600.00"))
STEPS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬"


@dataclass
class Outcome:
    """What a walkthrough did: the final project, contract, order and plan as the purchaser sees them,
    and each status the platform showed, in order."""

    project: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] = field(default_factory=dict)
    order: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    statuses: list[tuple[str, str]] = field(default_factory=list)  # (code, label) as shown
    seconds: float = 0.0


class _Printer:
    def __init__(self, out: Callable[[str], None], outcome: Outcome) -> None:
        self.out, self.outcome, self.number = out, outcome, 0

    def step(self, text: str) -> None:
        self.number += 1
        self.out(f"{STEPS[self.number - 1]} {text}")

    def status(self, thing: dict[str, Any], text: str = "") -> None:
        """One line naming a status as the API returned it: label and code."""
        self.outcome.statuses.append((thing["status"], thing["status_label"]))
        self.out(f"     → {thing['status_label']} ({thing['status']}){'  ' + text if text else ''}")

    def note(self, text: str) -> None:
        self.out(f"     {text}")


def _yuan(amount: str | Decimal) -> str:
    return f"{Decimal(amount):,.2f} 元"


def run(gateway_url: str, *, out: Callable[[str], None] = print, window_seconds: int = 15, lead_seconds: int = 5,
        max_window_seconds: int = 120, timeout: float = 60.0, password: str = DEMO_PASSWORD,
        ca_password: str = DEMO_CA_PASSWORD) -> Outcome:
    """Runs the 1.3 flow once against the platform at `gateway_url`; prints each step with `out`.
    Raises WalkthroughError naming the step that did not go as the manual says."""
    started = time.monotonic()
    outcome = Outcome()
    platform = Platform(gateway_url, password)
    try:
        _walk(platform, _Printer(out, outcome), outcome, window_seconds=window_seconds, lead_seconds=lead_seconds,
              max_window_seconds=max_window_seconds, timeout=timeout, ca_password=ca_password)
    finally:
        platform.close()
    outcome.seconds = time.monotonic() - started
    out(f"Done in {outcome.seconds:.0f} s: project {outcome.project['project_no']} {outcome.project['status_label']}, "
        f"contract {outcome.contract['contract_no']} {outcome.contract['status_label']}, "
        f"order {outcome.order['order_no']} {outcome.order['status_label']}.")
    return outcome


def _walk(platform: Platform, say: _Printer, outcome: Outcome, *, window_seconds: int, lead_seconds: int,
          max_window_seconds: int, timeout: float, ca_password: str) -> None:
    today = shanghai_today()
    stamp = datetime.now(SHANGHAI).strftime("%m%d-%H%M%S")
    spec = demo_market(today.year)
    purchaser = platform(PURCHASER)
    me = expect(purchaser.get("/api/v1/me"), f"who is {PURCHASER}")
    say.out(f"二次竞价 (manual 1.3) through the gateway at {platform.url}, as {PURCHASER} "
            f"({me['org_name']}) and supplier-1, supplier-3, supplier-6")

    # Before 1.3: the shortlisted-service library has the agreement; 1.1 录入计划.
    market = open_market(platform, spec)
    names = {user: m["org_name"] for user, m in market.suppliers.items()}
    say.out(f"   入围服务库: {spec.agreement_no} {market.agreement['name']} "
            f"({market.agreement['status_label']}), {spec.service_name} offered by {', '.join(names.values())}")
    plan = new_plan(purchaser, name=f"{today.year}年度会议用餐服务采购计划（演示 {stamp}）", filing="00128", line={
        "category_code": spec.service_category, "item_name": "全省教育工作会议用餐", "quantity": str(QUANTITY),
        "unit": spec.unit, "budget_amount": "60000.00", "requirements": "3 场会议，每场 200 人次"})
    line = plan["lines"][0]
    say.out(f"   录入计划: {plan['plan_no']} {plan['name']}, 财政备案号 {plan['filing_no']}, "
            f"line {line['item_name']} {line['quantity']} {line['unit']}, budget {_yuan(line['budget_amount'])}")

    # ① 新增/保存
    draft_body = {
        "name": f"{today.year}年度全省教育工作会议用餐服务二次竞价（演示 {stamp}）", "category_code": spec.service_category,
        "agreement_id": market.agreement["id"], "plan_id": plan["id"], "plan_line_id": line["id"],
        "quantity": str(QUANTITY), "requirements": "标准自助餐，每人次不少于 12 个菜品，含饮品",
        "contact_name": me["org_contact_name"], "contact_phone": "13807311234", "office_phone": me["org_contact_phone"]}
    project = expect(await_read_model(lambda: purchaser.post("/api/v1/projects/secondary-biddings", json=draft_body),
                                      "the plan reaching bidding", timeout), "二次竞价 新增/保存", 201)
    pid = project["id"]
    say.step(f"二次竞价 新增/保存: {project['project_no']} {project['name']}, category {project['category_code']}, "
             f"agreement {spec.agreement_no}, plan line {line['item_name']}, {project['quantity']} {project['unit']}")
    say.status(project)

    # ② 编辑
    project = expect(purchaser.patch(f"/api/v1/projects/{pid}", json={
        "requirements": draft_body["requirements"] + "；分 3 批次供餐，供餐地点为省教育厅机关食堂"}), "edit the draft")
    say.step(f"编辑需求 (still a draft): {project['requirements']}")
    say.status(project)

    # ③ 预览公告: it also tells the shortest window this platform allows
    wait_for_listings(purchaser, pid, max(spec.ceiling(u, QUANTITY) for u in spec.prices), timeout)
    preview = expect(purchaser.post(f"/api/v1/projects/{pid}/announcement-preview", json={}), "预览公告")
    shortest = _window_seconds(preview["details"])
    say.step(f"预览公告: 《{preview['title']}》, 最高限价 {_yuan(preview['details']['ceiling_amount'])}; "
             f"this platform's shortest bidding window: {shortest} s")
    if shortest > max_window_seconds:
        expect(purchaser.post(f"/api/v1/projects/{pid}/terminate", json={"reason": "演示中止：竞价时间下限过长"}),
               "terminate the draft")
        raise WalkthroughError(
            f"this platform's bidding windows last at least {shortest} s (BIDDING_MIN_DURATION_SECONDS), longer than "
            f"the demo waits ({max_window_seconds} s); the draft was terminated. Restart the platform with "
            "`BIDDING_MIN_DURATION_SECONDS=10 make run` for a one-minute demo, or allow a longer wait "
            "(devstack demo --max-window SECONDS).")

    # ④ 发布 with a start time and a duration
    duration = max(window_seconds, shortest)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead_seconds)
    project = expect(purchaser.post(f"/api/v1/projects/{pid}/publish",
                                    json={"starts_at": starts.isoformat(), "duration_seconds": duration}), "发布")
    say.step(f"发布: bidding {_clock(project['starts_at'])}–{_clock(project['ends_at'])} (北京时间, {duration} s); "
             f"采购公告 {project['procurement_announcement_id']} is public")
    say.status(project, f"funds: {project['funds_status_label']}")
    invited = [user for user in spec.prices if platform(user).get(f"/api/v1/projects/{pid}").status_code == 200]
    say.note(f"invited to quote: {', '.join(f'{u} {names[u]}' for u in invited)}")

    # ⑤ plans reserves the ceiling on the plan line
    project = wait_until(lambda: _funds_settled(purchaser, pid), "plans answering the reservation", timeout)
    if project["funds_status"] != "reserved":
        raise WalkthroughError(f"plans refused the funds: {project['outcome_reason']} ({project['status_label']})")
    reserved = expect(purchaser.get(f"/api/v1/plans/{plan['id']}"), "open the plan")["lines"][0]["reserved_amount"]
    say.step(f"plans reserves {_yuan(project['ceiling_amount'])} on the plan line (reserved now {_yuan(reserved)}): "
             f"{project['funds_status_label']}")
    say.status(project)

    # ⑥ the window opens at its start
    project = wait_until(lambda: _project_in(purchaser, pid, "quoting"), "the window opening",
                         lead_seconds + timeout)
    say.step(f"the window opens at {_clock(project['starts_at'])}: {project['window_label']}")
    say.status(project)

    # ⑦ sealed quotes
    say.step("suppliers quote (报价), sealed until the window closes; the agreement price caps each")
    for user, amount in QUOTES:
        quote = expect(platform(user).post(f"/api/v1/projects/{pid}/quotes", json={"amount": amount}),
                       f"{user} quotes", 201)
        say.note(f"{user} {names[user]}: {_yuan(quote['amount'])} (its ceiling {_yuan(quote['ceiling_amount'])}, "
                 f"revision {quote['revision']}, {_clock(quote['quoted_at'], ms=True)})")

    # ⑧ nobody reads them before the close
    sealed = purchaser.get(f"/api/v1/projects/{pid}/quotes")
    if sealed.status_code != 409:
        raise WalkthroughError(f"the purchaser could read the quotes before the close ({sealed.status_code})")
    own = expect(platform("supplier-3").get(f"/api/v1/projects/{pid}/quotes"), "supplier-3 reads its quotes")
    say.step(f"before the close: {PURCHASER} opening the quotes is refused ({sealed.status_code} "
             f"{error_of(sealed)[0]}: {error_of(sealed)[1]}); supplier-3 sees {len(own['quotes'])} quote, its own")
    say.status(expect(purchaser.get(f"/api/v1/projects/{pid}"), "view the project"))

    # ⑨ the window closes: every quote, its time, the proposed winner
    say.note(f"waiting for the window to close at {_clock(project['ends_at'])} (北京时间)…")
    project = wait_until(lambda: _project_in(purchaser, pid, "awaiting_confirmation", "failed"),
                         "the window closing", duration + timeout)
    quotes = expect(purchaser.get(f"/api/v1/projects/{pid}/quotes"), "read the quotes after the close")
    say.step(f"the window closes: {len(quotes['quotes'])} quotes, lowest first (a tie goes to the earlier quote)")
    for q in quotes["quotes"]:
        say.note(f"#{q['rank']} {q['supplier_name']} {_yuan(q['amount'])} at {_clock(q['quoted_at'], ms=True)}")
    winner = quotes["proposed_winner"]
    say.note(f"proposed winner: {winner['supplier_name']} {_yuan(winner['amount'])}")
    say.status(project)

    # ⑩ 确认成交结果: the award announcement
    project = expect(purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": winner["id"]}),
                     "确认成交结果")
    award = expect(platform.anonymous.get(f"/api/v1/announcements/{project['award_announcement_id']}"),
                   "read the award announcement without logging in")
    say.step(f"确认成交结果: 《{award['title']}》 published (public, no login needed)")
    say.status(project)

    # ⑪ orders creates the order, contracts drafts the contract
    order = wait_until(lambda: _find(purchaser, "/api/v1/orders", pid), "the order created from the award", timeout)
    supplier = platform(next(u for u, m in market.suppliers.items() if m["org_id"] == winner["supplier_id"]))
    contract = wait_until(lambda: _find(supplier, "/api/v1/contracts", pid), "the contract drafted", timeout)
    say.step(f"order {order['order_no']} created from the award, {_yuan(order['amount'])}, 财政备案号 "
             f"{order['filing_no']}")
    say.status(order)
    say.note(f"contract {contract['contract_no']} drafted, to be signed by {contract['deadline']['due_on']}")
    say.status(contract)

    # ⑫ the contract: sent, confirmed, sealed by both
    cid, oid = contract["id"], order["id"]
    say.step(f"contract {contract['contract_no']}: the supplier sends it, {PURCHASER} confirms, both seal (CA e-seal)")
    say.status(expect(supplier.post(f"/api/v1/contracts/{cid}/send"), "send the contract"), "supplier sent it")
    say.status(expect(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}),
                      "confirm the contract"), "purchaser confirmed (已办理单位CA签章)")
    say.status(expect(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": ca_password}),
                      "the supplier seals"), "supplier sealed")
    contract = expect(purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": ca_password}),
                      "the purchaser seals")
    say.status(contract, "purchaser sealed: the contract is in force")
    check = expect(purchaser.get(f"/api/v1/contracts/{cid}/verification"), "verify the seals")
    say.note(f"签章验证: {'valid' if check['valid'] else 'INVALID'}, {len(check['seals'])} seals")
    order = wait_until(lambda: _order_in(purchaser, oid, "contracted"), "the order in performance", timeout)
    say.status(order, "order in performance")

    # ⑬ performance, acceptance, payment
    paid_on = str(shanghai_today())
    expect(supplier.post(f"/api/v1/orders/{oid}/logistics", json={
        "kind": "service", "description": "首场会议用餐服务完成，200 人次"}), "物流信息", 201)
    expect(supplier.post(f"/api/v1/orders/{oid}/invoices", data={
        "invoice_no": f"4430{uuid.uuid4().int % 10**16:016d}", "amount": order["amount"], "issued_on": paid_on},
        files=_pdf("发票.pdf")), "开票信息", 201)
    accepted = expect(purchaser.post(f"/api/v1/orders/{oid}/acceptance", files=_pdf("验收单.pdf")), "验收单", 201)
    say.step("the supplier records its service and invoice; the purchaser uploads the acceptance report and pays")
    say.status(accepted, "acceptance report uploaded")
    order = expect(purchaser.post(f"/api/v1/orders/{oid}/payments", files=_pdf("支付凭证.pdf"),
                                  data={"amount": order["amount"], "paid_on": paid_on}), "支付凭证", 201)
    say.status(order, f"paid {_yuan(order['paid_total'])}")
    plan_line = wait_until(lambda: _spent(purchaser, plan["id"], order["amount"]), "plans recording the spending",
                           timeout)
    say.note(f"plan line: budget {_yuan(plan_line['budget_amount'])}, awarded {_yuan(plan_line['consumed_amount'])}, "
             f"spent {_yuan(plan_line['spent_amount'])}, reserved {_yuan(plan_line['reserved_amount'])}")

    outcome.project = expect(purchaser.get(f"/api/v1/projects/{pid}"), "view the project")
    outcome.contract, outcome.order = contract, order
    outcome.plan = expect(purchaser.get(f"/api/v1/plans/{plan['id']}"), "open the plan")


def _clock(shown: str, ms: bool = False) -> str:
    """The time of day of an instant the API shows (ISO, Beijing time), as a person reads it."""
    value = datetime.fromisoformat(shown).astimezone(SHANGHAI)
    return value.strftime("%H:%M:%S.%f")[:-3] if ms else value.strftime("%H:%M:%S")


def _window_seconds(details: dict[str, Any]) -> int:
    """The window's length from the preview's start and end ("2026-05-12 15:30:05 (北京时间)")."""
    start, end = (datetime.strptime(details[k][:19], "%Y-%m-%d %H:%M:%S") for k in ("starts_at", "ends_at"))
    return int((end - start).total_seconds())


def _funds_settled(purchaser: httpx.Client, pid: str) -> dict[str, Any] | None:
    project = expect(purchaser.get(f"/api/v1/projects/{pid}"), "view the project")
    return project if project["funds_status"] in ("reserved", "rejected") else None


def _project_in(purchaser: httpx.Client, pid: str, *statuses: str) -> dict[str, Any] | None:
    project = expect(purchaser.get(f"/api/v1/projects/{pid}"), "view the project")
    if project["status"] in ("terminated", "failed") and project["status"] not in statuses:
        raise WalkthroughError(f"the project ended {project['status_label']}: {project['outcome_reason']}")
    return project if project["status"] in statuses else None


def _order_in(purchaser: httpx.Client, oid: str, status: str) -> dict[str, Any] | None:
    order = expect(purchaser.get(f"/api/v1/orders/{oid}"), "open the order")
    return order if order["status"] == status else None


def _find(client: httpx.Client, path: str, project_id: str) -> dict[str, Any] | None:
    items = expect(client.get(path, params={"limit": 200}), f"list {path}")["items"]
    return next((item for item in items if item["project_id"] == project_id), None)


def _spent(purchaser: httpx.Client, plan_id: str, amount: str) -> dict[str, Any] | None:
    line = expect(purchaser.get(f"/api/v1/plans/{plan_id}"), "open the plan")["lines"][0]
    return line if Decimal(line["spent_amount"]) == Decimal(amount) else None


def _pdf(name: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, f"%PDF-1.4\n% {name} (demo)\n%%EOF\n".encode(), "application/pdf")}


def main(gateway_url: str, *, window_seconds: int = 15, max_window_seconds: int = 120) -> int:
    """The command line's entry: 0 when the whole flow went through, 1 (with the reason) otherwise."""
    try:
        run(gateway_url, window_seconds=window_seconds, max_window_seconds=max_window_seconds)
    except WalkthroughError as exc:
        print(f"demo stopped: {exc}")
        return 1
    return 0
