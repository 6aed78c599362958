"""顺序轮候 (rotation) and 清退 (clearing) across the services, through the gateway with the real broker:
an agreement shortlisting supplier-1 … supplier-4 in that order (the stage-1 ranking: no order stated),
two purchasers, two rotation periods and the start of a third.

Period 1: ① supplier-1 accepts (order and contract follow, as for the other methods); ② supplier-2
declines without a valid reason → supplier-3 accepts; ③ the project goes to supplier-4, which the agency
clears (清退) while it waits: supplier-4 leaves the order, the period is over, the project opens period 2
at supplier-1. Period 2: ④ two purchasers race for the next supplier: supplier-2 and supplier-3, one
each. ⑤ The next project opens period 3 at supplier-1. The agency's clearing screen counts supplier-2's
decline; the cleared supplier is refused everywhere."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest

from devstack.walkthrough import Market, MarketSpec, await_read_model, new_plan, open_market
from platform_client import find, ok, project_in, wait_for

pytestmark = pytest.mark.stack

SUPPLIERS = ["supplier-1", "supplier-2", "supplier-3", "supplier-4"]


@pytest.fixture(scope="module")
def market(stack, as_user) -> Market:
    tag = uuid4().hex[:6].upper()
    spec = MarketSpec(
        agreement_no=f"HNKJ-LH-{tag}", name=f"工程造价咨询服务框架协议（顺序轮候测试 {tag}）", category_code="C08",
        service_category="C0806", service_name=f"会议会务服务（轮候）{tag}", unit="场",
        description="会场布置、签到、茶歇", methods=("direct_selection", "rotation"),
        prices={"supplier-1": ("18000.00", "18000.00"), "supplier-2": ("18500.00", "18500.00"),
                "supplier-3": ("17500.00", "17500.00"), "supplier-4": ("19000.00", "19000.00")})
    return open_market(as_user, spec)


def plan_of(purchaser) -> dict[str, Any]:
    return new_plan(purchaser, name=f"会务服务采购计划（轮候）{uuid4().hex[:6]}", line={
        "category_code": "C0806", "item_name": "会议会务服务", "quantity": "1", "unit": "场",
        "budget_amount": "500000.00"})


def rotation(purchaser, market: Market, plan: dict[str, Any]) -> dict[str, Any]:
    body = {"agreement_id": market.agreement["id"], "plan_id": plan["id"], "plan_line_id": plan["lines"][0]["id"],
            "quantity": "1", "contact_name": "李明", "contact_phone": "13800000001"}
    response = await_read_model(lambda: purchaser.post("/api/v1/projects/rotations", json=body),
                                "the plan and the agreement reaching bidding")
    assert response.status_code == 201, response.text
    return response.json()


def holder(market: Market, project: dict[str, Any]) -> str:
    return next(user for user, me in market.suppliers.items() if me["org_id"] == project["supplier_id"])


def answerable(client, project_id: str) -> dict[str, Any]:
    """The project once the funds are reserved: 待供应商确认."""
    return wait_for(lambda: project_in(client, project_id, "quoting"), what="plans reserved the funds")


def test_rotation_over_two_periods_with_a_decline_a_clearing_and_a_race(market, as_user):
    a, b, agency = as_user("purchaser-a"), as_user("purchaser-b"), as_user("agency")
    supplier = {user: as_user(user) for user in SUPPLIERS}
    plan_a, plan_b = plan_of(a), plan_of(b)
    order = ok(agency.get(f"/api/v1/catalog/agreements/{market.agreement['id']}"))["rotation_order"]
    assert [p["supplier_id"] for p in order] == [market.suppliers[u]["org_id"] for u in SUPPLIERS]
    periods: dict[int, list[str]] = {}

    def awarded(project: dict[str, Any], user: str) -> dict[str, Any]:
        answerable(supplier[user], project["id"])
        done = ok(supplier[user].post(f"/api/v1/projects/{project['id']}/accept"))
        assert done["status_label"] == "项目成功"
        turn = next(t for t in done["rotation_turns"] if t["outcome"] == "awarded")
        periods.setdefault(turn["period"], []).append(user)
        return done

    # ① period 1: supplier-1 accepts; the order and the contract follow at its agreement price
    first = rotation(a, market, plan_a)
    assert holder(market, first) == "supplier-1" and first["method_label"] == "顺序轮候"
    done = awarded(first, "supplier-1")
    assert done["award_amount"] == "18000.00"
    contract = wait_for(lambda: find(supplier["supplier-1"], "/api/v1/contracts", first["id"]),
                        what="contracts drafted the contract")
    order_row = wait_for(lambda: find(a, "/api/v1/orders", first["id"]), what="orders created the order")
    assert (contract["amount"], order_row["amount"], order_row["method"]) == ("18000.00", "18000.00", "rotation")
    announcement = ok(a.get(f"/api/v1/announcements/{done['award_announcement_id']}"))
    assert announcement["kind"] == "award" and "顺序轮候" in announcement["content"]

    # ② supplier-2 declines without a valid reason → supplier-3
    second = rotation(a, market, plan_a)
    assert holder(market, second) == "supplier-2"
    answerable(supplier["supplier-2"], second["id"])
    ok(supplier["supplier-2"].post(f"/api/v1/projects/{second['id']}/decline",
                                   json={"reason": "近期人手紧张", "reason_code": "other"}))
    second = ok(a.get(f"/api/v1/projects/{second['id']}"))
    assert holder(market, second) == "supplier-3"
    awarded(second, "supplier-3")

    # ③ supplier-4's turn; the agency clears it while the project waits: the period is over → supplier-1
    third = rotation(b, market, plan_b)
    assert holder(market, third) == "supplier-4"
    four = market.suppliers["supplier-4"]["org_id"]
    cleared = ok(agency.post(f"/api/v1/catalog/agreements/{market.agreement['id']}/suppliers/{four}/clear",
                             json={"cause": "not_performing", "reason": "合同 HT-001 经催告仍未履行"}))
    assert cleared["cause_label"].startswith("不履行合同义务") and cleared["cleared_by"] == "agency"
    third = wait_for(lambda: (p := ok(b.get(f"/api/v1/projects/{third['id']}")))["supplier_id"] != four and p,
                     what="bidding passed the cleared supplier's project on")
    assert holder(market, third) == "supplier-1"
    awarded(third, "supplier-1")

    # ④ period 2: two purchasers at once get the next two suppliers, one each
    with ThreadPoolExecutor(2) as pool:
        raced = list(pool.map(lambda who: rotation(*who), [(a, market, plan_a), (b, market, plan_b)]))
    assert sorted(holder(market, p) for p in raced) == ["supplier-2", "supplier-3"]
    for project in raced:
        awarded(project, holder(market, project))

    # ⑤ everyone left has had a turn in period 2: the next project opens period 3 at the first place
    fifth = rotation(a, market, plan_a)
    assert holder(market, fifth) == "supplier-1"
    awarded(fifth, "supplier-1")
    assert {k: sorted(v) for k, v in periods.items()} == {
        1: ["supplier-1", "supplier-3"], 2: ["supplier-1", "supplier-2", "supplier-3"], 3: ["supplier-1"]}
    view = ok(a.get(f"/api/v1/projects/rotation-orders/{market.agreement['id']}"))
    assert view["period"] == 3 and four not in [p["supplier_id"] for p in view["places"]]

    # the agency sees the case that may lead to clearing supplier-2, and the clearing done
    def counted() -> dict[str, Any] | None:
        seen = ok(agency.get(f"/api/v1/catalog/agreements/{market.agreement['id']}/clearing"))
        two = next(s for s in seen["suppliers"] if s["supplier"]["supplier_id"] == market.suppliers["supplier-2"]["org_id"])
        return seen if two["declines_without_reason"] == 1 else None

    overview = wait_for(counted, what="catalog counted the decline without a valid reason")
    assert [c["supplier_id"] for c in overview["clearings"]] == [four]

    # the cleared supplier is refused everywhere
    direct = a.post("/api/v1/projects/direct-selections", json={
        "agreement_id": market.agreement["id"], "service_id": market.service_id, "supplier_id": four,
        "plan_id": plan_a["id"], "plan_line_id": plan_a["lines"][0]["id"], "quantity": "1", "contact_name": "李明",
        "contact_phone": "13800000001"})
    assert direct.status_code == 422 and direct.json()["error"]["code"] == "supplier_cleared"
    offering = next(o for o in market.agreement["offerings"] if o["supplier_id"] == four)
    relist = supplier["supplier-4"].post(f"/api/v1/catalog/agreements/{market.agreement['id']}/listings",
                                         json={"service_id": offering["service_id"], "price": "18800.00"})
    assert relist.status_code == 409 and relist.json()["error"]["code"] == "supplier_cleared"
    back = agency.post(f"/api/v1/catalog/agreements/{market.agreement['id']}/suppliers/{four}/reinstate", json={})
    assert back.status_code == 409
    service = ok(a.get(f"/api/v1/catalog/services/{market.service_id}"))
    assert four not in [o["supplier"]["supplier_id"] for o in service["offers"]]
