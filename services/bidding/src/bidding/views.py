"""Response models of the bidding API and how a stored project or quote is shown to each viewer.
Statuses carry the code and the label the platform shows; times are shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from bidding import domain
from bidding.store import Announcement, Project, Quote
from contracts_schema.types import Money, Quantity
from servicekit.types import ShanghaiTime


class QuoteOut(BaseModel):
    id: str
    project_id: str
    supplier_id: str
    supplier_name: str
    service_id: str
    amount: Money
    unit_price: Money
    ceiling_amount: Money
    quoted_at: ShanghaiTime
    revision: int
    note: str
    rank: int | None = None
    excluded_reason: str | None = None


class QuotesOut(BaseModel):
    sealed: bool
    closed_at: ShanghaiTime | None = None
    proposed_winner: QuoteOut | None = None
    quotes: list[QuoteOut]


class ServiceOffer(BaseModel):
    service_id: str
    name: str
    unit: str
    ceiling_amount: Money


class ProjectOut(BaseModel):
    id: str
    project_no: str
    name: str
    method: str
    method_label: str
    status: str
    status_label: str
    funds_status: str | None = None
    funds_status_label: str | None = None
    purchaser_org_id: str
    purchaser_name: str
    purchaser_address: str
    contact_name: str
    contact_phone: str
    office_phone: str
    plan_id: str
    plan_line_id: str
    filing_no: str
    item_name: str
    category_code: str
    agreement_id: str
    agreement_no: str = ""
    agreement_name: str = ""
    service_id: str | None
    service_name: str | None = None
    supplier_id: str | None
    supplier_name: str | None = None
    quantity: Quantity
    unit: str
    price_limit: Money | None
    ceiling_amount: Money | None
    requirements: str
    starts_at: ShanghaiTime | None
    ends_at: ShanghaiTime | None
    duration_seconds: int | None
    window: str | None = None
    window_label: str | None = None
    procurement_announcement_id: str | None
    award_announcement_id: str | None
    outcome_reason: str
    created_at: ShanghaiTime
    published_at: ShanghaiTime | None
    opened_at: ShanghaiTime | None
    closed_at: ShanghaiTime | None
    ended_at: ShanghaiTime | None
    quotes_sealed: bool
    quote_count: int | None = None
    award: QuoteOut | None = None
    my_quote: QuoteOut | None = None
    my_services: list[ServiceOffer] | None = None


class ProjectPage(BaseModel):
    total: int
    items: list[ProjectOut]


class PreviewOut(BaseModel):
    kind: str
    title: str
    content: str
    details: dict[str, Any]


class AnnouncementSummary(BaseModel):
    id: str
    kind: str
    kind_label: str
    title: str
    project_id: str
    project_no: str
    project_name: str
    purchaser_name: str
    published_at: ShanghaiTime


class AnnouncementOut(AnnouncementSummary):
    content: str
    details: dict[str, Any]


class AnnouncementPage(BaseModel):
    total: int
    items: list[AnnouncementSummary]


KIND_LABELS = {"procurement": "采购公告", "award": "单笔成交结果公告"}

_PROJECT_FIELDS = set(ProjectOut.model_fields) & set(Project.model_fields)


def project_out(project: Project, *, viewer: str, now: datetime | None = None, **extras: Any) -> ProjectOut:
    data = {f: getattr(project, f) for f in _PROJECT_FIELDS}
    window = None
    if now is not None and project.starts_at and project.ends_at and project.status in (domain.Status.SCHEDULED,
                                                                                       domain.Status.QUOTING):
        window = domain.window_state(now, project.starts_at, project.ends_at)
    return ProjectOut(
        **data, method_label=domain.METHOD_LABELS[domain.Method(project.method)],
        status_label=domain.STATUS_LABELS[domain.Status(project.status)],
        funds_status=project.funds if viewer == "purchaser" else None,
        funds_status_label=domain.FUNDS_LABELS[domain.Funds(project.funds)] if viewer == "purchaser" else None,
        quotes_sealed=project.closed_at is None, window=window,
        window_label=domain.WINDOW_LABELS[window] if window else None, **extras)


def quote_out(quote: Quote, quantity: Decimal, *, rank: int | None = None,
              excluded_reason: str | None = None) -> QuoteOut:
    return QuoteOut(
        id=quote.id, project_id=quote.project_id, supplier_id=quote.supplier_id, supplier_name=quote.supplier_name,
        service_id=quote.service_id, amount=quote.amount,
        unit_price=domain.unit_price_of(quote.amount, quantity), ceiling_amount=quote.ceiling_amount,
        quoted_at=quote.quoted_at, revision=quote.revision, note=quote.note, rank=rank,
        excluded_reason=excluded_reason)


def announcement_summary(announcement: Announcement) -> AnnouncementSummary:
    return AnnouncementSummary(id=announcement.id, kind=announcement.kind, kind_label=KIND_LABELS[announcement.kind],
                               title=announcement.title, project_id=announcement.project_id,
                               project_no=announcement.project_no, project_name=announcement.project_name,
                               purchaser_name=announcement.purchaser_name, published_at=announcement.published_at)


def announcement_out(announcement: Announcement) -> AnnouncementOut:
    return AnnouncementOut(**announcement_summary(announcement).model_dump(), content=announcement.content,
                           details=announcement.details)

