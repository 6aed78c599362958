"""The rules of plans and of the reservation ledger, without I/O: examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plans import domain
from plans.domain import Balance, InsufficientBudget, ReservationRequest
from servicekit.errors import Conflict, Invalid

D = Decimal


@pytest.mark.parametrize("value", ["湘财采备〔2026〕00123", " HNCZ-2026-00123 ", "HNCZ-2025-999999", "湘财采备〔2027〕001"])
def test_well_formed_filing_numbers_pass(value):
    assert domain.check_filing_no(value) == value.strip()


@pytest.mark.parametrize("value", ["", "00123", "湘财采备2026-00123", "湘财采备〔26〕00123", "hncz-2026-00123",
                                   "HNCZ-2026-12", "HNCZ-2026-1234567", "湘财采备〔2026〕00123x", "HN-CZ-2026-00123"])
def test_malformed_filing_numbers_are_refused(value):
    with pytest.raises(Invalid) as raised:
        domain.check_filing_no(value)
    assert raised.value.code == "invalid_filing_no"


def test_categories_agree_with_the_catalogue():
    assert domain.check_category("C1204") == "C1204"
    assert domain.check_category("C120401") == "C120401"
    with pytest.raises(Invalid):
        domain.check_category("C9999")


def test_plan_number_is_year_and_sequence():
    assert domain.plan_no(2026, 7) == "JH2026000007"


def test_reserve_release_consume_and_spend_move_the_shares():
    line = Balance(D("1000.00"))
    line = line.reserve(D("600.00"))
    assert (line.reserved, line.remaining) == (D("600.00"), D("400.00"))
    with pytest.raises(InsufficientBudget):
        line.reserve(D("400.01"))
    line = line.consume(D("600.00"), D("550.00"))
    assert (line.reserved, line.consumed, line.remaining) == (D("0.00"), D("550.00"), D("450.00"))
    line = line.reserve(D("450.00")).release(D("450.00"))
    assert line.remaining == D("450.00")
    assert line.spend(D("100.00")).spent == D("100.00")


def test_budget_cannot_go_below_reserved_plus_consumed_or_spent():
    line = Balance(D("1000.00")).reserve(D("300.00")).consume(D("300.00"), D("300.00")).reserve(D("200.00"))
    assert line.with_budget(D("500.00")).remaining == D("0.00")
    with pytest.raises(Conflict) as raised:
        line.with_budget(D("499.99"))
    assert raised.value.code == "budget_below_committed"


def _request(amount: str = "100.00", org: str = "A", category: str = "C1204") -> ReservationRequest:
    return ReservationRequest(project_id="PJ1", purchaser_org_id=org, category_code=category, amount=D(amount))


@pytest.mark.parametrize(("request_", "owner", "category", "balance", "code"), [
    (_request(), None, None, None, "plan_not_found"),
    (_request(org="B"), "A", "C1204", Balance(D("1000.00")), "not_plan_owner"),
    (_request(), "A", None, None, "line_not_found"),
    (_request("0.00"), "A", "C1204", Balance(D("1000.00")), "invalid_amount"),
    (_request("-5.00"), "A", "C1204", Balance(D("1000.00")), "invalid_amount"),
    (_request(category="C0806"), "A", "C1204", Balance(D("1000.00")), "category_mismatch"),
    (_request("1000.01"), "A", "C1204", Balance(D("1000.00")), "insufficient_budget"),
])
def test_reservation_is_refused_with_its_reason(request_, owner, category, balance, code):
    rejection = domain.decide_reservation(request_, plan_owner=owner, line_category=category, balance=balance)
    assert rejection is not None and rejection.code == code and rejection.reason


@pytest.mark.parametrize("project_category", ["C1204", "C120401", "C12"])
def test_reservation_in_the_same_branch_of_the_category_tree_passes(project_category):
    assert domain.decide_reservation(_request("1000.00", category=project_category), plan_owner="A",
                                     line_category="C1204", balance=Balance(D("1000.00"))) is None


def test_reservation_moves_once():
    assert domain.reservation_after("reserved", "release") == "released"
    assert domain.reservation_after("reserved", "consume") == "consumed"
    for status in ("released", "consumed", "rejected"):
        for action in ("release", "consume"):
            with pytest.raises(Conflict):
                domain.reservation_after(status, action)


def test_year_and_filing_number_are_fixed_once_the_plan_is_used():
    domain.check_plan_edit({"year": 2027, "filing_no": "HNCZ-2027-00001"}, plan_used=False)
    domain.check_plan_edit({"name": "新名称"}, plan_used=True)
    with pytest.raises(Conflict):
        domain.check_plan_edit({"filing_no": "HNCZ-2027-00001"}, plan_used=True)


def test_a_line_in_use_keeps_its_category_and_stays():
    used = Balance(D("100.00")).reserve(D("10.00"))
    with pytest.raises(Conflict):
        domain.check_line_edit({"category_code": "C0806"}, used)
    with pytest.raises(Conflict):
        domain.check_line_removal(used, lines_left=3)
    domain.check_line_removal(Balance(D("100.00")), lines_left=1)
    with pytest.raises(Invalid):
        domain.check_line_removal(Balance(D("100.00")), lines_left=0)


def test_a_patch_names_each_line_of_the_plan_once_and_keeps_at_most_200():
    domain.check_line_names(["L1", "L2"], updated=["L1"], removed=["L2"])
    with pytest.raises(Invalid) as raised:
        domain.check_line_names(["L1", "L2"], updated=["L1"], removed=["L1"])
    assert raised.value.code == "line_named_twice" and "L1" in raised.value.message
    with pytest.raises(Invalid) as raised:
        domain.check_line_names(["L1"], updated=["L9"], removed=[])
    assert raised.value.code == "unknown_line" and "L9" in raised.value.message
    domain.check_line_count(domain.MAX_LINES)
    with pytest.raises(Invalid) as raised:
        domain.check_line_count(domain.MAX_LINES + 1)
    assert raised.value.code == "too_many_lines" and "201" in raised.value.message


# ── properties: whatever happens, the ledger adds up ─────────────────────────────────────────────

cents = st.integers(min_value=1, max_value=10**9).map(lambda c: (D(c) / 100).quantize(D("0.01")))
actions = st.lists(st.tuples(st.sampled_from(["reserve", "release", "consume", "spend"]), cents, cents),
                   max_size=40)


@settings(max_examples=300, deadline=None)
@given(budget=cents, steps=actions)
def test_ledger_conserves_the_budget_and_never_overbooks(budget, steps):
    """Reservations only take free budget, releases and awards only give back what was held, and
    budget = remaining + reserved + consumed after every step (awards never above their reservation)."""
    line = Balance(budget)
    held: list[Decimal] = []  # open reservations
    for action, amount, other in steps:
        if action == "reserve":
            try:
                line = line.reserve(amount)
                held.append(amount)
            except InsufficientBudget:
                assert amount > line.remaining
        elif action == "release" and held:
            line = line.release(held.pop())
        elif action == "consume" and held:
            reserved = held.pop()
            line = line.consume(reserved, min(other, reserved))
        elif action == "spend":
            line = line.spend(min(amount, line.consumed - line.spent) if line.consumed > line.spent else D("0.00"))
        assert line.remaining >= 0
        assert line.reserved == sum(held, D("0.00"))
        assert line.budget == line.remaining + line.reserved + line.consumed
        assert line.spent <= line.consumed


@settings(max_examples=200, deadline=None)
@given(budget=cents, reserve=cents, award=cents, new_budget=cents)
def test_a_budget_change_is_accepted_exactly_when_it_covers_what_is_committed(budget, reserve, award, new_budget):
    line = Balance(budget)
    if reserve <= budget:
        line = line.reserve(reserve).consume(reserve, min(award, reserve))
    if new_budget >= line.committed:
        assert line.with_budget(new_budget).remaining == new_budget - line.committed
    else:
        with pytest.raises(Conflict):
            line.with_budget(new_budget)


@given(st.from_regex(r"\A湘财采备〔20[0-9]{2}〕[0-9]{3,6}\Z") | st.from_regex(r"\A[A-Z]{2,6}-20[0-9]{2}-[0-9]{3,6}\Z"))
def test_every_filing_number_of_either_form_passes(value):
    assert domain.check_filing_no(value) == value
