"""The contract's rules, pure: the status machine (who may do what, when), money in words, terms."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import domain
from contracts.domain import ContractStatus
from servicekit.errors import Conflict, Forbidden


def test_the_ca_seal_path_and_the_offline_path():
    s = ContractStatus.DRAFTED
    s = domain.transition(s, "send", role="supplier")
    assert s is ContractStatus.SENT and s.label == "待确认"
    assert domain.transition(s, "return", role="purchaser") is ContractStatus.DRAFTED
    s = domain.transition(s, "confirm", role="purchaser")
    assert s.label == "已确认"
    s = domain.transition(s, "supplier_seal", role="supplier")
    assert s.label == "供应商已盖章"
    assert domain.transition(s, "purchaser_seal", role="purchaser", ca_mode="ca_seal").label == "采购单位已盖章"
    assert domain.transition(s, "upload_scan", role="purchaser", ca_mode="offline") is ContractStatus.PURCHASER_SEALED
    with pytest.raises(Conflict):
        domain.transition(s, "purchaser_seal", role="purchaser", ca_mode="offline")
    with pytest.raises(Conflict):
        domain.transition(s, "upload_scan", role="purchaser", ca_mode="ca_seal")


@given(st.sampled_from(list(ContractStatus)), st.sampled_from(sorted(domain.TRANSITIONS)),
       st.sampled_from(["purchaser", "supplier", "agency"]), st.sampled_from(["ca_seal", "offline", None]))
def test_every_transition_is_allowed_only_from_its_state_by_its_party(status, action, role, ca_mode):
    source, target, actor = domain.TRANSITIONS[action]
    mode_ok = not ((action == "purchaser_seal" and ca_mode == "offline")
                   or (action == "upload_scan" and ca_mode != "offline"))
    if role != actor:
        with pytest.raises(Forbidden):
            domain.transition(status, action, role=role, ca_mode=ca_mode)
    elif status is not source or not mode_ok:
        with pytest.raises(Conflict):
            domain.transition(status, action, role=role, ca_mode=ca_mode)
    else:
        assert domain.transition(status, action, role=role, ca_mode=ca_mode) is target


def test_nothing_follows_the_purchaser_seal():
    for action, (_, _, actor) in domain.TRANSITIONS.items():
        with pytest.raises(Conflict):
            domain.transition(ContractStatus.PURCHASER_SEALED, action, role=actor, ca_mode="offline")


@pytest.mark.parametrize("amount,words", [
    ("300000.00", "人民币叁拾万元整"),
    ("1001.50", "人民币壹仟零壹元伍角"),
    ("100000.05", "人民币壹拾万元零伍分"),
    ("105000.00", "人民币壹拾万伍仟元整"),
    ("100500.00", "人民币壹拾万零伍佰元整"),
    ("10.00", "人民币壹拾元整"),
    ("0.50", "人民币伍角"),
    ("0.00", "人民币零元整"),
    ("100000000.00", "人民币壹亿元整"),
    ("100010000.00", "人民币壹亿零壹万元整"),
    ("123456789.12", "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("20003.07", "人民币贰万零叁元零柒分"),
])
def test_money_in_words(amount, words):
    assert domain.rmb_upper(Decimal(amount)) == words


def test_template_fills_known_placeholders_and_leaves_the_rest_alone():
    text = domain.fill_template("甲方{purchaser_name}，金额{amount}元，{unknown}，{0.__class__}，{{x}}",
                                {"purchaser_name": "湖南省教育厅", "amount": "1,000.00"})
    assert text == "甲方湖南省教育厅，金额1,000.00元，{unknown}，{0.__class__}，{{x}}"
    assert "第一条" in domain.fill_template("", {})
