"""No input is a 500 and nothing lax is stored (issue 11, reports 3 and 5): quotes and price limits by the
documented money pattern only, bounded durations, offsets and limits (even with no login), no control,
bidi-override or zero-width character in names, requirements and reasons. Each refusal is a 422 naming
the field, and changes nothing."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("amount", ["1e309", "1E5", "１２３", " 1.00", "-1.00", "1000000000000.01", "9" * 30])
async def test_a_quote_off_the_money_pattern_or_above_the_bound_is_refused(world, amount):
    project = await world.quoting()
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/quotes", 422, json={"amount": amount},
                              headers=world.supplier(1))
    assert error["code"] == "validation_error" and "字段 amount" in error["message"], error
    assert (await world.ok("GET", f"/api/v1/projects/{project['id']}/quotes", headers=world.supplier(1)))["quotes"] == []


@pytest.mark.parametrize("limit", ["1E4", "１０００００"])
async def test_a_price_limit_off_the_money_pattern_is_refused(world, fx, limit):
    error = await world.error("POST", "/api/v1/projects/secondary-biddings", 422,
                              json={**fx.SECONDARY, "price_limit": limit}, headers=world.purchaser)
    assert "字段 price_limit" in error["message"], error


@pytest.mark.parametrize("field, value", [("name", "物业\u202e竞价"), ("name", "物业\x00"), ("contact_name", "李\u200b明"),
                                          ("requirements", "驻场\x1b[8m"), ("requirements", "驻场\u2067")])
async def test_project_text_with_hidden_characters_is_refused(world, fx, field, value):
    before = len(await world.events())
    error = await world.error("POST", "/api/v1/projects/secondary-biddings", 422,
                              json={**fx.SECONDARY, field: value}, headers=world.purchaser)
    assert f"字段 {field}" in error["message"] and "U+" in error["message"], error
    assert len(await world.events()) == before


async def test_requirements_keep_line_breaks(world):
    project = await world.draft(requirements="一、驻场 8 人\r\n二、\t24 小时")
    assert project["requirements"] == "一、驻场 8 人\r\n二、\t24 小时"


async def test_a_reason_with_a_nul_is_refused(world):
    project = await world.direct_selection()
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/terminate", 422,
                              json={"reason": "需求变更\x00"}, headers=world.purchaser)
    assert "字段 reason" in error["message"]
    assert (await world.project(project["id"]))["status"] == project["status"]


@pytest.mark.parametrize("duration", [10**30, 366 * 86400 + 1, 0])
async def test_a_huge_duration_on_publish_or_preview_is_a_422_naming_it(world, duration):
    project = await world.draft()
    for url in (f"/api/v1/projects/{project['id']}/announcement-preview", f"/api/v1/projects/{project['id']}/publish"):
        error = await world.error("POST", url, 422, json={"duration_seconds": duration}, headers=world.purchaser)
        assert "字段 duration_seconds" in error["message"], error
    assert (await world.project(project["id"]))["status"] == "draft"


async def test_a_duration_above_the_configured_maximum_is_a_422(world):
    project = await world.draft()
    error = await world.error("POST", f"/api/v1/projects/{project['id']}/publish", 422,
                              json={"duration_seconds": 86400 + 1}, headers=world.purchaser)
    assert error["code"] == "invalid_duration"


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_a_start_at_the_edge_of_the_calendar_is_a_422(world, starts_at):
    project = await world.draft()
    for url in (f"/api/v1/projects/{project['id']}/announcement-preview", f"/api/v1/projects/{project['id']}/publish"):
        error = await world.error("POST", url, 422, json={"starts_at": starts_at, "duration_seconds": 3600},
                                  headers=world.purchaser)
        assert "字段 starts_at" in error["message"], error


@pytest.mark.parametrize("params, name", [({"offset": 10**24}, "offset"), ({"offset": 1_000_001}, "offset"),
                                          ({"limit": 10**24}, "limit"), ({"limit": 201}, "limit"),
                                          ({"project_id": "PJ\x00"}, "project_id")])
async def test_announcements_refuse_huge_or_hidden_parameters_without_login(world, params, name):
    error = await world.error("GET", "/api/v1/announcements", 422, params=params)
    assert f"参数 {name}" in error["message"], error


async def test_the_largest_offset_still_answers(world):
    page = await world.ok("GET", "/api/v1/announcements", params={"offset": 1_000_000, "limit": 200})
    assert page["items"] == []
    page = await world.ok("GET", "/api/v1/projects", params={"offset": 1_000_000, "limit": 200},
                          headers=world.purchaser)
    assert page["items"] == []


async def test_huge_offsets_on_my_projects_are_a_422(world):
    error = await world.error("GET", "/api/v1/projects", 422, params={"offset": 10**24}, headers=world.supplier(1))
    assert "参数 offset" in error["message"]


async def test_ids_with_a_nul_are_a_4xx_not_a_500(world):
    for url in ("/api/v1/projects/PJ%00", "/api/v1/announcements/AN%00"):
        response = await world.client.get(url, headers=world.purchaser)
        assert response.status_code in (404, 422), response.text


async def test_the_api_schema_says_the_configured_window_bounds(world):
    models = (await world.ok("GET", "/openapi.json"))["components"]["schemas"]
    publish = models["WindowIn"]["properties"]["duration_seconds"]
    preview = next(o for o in models["PreviewIn"]["properties"]["duration_seconds"]["anyOf"] if o["type"] == "integer")
    assert (publish["minimum"], publish["maximum"]) == (preview["minimum"], preview["maximum"]) == (60, 86400)
