"""What the catalog's routes answer: the response models and how agreements, suppliers, offerings and
services are rendered (labels beside codes, times shown 北京时间). Volume discounts are shown as the
tiers stage 1 fixed; which tier a quantity reaches is bidding's rule (bidding.domain)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel, Field

from catalog import domain
from catalog.clearing import SupplierCases
from catalog.store import (COUNT_LIMIT, Agreement, AgreementRecord, ClearingCase, Offering, Service, ShortlistedSupplier,
                           SupplierClearing)
from contracts_schema import categories
from contracts_schema.types import Money, Quantity
from servicekit.types import ShanghaiTime


class CategoryNode(BaseModel):
    code: str
    name: str
    offered_services: int
    children: list[CategoryNode]


class CategoryTree(BaseModel):
    items: list[CategoryNode]


class ServiceSummary(BaseModel):
    id: str
    category_code: str
    category_name: str
    name: str
    unit: str
    description: str
    min_price: Money | None = None
    supplier_count: int
    agreement_count: int


class ServicePage(BaseModel):
    items: list[ServiceSummary]
    total: int = Field(description=f"How many services match, counted up to {COUNT_LIMIT:,}: when more do, "
                                   f"{COUNT_LIMIT:,} and total_exact is false")
    total_exact: bool = Field(description="false: more than `total` services match (the count stops there)")
    page: int
    page_size: int


class Method(BaseModel):
    code: str
    label: str


class TierOut(BaseModel):
    min_quantity: Quantity
    unit_price: Money


class AgreementBrief(BaseModel):
    id: str
    agreement_no: str
    name: str
    valid_from: date
    valid_to: date
    methods: list[Method]
    status: str
    status_label: str
    estimated_amount: Money | None = None
    estimated_quantity: Quantity | None = None


class SupplierBrief(BaseModel):
    supplier_id: str
    name: str
    address: str
    contact_name: str
    contact_phone: str


class RatingOut(BaseModel):
    """Purchasers' evaluations (用户评价) of the supplier: the mean dimension score (1–5) and how many."""

    average: str | None = Field(description="Mean score, two places, e.g. 4.33; null before the first evaluation")
    count: int


NO_RATING = RatingOut(average=None, count=0)


def rating_out(rating: domain.Rating | None) -> RatingOut:
    if rating is None or rating.average is None:
        return NO_RATING
    return RatingOut(average=f"{rating.average:.2f}", count=rating.evaluation_count)


class Offer(BaseModel):
    offering_id: str
    agreement: AgreementBrief
    supplier: SupplierBrief
    agreement_price: Money
    price: Money
    discount_tiers: list[TierOut]
    rating: RatingOut = NO_RATING


class ServiceDetail(ServiceSummary):
    offers: list[Offer]


class SupplierOut(BaseModel):
    supplier_id: str
    name: str
    address: str
    contact_name: str
    contact_phone: str
    status: str
    status_label: str
    status_reason: str


class OfferingOut(BaseModel):
    offering_id: str
    agreement_id: str
    service_id: str
    service_name: str
    category_code: str
    unit: str
    supplier_id: str
    agreement_price: Money
    discount_tiers: list[TierOut]
    price: Money | None
    status: str
    status_label: str
    listed_at: ShanghaiTime | None
    delisted_at: ShanghaiTime | None


class RotationPlace(BaseModel):
    """One place of the rotation order (轮候顺序)."""

    position: int
    supplier_id: str
    name: str
    status: str
    status_label: str
    removed_at: ShanghaiTime | None = None
    removed_reason: str = ""


class AgreementOut(AgreementBrief):
    agency_org_id: str
    agency_name: str
    agency_address: str
    category_code: str
    category_name: str
    contract_template: str
    published_at: ShanghaiTime
    suppliers: list[SupplierOut]
    offerings: list[OfferingOut]
    rotation_order: list[RotationPlace] | None = None


class ClearingCaseOut(BaseModel):
    kind: str
    kind_label: str
    reference_no: str
    detail: str
    occurred_at: ShanghaiTime
    due_on: date | None = None


class SupplierCasesOut(BaseModel):
    """One supplier's cases that may lead to clearing (清退): the platform counts, the agency decides."""

    supplier: SupplierOut
    declines_without_reason: int
    overdue_contracts: int
    cases: list[ClearingCaseOut]


class ClearingOut(BaseModel):
    id: str
    agreement_id: str
    supplier_id: str
    supplier_name: str
    cause: str
    cause_label: str
    reason: str
    cleared_by: str
    cleared_by_org: str
    cleared_at: ShanghaiTime


class CauseOut(BaseModel):
    code: str
    label: str


class ClearingOverview(BaseModel):
    agreement: AgreementBrief
    causes: list[CauseOut]
    suppliers: list[SupplierCasesOut]
    clearings: list[ClearingOut]


class AgreementPage(BaseModel):
    items: list[AgreementBrief]
    total: int
    page: int
    page_size: int


class MyOffering(OfferingOut):
    agreement: AgreementBrief


# ── rendering ────────────────────────────────────────────────────────────────────────────────────


def methods_of(codes: list[str]) -> list[Method]:
    return [Method(code=c, label=domain.METHOD_LABELS[c]) for c in codes]


def agreement_brief(agreement: Agreement) -> AgreementBrief:
    return AgreementBrief(**agreement.model_dump(include={"id", "agreement_no", "name", "valid_from", "valid_to",
                                                          "status", "estimated_amount", "estimated_quantity"}),
                          methods=methods_of(agreement.methods), status_label=domain.AGREEMENT_LABELS[agreement.status])


def summary_of(service: Service) -> ServiceSummary:
    return ServiceSummary(**service.model_dump(include=set(ServiceSummary.model_fields)),
                          category_name=categories.NAMES.get(service.category_code, ""))


def supplier_out(s: ShortlistedSupplier) -> SupplierOut:
    return SupplierOut(**s.model_dump(include=set(SupplierOut.model_fields)),
                       status_label=domain.SUPPLIER_LABELS[s.status])


def tiers_out(o: Offering) -> list[TierOut]:
    return [TierOut(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in o.tiers()]


def offering_out(o: Offering, service: Service) -> OfferingOut:
    return OfferingOut(offering_id=o.id, agreement_id=o.agreement_id, service_id=o.service_id,
                       service_name=service.name, category_code=service.category_code, unit=service.unit,
                       supplier_id=o.supplier_id, agreement_price=o.agreement_price, discount_tiers=tiers_out(o),
                       price=o.price, status=o.status, status_label=domain.OFFERING_LABELS[o.status],
                       listed_at=o.listed_at, delisted_at=o.delisted_at)


def agreement_out(record: AgreementRecord) -> AgreementOut:
    agreement = record.agreement
    return AgreementOut(**agreement_brief(agreement).model_dump(),
                        **agreement.model_dump(include={"agency_org_id", "agency_name", "agency_address",
                                                        "category_code", "contract_template", "published_at"}),
                        category_name=categories.NAMES.get(agreement.category_code, ""),
                        suppliers=[supplier_out(s) for s in record.suppliers],
                        offerings=[offering_out(o, s) for o, s in record.offerings],
                        rotation_order=rotation_places(record))


def rotation_places(record: AgreementRecord) -> list[RotationPlace] | None:
    """The rotation order as published, each place with its supplier's standing (a cleared one says
    when and why it was removed); None when the agreement does not allow rotation."""
    if domain.ROTATION not in record.agreement.methods:
        return None
    names = {s.supplier_id: s for s in record.suppliers}
    return [RotationPlace(position=p.position, supplier_id=p.supplier_id, name=names[p.supplier_id].name,
                          status=names[p.supplier_id].status,
                          status_label=domain.SUPPLIER_LABELS[names[p.supplier_id].status],
                          removed_at=p.removed_at, removed_reason=p.removed_reason)
            for p in record.rotation]


CASE_LABELS = {"declined_without_reason": "无正当理由拒绝轮候授予", "contract": "合同逾期未签订"}


def case_out(case: ClearingCase) -> ClearingCaseOut:
    return ClearingCaseOut(kind=case.kind, kind_label=CASE_LABELS[case.kind], reference_no=case.reference_no,
                           detail=case.detail, occurred_at=case.occurred_at, due_on=case.due_on)


def clearing_out(c: SupplierClearing) -> ClearingOut:
    return ClearingOut(**c.model_dump(include=set(ClearingOut.model_fields)))


def clearing_overview(agreement: Agreement, suppliers: list[SupplierCases],
                      clearings: list[SupplierClearing]) -> ClearingOverview:
    return ClearingOverview(
        agreement=agreement_brief(agreement),
        causes=[CauseOut(code=code, label=label) for code, label in domain.CLEARING_CAUSES.items()],
        suppliers=[SupplierCasesOut(supplier=supplier_out(s.supplier),
                                    declines_without_reason=len(s.declines_without_reason),
                                    overdue_contracts=len(s.overdue_contracts),
                                    cases=[case_out(c) for c in s.declines_without_reason + s.overdue_contracts])
                   for s in suppliers],
        clearings=[clearing_out(c) for c in clearings])


def service_detail_json(service: Mapping[str, Any], offers: Iterable[Mapping[str, Any]], today: date) -> bytes:
    """The ServiceDetail of reads.service_with_offers' plain rows (PostgreSQL), as JSON bytes: the same
    bytes as the model api.get_service builds from the ORM (its field order, Money as two places, a
    Quantity without trailing zeros), without building, validating and serializing a model for every
    agreement, supplier, tier and rating of every offer (≈ 60 µs of a detail's CPU; bench/README.md,
    issue 14). tests/test_catalog_reads.py holds it to the model's bytes."""
    out = []
    for r in offers:
        if not domain.in_force(r["agreement_status"], r["valid_from"], r["valid_to"], today):
            continue
        average = None
        if r["evaluation_count"]:
            average = domain.Rating(int(r["evaluation_count"]), int(r["score_sum"]), int(r["score_count"])).average
        agreement = {"id": r["agreement_id"], "agreement_no": r["agreement_no"], "name": r["agreement_name"],
                     "valid_from": r["valid_from"], "valid_to": r["valid_to"],
                     "methods": [{"code": code, "label": domain.METHOD_LABELS[code]} for code in r["methods"]],
                     "status": r["agreement_status"], "status_label": domain.AGREEMENT_LABELS[r["agreement_status"]],
                     "estimated_amount": _money_text(r["estimated_amount"]),
                     "estimated_quantity": _quantity_text(r["estimated_quantity"])}
        supplier = {"supplier_id": r["supplier_id"], "name": r["supplier_name"], "address": r["address"],
                    "contact_name": r["contact_name"], "contact_phone": r["contact_phone"]}
        tiers = [{"min_quantity": _quantity_text(Decimal(t["min_quantity"])),
                  "unit_price": _money_text(Decimal(t["unit_price"]))} for t in r["discount_tiers"]]
        rating = ({"average": None, "count": 0} if average is None
                  else {"average": f"{average:.2f}", "count": int(r["evaluation_count"])})
        offer = {"offering_id": r["offering_id"], "agreement": agreement, "supplier": supplier,
                 "agreement_price": _money_text(r["agreement_price"]), "price": _money_text(r["price"]),
                 "discount_tiers": tiers, "rating": rating}
        out.append(((r["price"], r["agreement_no"], r["supplier_id"]), offer))
    out.sort(key=lambda keyed: keyed[0])
    return orjson.dumps({**_summary_json(service), "offers": [offer for _, offer in out]})


def _money_text(value: Decimal | None) -> str | None:
    """Money as the models write it (contracts_schema.types.Money): two places."""
    return None if value is None else f"{value:.2f}"


def _quantity_text(value: Decimal | None) -> str | None:
    """A Quantity as the models write it (contracts_schema.types.Quantity): no trailing zeros."""
    return None if value is None else format(value.normalize(), "f")


def _summary_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ServiceSummary of a plain row (store.services_page, reads), as the dict orjson writes."""
    return {"id": row["id"], "category_code": row["category_code"],
            "category_name": categories.NAMES.get(row["category_code"], ""), "name": row["name"], "unit": row["unit"],
            "description": row["description"], "min_price": _money_text(row["min_price"]),
            "supplier_count": row["supplier_count"], "agreement_count": row["agreement_count"]}


def service_page_json(found: Any, page: int, page_size: int) -> bytes:
    """The ServicePage of store.services_page's plain rows, as JSON bytes: the same bytes as the model's
    (its field order, Money as two places), written without building and validating 20 summaries
    (≈ 30–85 µs of CPU a page), by orjson (a tenth of json.dumps's CPU: 181 → 11 µs a page of 20 on a
    slow machine; bench/README.md, issue 14). tests/test_catalog_reads.py holds it to the model's bytes."""
    return orjson.dumps({"items": [_summary_json(row) for row in found.rows], "total": found.total,
                         "total_exact": found.exact, "page": page, "page_size": page_size})
