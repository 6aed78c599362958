"""The rate-limit arithmetic (GCRA) and whose budget a request spends: pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain import MICROS, Decision, Limit, gcra, login_keys, rate_key

T0 = 1_700_000_000 * MICROS


def run(times: list[int], limit: Limit) -> list[Decision]:
    tat, decisions = None, []
    for now in times:
        decision = gcra(tat, now, limit)
        tat = decision.tat_us
        decisions.append(decision)
    return decisions


def test_a_fresh_user_may_send_the_burst_at_once_and_then_waits_one_interval():
    limit = Limit(per_second=2, burst=5)
    decisions = run([T0] * 6, limit)
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    assert decisions[5].retry_after_us == limit.interval_us == MICROS // 2
    assert decisions[5].retry_after_seconds == 1


def test_a_refusal_changes_nothing():
    limit = Limit(per_second=1, burst=1)
    allowed = gcra(None, T0, limit)
    refused = gcra(allowed.tat_us, T0 + 10, limit)
    assert not refused.allowed and refused.tat_us == allowed.tat_us
    assert gcra(refused.tat_us, T0 + 10, limit) == refused


def test_retry_after_header_rounds_up_to_whole_seconds():
    assert Decision(False, 0, 1, 0).retry_after_seconds == 1
    assert Decision(False, 0, MICROS, 0).retry_after_seconds == 1
    assert Decision(False, 0, MICROS + 1, 0).retry_after_seconds == 2
    assert Decision(False, 0, 59 * MICROS + 5, 0).retry_after_seconds == 60


@pytest.mark.parametrize("per_second, burst", [(0, 1), (-1, 3), (1, 0)])
def test_a_limit_must_allow_something(per_second, burst):
    with pytest.raises(ValueError):
        Limit(per_second, burst)


limits = st.builds(Limit, per_second=st.floats(min_value=0.01, max_value=5000), burst=st.integers(1, 200))
gaps = st.lists(st.integers(min_value=0, max_value=3 * MICROS), min_size=1, max_size=300)


def times_from(steps: list[int]) -> list[int]:
    times, now = [], T0
    for step in steps:
        now += step
        times.append(now)
    return times


@settings(max_examples=300, deadline=None)
@given(limit=limits, steps=gaps)
def test_never_more_than_the_burst_plus_the_rate_over_any_stretch(limit, steps):
    times = times_from(steps)
    decisions = run(times, limit)
    allowed = [t for t, d in zip(times, decisions, strict=True) if d.allowed]
    for i, start in enumerate(allowed):  # every window that starts at an allowed request
        for j in range(i, len(allowed)):
            assert j - i + 1 <= limit.burst + (allowed[j] - start) // limit.interval_us


@settings(max_examples=300, deadline=None)
@given(limit=limits, steps=gaps)
def test_retry_after_is_exact(limit, steps):
    times = times_from(steps)
    tat = None
    for now in times:
        decision = gcra(tat, now, limit)
        if not decision.allowed:
            assert decision.retry_after_us > 0
            assert not gcra(decision.tat_us, now + decision.retry_after_us - 1, limit).allowed
            assert gcra(decision.tat_us, now + decision.retry_after_us, limit).allowed
        tat = decision.tat_us


@settings(max_examples=200, deadline=None)
@given(limit=limits, count=st.integers(1, 300))
def test_a_user_keeping_to_the_rate_is_never_refused(limit, count):
    times = [T0 + i * limit.interval_us for i in range(count)]
    assert all(d.allowed for d in run(times, limit))


@settings(max_examples=200, deadline=None)
@given(limit=limits, steps=gaps, rest=st.integers(0, 10 * MICROS))
def test_after_resting_long_enough_the_whole_burst_is_back(limit, steps, rest):
    times = times_from(steps)
    last = run(times, limit)[-1]
    idle = max(last.tat_us - times[-1], 0) + rest
    assert gcra(last.tat_us, times[-1] + idle, limit).remaining == limit.burst - 1


def test_whose_budget_a_request_spends():
    assert rate_key(username="purchaser-a", client_ip="10.0.0.1") == "user:purchaser-a"
    assert rate_key(username=None, client_ip="10.0.0.1") == "ip:10.0.0.1"
    assert rate_key(username=None, client_ip=None) == "ip:unknown"


def test_login_attempts_count_per_account_and_address_and_per_address():
    assert login_keys(username=" Purchaser-A ", client_ip="10.0.0.1") == ("login:10.0.0.1:purchaser-a",
                                                                         "login-ip:10.0.0.1")
