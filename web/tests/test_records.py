"""The pure parts of 我的合同 / 我的订单 / 我的服务: which button a contract shows to whom, how a refusal
becomes the Chinese sentence beside its field, and how offerings group by agreement."""

from __future__ import annotations

from web.gateway import ApiError
from web.pages.contracts import actions
from web.pages.records import refusal, said
from web.pages.services import by_agreement
from web.session import Viewer
from web.texts import error_text


def viewer(role: str) -> Viewer:
    return Viewer(token="t", username=role, name=role, org_id="ORG", org_name="单位", role=role, expires_at=0)


def contract(status: str, ca_mode: str | None = None) -> dict:
    return {"id": "CT1", "contract_no": "HT2026000001", "purchaser_name": "湖南省教育厅", "status": status,
            "ca_mode": ca_mode}


def test_each_side_sees_its_button_at_its_turn_only():
    seen = {(role, status, mode): [a["label"] for a in actions(viewer(role), contract(status, mode))]
            for role in ("supplier", "purchaser")
            for status, mode in (("drafted", None), ("sent", None), ("confirmed", "ca_seal"),
                                 ("supplier_sealed", "ca_seal"), ("supplier_sealed", "offline"),
                                 ("purchaser_sealed", "ca_seal"))}
    assert {key: labels for key, labels in seen.items() if labels} == {
        ("supplier", "drafted", None): ["发送合同"],
        ("purchaser", "sent", None): ["确认"],
        ("supplier", "confirmed", "ca_seal"): ["盖章"],
        ("purchaser", "supplier_sealed", "ca_seal"): ["盖章"],
        ("purchaser", "supplier_sealed", "offline"): ["上传签章合同"],
    }


def test_a_refusal_in_english_is_said_in_chinese_and_the_locked_seal_says_when():
    wrong = ApiError(403, "wrong_ca_password", "wrong CA password; 2 more wrong tries lock the seal for 15 minutes")
    assert said(wrong) == error_text("wrong_ca_password")  # the API's message is not Chinese: the console's
    locked = ApiError(423, "seal_locked", "the seal is locked after repeated wrong CA passwords until "
                                          "2026-12-01 10:30 (Beijing time)")
    assert said(locked) == "连续输错 CA 密码次数过多，签章已被锁定，请于 2026-12-01 10:30（北京时间）之后再试。"
    chinese = ApiError(403, "wrong_ca_password", "CA 密码错误")
    assert said(chinese) == "CA 密码错误"


def test_a_refusal_stands_beside_the_field_it_concerns():
    box, fields = refusal(ApiError(422, "overpayment", "payments would total 2.00, more than 1.00"),
                          {"overpayment": "amount"})
    assert fields == {"amount": error_text("overpayment")} and box["message"] == fields["amount"]
    _, fields = refusal(ApiError(415, "unsupported_file_type", "文件内容不是以下类型之一：PDF、PNG"))
    assert fields == {"file": "文件内容不是以下类型之一：PDF、PNG"}
    validation = ApiError(422, "validation_error", "字段 amount：须大于 0；字段 paid_on：必填",
                          fields={"amount": "Input should be greater than 0", "paid_on": "Field required"})
    _, fields = refusal(validation)
    assert fields == {"amount": "须大于 0", "paid_on": "请填写此项。"}


def test_offerings_group_by_agreement_and_filter():
    def offering(agreement: str, name: str, status: str) -> dict:
        return {"agreement_id": agreement, "agreement": {"id": agreement}, "service_name": name, "status": status}
    rows = [offering("A1", "会议服务", "listed"), offering("A2", "物业管理", "delisted"), offering("A1", "会场布置", "unlisted")]
    groups = by_agreement(rows, "", "")
    assert [(g["agreement"]["id"], [o["service_name"] for o in g["offerings"]]) for g in groups] == [
        ("A1", ["会议服务", "会场布置"]), ("A2", ["物业管理"])]
    assert [g["agreement"]["id"] for g in by_agreement(rows, "delisted", "")] == ["A2"]
    assert [o["service_name"] for g in by_agreement(rows, "", "会场") for o in g["offerings"]] == ["会场布置"]


def test_a_filter_matches_a_keyword_in_any_field_and_a_beijing_day_range():
    from datetime import date

    from web.pages.records import Filter, beijing_day

    # 2026-12-01 17:30 UTC is 2026-12-02 01:30 北京时间: the day a person in Hunan sees
    assert beijing_day("2026-12-01T17:30:00Z") == date(2026, 12, 2)
    assert beijing_day("2026-12-01T10:00:00+08:00") == date(2026, 12, 1)
    assert beijing_day("not a time") is None and beijing_day(None) is None
    item = {"name": "门岗秩序维护服务", "project_no": "JJ2026000004", "created_at": "2026-12-01T17:30:00Z"}
    fields = ("name", "project_no")
    assert Filter.of("秩序", "", "").matches(item, fields, "created_at")
    assert Filter.of("jj2026", "", "").matches(item, fields, "created_at")
    assert not Filter.of("物业", "", "").matches(item, fields, "created_at")
    assert Filter.of("", "2026-12-02", "2026-12-02").matches(item, fields, "created_at")
    assert not Filter.of("", "", "2026-12-01").matches(item, fields, "created_at")
    assert not Filter.of("", "2026-12-03", "").matches(item, fields, "created_at")
    assert not Filter.of("", "", "") and Filter.of(" ", "bad-date", "") == Filter()
    assert Filter.of("秩序", "2026-12-02", "").query() == {"q": "秩序", "since": "2026-12-02"}
