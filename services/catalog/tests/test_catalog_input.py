"""No input is a 500 and nothing lax is stored (issue 11, reports 3 and 5): prices by the documented
money pattern only, bounded page numbers, no control, bidi-override or zero-width character in a name.
Each refusal is a 422 naming the field, and changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from catalog.store import Agreement, Offering, Service


async def _counts(catalog):
    async with catalog.service.db.read() as session:
        return tuple([(await session.exec(select(func.count()).select_from(t))).one()
                      for t in (Agreement, Service, Offering)])


async def _refused_publish(catalog, payload, field):
    before = await _counts(catalog)
    response = await catalog.client.post("/api/v1/catalog/agreements", json=payload, headers=catalog.headers())
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["message"], response.json()["error"]["message"]
    assert await _counts(catalog) == before


@pytest.mark.parametrize("price", ["1e309", "1E2", "４.５０", " 4.50", "4.50\n", "Infinity"])
async def test_an_agreement_price_off_the_money_pattern_is_refused(catalog, body, tag, price):
    payload = body(tag)
    payload["suppliers"][0]["services"][0]["agreement_price"] = price
    await _refused_publish(catalog, payload, "suppliers[0].services[0].agreement_price")


@pytest.mark.parametrize("field, value", [("name", "协议\u202e"), ("name", "协议\x00"), ("agency_address", "长沙\u200d"),
                                          ("contract_template", "甲方\x1b[2J")])
async def test_agreement_text_with_hidden_characters_is_refused(catalog, body, tag, field, value):
    await _refused_publish(catalog, body(tag, **{field: value}), field)


async def test_a_service_name_with_a_right_to_left_override_is_refused(catalog, body, tag):
    payload = body(tag)
    payload["suppliers"][0]["services"][0]["name"] = "物业\u202e务服"
    await _refused_publish(catalog, payload, "suppliers[0].services[0].name")


async def test_the_contract_template_keeps_its_line_breaks(catalog, tag):
    agreement = await catalog.publish(tag, contract_template="甲方：{purchaser_name}\r\n乙方：{supplier_name}\t")
    assert agreement["contract_template"] == "甲方：{purchaser_name}\r\n乙方：{supplier_name}"


@pytest.mark.parametrize("price", ["1E1", "4.2 ", "٤.٢٠"])
async def test_a_listing_price_off_the_money_pattern_is_refused(catalog, tag, price):
    agreement = await catalog.publish(tag)
    response = await catalog.list_service(agreement, 1, "办公楼", price)
    assert response.status_code == 422, response.text
    assert "price" in response.json()["error"]["message"]


@pytest.mark.parametrize("path, params, name", [
    ("/api/v1/catalog/services", {"page": 10**24}, "page"),
    ("/api/v1/catalog/services", {"page_size": 10**24}, "page_size"),
    ("/api/v1/catalog/services", {"q": "物业\x00"}, "q"),
    ("/api/v1/catalog/agreements", {"page": 10**24}, "page"),
    ("/api/v1/catalog/agreements", {"page_size": 201}, "page_size"),
    ("/api/v1/catalog/agreements", {"agreement_no": "HN\x00"}, "agreement_no"),
])
async def test_huge_or_hidden_query_parameters_are_a_422_naming_the_parameter(catalog, path, params, name):
    response = await catalog.client.get(path, params=params, headers=catalog.headers("purchaser"))
    assert response.status_code == 422, response.text
    assert f"参数 {name}" in response.json()["error"]["message"]


async def test_a_service_id_with_a_nul_is_a_4xx_not_a_500(catalog):
    response = await catalog.client.get("/api/v1/catalog/services/SV%00", headers=catalog.headers("purchaser"))
    assert response.status_code in (404, 422), response.text
