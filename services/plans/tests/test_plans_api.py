"""录入计划 over HTTP on the real database: create, list, open, edit; bad input changes nothing; a unit
sees only its own plans; plan numbers never collide."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import func, select

from plans.store import Plan, PlanLine


async def counts(world) -> tuple[int, int, int]:
    async with world.service.db.read() as session:
        plans = (await session.exec(select(func.count()).select_from(Plan))).one()
        lines = (await session.exec(select(func.count()).select_from(PlanLine))).one()
    return plans, lines, len(await world.events("PlanCreated")) + len(await world.events("PlanUpdated"))


async def test_create_plan_saves_lines_and_publishes_the_whole_plan(world):
    plan = await world.create_plan()
    assert re.fullmatch(r"JH2026\d{6}", plan["plan_no"])
    assert plan["filing_no"] == "湘财采备〔2026〕00123" and plan["purchaser_name"] == "湖南省教育厅"
    assert [(l["line_no"], l["budget_amount"], l["reserved_amount"], l["remaining_amount"]) for l in plan["lines"]] == [
        (1, "360000.00", "0.00", "360000.00"), (2, "50000.00", "0.00", "50000.00")]
    assert plan["budget_total"] == "410000.00" and plan["remaining_total"] == "410000.00"
    assert plan["created_at"].endswith("+08:00")
    [event] = await world.events("PlanCreated", plan_id=plan["id"])
    assert event["plan_no"] == plan["plan_no"] and event["purchaser_address"].startswith("湖南省长沙市")
    assert [(l["line_id"], l["category_code"], l["budget_amount"]) for l in event["lines"]] == [
        (plan["lines"][0]["id"], "C1204", "360000.00"), (plan["lines"][1]["id"], "C0806", "50000.00")]
    assert await world.get_plan(plan["id"]) == plan


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"filing_no": None}, 422, "validation_error"),
    ({"filing_no": "2026-123"}, 422, "invalid_filing_no"),
    ({"year": 1999}, 422, "validation_error"),
    ({"contact_phone": "call me"}, 422, "validation_error"),
    ({"lines": []}, 422, "validation_error"),
    ({"unexpected": "field"}, 422, "validation_error"),
    ({"line": {"quantity": "0"}}, 422, "validation_error"),
    ({"line": {"quantity": "-3"}}, 422, "validation_error"),
    ({"line": {"budget_amount": "0"}}, 422, "validation_error"),
    ({"line": {"budget_amount": "-100.00"}}, 422, "validation_error"),
    ({"line": {"budget_amount": "100.001"}}, 422, "validation_error"),
    ({"line": {"category_code": "C9999"}}, 422, "unknown_category"),
    ({"line": {"category_code": "物业"}}, 422, "validation_error"),
    ({"line": {"extra": 1}}, 422, "validation_error"),
])
async def test_bad_input_is_a_clear_4xx_and_changes_nothing(world, body, change, status, code):
    before = await counts(world)
    payload = body()
    if "line" in change:
        payload["lines"][1].update(change["line"])
    elif change.get("filing_no", "") is None:
        del payload["filing_no"]
    else:
        payload.update(change)
    response = await world.client.post("/api/v1/plans", json=payload, headers=world.headers())
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert await counts(world) == before


async def test_only_a_purchaser_enters_plans_and_a_unit_sees_only_its_own(world, units):
    plan = await world.create_plan(units["A"])
    supplier = world.headers(units["supplier"], role="supplier")
    assert (await world.client.post("/api/v1/plans", json={}, headers=supplier)).status_code == 403
    assert (await world.client.get(f"/api/v1/plans/{plan['id']}", headers=supplier)).status_code == 403
    other = await world.client.get(f"/api/v1/plans/{plan['id']}", headers=world.headers(units["B"]))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    patched = await world.patch(plan["id"], {"name": "别人的计划"}, unit=units["B"])
    assert patched.status_code == 404
    assert (await world.get_plan(plan["id"]))["name"] == plan["name"]
    assert (await world.client.get("/api/v1/plans")).status_code == 401


async def test_concurrent_creates_never_share_a_plan_number(world, body):
    responses = await asyncio.gather(*(world.client.post("/api/v1/plans", json=body(year=2031), headers=world.headers())
                                       for _ in range(8)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["plan_no"] for r in responses)
    assert numbers == [f"JH2031{n:06d}" for n in range(1, 9)]


async def test_my_plans_filter_and_page(world, units):
    mine = [await world.create_plan(units["B"], name=f"2029年度会务计划{i}", year=2029, filing_no=f"HNCZ-2029-0000{i}",
                                    lines=[{"category_code": "C0806", "item_name": "会议", "quantity": "1",
                                            "unit": "场", "budget_amount": "1000.00"}]) for i in range(3)]
    await world.create_plan(units["A"], year=2029)  # another unit's: never listed for B
    headers = world.headers(units["B"])
    page = (await world.client.get("/api/v1/plans", params={"year": 2029, "page_size": 2}, headers=headers)).json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == [mine[2]["id"], mine[1]["id"]]
    assert page["items"][0]["budget_total"] == "1000.00" and page["items"][0]["line_count"] == 1
    second = (await world.client.get("/api/v1/plans", params={"year": 2029, "page": 2, "page_size": 2},
                                     headers=headers)).json()
    assert [p["id"] for p in second["items"]] == [mine[0]["id"]]
    found = (await world.client.get("/api/v1/plans", params={"q": "会务计划1"}, headers=headers)).json()
    assert [p["id"] for p in found["items"]] == [mine[1]["id"]]
    by_filing = (await world.client.get("/api/v1/plans", params={"q": "hncz-2029-00002"}, headers=headers)).json()
    assert [p["id"] for p in by_filing["items"]] == [mine[2]["id"]]
    by_category = (await world.client.get("/api/v1/plans", params={"category": "C08", "year": 2029},
                                          headers=headers)).json()
    assert by_category["total"] == 3
    assert (await world.client.get("/api/v1/plans", params={"category": "C12", "year": 2029},
                                   headers=headers)).json()["total"] == 0
    assert (await world.client.get("/api/v1/plans", params={"page_size": 1000}, headers=headers)).status_code == 422


async def test_patch_edits_basic_info_and_lines_and_publishes_the_next_revision(world):
    plan = await world.create_plan()
    first, second = plan["lines"]
    response = await world.patch(plan["id"], {
        "expected_revision": 1, "name": "2026年度物业及会务采购计划", "contact_phone": "0731-84710002",
        "update_lines": [{"id": first["id"], "budget_amount": "300000.00", "requirements": "工作日值守"}],
        "remove_lines": [second["id"]],
        "add_lines": [{"category_code": "C0814", "item_name": "宣传册印制", "quantity": "5000", "unit": "册",
                       "budget_amount": "40000.00"}],
    })
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["revision"] == 2 and updated["name"] == "2026年度物业及会务采购计划"
    assert [(l["line_no"], l["category_code"], l["budget_amount"]) for l in updated["lines"]] == [
        (1, "C1204", "300000.00"), (2, "C0814", "40000.00")]
    assert updated["lines"][1]["id"] not in {first["id"], second["id"]}, "line ids are never reused"
    [event] = await world.events("PlanUpdated", plan_id=plan["id"])
    assert event["revision"] == 2 and event["contact_phone"] == "0731-84710002"
    assert [(l["line_id"], l["budget_amount"]) for l in event["lines"]] == [
        (first["id"], "300000.00"), (updated["lines"][1]["id"], "40000.00")]

    again = await world.patch(plan["id"], {"name": "2026年度物业及会务采购计划"})
    assert again.json()["revision"] == 2, "a patch that changes nothing is no new revision"
    stale = await world.patch(plan["id"], {"expected_revision": 1, "name": "迟到的修改"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_revision"
    assert len(await world.events("PlanUpdated", plan_id=plan["id"])) == 1


@pytest.mark.parametrize(("patch", "status", "code"), [
    ({"name": None}, 422, "validation_error"),
    ({"filing_no": "bad"}, 422, "invalid_filing_no"),
    ({"update_lines": [{"id": "nope", "quantity": "2"}]}, 422, "unknown_line"),
    ({"update_lines": [{"id": "LINE1", "quantity": "0"}]}, 422, "validation_error"),
    ({"update_lines": [{"id": "LINE1", "budget_amount": "1.234"}]}, 422, "validation_error"),
    ({"update_lines": [{"id": "LINE1", "category_code": "C7777"}]}, 422, "unknown_category"),
    ({"update_lines": [{"id": "LINE1", "unit": "次"}], "remove_lines": ["LINE1"]}, 422, "line_named_twice"),
    ({"remove_lines": ["LINE1", "LINE2"]}, 422, "plan_without_lines"),
    ({"add_lines": [{"category_code": "C0806", "item_name": "会", "quantity": "1", "unit": "场",
                     "budget_amount": "-1.00"}]}, 422, "validation_error"),
    ({"name": "改名", "add_lines": [{"category_code": "C0000", "item_name": "x", "quantity": "1", "unit": "次",
                                   "budget_amount": "1.00"}]}, 422, "unknown_category"),
])
async def test_a_bad_patch_changes_nothing(world, patch, status, code):
    plan = await world.create_plan()
    ids = {"LINE1": plan["lines"][0]["id"], "LINE2": plan["lines"][1]["id"]}
    for line in patch.get("update_lines", []):
        line["id"] = ids.get(line["id"], line["id"])
    patch["remove_lines"] = [ids.get(i, i) for i in patch.get("remove_lines", [])]
    response = await world.patch(plan["id"], patch)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await world.get_plan(plan["id"]) == plan
    assert not await world.events("PlanUpdated", plan_id=plan["id"])


async def test_a_used_line_keeps_what_it_committed(world):
    plan = await world.create_plan(filing_no="HNCZ-2026-00777")
    line = plan["lines"][0]
    await world.deliver(world.published(plan, "100000.00"))
    assert (await world.get_plan(plan["id"]))["lines"][0]["reserved_amount"] == "100000.00"

    below = await world.patch(plan["id"], {"update_lines": [{"id": line["id"], "budget_amount": "99999.99"}]})
    assert below.status_code == 409 and below.json()["error"]["code"] == "budget_below_committed"
    removed = await world.patch(plan["id"], {"remove_lines": [line["id"]]})
    assert removed.status_code == 409 and removed.json()["error"]["code"] == "line_in_use"
    recategorized = await world.patch(plan["id"], {"update_lines": [{"id": line["id"], "category_code": "C0806"}]})
    assert recategorized.status_code == 409
    refiled = await world.patch(plan["id"], {"filing_no": "HNCZ-2026-00778"})
    assert refiled.status_code == 409 and refiled.json()["error"]["code"] == "plan_in_use"

    cut = await world.patch(plan["id"], {"update_lines": [{"id": line["id"], "budget_amount": "100000.00"}]})
    assert cut.status_code == 200
    assert cut.json()["lines"][0]["remaining_amount"] == "0.00"
