"""The texts of the public announcements (公告), rendered from plain facts — pure, no I/O.

- 采购公告 (procurement announcement): published with a secondary bidding; states the ceiling, the
  window, how to take part and the ranking rule with its tie-break.
- 单笔成交结果公告 (single-award result announcement): published at confirmation, for both methods;
  names purchaser (name, address, contact), project (name, number), supplier (name, address), amount,
  service content, quantity and unit price."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bidding.domain import fmt_time

RANKING_RULE = ("以有效报价中报价最低者为成交候选供应商；报价相同的，以最终报价时间在先者为成交候选供应商。"
                "竞价结束时被暂停资格的供应商，其报价无效。")


@dataclass(frozen=True)
class ProcurementFacts:
    project_no: str
    project_name: str
    purchaser_name: str
    purchaser_address: str
    contact_name: str
    contact_phone: str
    office_phone: str
    agreement_no: str
    agreement_name: str
    category_code: str
    item_name: str
    quantity: Decimal
    unit: str
    requirements: str
    ceiling_amount: Decimal
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class AwardFacts:
    project_no: str
    project_name: str
    method_label: str
    purchaser_name: str
    purchaser_address: str
    contact_name: str
    contact_phone: str
    supplier_name: str
    supplier_address: str
    agreement_no: str
    agreement_name: str
    service_name: str
    requirements: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    confirmed_at: datetime


@dataclass(frozen=True)
class Rendered:
    kind: str  # procurement | award
    title: str
    content: str
    details: dict[str, Any]


def _details(facts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in asdict(facts).items():
        if isinstance(value, Decimal):
            out[key] = f"{value:.2f}" if key.endswith(("amount", "price")) else format(value.normalize(), "f")
        elif isinstance(value, datetime):
            out[key] = fmt_time(value)
        else:
            out[key] = value
    return out


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f")


def procurement_announcement(f: ProcurementFacts) -> Rendered:
    contact = f"{f.contact_name}，手机 {f.contact_phone}" + (f"，办公电话 {f.office_phone}" if f.office_phone else "")
    content = "\n".join([
        f"{f.purchaser_name}采用框架协议二次竞价方式采购{f.project_name}，现公告如下：",
        "一、项目基本情况",
        f"项目编号：{f.project_no}",
        f"项目名称：{f.project_name}",
        f"采购人：{f.purchaser_name}（地址：{f.purchaser_address or '—'}）",
        f"框架协议：{f.agreement_name}（协议编号 {f.agreement_no}）",
        f"采购品目：{f.category_code} {f.item_name}",
        f"采购数量：{_qty(f.quantity)} {f.unit}",
        f"最高限价：人民币 {f.ceiling_amount:.2f} 元（各供应商报价不得高于其协议价格 × 采购数量）",
        "二、竞价需求",
        f.requirements or "—",
        "三、竞价时间",
        f"竞价开始时间：{fmt_time(f.starts_at)}",
        f"竞价结束时间：{fmt_time(f.ends_at)}",
        "四、参与方式",
        "本框架协议的入围供应商，在本品目有上架服务且资格正常的，登录平台在竞价时间内提交报价；"
        "竞价时间内可修改报价，以最后一次报价及其时间为准；竞价结束后提交的报价无效。报价在竞价结束前保密。",
        "五、成交规则",
        RANKING_RULE,
        "六、联系方式",
        f"采购人联系人：{contact}",
    ])
    return Rendered("procurement", f"{f.project_name}二次竞价采购公告", content, _details(f))


def award_announcement(f: AwardFacts) -> Rendered:
    content = "\n".join([
        f"{f.purchaser_name}{f.project_name}（项目编号 {f.project_no}）采用框架协议{f.method_label}方式，"
        "成交结果公告如下：",
        f"一、采购人：{f.purchaser_name}；地址：{f.purchaser_address or '—'}；联系人：{f.contact_name}；"
        f"联系电话：{f.contact_phone}",
        f"二、项目名称：{f.project_name}；项目编号：{f.project_no}",
        f"三、成交供应商：{f.supplier_name}；地址：{f.supplier_address or '—'}",
        f"四、框架协议：{f.agreement_name}（协议编号 {f.agreement_no}）",
        f"五、服务内容：{f.service_name}" + (f"（{f.requirements}）" if f.requirements else ""),
        f"六、数量：{_qty(f.quantity)} {f.unit}；单价：人民币 {f.unit_price:.2f} 元；"
        f"成交金额：人民币 {f.amount:.2f} 元",
        f"七、公告日期：{fmt_time(f.confirmed_at)}",
    ])
    return Rendered("award", f"{f.project_name}单笔成交结果公告", content, _details(f))
