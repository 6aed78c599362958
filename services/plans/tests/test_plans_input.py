"""No input is a 500 and nothing lax is stored (issue 11, reports 3 and 5): money only by its documented
pattern and below the bound, bounded integers in queries, no control, bidi-override or zero-width
character in a name. Each refusal is a 422 that names the field and changes nothing."""

from __future__ import annotations

import pytest


def _line(**overrides):
    line = {"category_code": "C1204", "item_name": "办公楼物业管理", "quantity": "12", "unit": "月",
            "budget_amount": "360000.00"}
    line.update(overrides)
    return line


async def _refused(world, body, field):
    before = await world.client.get("/api/v1/plans", params={"page_size": 200}, headers=world.headers())
    response = await world.client.post("/api/v1/plans", json=body, headers=world.headers())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["message"], error["message"]
    after = await world.client.get("/api/v1/plans", params={"page_size": 200}, headers=world.headers())
    assert after.json()["total"] == before.json()["total"]
    return error["message"]


@pytest.mark.parametrize("amount", ["1e309", "1E5", "１２３", " 1.00", "1.00 ", "+1.00", "-1.00", "1,000.00",
                                    "Infinity", "NaN", "0x10", "1000000000000.01", "9" * 40])
async def test_a_budget_off_the_documented_pattern_or_above_the_bound_is_refused(world, body, amount):
    message = await _refused(world, body(lines=[_line(budget_amount=amount)]), "lines[0].budget_amount")
    assert "半角数字" in message or "不得超过" in message or "整数部分" in message


async def test_a_budget_as_a_json_number_is_refused_and_one_at_the_bound_is_kept(world, body):
    await _refused(world, body(lines=[_line(budget_amount=100000)]), "lines[0].budget_amount")
    plan = await world.create_plan(lines=[_line(budget_amount="1000000000000")])
    assert plan["lines"][0]["budget_amount"] == "1000000000000.00"


@pytest.mark.parametrize("quantity", ["1e3", "１２", " 12", "1000001", "NaN"])
async def test_a_quantity_off_the_pattern_or_above_the_bound_is_refused(world, body, quantity):
    await _refused(world, body(lines=[_line(quantity=quantity)]), "lines[0].quantity")


@pytest.mark.parametrize("name", ["物业\x00管理", "物业\x1b[31m管理", "物业\u202e理管", "物业\u200b管理", "\ufeff物业",
                                  "物业\u2066管理", "物业\n管理", "物业\x85管理"])
async def test_a_name_with_a_control_bidi_or_zero_width_character_is_refused(world, body, name):
    message = await _refused(world, body(name=name), "name")
    assert "U+" in message
    await _refused(world, body(lines=[_line(item_name=name)]), "lines[0].item_name")


async def test_requirements_keep_line_breaks_and_tabs_but_refuse_other_controls(world, body):
    plan = await world.create_plan(lines=[_line(requirements="一、24 小时值守\r\n二、\t保洁")])
    assert plan["lines"][0]["requirements"] == "一、24 小时值守\r\n二、\t保洁"
    await _refused(world, body(lines=[_line(requirements="值守\x00")]), "lines[0].requirements")
    await _refused(world, body(lines=[_line(requirements="值守\u202e")]), "lines[0].requirements")


async def test_a_patch_refuses_lax_money_and_hidden_characters_too(world):
    plan = await world.create_plan()
    line_id = plan["lines"][0]["id"]
    for patch, field in (({"update_lines": [{"id": line_id, "budget_amount": "1E5"}]}, "update_lines[0].budget_amount"),
                         ({"name": "计划\u202e"}, "name"),
                         ({"expected_revision": 10**30}, "expected_revision")):
        response = await world.patch(plan["id"], patch)
        assert response.status_code == 422, response.text
        assert field in response.json()["error"]["message"]
    assert (await world.get_plan(plan["id"]))["revision"] == plan["revision"]


@pytest.mark.parametrize("params, name", [({"page": 10**24}, "page"), ({"page": 10_001}, "page"),
                                          ({"page_size": 10**24}, "page_size"), ({"page_size": 201}, "page_size"),
                                          ({"q": "物业\x00"}, "q"), ({"year": 10**24}, "year")])
async def test_huge_or_hidden_query_parameters_are_a_422_naming_the_parameter(world, params, name):
    response = await world.client.get("/api/v1/plans", params=params, headers=world.headers())
    assert response.status_code == 422, response.text
    assert f"参数 {name}" in response.json()["error"]["message"]


async def test_the_last_page_and_largest_page_size_still_answer(world):
    response = await world.client.get("/api/v1/plans", params={"page": 10_000, "page_size": 200},
                                      headers=world.headers())
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_a_plan_id_with_a_nul_is_a_4xx_not_a_500(world):
    response = await world.client.get("/api/v1/plans/PL%00X", headers=world.headers())
    assert response.status_code in (404, 422), response.text
