"""Rules of contracts (合同) — pure Python, no I/O.

Contract: 待发送 drafted → (supplier sends) 待确认 sent → (purchaser confirms, choosing ca_mode)
已确认 confirmed → (supplier seals) 供应商已盖章 supplier_sealed → (purchaser seals, or in offline
mode uploads the signed paper scan) 采购单位已盖章 purchaser_sealed: the contract is in force.
The purchaser may return a sent contract with a reason: back to 待发送 for the supplier to resend."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from servicekit.errors import Conflict, Forbidden
from servicekit.types import SHANGHAI
from servicekit.workdays import WorkingCalendar


class ContractStatus(StrEnum):
    DRAFTED = "drafted"
    SENT = "sent"
    CONFIRMED = "confirmed"
    SUPPLIER_SEALED = "supplier_sealed"
    PURCHASER_SEALED = "purchaser_sealed"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    ContractStatus.DRAFTED: "待发送",
    ContractStatus.SENT: "待确认",
    ContractStatus.CONFIRMED: "已确认",
    ContractStatus.SUPPLIER_SEALED: "供应商已盖章",
    ContractStatus.PURCHASER_SEALED: "采购单位已盖章",
}
CA_MODE_LABELS = {"ca_seal": "已办理单位CA签章", "offline": "线下签订"}

# action: (from, to, who may do it)
TRANSITIONS: dict[str, tuple[ContractStatus, ContractStatus, str]] = {
    "send": (ContractStatus.DRAFTED, ContractStatus.SENT, "supplier"),
    "return": (ContractStatus.SENT, ContractStatus.DRAFTED, "purchaser"),
    "confirm": (ContractStatus.SENT, ContractStatus.CONFIRMED, "purchaser"),
    "supplier_seal": (ContractStatus.CONFIRMED, ContractStatus.SUPPLIER_SEALED, "supplier"),
    "purchaser_seal": (ContractStatus.SUPPLIER_SEALED, ContractStatus.PURCHASER_SEALED, "purchaser"),
    "upload_scan": (ContractStatus.SUPPLIER_SEALED, ContractStatus.PURCHASER_SEALED, "purchaser"),
}
_ACTORS = {"supplier": "供应商", "purchaser": "采购单位"}
_DOING = {"send": "发送", "return": "退回", "confirm": "确认", "supplier_seal": "盖章", "purchaser_seal": "盖章",
          "upload_scan": "上传签字盖章扫描件"}


def transition(status: ContractStatus | str, action: str, *, role: str, ca_mode: str | None = None) -> ContractStatus:
    """The status after `action` by a `role`, or Forbidden (wrong side) / Conflict (illegal now)."""
    status = ContractStatus(status)
    source, target, actor = TRANSITIONS[action]
    if role != actor:
        raise Forbidden(f"只有{_ACTORS[actor]}可以对本合同办理{_DOING[action]}。", code="wrong_party")
    if status is not source:
        raise Conflict(f"合同当前为{status.label}（{status.value}），不能{_DOING[action]}；"
                       f"需要合同处于{source.label}（{source.value}）。", code="illegal_transition")
    if action == "purchaser_seal" and ca_mode == "offline":
        raise Conflict("本合同为线下签订：请上传签字盖章的纸质合同扫描件，而不是加盖电子签章。", code="offline_contract")
    if action == "upload_scan" and ca_mode != "offline":
        raise Conflict("本合同使用单位 CA 电子签章：请加盖电子签章，而不是上传扫描件。", code="ca_seal_contract")
    return target


def seal_action(role: str) -> str:
    return "supplier_seal" if role == "supplier" else "purchaser_seal"


def contract_no(year: int, sequence: int) -> str:
    return f"HT{year}{sequence:06d}"


def sign_due_on(awarded_at: datetime, days: int) -> date:
    """The signing deadline: `days` calendar days after the award, on the Asia/Shanghai calendar. The
    contracts service computes it once and tells orders (ContractDrafted.sign_due_on)."""
    return awarded_at.astimezone(SHANGHAI).date() + timedelta(days=days)


def overdue(due: date, signed_at: datetime | None, now: datetime) -> bool:
    done = (signed_at or now).astimezone(SHANGHAI).date()
    return done > due


# ---- after signing: the contract announcement (合同公告) and the filing (合同备案) -------------------
# 政府采购法实施条例 第五十条: the purchaser publishes the contract within 2 working days of signing
# (DESIGN §1); 政府采购法 第四十七条: a copy is filed (备案) with the finance department within 7 working
# days of signing (DESIGN names no number for the filing: the law's is the default, a setting). The
# platform publishes the announcement itself when the last seal is made; the filing is the purchaser's.

ANNOUNCE_DAYS = 2
FILING_DAYS = 7


def working_due_on(calendar: WorkingCalendar, signed_at: datetime, days: int) -> date:
    """The last day (北京时间) of a deadline `days` working days after signing: the day of signing does
    not count, weekends and holidays do not, an adjusted working Saturday (调休上班) does."""
    return calendar.add_working_days(signed_at.astimezone(SHANGHAI).date(), days)


# What the contract announcement says: the contract's key facts and the units; never a person (the
# contact's name, a phone number) — those stay in the contract between the parties.
ANNOUNCED_FIELDS = ("contract_no", "project_no", "project_name", "method", "purchaser_name", "purchaser_address",
                    "supplier_name", "supplier_address", "agreement_no", "agreement_name", "filing_no",
                    "service_name", "unit", "quantity", "unit_price", "amount")


def check_filing(status: ContractStatus | str, filed_at: datetime | None, *, role: str) -> None:
    """合同备案 is recorded by the purchaser, once, for a contract in force."""
    if role != "purchaser":
        raise Forbidden("只有采购单位可以登记合同备案。", code="wrong_party")
    if ContractStatus(status) is not ContractStatus.PURCHASER_SEALED:
        raise Conflict(f"合同当前为{ContractStatus(status).label}，双方盖章生效后才能登记备案。", code="illegal_transition")
    if filed_at is not None:
        raise Conflict("本合同已登记备案。", code="already_filed")


def announcement_title(project_name: str) -> str:
    return f"{project_name}合同公告"


# ---- money in words (人民币大写) ---------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """Yuan in the capital numerals contracts use: 300000.00 → 人民币叁拾万元整."""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError("合同金额不能为负数")
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = _integer_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return "人民币" + (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return "人民币" + text


def _integer_words(value: int) -> str:
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    out = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(out)
            continue
        if out and (zero_pending or group < 1000):
            out += "零"
        out += _group_words(group) + _BIG[index]
        zero_pending = False
    return out


def _group_words(group: int) -> str:
    digits = [group // 1000, group // 100 % 10, group // 10 % 10, group % 10]
    out, zero = "", False
    started = False
    for position, digit in enumerate(digits):
        if digit == 0:
            zero = started
            continue
        if zero:
            out += "零"
        out += _DIGITS[digit] + _SMALL[3 - position]
        zero, started = False, True
    return out


# ---- the contract's terms from the agreement's template -------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_]{1,40})\}")

DEFAULT_TERMS = """第一条 合同标的：乙方按照框架协议 {agreement_no}（{agreement_name}）的约定，向甲方提供 {service_name}，数量 {quantity}{unit}，单价 {unit_price} 元。
第二条 合同金额：{amount} 元（{amount_upper}），该价格不高于框架协议约定的协议价格。
第三条 履约与验收：乙方按采购需求履约，甲方在履约完成后组织验收并出具验收单。
第四条 付款：甲方在验收合格并收到乙方发票后 30 日内支付合同款项。
第五条 违约责任：任何一方违约，按照《中华人民共和国民法典》及框架协议的约定承担违约责任。
第六条 争议解决：因本合同引起的争议，双方协商解决；协商不成的，依法向甲方所在地人民法院提起诉讼。
第七条 本合同经双方盖章后生效，采购计划财政备案号：{filing_no}。"""


def fill_template(template: str, values: dict[str, str]) -> str:
    """Replaces the known {placeholders}; anything else in braces stays as written (never evaluated)."""
    source = template.strip() or DEFAULT_TERMS
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), source)


# The terms a government service contract carries (政府采购服务合同): those the agreement's template
# does not already have (by heading word) follow it as 通用条款.
GENERAL_TERMS = (
    ("服务内容与标准", "乙方按照采购需求、框架协议及其服务标准提供服务，服务人员、设备和质量不得低于入围承诺。"),
    ("履约期限与地点", "履约期限自合同生效之日起按采购需求执行；履约地点为甲方指定地点。乙方不得转包，未经甲方同意不得分包。"),
    ("价款与支付", "合同价款为固定单价，含完成服务的全部费用。甲方在验收合格并收到乙方合法有效发票后 30 日内，"
               "通过国库集中支付将款项支付至乙方账户。"),
    ("验收", "甲方在履约完成后 7 个工作日内组织验收并出具验收单；验收不合格的，乙方在甲方规定期限内整改并重新验收。"),
    ("违约责任", "乙方逾期履约或服务不符合约定的，每逾期或不合格一日按合同金额的千分之一支付违约金，累计不超过合同金额的"
             "百分之十，情节严重的甲方可解除合同；甲方无正当理由逾期付款的，按逾期金额每日万分之五支付违约金。"
             "其他违约依照《中华人民共和国民法典》及框架协议的约定承担责任。"),
    ("争议解决", "因本合同引起的争议，双方协商解决；协商不成的，任何一方可依法向甲方所在地有管辖权的人民法院提起诉讼。"
             "争议期间，无争议部分继续履行。"),
    ("其他", "本合同自双方盖章（电子签章）之日起生效，电子签章与实物印章具有同等法律效力。本合同未尽事宜，按框架协议及"
           "《中华人民共和国政府采购法》及其实施条例执行。合同签订后 2 个工作日内由平台发布合同公告。"),
)


def general_terms(terms: str) -> list[tuple[str, str]]:
    """The general terms the filled template lacks, numbered 通用条款（一）…"""
    missing = [(h, t) for h, t in GENERAL_TERMS if h not in terms]
    return [(f"通用条款{'一二三四五六七'[i]}、{h}", t) for i, (h, t) in enumerate(missing)]
