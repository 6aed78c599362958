"""Manual 1.1, 录入计划 (entering a purchase plan), through the gateway with every service running: the
purchaser enters a plan carrying its finance filing number (财政备案号) and its lines (采购计划明细),
finds it in its list, opens it, edits it; bad input is refused with a clear 4xx and changes nothing;
another unit, a supplier and an anonymous caller cannot touch it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

pytestmark = pytest.mark.stack

YEAR = date.today().year


def plan_body(name: str) -> dict:
    return {
        "name": name, "year": YEAR, "filing_no": f"湘财采备〔{YEAR}〕00456", "funding_source": "财政拨款",
        "contact_name": "李明", "contact_phone": "0731-84710001", "purchaser_address": "湖南省长沙市开福区湘江中路 2 段 116 号",
        "lines": [
            {"category_code": "C120401", "item_name": "办公楼物业管理服务", "quantity": "240000", "unit": "平方米·月",
             "budget_amount": "1080000.00", "requirements": "机关办公楼 2 万平方米，12 个月"},
            {"category_code": "C120402", "item_name": "附属楼保洁服务", "quantity": "60000", "unit": "平方米·月",
             "budget_amount": "168000.50"},
        ],
    }


def find(client, text: str) -> list[dict]:
    response = client.get("/api/v1/plans", params={"q": text})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_entering_finding_opening_and_editing_a_plan(as_user):
    purchaser = as_user("purchaser-a")
    tag = uuid4().hex[:8]
    name = f"{YEAR}年度机关办公楼物业管理服务采购计划 {tag}"

    entered = purchaser.post("/api/v1/plans", json=plan_body(name))
    assert entered.status_code == 201, entered.text
    plan = entered.json()
    assert plan["plan_no"].startswith(f"JH{YEAR}") and plan["revision"] == 1
    assert (plan["filing_no"], plan["purchaser_name"]) == (f"湘财采备〔{YEAR}〕00456", "湖南省教育厅")
    assert [(l["line_no"], l["category_code"], l["budget_amount"], l["reserved_amount"], l["remaining_amount"])
            for l in plan["lines"]] == [(1, "C120401", "1080000.00", "0.00", "1080000.00"),
                                        (2, "C120402", "168000.50", "0.00", "168000.50")]
    assert (plan["line_count"], plan["budget_total"], plan["remaining_total"]) == (2, "1248000.50", "1248000.50")

    # 我的计划: found by part of its name, its plan number or its filing number
    assert [p["id"] for p in find(purchaser, tag)] == [plan["id"]]
    assert plan["id"] in [p["id"] for p in find(purchaser, plan["plan_no"])]
    opened = purchaser.get(f"/api/v1/plans/{plan['id']}").json()
    assert opened["lines"] == plan["lines"] and opened["reservations"] == []

    # 编辑: basic info, one line changed, one added — all at once, a new revision
    first, second = plan["lines"]
    edited = purchaser.patch(f"/api/v1/plans/{plan['id']}", json={
        "expected_revision": 1, "contact_name": "王强",
        "update_lines": [{"id": second["id"], "budget_amount": "150000.00"}],
        "add_lines": [{"category_code": "C120403", "item_name": "门岗秩序维护", "quantity": "24", "unit": "人·月",
                       "budget_amount": "120000.00"}]})
    assert edited.status_code == 200, edited.text
    plan = edited.json()
    assert (plan["revision"], plan["contact_name"], plan["budget_total"]) == (2, "王强", "1350000.00")
    assert [(l["line_no"], l["item_name"], l["budget_amount"]) for l in plan["lines"]] == [
        (1, "办公楼物业管理服务", "1080000.00"), (2, "附属楼保洁服务", "150000.00"), (3, "门岗秩序维护", "120000.00")]
    assert purchaser.get(f"/api/v1/plans/{plan['id']}").json()["revision"] == 2

    # An edit made on a stale revision is refused (409) and changes nothing.
    stale = purchaser.patch(f"/api/v1/plans/{plan['id']}", json={"expected_revision": 1, "name": "旧版本上的修改"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_revision"
    assert purchaser.get(f"/api/v1/plans/{plan['id']}").json() == plan
    assert first["id"] in [l["id"] for l in plan["lines"]]


@pytest.mark.parametrize("change, code", [
    ({"filing_no": "备案 123"}, "invalid_filing_no"),
    ({"lines": [{"category_code": "C9999", "item_name": "未知品目", "quantity": "1", "unit": "项",
                 "budget_amount": "10.00"}]}, "unknown_category"),
    ({"lines": []}, "validation_error"),
    ({"lines": [{"category_code": "C120401", "item_name": "预算三位小数", "quantity": "1", "unit": "项",
                 "budget_amount": "10.001"}]}, "validation_error"),
    ({"lines": [{"category_code": "C120401", "item_name": "负预算", "quantity": "1", "unit": "项",
                 "budget_amount": "-5.00"}]}, "validation_error"),
    ({"unexpected": "field"}, "validation_error"),
], ids=["filing number", "unknown category", "no lines", "three decimals", "negative budget", "unknown field"])
def test_a_bad_plan_is_refused_and_nothing_is_entered(as_user, change, code):
    purchaser = as_user("purchaser-a")
    tag = uuid4().hex[:8]
    response = purchaser.post("/api/v1/plans", json=plan_body(f"错误的计划 {tag}") | change)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert find(purchaser, tag) == []


def test_a_bad_edit_is_refused_and_changes_nothing(as_user):
    purchaser = as_user("purchaser-a")
    plan = purchaser.post("/api/v1/plans", json=plan_body(f"待编辑的计划 {uuid4().hex[:8]}")).json()
    for patch in ({"update_lines": [{"id": plan["lines"][0]["id"], "budget_amount": "0"}]},
                  {"remove_lines": [plan["lines"][0]["id"], plan["lines"][1]["id"]]},
                  {"remove_lines": ["PLnot-a-line"]},
                  {"name": None}):
        response = purchaser.patch(f"/api/v1/plans/{plan['id']}", json=patch)
        assert response.status_code == 422, (patch, response.text)
        assert purchaser.get(f"/api/v1/plans/{plan['id']}").json() == plan


def test_only_the_purchaser_unit_sees_and_edits_its_plan(as_user, anonymous):
    plan = as_user("purchaser-a").post("/api/v1/plans", json=plan_body(f"本单位的计划 {uuid4().hex[:8]}")).json()
    other = as_user("purchaser-b")
    assert other.get(f"/api/v1/plans/{plan['id']}").status_code == 404
    assert other.patch(f"/api/v1/plans/{plan['id']}", json={"name": "别人的修改"}).status_code == 404
    assert plan["id"] not in [p["id"] for p in find(other, plan["plan_no"])]
    supplier = as_user("supplier-1")
    assert supplier.get(f"/api/v1/plans/{plan['id']}").status_code == 403
    assert supplier.post("/api/v1/plans", json=plan_body("供应商不能录入计划")).status_code == 403
    assert anonymous.get(f"/api/v1/plans/{plan['id']}").status_code == 401
    assert as_user("purchaser-a").get(f"/api/v1/plans/{plan['id']}").json()["revision"] == 1
    assert Decimal(plan["budget_total"]) == Decimal("1248000.50")
