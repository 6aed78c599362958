"""The sentence beside each refused field, from the API's validation answer or a business rule."""

from web.gateway import ApiError
from web.refusals import api_reasons, dotted, field_errors, summary

LABELS = {"budget_amount": "预算金额", "filing_no": "财政备案号", "quantity": "数量", "year": "预算年度"}


def validation(message: str, *locs: tuple) -> ApiError:
    details = [{"loc": ["body", *loc], "msg": "Input should be ...", "type": "x"} for loc in locs]
    fields = {".".join(str(p) for p in loc): "Input should be ..." for loc in locs}
    return ApiError(422, "validation_error", message, details, fields)


def test_the_api_message_names_each_field_and_why():
    assert dotted("lines[0].quantity") == "lines.0.quantity"
    assert api_reasons("字段 year：须为整数；字段 lines[1].budget_amount：须大于 0") == {
        "year": "须为整数", "lines.1.budget_amount": "须大于 0"}


def test_each_field_gets_its_own_sentence():
    error = validation("字段 filing_no：至少 1 个字符；字段 lines[0].budget_amount：须大于 0；字段 year：须为整数",
                       ("filing_no",), ("lines", 0, "budget_amount"), ("year",), ("lines", 0, "quantity"))
    typed = {"filing_no": "", "lines.0.budget_amount": "-5", "year": "二〇二六", "lines.0.quantity": "1.23456"}
    assert field_errors(error, labels=LABELS, typed=typed, fallback={"quantity": "数量至多三位小数"}) == {
        "filing_no": "请填写财政备案号",                      # left empty
        "lines.0.budget_amount": "预算金额：须大于 0",         # the API's reason
        "year": "预算年度：须为整数",
        "lines.0.quantity": "数量至多三位小数",               # past the five the message names: the page's own
    }


def test_a_reason_not_in_chinese_gives_way_to_the_pages_sentence():
    error = validation("字段 lines[0].budget_amount：money has at most two decimal places", ("lines", 0, "budget_amount"))
    assert field_errors(error, labels=LABELS, typed={"lines.0.budget_amount": "1.234"},
                        fallback={"budget_amount": "预算金额至多两位小数"}) == {"lines.0.budget_amount": "预算金额至多两位小数"}
    assert field_errors(error, labels=LABELS, typed={"lines.0.budget_amount": "1.234"}) == {
        "lines.0.budget_amount": "预算金额填写有误，请检查"}


def test_a_field_of_the_api_is_renamed_to_the_forms_or_left_out():
    error = validation("字段 add_lines[0].quantity：须大于 0；字段 expected_revision：须为整数",
                       ("add_lines", 0, "quantity"), ("expected_revision",))
    rename = {"add_lines.0.quantity": "lines.2.quantity"}.get
    assert field_errors(error, labels=LABELS, typed={"lines.2.quantity": "0"}, rename=rename) == {
        "lines.2.quantity": "数量：须大于 0"}


def test_a_business_rule_stands_beside_the_field_it_concerns():
    error = ApiError(422, "invalid_filing_no", "财政备案号 “备案123” 格式不正确")
    assert field_errors(error, labels=LABELS, typed={}, rules={"invalid_filing_no": "filing_no"}) == {
        "filing_no": "财政备案号 “备案123” 格式不正确"}
    assert field_errors(error, labels=LABELS, typed={}, rules={"other": "x"}) == {}


def test_a_rule_whose_sentence_is_not_chinese_says_the_pages_own():
    error = ApiError(422, "quantity_above_plan", "the quantity 3 is more than plan line 1 plans (2 场)")
    assert field_errors(error, labels=LABELS, typed={}, rules={"quantity_above_plan": "quantity"},
                        rule_texts={"quantity_above_plan": "采购数量超过了计划数量"}) == {"quantity": "采购数量超过了计划数量"}


def test_the_summary_links_each_refused_field_or_says_the_apis_sentence():
    error = validation("字段 lines[1].quantity：须大于 0", ("lines", 1, "quantity"))
    box = summary(error, {"lines.1.quantity": "数量：须大于 0"}, title="未能保存",
                  where=lambda name: "（第 2 条明细）" if name.startswith("lines.1.") else "")
    assert (box["message"], box["items"]) == ("", [("f-lines-1-quantity", "数量：须大于 0（第 2 条明细）")])
    stale = ApiError(409, "stale_revision", "采购计划已被修改，请重新打开后再编辑")
    assert summary(stale, {}, title="未能保存")["message"] == "采购计划已被修改，请重新打开后再编辑"
    english = ApiError(422, "supplier_suspended", "supplier X is suspended")
    assert summary(english, {}, title="未发布", rule_texts={"supplier_suspended": "该供应商已被暂停"})["message"] == (
        "该供应商已被暂停")
