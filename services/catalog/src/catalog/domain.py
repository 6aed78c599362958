"""Rules of framework agreements and the shortlisted-service library (入围服务库) — pure Python, no I/O.

An agreement (框架协议) is fixed in stage 1 by its collecting agency: validity, allowed second-stage
methods, shortlisted suppliers and, per supplier and service, the agreement price (协议价格) with its
optional volume discounts. That price is the ceiling of everything after it. Stage 2 may only:
- list (上架) / delist (下架) an offering — the supplier, at a listed price never above the ceiling;
- suspend / reinstate a shortlisted supplier — the agency;
- clear (清退) a shortlisted supplier for good, which removes it from the rotation order — the agency;
- let the agreement run out — the clock.
A service is *offered* while its offering is listed, its supplier active and its agreement in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from contracts_schema import categories
from servicekit.errors import Conflict, Invalid
from servicekit.types import SHANGHAI

AGREEMENT_LABELS = {"scheduled": "未生效", "active": "有效", "expired": "已过期"}
SUPPLIER_LABELS = {"active": "正常", "suspended": "已暂停", "cleared": "已清退"}
OFFERING_LABELS = {"unlisted": "未上架", "listed": "已上架", "delisted": "已下架"}
METHOD_LABELS = {"direct_selection": "直接选定", "secondary_bidding": "二次竞价", "rotation": "顺序轮候"}
_ACTIONS = {"list": "上架", "delist": "下架", "suspend": "暂停", "reinstate": "恢复", "clear": "清退"}
T = TypeVar("T")


def today_in_shanghai(now: datetime) -> date:
    """Validity dates are calendar days in Hunan: a day ends at midnight Asia/Shanghai."""
    return now.astimezone(SHANGHAI).date()


# ── agreements ───────────────────────────────────────────────────────────────────────────────────


def agreement_status(valid_from: date, valid_to: date, today: date) -> str:
    """scheduled before its first day, active through its last day (inclusive), expired after."""
    if today > valid_to:
        return "expired"
    return "scheduled" if today < valid_from else "active"


def in_force(status: str, valid_from: date, valid_to: date, today: date) -> bool:
    """The stored status and the calendar must both agree (the clock may not have ticked yet)."""
    return status == "active" and valid_from <= today <= valid_to


@dataclass(frozen=True)
class Tier:
    min_quantity: Decimal
    unit_price: Decimal


def check_tiers(agreement_price: Decimal, tiers: list[Tier]) -> list[Tier]:
    """Volume discounts: ordered by quantity, each price below the agreement price and below the tier
    before it (a larger quantity never costs more per unit). Which price applies to a quantity is
    bidding's rule (bidding.domain.applicable_unit_price): the catalog only shows the tiers."""
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    quantities = [t.min_quantity for t in ordered]
    if len(set(quantities)) != len(quantities):
        duplicated = sorted({q for q in quantities if quantities.count(q) > 1})
        raise Invalid(f"阶梯优惠的起始数量 {'、'.join(map(str, duplicated))} 重复：每一档的起始数量须不同",
                      code="invalid_discount_tiers")
    previous = agreement_price
    for tier in ordered:
        if tier.unit_price >= previous:
            raise Invalid(f"起始数量 {tier.min_quantity} 的阶梯单价 {tier.unit_price:.2f} 元须低于 {previous:.2f} 元"
                          "（协议价格或上一档的单价）", code="invalid_discount_tiers")
        previous = tier.unit_price
    return ordered


MAX_OFFERINGS = 2000
"""Offerings per agreement: the whole stage-1 result travels as one AgreementPublished event, which must
stay well under the broker's message size limit (1 MB by default)."""


@dataclass(frozen=True)
class ServiceKey:
    """What identifies a service across agreements: the same thing in the same unit."""

    category_code: str
    name: str
    unit: str


def check_stage1(*, agreement_category: str, valid_from: date, valid_to: date, today: date, methods: list[str],
                 supplier_ids: list[str], services_by_supplier: dict[str, list[ServiceKey]]) -> None:
    """The whole stage-1 result is coherent, or the first reason it is not."""
    if not categories.is_known(agreement_category):
        raise Invalid(f"协议品目编码 “{agreement_category}” 不存在", code="unknown_category")
    if valid_to < valid_from:
        raise Invalid(f"有效期截止日 {valid_to} 早于起始日 {valid_from}", code="invalid_validity")
    if valid_to < today:
        raise Invalid(f"有效期已于 {valid_to} 截止：已过期的协议不能发布", code="invalid_validity")
    if len(set(methods)) != len(methods):
        raise Invalid(f"第二阶段采购方式重复：{'、'.join(_twice(methods))}", code="invalid_methods")
    if len(set(supplier_ids)) != len(supplier_ids):
        raise Invalid(f"供应商 {'、'.join(_twice(supplier_ids))} 重复入围", code="duplicate_supplier")
    offerings = sum(map(len, services_by_supplier.values()))
    if offerings > MAX_OFFERINGS:
        raise Invalid(f"一个协议最多 {MAX_OFFERINGS} 项供应商服务报价，本次有 {offerings} 项，请拆分为多个协议",
                      code="too_many_offerings")
    for supplier_id, services in services_by_supplier.items():
        if len(set(services)) != len(services):
            names = "、".join(f"{s.name}（{s.unit}）" for s in _twice(services))
            raise Invalid(f"供应商 {supplier_id} 重复提供同一服务：{names}", code="duplicate_service")
        for service in services:
            if not categories.is_known(service.category_code):
                raise Invalid(f"服务 {service.name} 的品目编码 “{service.category_code}” 不存在",
                              code="unknown_category")
            if not categories.within(service.category_code, agreement_category):
                raise Invalid(f"服务 {service.name} 的品目 {service.category_code} 不在协议品目 {agreement_category} 之下",
                              code="category_outside_agreement")


def _twice(items: list[T]) -> list[T]:
    """What `items` holds more than once, each once, in order of appearance."""
    return list(dict.fromkeys(item for item in items if items.count(item) > 1))


# ── listing (上架 / 下架) ─────────────────────────────────────────────────────────────────────────


def check_listing(*, price: Decimal, agreement_price: Decimal, agreement_status: str, valid_to: date,
                  today: date, supplier_status: str) -> None:
    if agreement_status == "expired" or today > valid_to:
        raise Conflict(f"协议已于 {valid_to} 到期，不能再上架服务", code="agreement_expired")
    if supplier_status == "cleared":
        raise Conflict("贵单位已被清退出该框架协议，不能上架服务", code="supplier_cleared")
    if supplier_status != "active":
        raise Conflict("贵单位在该协议下已被暂停，不能上架服务", code="supplier_suspended")
    if price > agreement_price:
        raise Invalid(f"上架价格 {price:.2f} 元高于第一阶段确定的协议价格 {agreement_price:.2f} 元",
                      code="price_above_agreement_price")


def offering_after(status: str, action: str) -> str:
    """list: any status → listed (a listed offering gets its new price); delist: listed → delisted."""
    if action == "list":
        return "listed"
    if action == "delist" and status == "listed":
        return "delisted"
    raise Conflict(f"服务状态为{OFFERING_LABELS.get(status, status)}（{status}），不能{_ACTIONS.get(action, action)}",
                   code="illegal_transition")


# ── suspension ───────────────────────────────────────────────────────────────────────────────────


def supplier_after(status: str, action: str) -> str:
    moves = {("active", "suspend"): "suspended", ("suspended", "reinstate"): "active",
             ("active", "clear"): "cleared", ("suspended", "clear"): "cleared"}  # 已清退 is for good
    try:
        return moves[(status, action)]
    except KeyError:
        raise Conflict(f"供应商状态为{SUPPLIER_LABELS.get(status, status)}（{status}），不能"
                       f"{_ACTIONS.get(action, action)}", code="illegal_transition") from None


def check_agreement_open(status: str) -> None:
    if status == "expired":
        raise Conflict("协议已过期，不能再暂停或恢复供应商", code="agreement_expired")


# ── purchaser evaluations (用户评价), as the library shows them ────────────────────────────────────


@dataclass(frozen=True)
class Rating:
    """A supplier's evaluations: how many, and the sum and number of their dimension scores (1–5)."""

    evaluation_count: int
    score_sum: int
    score_count: int

    @property
    def average(self) -> Decimal | None:
        """The mean dimension score, two places (half up); None before the first evaluation."""
        if not self.score_count:
            return None
        return (Decimal(self.score_sum) / self.score_count).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
# ── rotation (顺序轮候) and clearing (清退) ────────────────────────────────────────────────────────
#
# The rotation order is fixed when the agreement is published: the order the agency states
# (`rotation_order`), or, when it states none, the order of the shortlisted suppliers as stage 1 entered
# them — the stage-1 result lists them by their ranking. Every logged-in user reads it with the agreement
# (GET /catalog/agreements/{id}), so every shortlisted supplier is told. During the agreement's validity
# it changes only two ways: a supplier cleared is removed (`without`), a supplier added by a
# supplementary solicitation is appended at the end (`appended`). Who is next in a period is bidding's
# rule (bidding.domain, rotation section): the catalog only keeps the order.

ROTATION = "rotation"


def rotation_order(methods: list[str], supplier_ids: list[str], requested: list[str] | None) -> list[str] | None:
    """The agreement's rotation order at publication, or None when it does not allow rotation."""
    if ROTATION not in methods:
        if requested:
            raise Invalid("协议未允许顺序轮候，不能设置轮候顺序", code="invalid_rotation_order")
        return None
    if requested is None:
        return list(supplier_ids)
    if len(set(requested)) != len(requested):
        raise Invalid(f"轮候顺序中供应商 {'、'.join(_twice(requested))} 重复", code="invalid_rotation_order")
    missing, unknown = set(supplier_ids) - set(requested), set(requested) - set(supplier_ids)
    if missing or unknown:
        parts = ([f"缺少入围供应商 {'、'.join(sorted(missing))}"] if missing else []) + (
            [f"{'、'.join(sorted(unknown))} 不是入围供应商"] if unknown else [])
        raise Invalid(f"轮候顺序须恰好包含每个入围供应商一次：{'；'.join(parts)}", code="invalid_rotation_order")
    return list(requested)


def without(order: list[str], supplier_id: str) -> list[str]:
    """The order after a supplier is cleared: the others keep their relative order."""
    return [s for s in order if s != supplier_id]


def appended(order: list[str], supplier_id: str) -> list[str]:
    """The order after a supplementary solicitation (补充征集) adds a supplier: at the end."""
    if supplier_id in order:
        raise Conflict(f"供应商 {supplier_id} 已在轮候顺序中", code="already_in_rotation")
    return [*order, supplier_id]


CLEARING_CAUSES = {
    "refused_award": "无正当理由拒不接受合同授予",
    "not_performing": "不履行合同义务或者不按照约定履行合同义务，经采购人请求履行后仍不履行或者仍未按照约定履行",
    "refused_agreement": "无正当理由拒不签订框架协议",
    "false_materials": "提供虚假材料谋取入围或者合同成交",
    "collusion": "与其他供应商恶意串通谋取入围或者合同成交",
    "other": "法律法规规定的其他情形",
}
"""The causes the framework-agreement measures (财政部令第110号) give for ending a shortlisted supplier's
agreement (清退), by code."""


def clearing_cause(code: str) -> str:
    try:
        return CLEARING_CAUSES[code]
    except KeyError:
        raise Invalid(f"清退原因 “{code}” 不在清退情形之列（{'、'.join(CLEARING_CAUSES)}）",
                      code="unknown_clearing_cause") from None
