"""The application layer of bidding: every command is one transaction that checks the rules of
domain.py against the read models, changes the project and records the events it causes (outbox).
The HTTP routes, the event handlers and the timers call these functions; none of them knows HTTP."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain, quotes
from bidding.announcements import (AwardFacts, ProcurementFacts, Rendered, award_announcement, award_due,
                                   procurement_announcement, provisional)
from bidding.domain import Command, Funds, Method, Status
from bidding.store import (AgreementRef, Announcement, Invitation, OfferingRef, PlanLineRef, PlanRef, Project,
                           ServiceRef, SupplierRef, eligible_offers, invited_project, lock_project, offer_of,
                           standing)
from bidding.windows import open_if_due, record_failure, record_termination
from contracts_schema.events.base import Party
from contracts_schema.events.bidding import AnnouncementPublished, ProjectPublished, ResultConfirmed
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Invalid
from servicekit.logging import bind_context
from servicekit.numbering import next_number
from servicekit.outbox import emit
from servicekit.workdays import CHINA, WorkingCalendar

log = logging.getLogger("bidding.workflow")


# --- references a project makes, checked against the read models -------------------------------------

async def _plan_line(session: AsyncSession, user: Principal, plan_id: str, line_id: str) -> tuple[PlanRef, PlanLineRef]:
    plan = await session.get(PlanRef, plan_id)
    if plan is None or plan.purchaser_org_id != user.org_id:
        raise Invalid(f"采购计划 {plan_id} 不在本单位的计划中（刚录入的计划需要片刻才会同步到竞价服务）",
                      code="unknown_plan")
    line = await session.get(PlanLineRef, line_id)
    if line is None or line.plan_id != plan_id:
        raise Invalid(f"采购计划 {plan.plan_no} 没有计划明细 {line_id}", code="unknown_plan_line")
    return plan, line


async def _agreement(session: AsyncSession, agreement_id: str, method: Method, now: datetime, *,
                     at_award: bool = False) -> AgreementRef:
    agreement = await session.get(AgreementRef, agreement_id)
    if agreement is None:
        raise Invalid(f"框架协议 {agreement_id} 不在入围服务库中", code="unknown_agreement")
    problem = domain.agreement_problem(valid_from=agreement.valid_from, valid_to=agreement.valid_to,
                                       expired=agreement.expired, methods=agreement.methods, method=method,
                                       today=domain.shanghai_date(now))
    if problem:
        if at_award:
            raise Conflict(f"{problem}：无法确认成交结果，请终止项目", code="agreement_not_valid")
        raise Invalid(f"{problem}（{agreement.agreement_no}）", code="agreement_not_valid")
    return agreement


def _check_quantity(quantity: Decimal, line: PlanLineRef) -> None:
    if quantity > line.quantity:
        raise Invalid(f"数量 {quantity} 超过计划明细 {line.line_no} 的计划数量（{line.quantity} {line.unit}）",
                      code="quantity_above_plan")


def _party_of_purchaser(project: Project) -> Party:
    return Party(org_id=project.purchaser_org_id, name=project.purchaser_name, address=project.purchaser_address,
                 contact_name=project.contact_name, contact_phone=project.contact_phone)


async def _new_project_no(session: AsyncSession, method: Method, now: datetime) -> str:
    year = domain.shanghai_date(now).year
    return domain.project_no(method, year, await next_number(session, f"project:{method}:{year}"))


# --- direct selection (直接选定) -----------------------------------------------------------------------

@dataclass(frozen=True)
class DirectSelectionInput:
    agreement_id: str
    service_id: str
    supplier_id: str
    plan_id: str
    plan_line_id: str
    quantity: Decimal
    contact_name: str
    contact_phone: str
    office_phone: str = ""
    requirements: str = ""
    name: str | None = None


async def create_direct_selection(db: Database, user: Principal, data: DirectSelectionInput, now: datetime) -> Project:
    """Checks and publishes a direct selection: the agreement is valid and allows it, the supplier is
    shortlisted and not suspended, the service is listed, the plan line's category matches."""
    async with db.transaction() as session:
        plan, line = await _plan_line(session, user, data.plan_id, data.plan_line_id)
        agreement = await _agreement(session, data.agreement_id, Method.DIRECT, now)
        supplier = await session.get(SupplierRef, (agreement.agreement_id, data.supplier_id))
        if supplier is None:
            raise Invalid(f"供应商 {data.supplier_id} 未入围框架协议 {agreement.agreement_no}",
                          code="supplier_not_shortlisted")
        if supplier.status == "cleared":
            raise Invalid(f"{supplier.name} 已被清退出框架协议 {agreement.agreement_no}：{supplier.status_reason}",
                          code="supplier_cleared")
        if supplier.status != "active":
            raise Invalid(f"{supplier.name} 在框架协议 {agreement.agreement_no} 下的资格已暂停：{supplier.status_reason}",
                          code="supplier_suspended")
        service = await session.get(ServiceRef, (agreement.agreement_id, data.service_id))
        offering = (await session.exec(select(OfferingRef).where(
            OfferingRef.agreement_id == agreement.agreement_id, OfferingRef.service_id == data.service_id,
            OfferingRef.supplier_id == data.supplier_id, OfferingRef.listed.is_(True)))).first()
        if service is None or offering is None:
            raise Invalid(f"{supplier.name} 在框架协议 {agreement.agreement_no} 下没有上架服务 {data.service_id}",
                          code="service_not_listed")
        if not domain.category_matches(line.category_code, service.category_code):
            raise Invalid(f"服务的品目 {service.category_code} 与计划明细 {line.line_no} 的品目 {line.category_code} 不符",
                          code="category_mismatch")
        _check_quantity(data.quantity, line)

        project = await _published_project(
            session, user, plan, line, data, Method.DIRECT, now, name=f"{line.item_name}（{service.name}）直接选定",
            category_code=service.category_code, agreement_id=agreement.agreement_id, service_id=service.service_id,
            supplier_id=supplier.supplier_id, unit=service.unit)
        project.ceiling_amount = domain.ceiling(offer_of(offering, service), project)
        session.add(project)
        session.add(Invitation(project_id=project.id, supplier_id=supplier.supplier_id, invited_at=now))
        await emit(session, _published_event(project, agreement))
    log.info("direct selection published", extra={"project_no": project.project_no})
    return project


async def _published_project(session: AsyncSession, user: Principal, plan: PlanRef, line: PlanLineRef, data: Any,
                             method: Method, now: datetime, *, name: str, **fields: Any) -> Project:
    """A project published at once from a plan line (direct selection, rotation): its number, the plan's and
    the purchaser's facts, the contact the purchaser gave; `fields` are the method's own."""
    project = Project(
        id=f"PJ{uuid4().hex[:16]}", project_no=await _new_project_no(session, method, now), method=method,
        name=data.name or name, status=domain.next_status(method, Status.DRAFT, Command.PUBLISH), funds=Funds.PENDING,
        purchaser_org_id=user.org_id, purchaser_name=plan.purchaser_name or user.org_name,
        purchaser_address=plan.purchaser_address, created_by=user.username, contact_name=data.contact_name,
        contact_phone=data.contact_phone, office_phone=data.office_phone, plan_id=plan.plan_id,
        plan_line_id=line.line_id, filing_no=plan.filing_no, item_name=line.item_name, quantity=data.quantity,
        requirements=data.requirements, created_at=now, updated_at=now, published_at=now, **fields)
    bind_context(project_id=project.id)
    return project


def _published_event(project: Project, agreement: AgreementRef) -> ProjectPublished:
    assert project.published_at is not None and project.ceiling_amount is not None
    return ProjectPublished(
        project_id=project.id, project_no=project.project_no, name=project.name, method=project.method,
        purchaser=_party_of_purchaser(project), plan_id=project.plan_id, plan_line_id=project.plan_line_id,
        filing_no=project.filing_no, agreement_id=project.agreement_id, agreement_no=agreement.agreement_no,
        category_code=project.category_code, service_id=project.service_id, supplier_id=project.supplier_id,
        quantity=project.quantity, unit=project.unit, reserve_amount=project.ceiling_amount,
        requirements=project.requirements, starts_at=project.starts_at, ends_at=project.ends_at,
        published_at=project.published_at, procurement_announcement_id=project.procurement_announcement_id)


# --- secondary bidding (二次竞价): draft, edit, preview, publish ------------------------------------------

SECONDARY_FIELDS = ("name", "category_code", "agreement_id", "plan_id", "plan_line_id", "quantity", "requirements",
                    "contact_name", "contact_phone", "office_phone", "price_limit")


async def _check_secondary(session: AsyncSession, user: Principal, project: Project,
                           now: datetime) -> tuple[PlanRef, PlanLineRef, AgreementRef]:
    plan, line = await _plan_line(session, user, project.plan_id, project.plan_line_id)
    agreement = await _agreement(session, project.agreement_id, Method.SECONDARY, now)
    if not domain.category_matches(agreement.category_code, project.category_code):
        raise Invalid(f"品目 {project.category_code} 不在框架协议 {agreement.agreement_no}（{agreement.category_code} "
                      f"{agreement.category_name}）的范围内", code="category_mismatch")
    if not domain.category_matches(line.category_code, project.category_code):
        raise Invalid(f"品目 {project.category_code} 与计划明细 {line.line_no} 的品目 {line.category_code} 不符",
                      code="category_mismatch")
    _check_quantity(project.quantity, line)
    return plan, line, agreement


def _apply_plan(project: Project, plan: PlanRef, line: PlanLineRef) -> None:
    project.purchaser_name = plan.purchaser_name or project.purchaser_name
    project.purchaser_address = plan.purchaser_address
    project.filing_no = plan.filing_no
    project.item_name = line.item_name
    project.unit = line.unit


async def create_secondary_bidding(db: Database, user: Principal, values: dict[str, Any], now: datetime) -> Project:
    """新增/保存: a draft (草稿) the purchaser may edit before publishing."""
    async with db.transaction() as session:
        line = await session.get(PlanLineRef, values["plan_line_id"])
        values = {"quantity": line.quantity if line else Decimal(1), **{k: v for k, v in values.items() if v is not None}}
        project_id = f"PJ{uuid4().hex[:16]}"
        bind_context(project_id=project_id)
        project = Project(id=project_id, project_no=await _new_project_no(session, Method.SECONDARY, now),
                          method=Method.SECONDARY, status=Status.DRAFT, funds=Funds.NONE,
                          purchaser_org_id=user.org_id, purchaser_name=user.org_name, created_by=user.username,
                          filing_no="", item_name="", unit="", created_at=now, updated_at=now, **values)
        plan, line, _ = await _check_secondary(session, user, project, now)
        _apply_plan(project, plan, line)
        session.add(project)
    return project


async def _own_project(session: AsyncSession, user: Principal, project_id: str) -> Project:
    project = await lock_project(session, project_id)
    if project is None or project.purchaser_org_id != user.org_id:
        raise domain.no_such_project(project_id)
    bind_context(project_id=project.id)
    return project


async def edit_draft(db: Database, user: Principal, project_id: str, changes: dict[str, Any], now: datetime) -> Project:
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        domain.next_status(project.method, project.status, Command.EDIT)
        for field, value in changes.items():
            setattr(project, field, value)
        plan, line, _ = await _check_secondary(session, user, project, now)
        _apply_plan(project, plan, line)
        project.updated_at = now
        session.add(project)
    return project


@dataclass(frozen=True)
class Window:
    starts_at: datetime | None
    duration: timedelta


async def _announce(session: AsyncSession, user: Principal, project: Project, window: Window,
                    bounds: domain.DurationBounds, now: datetime) -> tuple[Rendered, datetime, datetime, Decimal, list[str]]:
    """The procurement announcement as it would be published now, with the window, the ceiling and the
    suppliers invited. Raises what publishing would refuse."""
    plan, line, agreement = await _check_secondary(session, user, project, now)
    _apply_plan(project, plan, line)
    starts_at, ends_at = domain.plan_window(now, window.starts_at, window.duration, bounds)
    if domain.shanghai_date(ends_at) > agreement.valid_to:
        raise Invalid(f"竞价将于 {domain.fmt_time(ends_at)} 结束，晚于框架协议 {agreement.agreement_no} 的到期日"
                      f"（{agreement.valid_to.isoformat()}）：届时将无法确认成交结果", code="ends_after_agreement")
    offers = await eligible_offers(session, project)
    if not offers:
        raise Invalid(f"框架协议 {agreement.agreement_no} 的入围供应商中没有人上架品目 {project.category_code} 的服务："
                      "无人可以报价", code="no_eligible_supplier")
    ceiling = domain.project_ceiling((o for supplier_offers in offers.values() for o in supplier_offers), project)
    rendered = procurement_announcement(ProcurementFacts(
        project_no=project.project_no, project_name=project.name, purchaser_name=project.purchaser_name,
        purchaser_address=project.purchaser_address, contact_name=project.contact_name,
        contact_phone=project.contact_phone, office_phone=project.office_phone, agreement_no=agreement.agreement_no,
        agreement_name=agreement.name, category_code=project.category_code, item_name=project.item_name,
        quantity=project.quantity, unit=project.unit, requirements=project.requirements, ceiling_amount=ceiling,
        starts_at=starts_at, ends_at=ends_at))
    return rendered, starts_at, ends_at, ceiling, sorted(offers)


async def preview_announcement(db: Database, user: Principal, project_id: str, window: Window,
                               bounds: domain.DurationBounds, now: datetime) -> Rendered:
    """预览公告: renders the procurement announcement; stores nothing."""
    async with db.read() as session:
        stored = await session.get(Project, project_id)
        if stored is None or stored.purchaser_org_id != user.org_id:
            raise domain.no_such_project(project_id)
        if stored.method != Method.SECONDARY:
            raise Conflict("只有二次竞价项目有采购公告", code="illegal_transition")
        domain.next_status(stored.method, stored.status, Command.PUBLISH)
        project = Project(**stored.model_dump())  # a detached copy: the preview fills in facts, writes nothing
        rendered, *_ = await _announce(session, user, project, window, bounds, now)
    return rendered


async def publish_secondary(db: Database, user: Principal, project_id: str, window: Window,
                            bounds: domain.DurationBounds, now: datetime) -> Project:
    """发布: stores the procurement announcement, invites the eligible suppliers (they see the project
    as 待开始) and asks plans for the funds (ProjectPublished)."""
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        status = domain.next_status(project.method, project.status, Command.PUBLISH)
        rendered, starts_at, ends_at, ceiling, invited = await _announce(session, user, project, window, bounds, now)
        agreement = await session.get(AgreementRef, project.agreement_id)
        assert agreement is not None
        announcement = await _store_announcement(session, project, rendered, now)
        project.status, project.funds = status, Funds.PENDING
        project.starts_at, project.ends_at = starts_at, ends_at
        project.duration_seconds = int(window.duration.total_seconds())
        project.ceiling_amount, project.procurement_announcement_id = ceiling, announcement.id
        project.published_at = project.updated_at = now
        session.add(project)
        session.add_all([Invitation(project_id=project.id, supplier_id=s, invited_at=now) for s in invited])
        await emit(session, _published_event(project, agreement))
    log.info("secondary bidding published", extra={"project_no": project.project_no, "starts_at": str(starts_at),
                                                   "ends_at": str(ends_at), "invited": len(invited)})
    return project


async def _publish_award(session: AsyncSession, project: Project, agreement: AgreementRef, service: ServiceRef,
                         supplier: SupplierRef, unit_price: Decimal, amount: Decimal, now: datetime,
                         calendar: WorkingCalendar) -> Announcement:
    """The award announcement (成交结果公告) of any method, due 2 working days after the award (award_due)."""
    rendered = award_announcement(AwardFacts(
        project_no=project.project_no, project_name=project.name, method_label=domain.METHOD_LABELS[project.method],
        purchaser_name=project.purchaser_name, purchaser_address=project.purchaser_address,
        contact_name=project.contact_name, contact_phone=project.contact_phone, supplier_name=supplier.name,
        supplier_address=supplier.address, agreement_no=agreement.agreement_no, agreement_name=agreement.name,
        service_name=service.name, requirements=project.requirements, quantity=project.quantity, unit=service.unit,
        unit_price=unit_price, amount=amount, confirmed_at=now))
    return await _store_announcement(session, project, rendered, now, calendar=calendar,
                                     due_at=award_due(project.method, now, calendar))


def _result_confirmed(project: Project, agreement: AgreementRef, service: ServiceRef, supplier: SupplierRef,
                      unit_price: Decimal, amount: Decimal, announcement: Announcement, now: datetime,
                      **extra: Any) -> ResultConfirmed:
    """The award every method ends with: orders and contracts follow it whatever the method."""
    assert project.ceiling_amount is not None
    return ResultConfirmed(
        project_id=project.id, project_no=project.project_no, project_name=project.name, method=project.method,
        purchaser=_party_of_purchaser(project),
        supplier=Party(org_id=supplier.supplier_id, name=supplier.name, address=supplier.address,
                       contact_name=supplier.contact_name, contact_phone=supplier.contact_phone),
        plan_id=project.plan_id, plan_line_id=project.plan_line_id, filing_no=project.filing_no,
        agreement_id=agreement.agreement_id, agreement_no=agreement.agreement_no, agreement_name=agreement.name,
        contract_template=agreement.contract_template, service_id=service.service_id, service_name=service.name,
        category_code=service.category_code, unit=service.unit, quantity=project.quantity, unit_price=unit_price,
        amount=amount, reserved_amount=project.ceiling_amount, requirements=project.requirements,
        award_announcement_id=announcement.id, confirmed_at=now, **extra)


async def _store_announcement(session: AsyncSession, project: Project, rendered: Rendered,
                              now: datetime, *, due_at: datetime | None = None,
                              calendar: WorkingCalendar = CHINA) -> Announcement:
    """Publishes a project's announcement; `due_at`: the deadline the measures set for it, if any."""
    return await store_announcement(session, rendered, now, subject=project.id, project_no=project.project_no,
                                    name=project.name, org_id=project.purchaser_org_id,
                                    org_name=project.purchaser_name, agreement_id=project.agreement_id,
                                    due_at=due_at, calendar=calendar)


async def store_announcement(session: AsyncSession, rendered: Rendered, now: datetime, *, subject: str,
                             project_no: str, name: str, org_id: str, org_name: str, agreement_id: str,
                             due_at: datetime | None, calendar: WorkingCalendar) -> Announcement:
    """Stores and publishes (AnnouncementPublished, key `subject`: the project, or the agreement of a
    summary) an announcement in the caller's transaction; `org_*` the unit it is published for."""
    announcement = Announcement(
        id=f"AN{uuid4().hex[:16]}", project_id=subject, project_no=project_no, project_name=name,
        kind=rendered.kind, title=rendered.title, content=rendered.content, details=rendered.details,
        purchaser_org_id=org_id, purchaser_name=org_name, published_at=now, agreement_id=agreement_id,
        due_at=due_at, deadline_provisional=provisional(due_at, calendar))
    session.add(announcement)
    await emit(session, AnnouncementPublished(
        announcement_id=announcement.id, project_id=subject, project_no=project_no, kind=rendered.kind,
        title=rendered.title, content=rendered.content, published_at=now, project_name=name,
        purchaser_org_id=org_id, purchaser_name=org_name, agreement_id=agreement_id, due_at=due_at))
    return announcement


# --- quotes (报价), and the chosen supplier's refusal (direct selection) ----------------------------------

async def submit_quote(db: Database, user: Principal, project_id: str, amount: Decimal, service_id: str | None,
                       note: str, clock: domain.Clock) -> tuple[quotes.RecordedQuote, Decimal]:
    """A supplier quotes or revises its quote (quotes.py: the path that carries load). A quote that
    comes at the window's start before the timer's tick opens the window first. Returns the quote as
    stored and the project's quantity."""
    bind_context(project_id=project_id)
    try:
        return await quotes.record_quote(db, user, project_id, amount, service_id, note, clock)
    except quotes.OpensFirst:
        await open_if_due(db, project_id, clock)
        return await quotes.record_quote(db, user, project_id, amount, service_id, note, clock)


async def decline(db: Database, user: Principal, project_id: str, reason: str, now: datetime) -> Project:
    """The chosen supplier of a direct selection declines to quote, with a reason: 项目失败."""
    async with db.transaction() as session:
        if await invited_project(session, project_id, user.org_id) is None:
            raise domain.no_such_project(project_id)
        project = await lock_project(session, project_id)
        assert project is not None
        bind_context(project_id=project.id)
        project.status = domain.next_status(project.method, project.status, Command.DECLINE)
        project.closed_at = now
        await record_failure(session, project, f"供应商拒绝报价：{reason}", now)
        project.ended_by = user.username
    return project


# --- result (确认成交结果) and termination (终止) --------------------------------------------------------

async def confirm_result(db: Database, user: Principal, project_id: str, quote_id: str | None,
                         now: datetime, *, calendar: WorkingCalendar = CHINA) -> Project:
    """Confirms the proposed winner: checks the agreement and the supplier again, publishes the award
    announcement (at once; its deadline, 2 working days by `calendar` for the methods announced award by
    award, is recorded) and ResultConfirmed (orders, contracts and plans act on it), → 项目成功."""
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        status = domain.next_status(project.method, project.status, Command.CONFIRM)
        agreement = await _agreement(session, project.agreement_id, Method(project.method), now, at_award=True)
        current = await standing(session, project)
        if not current.ranked:
            raise Conflict("没有可成交的有效报价（报价的供应商资格均已暂停）：请终止项目", code="no_eligible_quote")
        winner = current.ranked[0]
        if quote_id is not None and quote_id != winner.id:
            raise Conflict(f"成交候选供应商已变为 {winner.supplier_name}（报价 {winner.id}）：请重新查看报价后再确认",
                           code="winner_changed")
        for quote, reason in current.excluded:
            if not quote.excluded_reason:  # excluded again at the award
                quote.excluded_reason = reason
                session.add(quote)
        supplier = await session.get(SupplierRef, (project.agreement_id, winner.supplier_id))
        service = await session.get(ServiceRef, (project.agreement_id, winner.service_id))
        offering = await session.get(OfferingRef, winner.offering_id)
        assert supplier is not None and service is not None
        if offering is not None and winner.amount > (ceiling := domain.ceiling(offer_of(offering, service), project)):
            raise Conflict(f"报价 {winner.amount:.2f} 元现已高于最高可报价 {ceiling:.2f} 元（协议价格 × 数量，且不超过"
                           "最高限价）：无法确认成交结果", code="above_ceiling")
        unit_price = domain.unit_price_of(winner.amount, project.quantity)
        announcement = await _publish_award(session, project, agreement, service, supplier, unit_price,
                                            winner.amount, now, calendar)
        project.status, project.winning_quote_id, project.award_amount = status, winner.id, winner.amount
        project.award_announcement_id, project.ended_at, project.ended_by = announcement.id, now, user.username
        project.updated_at = now
        session.add(project)
        assert project.ceiling_amount is not None
        await emit(session, _result_confirmed(project, agreement, service, supplier, unit_price, winner.amount,
                                              announcement, now, winning_quote_id=winner.id,
                                              quoted_at=winner.quoted_at))
    log.info("result confirmed", extra={"supplier_id": winner.supplier_id, "amount": str(winner.amount)})
    return project


async def terminate(db: Database, user: Principal, project_id: str, reason: str, now: datetime) -> Project:
    """终止项目 with a reason, from 草稿, 待开始, 项目报价中 or 结果待确认; plans releases the reservation."""
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        await record_termination(session, project, reason, user.username, now)
    return project
