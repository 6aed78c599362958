"""The plan form without JavaScript: lines read as typed, 【新增】 and 删除 on the page, the PATCH of an
edit, and what a plan's amounts say of its use."""

from starlette.datastructures import FormData

from web.gateway import ApiError
from web.pages.plans import apply_op, form_errors, patch_body, read_form, usage


def line(name: str, **values: str) -> dict[str, str]:
    return {"id": "", "category_code": "C0806", "item_name": name, "quantity": "1", "unit": "场",
            "budget_amount": "100.00", "requirements": ""} | values


def test_lines_are_read_in_their_order_on_the_page():
    form = FormData([("name", " 计划 "), ("lines.10.item_name", "第三"), ("lines.2.item_name", "第二"),
                     ("lines.0.item_name", "第一"), ("lines.0.budget_amount", "5"), ("lines.0.evil", "x")])
    basic, lines = read_form(form)
    assert basic["name"] == "计划" and basic["filing_no"] == ""
    assert [x["item_name"] for x in lines] == ["第一", "第二", "第三"]
    assert lines[0]["budget_amount"] == "5" and "evil" not in lines[0]


def test_add_and_remove_keep_what_was_typed():
    lines = [line("甲"), line("乙"), line("丙")]
    added, focus = apply_op("add_line", lines)
    assert [x["item_name"] for x in added] == ["甲", "乙", "丙", ""] and focus == 3
    removed, _ = apply_op("remove_line:1", lines)
    assert [x["item_name"] for x in removed] == ["甲", "丙"]
    assert apply_op("save", lines) is None and apply_op("remove_line:x", lines) is None


def test_an_edit_updates_kept_lines_adds_new_ones_and_removes_the_missing():
    plan = {"revision": 3, "lines": [{"id": "L1"}, {"id": "L2"}]}
    body, rows = patch_body(plan, {"name": "新名称"}, [line("新增的"), line("保留的", id="L2")])
    assert body["expected_revision"] == 3 and body["name"] == "新名称"
    assert [x["item_name"] for x in body["add_lines"]] == ["新增的"]
    assert [(x["id"], x["item_name"]) for x in body["update_lines"]] == [("L2", "保留的")]
    assert body["remove_lines"] == ["L1"]
    assert rows == {"add_lines.0": 0, "update_lines.0": 1}


def test_a_refusal_of_an_edit_stands_beside_the_line_on_the_page():
    error = ApiError(422, "validation_error", "字段 add_lines[0].budget_amount：须大于 0", [
        {"loc": ["body", "add_lines", 0, "budget_amount"], "msg": "", "type": "greater_than"}],
        {"add_lines.0.budget_amount": ""})
    lines = [line("保留的", id="L2"), line("新增的", budget_amount="-1")]
    assert form_errors(error, {}, lines, rows={"update_lines.0": 0, "add_lines.0": 1}) == {
        "lines.1.budget_amount": "预算金额：须大于 0"}
    below = ApiError(409, "budget_below_committed", "预算金额 10.00 元低于该明细已预留与已成交金额之和 50.00 元")
    plan = {"lines": [{"id": "L2", "reserved_amount": "50.00", "consumed_amount": "0.00", "spent_amount": "0.00"}]}
    assert form_errors(below, {}, [line("保留的", id="L2", budget_amount="10.00")], plan=plan) == {
        "lines.0.budget_amount": below.message}


def test_what_the_amounts_say_of_a_plans_use():
    assert usage({"reserved_total": "0.00", "consumed_total": "0.00", "spent_total": "0.00"})[1] == "未使用"
    assert usage({"reserved_total": "10.00", "consumed_total": "0.00", "remaining_total": "90.00"})[1] == "执行中"
    assert usage({"reserved_total": "0.00", "consumed_total": "100.00", "remaining_total": "0.00"})[1] == "预算已用完"
