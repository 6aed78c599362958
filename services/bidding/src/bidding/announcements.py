"""The texts of the public announcements (公告), rendered from plain facts — pure, no I/O.

- 采购公告 (procurement announcement): published with a secondary bidding; states the ceiling, the
  window, how to take part and the ranking rule with its tie-break.
- 单笔成交结果公告 (single-award result announcement): published at confirmation, for both methods;
  names purchaser (name, address, contact), project (name, number), supplier (name, address), amount,
  service content, quantity and unit price.
- 直接选定成交结果汇总公告 (summary of an agreement's direct-selection awards): published by the platform
  for the agency after the agreement expires; every award with purchaser, supplier, service, quantity,
  amount and date."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from bidding.domain import fmt_time
from servicekit.types import shanghai
from servicekit.workdays import BEIJING, WorkingCalendar

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


def fmt_date(value: datetime) -> str:
    """The Beijing date of an instant."""
    return shanghai(value).strftime("%Y-%m-%d")


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


# --- the summary of an agreement's direct-selection awards (published after the agreement expires) -------

@dataclass(frozen=True)
class SummaryLine:
    project_no: str
    purchaser_name: str
    supplier_name: str
    service_name: str
    quantity: Decimal
    unit: str
    amount: Decimal
    awarded_at: datetime


@dataclass(frozen=True)
class SummaryFacts:
    agreement_no: str
    agreement_name: str
    agency_name: str
    valid_from: date
    valid_to: date
    lines: list[SummaryLine]
    published_at: datetime


def summary_announcement(f: SummaryFacts) -> Rendered:
    total = sum((line.amount for line in f.lines), Decimal("0.00"))
    rows = [f"{i}. {fmt_date(line.awarded_at)}　{line.purchaser_name}　成交供应商：{line.supplier_name}　"
            f"服务：{line.service_name}　数量：{_qty(line.quantity)} {line.unit}　成交金额：人民币 {line.amount:.2f} 元"
            f"（项目编号 {line.project_no}）" for i, line in enumerate(f.lines, 1)]
    content = "\n".join([
        f"{f.agency_name}征集的{f.agreement_name}（协议编号 {f.agreement_no}，有效期 {f.valid_from} 至 {f.valid_to}）"
        "已到期，现将该框架协议下以直接选定方式确定的全部成交结果汇总公告如下：",
        *(rows or ["本框架协议有效期内无直接选定成交结果。"]),
        f"合计：{len(f.lines)} 笔，成交金额合计人民币 {total:.2f} 元。",
        f"公告日期：{fmt_time(f.published_at)}",
    ])
    details = {"agreement_no": f.agreement_no, "agreement_name": f.agreement_name, "agency_name": f.agency_name,
               "valid_from": f.valid_from.isoformat(), "valid_to": f.valid_to.isoformat(),
               "award_count": len(f.lines), "total_amount": f"{total:.2f}",
               "awards": [_details(line) for line in f.lines]}
    return Rendered("summary", f"{f.agreement_name}直接选定成交结果汇总公告", content, details)


# --- the deadlines the measures set (tracked; the platform publishes at once, or at the first tick) -------

AWARD_WORKING_DAYS = 2  # 二次竞价、顺序轮候：成交后 2 个工作日内逐笔公告
SUMMARY_WORKING_DAYS = 10  # 直接选定：框架协议期满后 10 个工作日内汇总公告


def award_due(method: str, confirmed_at: datetime, calendar: WorkingCalendar) -> datetime | None:
    """The award announcement's deadline: 2 working days after the award, for every method announced
    award by award; None for direct selection (announced in the summary after the agreement expires —
    the platform still publishes its single announcement at once, as before)."""
    if method == "direct_selection":
        return None
    return calendar.deadline(confirmed_at, AWARD_WORKING_DAYS)


def expiry_moment(valid_to: date) -> datetime:
    """The agreement expires at the end (北京时间 24:00) of its last valid day; as a moment of that day."""
    return datetime.combine(valid_to, time(23, 59, 59), BEIJING).astimezone(UTC)


def summary_due(valid_to: date, calendar: WorkingCalendar) -> datetime:
    """The summary's deadline: the end of the 10th working day after the agreement's last valid day."""
    return calendar.deadline(expiry_moment(valid_to), SUMMARY_WORKING_DAYS)


def provisional(due_at: datetime | None, calendar: WorkingCalendar) -> bool:
    """The deadline was counted on a year whose official arrangement is not known yet."""
    return due_at is not None and not calendar.described(due_at.astimezone(BEIJING).year)


def overdue(due_at: datetime | None, published_at: datetime) -> bool:
    return due_at is not None and published_at >= due_at
