"""The read side of the bidding API: response models, and what each viewer may see of a project, its
quotes and the announcements (reads only: nothing here writes). Statuses carry the code and the
label the platform shows; times are shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain, quotes
from bidding.announcements import overdue
from bidding.domain import Method, Status
from bidding.ledger import warning_before_award
from bidding.store import (AgreementRef, Announcement, Invitation, Project, Quote, RotationSlot, RotationState,
                           RotationTurn, ServiceRef, SupplierRef, invited_project, standing)
from contracts_schema.types import Money, Quantity
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound
from servicekit.logging import bind_context
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
    ledger_warning: str | None = Field(None, description="Before confirming: the award would take the agreement's "
                                                         "awards past its estimate (the purchaser may still confirm)")
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
    award_amount: Money | None = None
    rotation_turns: list[RotationTurnOut] | None = None


class RotationTurnOut(BaseModel):
    """One supplier's turn on a rotation project: offered, then awarded or declined."""

    supplier_id: str
    supplier_name: str
    period: int
    position: int
    outcome: str
    outcome_label: str
    amount: Money
    offered_at: ShanghaiTime
    answered_at: ShanghaiTime | None = None
    reason_code: str = ""
    reason_label: str = ""
    reason: str = ""
    valid_reason: bool | None = None


class RotationPlaceOut(BaseModel):
    position: int
    supplier_id: str
    supplier_name: str
    status: str
    status_label: str
    turn: RotationTurnOut | None = None
    turn_project_no: str | None = None


class RotationOrderOut(BaseModel):
    """The agreement's rotation order (轮候顺序) and where the current period stands."""

    agreement_id: str
    agreement_no: str
    agreement_name: str
    period: int
    places: list[RotationPlaceOut]
    decline_reasons: dict[str, str]


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
    agreement_id: str | None = None
    due_at: ShanghaiTime | None = Field(None, description="The deadline the measures set for publishing it")
    overdue: bool = Field(False, description="Published after its deadline")
    deadline_provisional: bool = Field(False, description="The deadline was counted on a year whose official "
                                                          "holiday arrangement is not known yet")


class AnnouncementOut(AnnouncementSummary):
    content: str
    details: dict[str, Any]


class AnnouncementPage(BaseModel):
    total: int
    items: list[AnnouncementSummary]


KIND_LABELS = {"procurement": "采购公告", "award": "单笔成交结果公告", "summary": "直接选定成交结果汇总公告"}

_PROJECT_FIELDS = set(ProjectOut.model_fields) & set(Project.model_fields)


def project_out(project: Project, *, viewer: str, now: datetime, **extras: Any) -> ProjectOut:
    data = {f: getattr(project, f) for f in _PROJECT_FIELDS}
    window = None
    if project.starts_at and project.ends_at and project.status in (domain.Status.SCHEDULED, domain.Status.QUOTING):
        window = domain.window_state(now, project.starts_at, project.ends_at)
    return ProjectOut(
        **data, method_label=domain.METHOD_LABELS[domain.Method(project.method)],
        status_label=domain.status_label(project.method, project.status),
        funds_status=project.funds if viewer == "purchaser" else None,
        funds_status_label=domain.FUNDS_LABELS[domain.Funds(project.funds)] if viewer == "purchaser" else None,
        quotes_sealed=domain.sealed(project, now), window=window,
        window_label=domain.WINDOW_LABELS[window] if window else None, **extras)


def quote_out(quote: Quote | quotes.RecordedQuote, quantity: Decimal, *, rank: int | None = None,
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
                               purchaser_name=announcement.purchaser_name, published_at=announcement.published_at,
                               agreement_id=announcement.agreement_id, due_at=announcement.due_at,
                               overdue=overdue(announcement.due_at, announcement.published_at),
                               deadline_provisional=announcement.deadline_provisional)


def announcement_out(announcement: Announcement) -> AnnouncementOut:
    return AnnouncementOut(**announcement_summary(announcement).model_dump(), content=announcement.content,
                           details=announcement.details)


# --- reads ------------------------------------------------------------------------------------------------

async def visible_project(session: AsyncSession, user: Principal, project_id: str) -> Project:
    """The project, if this viewer may see it: a purchaser its own unit's, a supplier one it is invited to."""
    project = None
    if user.is_("purchaser"):
        project = await session.get(Project, project_id)
        if project is not None and project.purchaser_org_id != user.org_id:
            project = None
    elif user.is_("supplier"):
        project = await invited_project(session, project_id, user.org_id)
    if project is None:
        raise domain.no_such_project(project_id)
    return project


async def _page(db: Database, query: Any, limit: int, offset: int) -> tuple[int, list[Any]]:
    """How many rows the query finds in all, and one page of them."""
    async with db.read() as session:
        total = (await session.exec(select(func.count()).select_from(query.order_by(None).subquery()))).one()
        rows = (await session.exec(query.limit(limit).offset(offset))).all()
    return total, list(rows)


async def project_page(db: Database, user: Principal, now: datetime, *, status: Status | None,
                       method: Method | None, limit: int, offset: int) -> ProjectPage:
    """A purchaser's unit's projects, or the projects a supplier is invited to, newest first."""
    query = select(Project)
    if user.is_("purchaser"):
        query = query.where(Project.purchaser_org_id == user.org_id)
    else:
        query = query.join(Invitation, Invitation.project_id == Project.id).where(Invitation.supplier_id == user.org_id)
    if status:
        query = query.where(Project.status == status)
    if method:
        query = query.where(Project.method == method)
    total, rows = await _page(db, query.order_by(col(Project.created_at).desc(), Project.id), limit, offset)
    return ProjectPage(total=total, items=[project_out(p, viewer=user.role, now=now) for p in rows])


async def project_view(db: Database, user: Principal, project_id: str, now: datetime) -> ProjectOut:
    """查看项目: what this viewer may see of it (a supplier: its own quote and services; the purchaser:
    how many quotes, once they are unsealed)."""
    bind_context(project_id=project_id)
    async with db.read() as session:
        project = await visible_project(session, user, project_id)
        agreement = await session.get(AgreementRef, project.agreement_id)
        service = await session.get(ServiceRef, (project.agreement_id, project.service_id)) if project.service_id else None
        supplier = (await session.get(SupplierRef, (project.agreement_id, project.supplier_id))
                    if project.supplier_id else None)
        extras: dict[str, Any] = {
            "agreement_no": agreement.agreement_no if agreement else "",
            "agreement_name": agreement.name if agreement else "",
            "service_name": service.name if service else None,
            "supplier_name": supplier.name if supplier else None,
        }
        if project.winning_quote_id:
            winner = await session.get(Quote, project.winning_quote_id)
            extras["award"] = quote_out(winner, project.quantity, rank=1) if winner else None
        if user.is_("supplier"):
            mine = await session.get(Quote, domain.quote_id_for(project.id, user.org_id))
            extras["my_quote"] = quote_out(mine, project.quantity) if mine else None
            extras["my_services"] = [
                {"service_id": o.service_id, "name": o.service_name, "unit": o.unit,
                 "ceiling_amount": domain.ceiling(o, project)}
                for o in await quotes.offers_of(session, project, user.org_id)]
        elif not domain.sealed(project, now):
            count = (await session.exec(select(func.count()).select_from(Quote)
                                        .where(Quote.project_id == project.id))).one()
            extras["quote_count"] = count
        if user.is_("purchaser") and project.status == Status.AWAITING:
            proposed = (await standing(session, project)).ranked
            if proposed:
                extras["ledger_warning"] = await warning_before_award(session, project, proposed[0].amount)
        if project.method == Method.ROTATION:
            turns = await rotation_turns(session, project.id)
            extras["rotation_turns"] = [t for t in turns if not user.is_("supplier") or t.supplier_id == user.org_id]
    return project_out(project, viewer=user.role, now=now, **extras)


OUTCOME_LABELS = {"offered": "待供应商确认", "awarded": "已接受授予", "declined": "已拒绝授予"}


def turn_out(turn: RotationTurn, name: str) -> RotationTurnOut:
    label = domain.DECLINE_REASONS.get(turn.reason_code, ("", None))[0]
    return RotationTurnOut(**turn.model_dump(include=set(RotationTurnOut.model_fields)), supplier_name=name,
                           outcome_label=OUTCOME_LABELS[turn.outcome], reason_label=label)


async def _names(session: AsyncSession, agreement_id: str) -> dict[str, SupplierRef]:
    rows = await session.exec(select(SupplierRef).where(SupplierRef.agreement_id == agreement_id))
    return {s.supplier_id: s for s in rows.all()}


async def rotation_turns(session: AsyncSession, project_id: str) -> list[RotationTurnOut]:
    turns = (await session.exec(select(RotationTurn).where(RotationTurn.project_id == project_id)
                                .order_by(col(RotationTurn.offered_at), col(RotationTurn.period)))).all()
    names = await _names(session, turns[0].agreement_id) if turns else {}
    return [turn_out(t, names[t.supplier_id].name if t.supplier_id in names else "") for t in turns]


SUPPLIER_LABELS = {"active": "正常", "suspended": "已暂停", "cleared": "已清退"}


async def rotation_order_view(db: Database, agreement_id: str) -> RotationOrderOut:
    """The rotation order as it stands, and each supplier's turn in the current period. Any logged-in
    user: the order is told to every shortlisted supplier."""
    async with db.read() as session:
        agreement = await session.get(AgreementRef, agreement_id)
        if agreement is None or Method.ROTATION not in agreement.methods:
            raise NotFound(f"框架协议 {agreement_id} 不存在或不允许顺序轮候")
        state = await session.get(RotationState, agreement_id)
        period = state.period if state else 1
        slots = (await session.exec(select(RotationSlot).where(RotationSlot.agreement_id == agreement_id)
                                    .order_by(col(RotationSlot.position)))).all()
        turns = {t.supplier_id: t for t in (await session.exec(select(RotationTurn).where(
            RotationTurn.agreement_id == agreement_id, RotationTurn.period == period))).all()}
        projects = {p.id: p.project_no for p in (await session.exec(select(Project).where(
            col(Project.id).in_([t.project_id for t in turns.values()])))).all()} if turns else {}
        names = await _names(session, agreement_id)
    places = []
    for place, slot in enumerate(slots, 1):
        ref = names.get(slot.supplier_id)
        turn = turns.get(slot.supplier_id)
        status = ref.status if ref else "active"
        places.append(RotationPlaceOut(
            position=place, supplier_id=slot.supplier_id, supplier_name=ref.name if ref else "", status=status,
            status_label=SUPPLIER_LABELS.get(status, status),
            turn=turn_out(turn, ref.name if ref else "") if turn else None,
            turn_project_no=projects.get(turn.project_id) if turn else None))
    return RotationOrderOut(agreement_id=agreement_id, agreement_no=agreement.agreement_no,
                            agreement_name=agreement.name, period=period, places=places,
                            decline_reasons={k: v[0] for k, v in domain.DECLINE_REASONS.items()})


async def quotes_view(db: Database, user: Principal, project_id: str, now: datetime) -> QuotesOut:
    """A supplier sees its own quote; the purchaser sees them all, ranked, once they are unsealed."""
    bind_context(project_id=project_id)
    async with db.read() as session:
        project = await visible_project(session, user, project_id)
        is_sealed = domain.sealed(project, now)
        if user.is_("supplier"):
            mine = await session.get(Quote, domain.quote_id_for(project.id, user.org_id))
            return QuotesOut(sealed=is_sealed, closed_at=project.closed_at,
                             quotes=[quote_out(mine, project.quantity)] if mine else [])
        if is_sealed:
            until = f"竞价结束（{domain.fmt_time(project.ends_at)}）" if project.ends_at else "供应商报价"
            raise Conflict(f"报价在{until}之前保持密封", code="quotes_sealed")
        current = await standing(session, project)
    ranked = [quote_out(q, project.quantity, rank=i) for i, q in enumerate(current.ranked, 1)]
    winner = next((q for q in ranked if q.id == project.winning_quote_id), None) if project.winning_quote_id else (
        ranked[0] if ranked and project.status == Status.AWAITING else None)
    return QuotesOut(sealed=False, closed_at=project.closed_at, proposed_winner=winner,
                     quotes=ranked + [quote_out(q, project.quantity, excluded_reason=reason)
                                      for q, reason in current.excluded])


async def announcement_page(db: Database, *, kind: str | None, project_id: str | None, limit: int,
                            offset: int, agreement_id: str | None = None) -> AnnouncementPage:
    query = select(Announcement)
    if kind:
        query = query.where(Announcement.kind == kind)
    if agreement_id:
        query = query.where(Announcement.agreement_id == agreement_id)
    if project_id:
        query = query.where(Announcement.project_id == project_id)
    total, rows = await _page(db, query.order_by(col(Announcement.published_at).desc(), Announcement.id), limit,
                              offset)
    return AnnouncementPage(total=total, items=[announcement_summary(a) for a in rows])


async def announcement_view(db: Database, announcement_id: str) -> AnnouncementOut:
    async with db.read() as session:
        announcement = await session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(f"公告 {announcement_id} 不存在")
    return announcement_out(announcement)
