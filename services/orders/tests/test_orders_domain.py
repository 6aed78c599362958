"""The order's rules, pure: the status machine, payments never above the amount, deadlines."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders import domain
from orders.domain import OrderStatus
from servicekit.errors import Conflict, Invalid

ACTIONS = ("stamp", "log", "invoice", "accept", "pay")
cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


def test_the_happy_path():
    status = OrderStatus.AWAITING_CONTRACT
    status = domain.transition(status, "stamp")
    assert status is OrderStatus.CONTRACTED and status.label == "履约中"
    assert domain.transition(status, "log") is OrderStatus.CONTRACTED
    status = domain.transition(status, "accept")
    assert status is OrderStatus.ACCEPTED and status.label == "已验收"
    assert domain.transition(status, "pay") is OrderStatus.ACCEPTED
    assert domain.after_payment(Decimal("10.00"), Decimal("10.00")) is OrderStatus.PAID


@given(st.sampled_from(list(OrderStatus)), st.sampled_from(ACTIONS))
def test_every_action_outside_the_table_is_a_conflict(status, action):
    if (status, action) in domain.TRANSITIONS:
        assert domain.transition(status, action) in OrderStatus
    else:
        with pytest.raises(Conflict) as raised:
            domain.transition(status, action)
        assert status.label in raised.value.message


def test_acceptance_comes_before_payment_and_nothing_follows_paid():
    with pytest.raises(Conflict):
        domain.transition(OrderStatus.CONTRACTED, "pay")
    for action in ACTIONS:
        with pytest.raises(Conflict):
            domain.transition(OrderStatus.PAID, action)


@given(cents, st.lists(cents, min_size=1, max_size=20))
def test_payments_never_exceed_the_order_amount(order_amount, payments):
    paid = Decimal("0.00")
    for amount in payments:
        try:
            paid = domain.check_payment(amount, paid, order_amount)
        except Invalid:
            assert paid + amount > order_amount
        assert paid <= order_amount
        assert (domain.after_payment(paid, order_amount) is OrderStatus.PAID) == (paid == order_amount)


def test_a_payment_is_positive():
    with pytest.raises(Invalid):
        domain.check_payment(Decimal("0.00"), Decimal("0"), Decimal("10.00"))


def test_deadlines_are_counted_on_the_shanghai_calendar_and_flag_overdue():
    award = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)  # 2026-03-02 01:00 in Shanghai
    due = domain.due_on(award, 30)
    assert due.isoformat() == "2026-04-01"
    assert not domain.deadline("contract_signing", due, None, award + timedelta(days=5)).overdue
    assert domain.deadline("contract_signing", due, None, award + timedelta(days=31)).overdue
    done_late = domain.deadline("contract_signing", due, award + timedelta(days=40), award + timedelta(days=50))
    assert done_late.overdue and done_late.done_on is not None
    assert not domain.deadline("payment", due, award + timedelta(days=2), award + timedelta(days=90)).overdue
