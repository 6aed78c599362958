"""发布框架协议's form without a browser: rows added and removed by `op`, the form read back from its fields,
the row rules' refusals placed beside the form's fields (the names the API's refusals use too)."""

from __future__ import annotations

from starlette.datastructures import FormData

from web import spreadsheet
from web.pages.agency import apply_op, check_draft, draft_of_body, draft_of_form, empty_draft, tables_of_draft

CATEGORIES = {"C08": "商务服务", "C0806": "会议服务"}
BODY = {
    "agreement_no": "HNKJ-2026-018", "name": "会议服务框架协议", "agency_address": "", "category_code": "C08",
    "valid_from": "2026-01-01", "valid_to": "2099-12-31", "methods": ["direct_selection"], "contract_template": "条款",
    "suppliers": [{"supplier_id": "91430100MA4L1A0033", "name": "星城会务", "address": "", "contact_name": "",
                   "contact_phone": "", "services": [
                       {"category_code": "C0806", "name": "会务", "unit": "场", "description": "",
                        "agreement_price": "18000.00", "discount_tiers": [{"min_quantity": "5", "unit_price": "17500.00"}]}]}],
}


def form_of(draft: dict) -> FormData:
    """The fields a browser posts for `draft`, as the page names them."""
    items = [(k, v) for k, v in draft["agreement"].items()] + [("methods", m) for m in draft["methods"]]
    for i, s in enumerate(draft["suppliers"]):
        items += [(f"suppliers.{i}.{k}", v) for k, v in s["values"].items()]
        for j, x in enumerate(s["services"]):
            items += [(f"suppliers.{i}.services.{j}.{k}", v) for k, v in x["values"].items()]
            for t, tier in enumerate(x["tiers"]):
                items += [(f"suppliers.{i}.services.{j}.discount_tiers.{t}.{k}", v) for k, v in tier.items()]
    return FormData(items)


def test_the_form_reads_back_and_builds_the_body_it_came_from():
    draft = draft_of_form(form_of(draft_of_body(BODY)))
    assert check_draft(draft, CATEGORIES) == ({}, [])
    tables, _ = tables_of_draft(draft)
    assert spreadsheet.build(tables) == BODY


def test_rows_are_added_and_removed_and_a_stale_button_changes_nothing():
    draft = empty_draft()
    apply_op(draft, "add_supplier")
    apply_op(draft, "add_service:1")
    apply_op(draft, "add_tier:1:1")
    assert [len(s["services"]) for s in draft["suppliers"]] == [1, 2]
    assert len(draft["suppliers"][1]["services"][1]["tiers"]) == 1
    apply_op(draft, "remove_tier:1:1:0")
    apply_op(draft, "remove_service:1:0")
    apply_op(draft, "remove_supplier:0")
    apply_op(draft, "remove_supplier:7")  # already gone
    apply_op(draft, "add_service:x")
    assert [len(s["services"]) for s in draft["suppliers"]] == [1]


def test_refusals_stand_beside_the_fields_they_concern():
    body = {**BODY, "methods": [], "suppliers": [
        {**BODY["suppliers"][0], "services": [
            {**BODY["suppliers"][0]["services"][0], "agreement_price": "18000.123",
             "discount_tiers": [{"min_quantity": "0", "unit_price": "1"}]}]},
        {**BODY["suppliers"][0], "services": [{**BODY["suppliers"][0]["services"][0], "category_code": ""}]}]}
    fields, rest = check_draft(draft_of_body(body), CATEGORIES)
    assert rest == []
    assert fields == {
        "methods": "请至少选择一种第二阶段采购方式",
        "suppliers.0.services.0.agreement_price":
            "“协议价格（元）”“18000.123”不是有效金额：应为数字，最多两位小数，如 18000.00",
        "suppliers.0.services.0.discount_tiers.0.min_quantity": "“起始数量”“0”应为大于 0 的数量，最多三位小数",
        "suppliers.1.supplier_id": "统一社会信用代码 91430100MA4L1A0033 重复了",
        "suppliers.1.services.0.name": "服务“会务”重复了（同一供应商）",
        "suppliers.1.services.0.category_code": "“品目”不能为空",
    }
