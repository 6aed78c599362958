"""No input is a 500 and nothing lax is stored (issue 11, reports 3 and 5): payment and invoice amounts by
the documented money pattern only, bounded limits and offsets, no control, bidi-override or zero-width
character in what a person writes. Each refusal is a 422 naming the field, and changes nothing."""

from __future__ import annotations

import pytest

PDF = {"file": ("凭证.pdf", b"%PDF-1.7\n voucher \n%%EOF", "application/pdf")}


@pytest.mark.parametrize("amount", ["1e309", "1E2", "１００", " 100.00", "1000000000000.01", "9" * 30])
async def test_a_payment_or_invoice_amount_off_the_money_pattern_is_refused(orders_world, amount):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    for url, data in ((f"/api/v1/orders/{oid}/payments", {"amount": amount, "paid_on": "2026-01-06"}),
                      (f"/api/v1/orders/{oid}/invoices", {"invoice_no": "24432000000012345678", "amount": amount,
                                                          "issued_on": "2026-01-05"})):
        response = await w.client.post(url, headers=w.purchaser_a if "payments" in url else w.supplier_1,
                                       data=data, files=PDF)
        assert response.status_code == 422, response.text
        assert "字段 amount" in response.json()["error"]["message"], response.text
    order = (await w.client.get(f"/api/v1/orders/{oid}", headers=w.purchaser_a)).json()
    assert order["payments"] == [] and order["invoices"] == []


@pytest.mark.parametrize("field, value", [("description", "进场\u202e"), ("description", "进场\x00"),
                                          ("carrier", "顺丰\u200b"), ("tracking_no", "SF\x1b")])
async def test_logistics_with_hidden_characters_is_refused(orders_world, field, value):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    response = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.supplier_1,
                                   json={"description": "物业服务团队进场", field: value})
    assert response.status_code == 422, response.text
    assert f"字段 {field}" in response.json()["error"]["message"]
    assert (await w.client.get(f"/api/v1/orders/{oid}", headers=w.supplier_1)).json()["logistics"] == []


@pytest.mark.parametrize("params, name", [({"offset": 10**24}, "offset"), ({"offset": 1_000_001}, "offset"),
                                          ({"limit": 10**24}, "limit")])
async def test_huge_limits_and_offsets_are_a_422_naming_them(orders_world, params, name):
    w = orders_world
    response = await w.client.get("/api/v1/orders", headers=w.supplier_1, params=params)
    assert response.status_code == 422, response.text
    assert f"参数 {name}" in response.json()["error"]["message"]
