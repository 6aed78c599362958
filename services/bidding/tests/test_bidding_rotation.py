"""Rotation projects (顺序轮候) through the bidding API: a project goes to the next supplier in the
agreement's order, the supplier accepts (the award at its agreement price, ResultConfirmed as for the
other methods) or declines with a reason (the next supplier), a period gives each supplier one turn,
purchasers racing for the next supplier never share one, and a cleared supplier is out of it all."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlmodel import select

from bidding.store import RotationTurn
from contracts_schema.events.catalog import SupplierCleared

# Suppliers 1, 2, 3, 5 offer 物业管理 (C1204); supplier 4 only 会议服务: it never serves these projects.
ORDER = [3, 1, 4, 5, 2]
ABLE = [3, 1, 5, 2]


def rotation_agreement(fx: Any) -> Any:
    event = fx.agreement_published(suppliers=5, methods=["direct_selection", "secondary_bidding", "rotation"])
    return event.model_copy(update={"rotation_order": [fx.supplier_id(i) for i in ORDER]})


def body(fx: Any, **changes: Any) -> dict[str, Any]:
    return {"agreement_id": fx.AGREEMENT, "plan_id": fx.PLAN, "plan_line_id": fx.LINE, "quantity": "12",
            "contact_name": "李明", "contact_phone": "13800000001", "requirements": "驻场 8 人", **changes}


async def rotation(world: Any, fx: Any, headers: dict[str, str] | None = None, reserve: bool = True) -> dict[str, Any]:
    project = await world.ok("POST", "/api/v1/projects/rotations", 201, json=body(fx),
                             headers=headers or world.purchaser)
    if reserve:
        await world.feed(fx.funds_reserved(project))
        project = await world.project(project["id"], headers or world.purchaser)
    return project


def who(fx: Any, project: dict[str, Any]) -> int:
    return fx.SUPPLIERS.index(project["supplier_id"]) + 1


async def test_a_rotation_goes_round_the_order_accept_and_decline(world, fx):
    await world.feed(rotation_agreement(fx))
    first = await rotation(world, fx)
    assert (first["method"], first["method_label"], first["status"], first["status_label"]) == (
        "rotation", "顺序轮候", "quoting", "待供应商确认")
    assert who(fx, first) == 3 and first["project_no"].startswith("LH")
    [offered] = await world.events("RotationOffered")
    assert (offered["supplier_id"], offered["period"], offered["position"]) == (fx.supplier_id(3), 1, 1)

    # Only the supplier whose turn it is sees it and answers; a rotation takes no quotes.
    await world.error("GET", f"/api/v1/projects/{first['id']}", 404, headers=world.supplier(1))
    error = await world.error("POST", f"/api/v1/projects/{first['id']}/quotes", 409, json={"amount": "1.00"},
                              headers=world.supplier(3))
    assert error["code"] == "illegal_transition"
    done = await world.ok("POST", f"/api/v1/projects/{first['id']}/accept", headers=world.supplier(3))
    assert done["status"] == "succeeded" and done["award_amount"] == "291600.00"  # 27000 × 0.9 × 12
    [award] = await world.events("ResultConfirmed")
    assert award["method"] == "rotation" and award["supplier"]["org_id"] == fx.supplier_id(3)
    assert award["amount"] == "291600.00" and award["unit_price"] == "24300.00"
    assert award["award_announcement_id"] == done["award_announcement_id"]
    announcement = await world.ok("GET", f"/api/v1/announcements/{done['award_announcement_id']}")
    assert "顺序轮候" in announcement["content"] and "供应商3" in announcement["content"]
    assert announcement["due_at"] is not None and not announcement["overdue"]  # 2 working days, as for bidding

    second = await rotation(world, fx)
    assert who(fx, second) == 1
    error = await world.error("POST", f"/api/v1/projects/{second['id']}/decline", 422, json={"reason": "人手不足"},
                              headers=world.supplier(1))
    assert error["code"] == "reason_code_required"
    error = await world.error("POST", f"/api/v1/projects/{second['id']}/decline", 422,
                              json={"reason": "人手不足", "reason_code": "busy"}, headers=world.supplier(1))
    assert error["code"] == "unknown_decline_reason"
    passed = await world.ok("POST", f"/api/v1/projects/{second['id']}/decline",
                            json={"reason": "人手不足", "reason_code": "other"}, headers=world.supplier(1))
    assert passed["status"] == "quoting" and passed["rotation_turns"] == [
        {**passed["rotation_turns"][0], "outcome": "declined", "reason_code": "other", "valid_reason": False}]
    second = await world.project(second["id"])
    assert who(fx, second) == 5, "supplier 4 serves no property management: skipped"
    [declined] = await world.events("RotationDeclined")
    assert (declined["supplier_id"], declined["valid_reason"], declined["next_supplier_id"]) == (
        fx.supplier_id(1), False, fx.supplier_id(5))
    error = await world.error("POST", f"/api/v1/projects/{second['id']}/accept", 409, headers=world.supplier(1))
    assert error["code"] == "not_your_turn"
    await world.ok("POST", f"/api/v1/projects/{second['id']}/accept", headers=world.supplier(5))

    third = await rotation(world, fx)
    assert who(fx, third) == 2
    await world.ok("POST", f"/api/v1/projects/{third['id']}/accept", headers=world.supplier(2))
    order = await world.ok("GET", f"/api/v1/projects/rotation-orders/{fx.AGREEMENT}", headers=world.supplier(4))
    assert order["period"] == 1
    assert [(p["position"], p["supplier_id"], p["turn"]["outcome"] if p["turn"] else None)
            for p in order["places"]] == [
        (1, fx.supplier_id(3), "awarded"), (2, fx.supplier_id(1), "declined"), (3, fx.supplier_id(4), None),
        (4, fx.supplier_id(5), "awarded"), (5, fx.supplier_id(2), "awarded")]

    fourth = await rotation(world, fx)  # everyone able has had a turn: period 2 starts at the first place
    assert who(fx, fourth) == 3
    terminated = await world.ok("POST", f"/api/v1/projects/{fourth['id']}/terminate", json={"reason": "需求取消"},
                                headers=world.purchaser)
    assert terminated["status"] == "terminated"
    fifth = await rotation(world, fx)
    assert who(fx, fifth) == 3, "a terminated project gives its supplier's turn back"
    order = await world.ok("GET", f"/api/v1/projects/rotation-orders/{fx.AGREEMENT}", headers=world.purchaser)
    assert order["period"] == 2


async def test_a_project_nobody_takes_fails_and_the_funds_are_released(world, fx):
    await world.feed(rotation_agreement(fx))
    project = await rotation(world, fx)
    for i in ABLE:
        project = await world.project(project["id"])
        assert who(fx, project) == i
        await world.ok("POST", f"/api/v1/projects/{project['id']}/decline",
                       json={"reason": "不可抗力：洪灾", "reason_code": "force_majeure"}, headers=world.supplier(i))
    project = await world.project(project["id"])
    assert project["status"] == "failed" and "已无可接受授予的供应商" in project["outcome_reason"]
    assert [e["project_id"] for e in await world.events("ProjectFailed")] == [project["id"]]
    assert all(e["valid_reason"] for e in await world.events("RotationDeclined"))


async def test_two_purchasers_racing_never_get_the_same_supplier_in_a_period(world, fx):
    """Eight projects created at once by two purchasers (PostgreSQL under TEST_DATABASE_URL: real
    concurrent transactions): two periods, each able supplier exactly once in each, order kept."""
    await world.feed(rotation_agreement(fx), fx.plan_created(plan_id="PL-B", org=fx.OTHER_PURCHASER_ORG))

    async def create(i: int) -> dict[str, Any]:
        if i % 2:
            return await world.ok("POST", "/api/v1/projects/rotations", 201, json=body(fx), headers=world.purchaser)
        return await world.ok("POST", "/api/v1/projects/rotations", 201,
                              json=body(fx, plan_id="PL-B", plan_line_id="PL-B-1"), headers=world.other_purchaser)

    projects = await asyncio.gather(*(create(i) for i in range(8)))
    async with world.service.db.read() as session:
        turns = (await session.exec(select(RotationTurn))).all()
    assert len(turns) == 8 and {t.project_id for t in turns} == {p["id"] for p in projects}
    by_period: dict[int, list[RotationTurn]] = {}
    for turn in turns:
        by_period.setdefault(turn.period, []).append(turn)
    assert sorted(by_period) == [1, 2]
    for period, in_period in by_period.items():
        assert Counter(t.supplier_id for t in in_period) == Counter(fx.supplier_id(i) for i in ABLE), period
        # order kept: the earlier offer went to the earlier place
        assert [t.position for t in sorted(in_period, key=lambda t: (t.offered_at, t.position))] == sorted(
            t.position for t in in_period)


async def test_two_declines_at_once_pass_their_projects_to_two_different_suppliers(world, fx):
    """Creating projects also takes the project-number counter's row lock; declines take only the
    rotation's: two at once must still hand their projects to two different suppliers."""
    await world.feed(rotation_agreement(fx))
    first, second = await rotation(world, fx), await rotation(world, fx)
    assert (who(fx, first), who(fx, second)) == (3, 1)
    answers = await asyncio.gather(*(
        world.client.post(f"/api/v1/projects/{p['id']}/decline", json={"reason": "人手不足", "reason_code": "other"},
                          headers=world.supplier(who(fx, p))) for p in (first, second)))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    now = [who(fx, await world.project(p["id"])) for p in (first, second)]
    assert sorted(now) == [2, 5]


async def test_a_cleared_supplier_leaves_the_rotation_and_is_refused_everywhere(world, fx):
    await world.feed(rotation_agreement(fx))
    project = await rotation(world, fx)
    assert who(fx, project) == 3
    await world.feed(SupplierCleared(agreement_id=fx.AGREEMENT, supplier_id=fx.supplier_id(3), supplier_name="供应商3",
                                     cause="refused_award", cause_label="无正当理由拒不接受合同授予", reason="两次拒绝",
                                     cleared_by="agency", cleared_at=fx.T0))
    project = await world.project(project["id"])
    assert who(fx, project) == 1 and project["status"] == "quoting", "its waiting project went to the next"
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/accept", 409, headers=world.supplier(3))
    assert error["code"] == "not_your_turn"
    order = await world.ok("GET", f"/api/v1/projects/rotation-orders/{fx.AGREEMENT}", headers=world.purchaser)
    assert fx.supplier_id(3) not in [p["supplier_id"] for p in order["places"]]
    error = await world.error("POST", "/api/v1/projects/direct-selections", 422,
                              json={**fx.DIRECT, "supplier_id": fx.supplier_id(3)}, headers=world.purchaser)
    assert error["code"] == "supplier_cleared"
    bidding = await world.quoting()
    assert fx.supplier_id(3) not in [e for e in (await world.events("QuotingOpened"))[-1]["invited_supplier_ids"]]
    await world.error("POST", f"/api/v1/projects/{bidding['id']}/quotes", 404, json={"amount": "100.00"},
                      headers=world.supplier(3))
    await world.ok("POST", f"/api/v1/projects/{project['id']}/accept", headers=world.supplier(1))
    for _ in range(4):
        nxt = await rotation(world, fx)
        assert who(fx, nxt) != 3
        await world.ok("POST", f"/api/v1/projects/{nxt['id']}/accept", headers=world.supplier(who(fx, nxt)))


async def test_a_republished_agreement_keeps_the_order_and_appends_the_new_supplier(world, fx):
    await world.feed(rotation_agreement(fx))
    extra = "914301000000000099"
    again = fx.agreement_published(suppliers=5, methods=["rotation"], extra_supplier_ids=[extra])
    await world.feed(again.model_copy(update={"rotation_order": [extra, *[fx.supplier_id(i) for i in sorted(ORDER)]]}))
    order = await world.ok("GET", f"/api/v1/projects/rotation-orders/{fx.AGREEMENT}", headers=world.supplier(1))
    assert [p["supplier_id"] for p in order["places"]] == [fx.supplier_id(i) for i in ORDER] + [extra]
