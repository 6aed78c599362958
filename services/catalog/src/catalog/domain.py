"""Rules of framework agreements and the shortlisted-service library (入围服务库) — pure Python, no I/O.

An agreement (框架协议) is fixed in stage 1 by its collecting agency: validity, allowed second-stage
methods, shortlisted suppliers and, per supplier and service, the agreement price (协议价格) with its
optional volume discounts. That price is the ceiling of everything after it. Stage 2 may only:
- list (上架) / delist (下架) an offering — the supplier, at a listed price never above the ceiling;
- suspend / reinstate a shortlisted supplier — the agency;
- let the agreement run out — the clock.
A service is *offered* while its offering is listed, its supplier active and its agreement in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from contracts_schema import categories
from servicekit.errors import Conflict, Invalid
from servicekit.types import SHANGHAI

AGREEMENT_LABELS = {"scheduled": "未生效", "active": "有效", "expired": "已过期"}
SUPPLIER_LABELS = {"active": "正常", "suspended": "已暂停"}
OFFERING_LABELS = {"unlisted": "未上架", "listed": "已上架", "delisted": "已下架"}
METHOD_LABELS = {"direct_selection": "直接选定", "secondary_bidding": "二次竞价"}


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
    before it (a larger quantity never costs more per unit)."""
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    quantities = [t.min_quantity for t in ordered]
    if len(set(quantities)) != len(quantities):
        raise Invalid("two discount tiers start at the same quantity", code="invalid_discount_tiers")
    previous = agreement_price
    for tier in ordered:
        if tier.unit_price >= previous:
            raise Invalid(f"the discount tier from {tier.min_quantity} must be cheaper than {previous:.2f}",
                          code="invalid_discount_tiers")
        previous = tier.unit_price
    return ordered


def ceiling(agreement_price: Decimal, tiers: list[Tier], quantity: Decimal) -> Decimal:
    """The highest unit price an award of `quantity` may carry: the agreement price, or the price of
    the largest discount tier the quantity reaches."""
    price = agreement_price
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        if quantity >= tier.min_quantity:
            price = min(price, tier.unit_price)
    return price


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
        raise Invalid(f"unknown category (品目) code {agreement_category!r}", code="unknown_category")
    if valid_to < valid_from:
        raise Invalid("the validity ends before it starts", code="invalid_validity")
    if valid_to < today:
        raise Invalid(f"the validity ended on {valid_to}: an expired agreement cannot be published",
                      code="invalid_validity")
    if len(set(methods)) != len(methods):
        raise Invalid("a second-stage method is named twice", code="invalid_methods")
    if len(set(supplier_ids)) != len(supplier_ids):
        raise Invalid("a supplier is shortlisted twice", code="duplicate_supplier")
    if sum(map(len, services_by_supplier.values())) > MAX_OFFERINGS:
        raise Invalid(f"an agreement holds at most {MAX_OFFERINGS} supplier offerings; split it",
                      code="too_many_offerings")
    for supplier_id, services in services_by_supplier.items():
        if len(set(services)) != len(services):
            raise Invalid(f"supplier {supplier_id} offers the same service twice", code="duplicate_service")
        for service in services:
            if not categories.is_known(service.category_code):
                raise Invalid(f"unknown category (品目) code {service.category_code!r} for {service.name}",
                              code="unknown_category")
            if not categories.within(service.category_code, agreement_category):
                raise Invalid(f"{service.name} ({service.category_code}) lies outside the agreement's category "
                              f"{agreement_category}", code="category_outside_agreement")


# ── listing (上架 / 下架) ─────────────────────────────────────────────────────────────────────────


def check_listing(*, price: Decimal, agreement_price: Decimal, agreement_status: str, valid_to: date,
                  today: date, supplier_status: str) -> None:
    if agreement_status == "expired" or today > valid_to:
        raise Conflict("the agreement has expired: nothing can be listed under it", code="agreement_expired")
    if supplier_status != "active":
        raise Conflict("you are suspended under this agreement: you cannot list services", code="supplier_suspended")
    if price > agreement_price:
        raise Invalid(f"the listed price {price:.2f} is above the agreement price {agreement_price:.2f} fixed in "
                      "stage 1", code="price_above_agreement_price")


def offering_after(status: str, action: str) -> str:
    """list: any status → listed (a listed offering gets its new price); delist: listed → delisted."""
    if action == "list":
        return "listed"
    if action == "delist" and status == "listed":
        return "delisted"
    raise Conflict(f"an offering that is {OFFERING_LABELS.get(status, status)} ({status}) cannot be {action}ed",
                   code="illegal_transition")


# ── suspension ───────────────────────────────────────────────────────────────────────────────────


def supplier_after(status: str, action: str) -> str:
    moves = {("active", "suspend"): "suspended", ("suspended", "reinstate"): "active"}
    try:
        return moves[(status, action)]
    except KeyError:
        raise Conflict(f"a supplier that is {SUPPLIER_LABELS.get(status, status)} ({status}) cannot be "
                       f"{action}d", code="illegal_transition") from None


def check_agreement_open(status: str) -> None:
    if status == "expired":
        raise Conflict("the agreement has expired", code="agreement_expired")
