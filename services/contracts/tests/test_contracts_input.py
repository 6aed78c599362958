"""No input is a 500 and no hidden character reaches a contract PDF (issue 11, reports 3 and 5): the
supplementary terms and reasons refuse control, bidi-override and zero-width characters, and limits and
offsets are bounded. Each refusal is a 422 naming the field, and changes nothing."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("terms", ["付款方式：\u202e日03内", "付款\x00", "付款\u2066方式", "\ufeff付款"])
async def test_supplementary_terms_with_hidden_characters_never_reach_the_document(contracts_world, terms):
    w = contracts_world
    contract, _, supplier = await w.drafted()
    response = await w.post(f"/api/v1/contracts/{contract['id']}/send", supplier, json={"supplementary_terms": terms})
    assert response.status_code == 422, response.text
    assert "字段 supplementary_terms" in response.json()["error"]["message"]
    assert await w.events("ContractSent", contract["id"]) == []


async def test_supplementary_terms_keep_their_line_breaks(contracts_world):
    w = contracts_world
    contract, _, supplier = await w.drafted()
    response = await w.post(f"/api/v1/contracts/{contract['id']}/send", supplier,
                            json={"supplementary_terms": "一、付款方式：验收后 30 日内\r\n二、\t质保一年"})
    assert response.status_code == 200, response.text


async def test_a_return_reason_with_a_control_character_is_refused(contracts_world):
    w = contracts_world
    contract, purchaser, supplier = await w.drafted()
    assert (await w.post(f"/api/v1/contracts/{contract['id']}/send", supplier)).status_code == 200
    response = await w.post(f"/api/v1/contracts/{contract['id']}/return", purchaser, json={"reason": "金额\x1b有误"})
    assert response.status_code == 422, response.text
    assert "字段 reason" in response.json()["error"]["message"]


@pytest.mark.parametrize("params, name", [({"offset": 10**24}, "offset"), ({"limit": 10**24}, "limit")])
async def test_huge_limits_and_offsets_are_a_422_naming_them(contracts_world, params, name):
    w = contracts_world
    response = await w.get("/api/v1/contracts", w.unit("supplier"), params=params)
    assert response.status_code == 422, response.text
    assert f"参数 {name}" in response.json()["error"]["message"]
