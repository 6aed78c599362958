"""The pure rules of bidding: the status machine (exhaustively, and as a property: any sequence of
commands leaves a legal state), the window, the ceiling with volume discounts, the ranking rule,
and the announcement texts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bidding import domain
from bidding.announcements import AwardFacts, ProcurementFacts, award_announcement, procurement_announcement
from bidding.domain import Command, Due, Funds, Method, RankedQuote, Status, Tier
from servicekit.errors import Conflict, Invalid

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
BOUNDS = domain.DurationBounds(timedelta(minutes=30), timedelta(days=7))


# --- the status machine -------------------------------------------------------------------------------

def test_every_status_has_the_platforms_label():
    assert domain.STATUS_LABELS == {
        Status.DRAFT: "草稿", Status.SCHEDULED: "待开始", Status.QUOTING: "项目报价中", Status.AWAITING: "结果待确认",
        Status.SUCCEEDED: "项目成功", Status.TERMINATED: "项目终止", Status.FAILED: "项目失败"}


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("command", list(Command))
def test_every_command_in_every_status_is_a_legal_move_or_a_clear_conflict(method, status, command):
    try:
        target = domain.next_status(method, status, command, has_valid_quote=True)
    except Conflict as conflict:
        assert conflict.code == "illegal_transition" and domain.STATUS_LABELS[status] in conflict.message
        assert command not in domain.allowed_commands(method, status)
        return
    assert target in Status and command in domain.allowed_commands(method, status)
    assert status not in domain.FINAL, "a final status has no way out"


def test_termination_is_allowed_exactly_from_the_four_open_stages():
    for method in Method:
        allowed = {s for s in Status if Command.TERMINATE in domain.allowed_commands(method, s)}
        assert allowed == {Status.DRAFT, Status.SCHEDULED, Status.QUOTING, Status.AWAITING}


def test_close_ends_in_awaiting_or_failed():
    assert domain.next_status(Method.SECONDARY, Status.QUOTING, Command.CLOSE, has_valid_quote=True) == Status.AWAITING
    assert domain.next_status(Method.SECONDARY, Status.QUOTING, Command.CLOSE, has_valid_quote=False) == Status.FAILED
    with pytest.raises(Conflict):
        domain.next_status(Method.DIRECT, Status.QUOTING, Command.CLOSE)


class ProjectMachine(RuleBasedStateMachine):
    """A project driven by any sequence of commands, through the same rules the service applies
    (domain.next_status, the window, due_action, the ranking). Illegal commands must change nothing."""

    @initialize(method=st.sampled_from(list(Method)), stage=st.sampled_from(["draft", "published", "funded", "open"]),
                starts_in=st.integers(0, 3600), minutes=st.integers(30, 240))
    def start(self, method: Method, stage: str, starts_in: int, minutes: int) -> None:
        """Begins as a draft, or already published (and funded): deeper sequences in the same budget."""
        self.method, self.status, self.funds = method, Status.DRAFT, Funds.NONE
        self.now = T0
        self.starts_at: datetime | None = None
        self.ends_at: datetime | None = None
        self.quotes: dict[str, RankedQuote] = {}
        self.suspended: set[str] = set()
        self.excluded_at_close: set[str] = set()
        self.valid_at_close: list[RankedQuote] | None = None
        self.winner: RankedQuote | None = None
        self.final: Status | None = None
        self.seq = 0
        if stage != "draft":
            self.publish(starts_in, minutes)
        if stage in ("funded", "open"):
            self.funds_reserved()
        if stage == "open":
            self.time_passes("start")

    def attempt(self, command: Command, **kwargs) -> Status | None:
        before = (self.status, self.funds, dict(self.quotes))
        try:
            return domain.next_status(self.method, self.status, command, **kwargs)
        except Conflict:
            assert (self.status, self.funds, dict(self.quotes)) == before
            return None

    @rule(starts_in=st.integers(0, 3600), minutes=st.integers(30, 240))
    def publish(self, starts_in: int, minutes: int) -> None:
        target = self.attempt(Command.PUBLISH)
        if target is None:
            return
        if self.method == Method.SECONDARY:
            self.starts_at, self.ends_at = domain.plan_window(
                self.now, self.now + timedelta(seconds=starts_in), timedelta(minutes=minutes), BOUNDS)
        self.status, self.funds = target, Funds.PENDING

    @rule()
    def edit(self) -> None:
        target = self.attempt(Command.EDIT)
        if target is not None:
            assert target == Status.DRAFT == self.status

    @rule()
    def funds_reserved(self) -> None:
        if self.status != Status.SCHEDULED or self.funds != Funds.PENDING:
            return  # the handler ignores an answer the project no longer waits for
        self.funds = Funds.RESERVED
        if self.method == Method.DIRECT:
            self.status = domain.next_status(self.method, self.status, Command.FUNDS_RESERVED)
        else:
            self.tick()

    @rule(chance=st.integers(0, 7))
    def funds_rejected(self, chance: int) -> None:
        if chance or self.status != Status.SCHEDULED or self.funds != Funds.PENDING:
            return
        self.status, self.funds = domain.next_status(self.method, self.status, Command.FUNDS_REJECTED), Funds.REJECTED

    @rule(to=st.sampled_from(["start", "last instant", "end", "ten minutes"]))
    def time_passes(self, to: str) -> None:
        """Time moves to a boundary of the window (exactly), or on by ten minutes; the timer ticks."""
        one = timedelta(microseconds=1)
        if to == "start" and self.starts_at and self.starts_at > self.now:
            self.now = self.starts_at
        elif to == "last instant" and self.ends_at and self.ends_at - one > self.now:
            self.now = self.ends_at - one
        elif to == "end" and self.ends_at and self.ends_at > self.now:
            self.now = self.ends_at
        else:
            self.now += timedelta(minutes=10)
        self.tick()

    def tick(self) -> None:
        action = domain.due_action(self.method, self.status, self.funds, self.starts_at, self.ends_at, self.now)
        if action == Due.OPEN:
            self.status = domain.next_status(self.method, self.status, Command.OPEN)
            action = domain.due_action(self.method, self.status, self.funds, self.starts_at, self.ends_at, self.now)
        if action == Due.CLOSE:
            self.excluded_at_close = set(self.quotes) & self.suspended
            valid = domain.rank(self.quotes.values(), self.excluded_at_close)
            self.status = domain.next_status(self.method, self.status, Command.CLOSE, has_valid_quote=bool(valid))
            self.valid_at_close = valid

    @rule(supplier=st.sampled_from("ABCD"), amount=st.integers(1, 50), late=st.integers(0, 3))
    def quote(self, supplier: str, amount: int, late: int) -> None:
        now = self.now + timedelta(microseconds=late)
        try:
            domain.check_quote_time(now, self.starts_at, self.ends_at)
        except Conflict:
            return
        if supplier in self.suspended:
            return
        target = self.attempt(Command.QUOTE)
        if target is None:
            return
        if self.starts_at is not None:
            assert domain.window_state(now, self.starts_at, self.ends_at) == "open"
        self.seq += 1
        self.quotes[supplier] = RankedQuote(f"Q{supplier}", supplier, Decimal(amount), now, self.seq)
        self.status = target

    @rule(data=st.data())
    def revise(self, data: st.DataObject) -> None:
        """A supplier that quoted quotes again: its latest quote counts, with its time."""
        if self.quotes:
            supplier = data.draw(st.sampled_from(sorted(self.quotes)))
            self.quote(supplier, data.draw(st.integers(1, 50)), data.draw(st.integers(0, 3)))

    def rarely(self, chance: int, command: Command) -> None:
        """An ending command, rarer than the others (one chance in eight), so that more sequences reach a result."""
        target = None if chance else self.attempt(command)
        if target is not None:
            self.status = target

    @rule(chance=st.integers(0, 7))
    def decline(self, chance: int) -> None:
        self.rarely(chance, Command.DECLINE)

    @rule(supplier=st.sampled_from("ABCD"))
    def suspend(self, supplier: str) -> None:
        self.suspended.add(supplier)

    @rule(supplier=st.sampled_from("ABCD"))
    def reinstate(self, supplier: str) -> None:
        self.suspended.discard(supplier)

    @rule()
    def confirm(self) -> None:
        target = self.attempt(Command.CONFIRM)
        if target is None:
            return
        out = self.excluded_at_close | self.suspended
        winner = domain.proposed_winner(self.quotes.values(), out)
        if winner is None:
            return  # refused: nobody eligible remains
        self.status, self.winner = target, winner
        self.eligible_at_award = [q for q in self.quotes.values() if q.supplier_id not in out]

    @rule(chance=st.integers(0, 7))
    def terminate(self, chance: int) -> None:
        self.rarely(chance, Command.TERMINATE)

    @invariant()
    def legal_state(self) -> None:
        if not hasattr(self, "status"):
            return
        assert self.status in Status
        if self.status == Status.DRAFT:
            assert self.funds == Funds.NONE and not self.quotes
        if self.status in (Status.QUOTING, Status.AWAITING, Status.SUCCEEDED):
            assert self.funds == Funds.RESERVED
        if self.status == Status.AWAITING:
            assert self.quotes
            if self.method == Method.SECONDARY:
                assert self.valid_at_close
        if self.status == Status.SUCCEEDED:
            pool = self.eligible_at_award  # excluded at the close or suspended at the award: out
            lowest = min(q.amount for q in pool)
            earliest = min(q.quoted_at for q in pool if q.amount == lowest)
            assert self.winner is not None and (self.winner.amount, self.winner.quoted_at) == (lowest, earliest)
        if self.final is not None:
            assert self.status == self.final, "a final status never changes"
        event(f"reached {self.method} {self.status}")
        if self.status in domain.FINAL:
            self.final = self.status  # --hypothesis-show-statistics: every end is reached


ProjectMachine.TestCase.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
TestProjectMachine = ProjectMachine.TestCase


actions = st.lists(st.tuples(st.sampled_from(["quote", "quote", "suspend", "reinstate"]), st.sampled_from("ABCDE"),
                            st.integers(1, 30), st.integers(-3, 63)), max_size=30)


@given(actions=actions, suspended_at_award=st.sets(st.sampled_from("ABCDE")))
@settings(max_examples=300)
def test_a_secondary_bidding_awards_the_lowest_earliest_valid_quote(actions, suspended_at_award):
    """A whole window through the rules: quotes and suspensions at any second around a 60-second window
    (boundaries included), the close, then the award."""
    bounds = domain.DurationBounds(timedelta(seconds=1), timedelta(hours=1))
    starts, ends = domain.plan_window(T0, T0 + timedelta(minutes=10), timedelta(seconds=60), bounds)
    method, status = Method.SECONDARY, domain.next_status(Method.SECONDARY, Status.DRAFT, Command.PUBLISH)
    status = domain.next_status(method, status, Command.FUNDS_RESERVED)
    assert domain.due_action(method, status, Funds.RESERVED, starts, ends, starts) == Due.OPEN
    status = domain.next_status(method, status, Command.OPEN)
    latest: dict[str, RankedQuote] = {}
    suspended: set[str] = set()
    for seq, (kind, supplier, amount, second) in enumerate(sorted(actions, key=lambda a: a[3])):
        now = starts + timedelta(seconds=second)
        if kind == "suspend":
            suspended.add(supplier)
        elif kind == "reinstate":
            suspended.discard(supplier)
        elif supplier not in suspended:
            try:
                domain.check_quote_time(now, starts, ends)
            except Conflict:
                assert not 0 <= second < 60
                continue
            assert 0 <= second < 60
            latest[supplier] = RankedQuote(f"Q{supplier}", supplier, Decimal(amount), now, seq)
    assert domain.due_action(method, status, Funds.RESERVED, starts, ends, ends) == Due.CLOSE
    excluded = set(latest) & suspended
    valid = domain.rank(latest.values(), excluded)
    status = domain.next_status(method, status, Command.CLOSE, has_valid_quote=bool(valid))
    if not valid:
        assert status == Status.FAILED
        return
    assert status == Status.AWAITING
    winner = domain.proposed_winner(latest.values(), excluded | suspended_at_award)
    pool = [q for s, q in latest.items() if s not in excluded | suspended_at_award]
    if not pool:
        assert winner is None  # nobody eligible at the award: the confirmation is refused
        return
    lowest = min(q.amount for q in pool)
    assert winner == min((q for q in pool if q.amount == lowest), key=lambda q: (q.quoted_at, q.seq))
    assert domain.next_status(method, status, Command.CONFIRM) == Status.SUCCEEDED


# --- the window -----------------------------------------------------------------------------------------

def test_the_start_is_never_earlier_than_now():
    start, end = domain.plan_window(T0, T0, timedelta(hours=1), BOUNDS)
    assert (start, end) == (T0, T0 + timedelta(hours=1))
    assert domain.plan_window(T0, None, timedelta(hours=1), BOUNDS)[0] == T0
    with pytest.raises(Invalid) as refused:
        domain.plan_window(T0, T0 - timedelta(microseconds=1), timedelta(hours=1), BOUNDS)
    assert refused.value.code == "start_in_past" and "北京时间" in refused.value.message


@pytest.mark.parametrize(("duration", "ok"), [
    (timedelta(minutes=30), True), (timedelta(days=7), True),
    (timedelta(minutes=30) - timedelta(seconds=1), False), (timedelta(days=7, seconds=1), False)])
def test_the_duration_lies_within_the_bounds(duration, ok):
    if ok:
        domain.plan_window(T0, None, duration, BOUNDS)
    else:
        with pytest.raises(Invalid, match="30 分钟"):
            domain.plan_window(T0, None, duration, BOUNDS)


def test_the_window_includes_its_start_and_excludes_its_end():
    end = T0 + timedelta(hours=1)
    with pytest.raises(Conflict, match="竞价尚未开始"):
        domain.check_quote_time(T0 - timedelta(microseconds=1), T0, end)
    domain.check_quote_time(T0, T0, end)
    domain.check_quote_time(end - timedelta(microseconds=1), T0, end)
    with pytest.raises(Conflict, match="已于 .* 结束"):
        domain.check_quote_time(end, T0, end)
    domain.check_quote_time(end + timedelta(days=1), None, None)  # direct selection: no window


# --- ceilings ---------------------------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3)
tier_lists = st.lists(st.builds(Tier, quantities, prices), max_size=4)


def test_ceiling_examples():
    tiers = [Tier(Decimal(12), Decimal("26100.00")), Tier(Decimal(24), Decimal("25000.00"))]
    assert domain.ceiling_amount(Decimal("29000.00"), tiers, Decimal(11)) == Decimal("319000.00")
    assert domain.ceiling_amount(Decimal("29000.00"), tiers, Decimal(12)) == Decimal("313200.00")
    assert domain.ceiling_amount(Decimal("29000.00"), tiers, Decimal(30)) == Decimal("750000.00")
    assert domain.ceiling_amount(Decimal("0.03"), [], Decimal("0.5")) == Decimal("0.01")  # 0.015 → never up
    with pytest.raises(Invalid):
        domain.ceiling_amount(Decimal("1.00"), [], Decimal(0))


@dataclass
class _Project:
    quantity: Decimal
    price_limit: Decimal | None = None
    ceiling_amount: Decimal | None = None
    closed_at: datetime | None = None


OFFER = domain.Offer("OF1", "SV1", "物业管理", "月", Decimal("29000.00"), domain.tiers_of(
    [{"min_quantity": "12", "unit_price": "26100.00"}]))


def test_one_ceiling_for_an_offer_on_a_project_bounded_by_the_price_limit_and_the_reservation():
    assert domain.ceiling(OFFER, _Project(Decimal(11))) == Decimal("319000.00")
    assert domain.ceiling(OFFER, _Project(Decimal(12))) == Decimal("313200.00")  # the tier
    assert domain.ceiling(OFFER, _Project(Decimal(12), price_limit=Decimal("280000.00"))) == Decimal("280000.00")
    assert domain.ceiling(OFFER, _Project(Decimal(12), ceiling_amount=Decimal("300000.00"))) == Decimal("300000.00")
    cheaper = domain.Offer("OF2", "SV1", "物业管理", "月", Decimal("20000.00"))
    assert domain.project_ceiling([OFFER, cheaper], _Project(Decimal(12))) == Decimal("313200.00")
    assert domain.project_ceiling([OFFER, cheaper], _Project(Decimal(12), Decimal("250000.00"))) == Decimal("250000.00")


def test_quotes_are_sealed_until_quoting_closed():
    assert domain.sealed(_Project(Decimal(1)), T0)
    assert not domain.sealed(_Project(Decimal(1), closed_at=T0), T0)


@dataclass
class _Quote:
    id: str
    supplier_id: str
    amount: Decimal
    quoted_at: datetime
    seq: int
    excluded_reason: str = ""


def test_one_exclusion_rule_at_the_close_and_at_the_award():
    a, b = _Quote("QA", "A", Decimal(10), T0, 1), _Quote("QB", "B", Decimal(20), T0, 2, "供应商资格已暂停：旧")
    c = _Quote("QC", "C", Decimal(30), T0, 3)
    assert domain.exclusions([a, b, c], {"A": "严重违约"}) == {"QA": "供应商资格已暂停：严重违约",
                                                               "QB": "供应商资格已暂停：旧"}
    undecided = domain.standing([a, b, c], {"A": "严重违约"}, Status.AWAITING)
    assert undecided.ranked == [c] and [q.id for q, _ in undecided.excluded] == ["QA", "QB"]
    decided = domain.standing([a, b, c], {"A": "严重违约"}, Status.SUCCEEDED)  # as it was decided
    assert decided.ranked == [a, c] and [q.id for q, _ in decided.excluded] == ["QB"]


@given(price=prices, tiers=tier_lists, quantity=quantities)
def test_the_ceiling_never_exceeds_the_lowest_applicable_price_times_the_quantity(price, tiers, quantity):
    unit = domain.applicable_unit_price(price, tiers, quantity)
    ceiling = domain.ceiling_amount(price, tiers, quantity)
    assert unit <= price
    assert all(unit <= t.unit_price for t in tiers if quantity >= t.min_quantity)
    assert unit in {price, *(t.unit_price for t in tiers)}
    assert ceiling <= unit * quantity < ceiling + Decimal("0.01")
    assert ceiling == ceiling.quantize(Decimal("0.01"))


@given(price=prices, tiers=tier_lists, q1=quantities, q2=quantities)
def test_buying_more_never_raises_the_unit_price(price, tiers, q1, q2):
    low, high = sorted((q1, q2))
    assert domain.applicable_unit_price(price, tiers, high) <= domain.applicable_unit_price(price, tiers, low)


@given(price=prices, tiers=tier_lists, extra=st.builds(Tier, quantities, prices), quantity=quantities)
def test_a_discount_tier_never_raises_the_ceiling(price, tiers, extra, quantity):
    assert domain.ceiling_amount(price, [*tiers, extra], quantity) <= domain.ceiling_amount(price, tiers, quantity)


@given(amount=st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3), ceiling=prices)
def test_a_quote_is_positive_two_places_and_within_the_ceiling(amount, ceiling):
    ok = amount > 0 and amount == amount.quantize(Decimal("0.01")) and amount <= ceiling
    if ok:
        assert domain.check_quote_amount(amount, ceiling) == amount
    else:
        with pytest.raises(Invalid):
            domain.check_quote_amount(amount, ceiling)


# --- ranking ----------------------------------------------------------------------------------------------

quote_lists = st.lists(
    st.builds(lambda s, a, t, n: RankedQuote(f"Q{s}", s, Decimal(a), T0 + timedelta(seconds=t), n),
              st.sampled_from("ABCDEFGH"), st.integers(1, 20), st.integers(0, 30), st.integers(0, 10**6)),
    max_size=8, unique_by=lambda q: q.supplier_id)


@given(quotes=quote_lists, excluded=st.sets(st.sampled_from("ABCDEFGH")), seed=st.integers())
def test_the_winner_is_the_lowest_price_and_a_tie_goes_to_the_earlier_quote(quotes, excluded, seed):
    ranked = domain.rank(quotes, excluded)
    valid = [q for q in quotes if q.supplier_id not in excluded]
    assert sorted(ranked, key=lambda q: q.supplier_id) == sorted(valid, key=lambda q: q.supplier_id)
    shuffled = list(quotes)
    random.Random(seed).shuffle(shuffled)
    assert domain.rank(shuffled, excluded) == ranked, "the order of arrival in the list does not matter"
    winner = domain.proposed_winner(quotes, excluded)
    if not valid:
        assert winner is None
        return
    lowest = min(q.amount for q in valid)
    earliest = min(q.quoted_at for q in valid if q.amount == lowest)
    assert winner.amount == lowest and winner.quoted_at == earliest
    for better, worse in zip(ranked, ranked[1:]):
        assert (better.amount, better.quoted_at) <= (worse.amount, worse.quoted_at)


def test_identical_times_fall_back_to_the_order_of_arrival():
    a = RankedQuote("QA", "A", Decimal(10), T0, seq=7)
    b = RankedQuote("QB", "B", Decimal(10), T0, seq=3)
    assert domain.proposed_winner([a, b]) == b


# --- references -------------------------------------------------------------------------------------------

def test_category_codes_are_hierarchical():
    assert domain.category_matches("C1204", "C1204")
    assert domain.category_matches("C12", "C1204")
    assert not domain.category_matches("C1204", "C12")
    assert not domain.category_matches("C1204", "C1205")


def test_agreement_problems():
    common = {"valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31), "expired": False,
              "methods": ["direct_selection"]}
    assert domain.agreement_problem(**common, method=Method.DIRECT, today=date(2026, 12, 31)) is None
    assert "到期" in domain.agreement_problem(**common, method=Method.DIRECT, today=date(2027, 1, 1))
    assert "起才生效" in domain.agreement_problem(**common, method=Method.DIRECT, today=date(2025, 12, 31))
    assert "二次竞价" in domain.agreement_problem(**common, method=Method.SECONDARY, today=date(2026, 6, 1))
    assert "到期" in domain.agreement_problem(**{**common, "expired": True}, method=Method.DIRECT,
                                              today=date(2026, 6, 1))


def test_agreement_validity_is_by_the_day_in_china():
    assert domain.shanghai_date(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == date(2027, 1, 1)


# --- announcements ----------------------------------------------------------------------------------------

def test_the_procurement_announcement_says_everything_a_supplier_needs():
    rendered = procurement_announcement(ProcurementFacts(
        project_no="JJ2026000001", project_name="物业服务", purchaser_name="湖南省教育厅", purchaser_address="长沙市",
        contact_name="李明", contact_phone="13800000001", office_phone="0731-84710001", agreement_no="HNKJ-1",
        agreement_name="物业框架协议", category_code="C1204", item_name="物业管理", quantity=Decimal(12), unit="月",
        requirements="驻场 8 人", ceiling_amount=Decimal("313200.00"), starts_at=T0, ends_at=T0 + timedelta(hours=2)))
    assert rendered.kind == "procurement"
    for text in ("JJ2026000001", "物业服务", "湖南省教育厅", "长沙市", "HNKJ-1", "物业框架协议", "驻场 8 人", "313200.00",
                 "2026-03-02 10:00:00 (北京时间)", "2026-03-02 12:00:00 (北京时间)", "参与方式", "最终报价时间在先",
                 "李明", "13800000001", "0731-84710001", "12 月"):
        assert text in rendered.content, text
    assert rendered.details["ceiling_amount"] == "313200.00"


def test_the_award_announcement_names_what_the_measures_require():
    rendered = award_announcement(AwardFacts(
        project_no="ZX2026000001", project_name="物业服务", method_label="直接选定", purchaser_name="湖南省教育厅",
        purchaser_address="长沙市湘江中路", contact_name="李明", contact_phone="13800000001", supplier_name="潇湘物业",
        supplier_address="麓谷大道 658 号", agreement_no="HNKJ-1", agreement_name="物业框架协议",
        service_name="办公楼物业管理", requirements="驻场 8 人", quantity=Decimal("12"), unit="月",
        unit_price=Decimal("25000.00"), amount=Decimal("300000.00"), confirmed_at=T0))
    assert rendered.kind == "award" and rendered.title == "物业服务单笔成交结果公告"
    for text in ("湖南省教育厅", "长沙市湘江中路", "李明", "13800000001", "物业服务", "ZX2026000001", "潇湘物业",
                 "麓谷大道 658 号", "300000.00", "办公楼物业管理", "12 月", "25000.00"):
        assert text in rendered.content, text


@given(st.integers(min_value=1, max_value=10**8), st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**5),
                                                             places=3))
def test_the_unit_price_shown_is_the_amount_over_the_quantity_to_the_fen(fen, quantity):
    amount = Decimal(fen) / 100
    unit = domain.unit_price_of(amount, quantity)
    assert abs(unit - amount / quantity) <= Decimal("0.005")
