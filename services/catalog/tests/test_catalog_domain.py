"""The rules of agreements and the library, without I/O: examples and properties."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import domain
from catalog.domain import ServiceKey, Tier
from contracts_schema import categories
from servicekit.errors import Conflict, Invalid

D = Decimal


def test_the_category_tree_is_whole():
    codes = [code for code, _ in categories.CATEGORIES]
    assert len(codes) == len(set(codes))
    for position, code in enumerate(codes):
        parent = categories.parent_of(code)
        assert parent is None or parent in codes[:position], f"{code}: parent missing or listed after it"
    assert categories.path_of("C120401") == ["C12", "C1204", "C120401"]
    assert categories.related("C12", "C120401") and not categories.related("C1204", "C0806")


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 1, 31), "scheduled"), (date(2026, 2, 1), "active"), (date(2026, 12, 31), "active"),
    (date(2027, 1, 1), "expired"),
])
def test_agreement_status_follows_the_calendar_inclusively(today, status):
    assert domain.agreement_status(date(2026, 2, 1), date(2026, 12, 31), today) == status


def test_a_day_ends_at_midnight_in_shanghai():
    assert domain.today_in_shanghai(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 31)
    assert domain.today_in_shanghai(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == date(2027, 1, 1)


def test_in_force_needs_status_and_calendar():
    assert domain.in_force("active", date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 1))
    assert not domain.in_force("active", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1))
    assert not domain.in_force("expired", date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 1))


def test_discount_tiers_must_get_cheaper_with_quantity():
    tiers = domain.check_tiers(D("10.00"), [Tier(D("500"), D("8.00")), Tier(D("100"), D("9.00"))])
    assert [t.min_quantity for t in tiers] == [D("100"), D("500")]
    for bad in ([Tier(D("100"), D("10.00"))], [Tier(D("100"), D("9.00")), Tier(D("200"), D("9.00"))],
                [Tier(D("100"), D("9.00")), Tier(D("100"), D("8.00"))]):
        with pytest.raises(Invalid):
            domain.check_tiers(D("10.00"), bad)


prices = st.integers(min_value=2, max_value=10**8).map(lambda c: D(c) / 100)
quantities = st.integers(min_value=1, max_value=10**7).map(lambda m: D(m) / 1000)


@settings(max_examples=300, deadline=None)
@given(price=prices, steps=st.lists(st.tuples(quantities, st.integers(min_value=1, max_value=99)), max_size=6))
def test_tiers_that_get_cheaper_with_quantity_pass_in_quantity_order(price, steps):
    """Which tier applies to a quantity (the ceiling) is bidding's rule, tested there
    (bidding.domain.applicable_unit_price); the catalog checks the tiers it is given and shows them."""
    tiers, current = [], price
    for quantity, percent in sorted(steps):
        cheaper = (current * percent / 100).quantize(D("0.01"))
        if cheaper <= 0 or cheaper >= current or any(t.min_quantity == quantity for t in tiers):
            continue
        tiers.append(Tier(quantity, cheaper))
        current = cheaper
    checked = domain.check_tiers(price, list(reversed(tiers)))
    assert checked == tiers
    assert all(t.unit_price < price for t in checked)


def _stage1(**overrides):
    args = dict(agreement_category="C12", valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                today=date(2026, 3, 1), methods=["direct_selection"], supplier_ids=["S1"],
                services_by_supplier={"S1": [ServiceKey("C120401", "办公楼物业管理服务", "平方米·月")]})
    args.update(overrides)
    domain.check_stage1(**args)


@pytest.mark.parametrize(("overrides", "code"), [
    ({"agreement_category": "C77"}, "unknown_category"),
    ({"valid_to": date(2025, 12, 31)}, "invalid_validity"),
    ({"today": date(2027, 1, 1)}, "invalid_validity"),
    ({"methods": ["direct_selection", "direct_selection"]}, "invalid_methods"),
    ({"supplier_ids": ["S1", "S1"]}, "duplicate_supplier"),
    ({"services_by_supplier": {"S1": [ServiceKey("C0801", "法律顾问", "年")]}}, "category_outside_agreement"),
    ({"services_by_supplier": {"S1": [ServiceKey("C1299", "x", "次")]}}, "unknown_category"),
    ({"services_by_supplier": {"S1": [ServiceKey("C1204", "保洁", "月")] * 2}}, "duplicate_service"),
    ({"supplier_ids": ["S1", "S2"], "services_by_supplier": {
        s: [ServiceKey("C1204", f"服务{i}", "次") for i in range(1001)] for s in ("S1", "S2")}}, "too_many_offerings"),
])
def test_incoherent_stage1_data_is_refused(overrides, code):
    with pytest.raises(Invalid) as raised:
        _stage1(**overrides)
    assert raised.value.code == code


def test_a_listing_is_checked_against_ceiling_validity_and_standing():
    ok = dict(price=D("4.50"), agreement_price=D("4.50"), agreement_status="active", valid_to=date(2026, 12, 31),
              today=date(2026, 6, 1), supplier_status="active")
    domain.check_listing(**ok)
    with pytest.raises(Invalid):
        domain.check_listing(**{**ok, "price": D("4.51")})
    with pytest.raises(Conflict):
        domain.check_listing(**{**ok, "supplier_status": "suspended"})
    with pytest.raises(Conflict):
        domain.check_listing(**{**ok, "today": date(2027, 1, 1)})
    with pytest.raises(Conflict):
        domain.check_listing(**{**ok, "agreement_status": "expired"})


def test_offering_and_supplier_state_machines():
    assert [domain.offering_after(s, "list") for s in ("unlisted", "listed", "delisted")] == ["listed"] * 3
    assert domain.offering_after("listed", "delist") == "delisted"
    for status in ("unlisted", "delisted"):
        with pytest.raises(Conflict):
            domain.offering_after(status, "delist")
    assert domain.supplier_after("active", "suspend") == "suspended"
    assert domain.supplier_after("suspended", "reinstate") == "active"
    with pytest.raises(Conflict):
        domain.supplier_after("active", "reinstate")
    with pytest.raises(Conflict):
        domain.supplier_after("suspended", "suspend")
