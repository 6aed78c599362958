"""The pure rules of rotation (顺序轮候, domain.py's rotation section): who is next, when a period ends,
how the order survives a republication — as properties over random rotations (projects accepted or
declined, suppliers suspended, reinstated and cleared), and the status machine of a rotation project."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bidding import domain
from bidding.domain import Command, Method, Status
from servicekit.errors import Conflict, Invalid

ORDER = ["A", "B", "C", "D"]


def test_projects_accepted_one_after_the_other_go_round_the_order_once_per_period():
    period, turns, picks = 1, set[str](), []
    for _ in range(9):
        pick = domain.next_in_rotation(ORDER, period, turns, active=ORDER, serving=ORDER)
        assert pick is not None
        if pick.period != period:
            period, turns = pick.period, set()
        turns.add(pick.supplier_id)
        picks.append((pick.period, pick.supplier_id, pick.position))
    assert picks == [(1, "A", 1), (1, "B", 2), (1, "C", 3), (1, "D", 4), (2, "A", 1), (2, "B", 2), (2, "C", 3),
                     (2, "D", 4), (3, "A", 1)]


def test_a_supplier_suspended_or_not_serving_does_not_hold_the_period_open():
    pick = domain.next_in_rotation(ORDER, 1, {"A", "B"}, active={"A", "B", "C"}, serving={"A", "B", "D"})
    assert pick == domain.Pick(2, "A", 1)  # C does not serve, D is suspended: the period is over


def test_a_decliner_of_the_project_is_not_asked_again_even_in_the_next_period():
    pick = domain.next_in_rotation(ORDER, 1, set(ORDER), active=ORDER, serving=ORDER, declined={"A"})
    assert pick == domain.Pick(2, "B", 2)
    assert domain.next_in_rotation(ORDER, 1, set(), active=ORDER, serving=ORDER, declined=set(ORDER)) is None


def test_decline_reasons_say_which_are_valid():
    assert domain.decline_reason("force_majeure") == ("不可抗力", True)
    assert domain.decline_reason("other")[1] is False
    with pytest.raises(Invalid) as refused:
        domain.decline_reason("busy")
    assert refused.value.code == "unknown_decline_reason"


def test_the_rotation_status_machine():
    r = Method.ROTATION
    assert domain.next_status(r, Status.DRAFT, Command.PUBLISH) == Status.SCHEDULED
    assert domain.next_status(r, Status.SCHEDULED, Command.FUNDS_RESERVED) == Status.QUOTING
    assert domain.next_status(r, Status.QUOTING, Command.ACCEPT) == Status.SUCCEEDED
    assert domain.next_status(r, Status.QUOTING, Command.PASS) == Status.QUOTING
    for status, command in [(Status.SCHEDULED, Command.ACCEPT), (Status.QUOTING, Command.QUOTE),
                            (Status.SUCCEEDED, Command.PASS), (Status.QUOTING, Command.CLOSE)]:
        with pytest.raises(Conflict):
            domain.next_status(r, status, command)
    assert domain.status_label(r, Status.QUOTING) == "待供应商确认"
    assert domain.project_no(r, 2026, 7) == "LH2026000007"


# --- a whole rotation, at random ------------------------------------------------------------------------

Step = st.one_of(
    st.tuples(st.just("project")),
    st.tuples(st.just("accept")),
    st.tuples(st.just("decline")),
    st.tuples(st.just("suspend"), st.integers(0, 5)),
    st.tuples(st.just("reinstate"), st.integers(0, 5)),
    st.tuples(st.just("clear"), st.integers(0, 5)),
)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 6), steps=st.lists(Step, max_size=60), not_serving=st.sets(st.integers(0, 5), max_size=2))
def test_rotation_never_awards_twice_in_a_period_and_keeps_the_order(size, steps, not_serving):
    """A model of bidding's rotation: projects wait for an answer (accepted, or declined → the next
    supplier). Whatever happens, in one period nobody has two turns, and whoever is picked is the first
    supplier of the order able to take the project that has no turn yet."""
    order = [f"S{i}" for i in range(size)]
    serving = {s for i, s in enumerate(order) if i not in not_serving}
    active = set(order)
    period, turns = 1, set[str]()
    waiting: list[tuple[str, int, set[str]]] = []  # (supplier holding the project, its period, who declined it)
    awards: dict[int, list[str]] = {}

    def pick(declined: set[str]) -> tuple[str, int] | None:
        nonlocal period, turns
        found = domain.next_in_rotation(order, period, turns, active=active, serving=serving, declined=declined)
        if found is None:
            able = [s for s in order if s in active and s in serving and s not in declined]
            assert not able
            return None
        assert found.supplier_id in active and found.supplier_id in serving and found.supplier_id not in declined
        assert order[found.position - 1] == found.supplier_id
        if found.period != period:
            assert found.period == period + 1
            assert domain.period_over(order, turns, {s for s in order if s in active and s in serving
                                                     and s not in declined})
            period, turns = found.period, set()
        earlier = order[:order.index(found.supplier_id)]
        assert all(s in turns for s in earlier if s in active and s in serving and s not in declined), "order kept"
        assert found.supplier_id not in turns, "one turn per supplier and period"
        turns.add(found.supplier_id)
        return found.supplier_id, found.period

    for step in steps:
        kind = step[0]
        if kind == "project":
            holder = pick(set())
            if holder is not None:
                waiting.append((*holder, set()))
        elif kind == "accept" and waiting:
            holder, in_period, _ = waiting.pop(0)
            awards.setdefault(in_period, []).append(holder)
        elif kind == "decline" and waiting:
            holder, _, declined = waiting.pop(0)
            declined = declined | {holder}
            following = pick(declined)
            if following is not None:
                waiting.append((*following, declined))
        elif kind in ("suspend", "reinstate", "clear") and step[1] < len(order):
            who = order[step[1]]
            if kind == "suspend":
                active.discard(who)
            elif kind == "reinstate":
                active.add(who)
            else:
                order = [s for s in order if s != who]
                active.discard(who)
                turns.discard(who)
    for suppliers in awards.values():
        assert len(suppliers) == len(set(suppliers))


@given(current=st.lists(st.sampled_from("ABCDEFGH"), unique=True),
       published=st.lists(st.sampled_from("ABCDEFGH"), unique=True))
def test_a_republished_order_keeps_the_kept_order_and_appends_the_new(current, published):
    merged = domain.merged_order(current, published)
    assert sorted(merged) == sorted(published)
    kept = [s for s in current if s in published]
    assert merged[:len(kept)] == kept
    assert merged[len(kept):] == [s for s in published if s not in current]
