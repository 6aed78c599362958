"""The application layer of bidding: every command is one transaction that checks the rules of
domain.py against the read models, changes the project and records the events it causes (outbox).
The HTTP routes, the event handlers and the timers call these functions; none of them knows HTTP."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from bidding.announcements import AwardFacts, ProcurementFacts, Rendered, award_announcement, procurement_announcement
from bidding.domain import Command, Funds, Method, Status
from bidding.store import (AgreementRef, Announcement, Invitation, OfferingRef, PlanLineRef, PlanRef, Project,
                           Quote, ServiceRef, SupplierRef, listed_offerings, lock_project, next_number,
                           project_quotes, suspended_suppliers)
from contracts_schema.events.base import Party
from contracts_schema.events.bidding import (AnnouncementPublished, ProjectFailed, ProjectPublished,
                                             ProjectTerminated, ResultConfirmed)
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Invalid, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit

log = logging.getLogger("bidding.workflow")

Clock = Callable[[], datetime]
"""Returns the current instant (timezone-aware UTC). Tests pass a clock they move by hand."""


# --- references a project makes, checked against the read models -------------------------------------

async def _plan_line(session: AsyncSession, user: Principal, plan_id: str, line_id: str) -> tuple[PlanRef, PlanLineRef]:
    plan = await session.get(PlanRef, plan_id)
    if plan is None or plan.purchaser_org_id != user.org_id:
        raise Invalid(f"plan {plan_id} is not among your unit's plans (a plan just entered takes a moment to "
                      "reach bidding)", code="unknown_plan")
    line = await session.get(PlanLineRef, line_id)
    if line is None or line.plan_id != plan_id:
        raise Invalid(f"plan {plan.plan_no} has no line {line_id}", code="unknown_plan_line")
    return plan, line


async def _agreement(session: AsyncSession, agreement_id: str, method: Method, now: datetime, *,
                     at_award: bool = False) -> AgreementRef:
    agreement = await session.get(AgreementRef, agreement_id)
    if agreement is None:
        raise Invalid(f"framework agreement {agreement_id} is not in the shortlisted-service library",
                      code="unknown_agreement")
    problem = domain.agreement_problem(valid_from=agreement.valid_from, valid_to=agreement.valid_to,
                                       expired=agreement.expired, methods=agreement.methods, method=method,
                                       today=domain.shanghai_date(now))
    if problem:
        if at_award:
            raise Conflict(f"{problem}: the result cannot be confirmed; terminate the project",
                           code="agreement_not_valid")
        raise Invalid(f"{problem} ({agreement.agreement_no})", code="agreement_not_valid")
    return agreement


def _check_quantity(quantity: Decimal, line: PlanLineRef) -> None:
    if quantity > line.quantity:
        raise Invalid(f"the quantity {quantity} is more than plan line {line.line_no} plans ({line.quantity} "
                      f"{line.unit})", code="quantity_above_plan")


def offering_ceiling(agreement_price: Decimal, discount_tiers: list[dict[str, str]], quantity: Decimal) -> Decimal:
    tiers = [domain.Tier(Decimal(str(t["min_quantity"])), Decimal(str(t["unit_price"]))) for t in discount_tiers]
    return domain.ceiling_amount(agreement_price, tiers, quantity)


@dataclass(frozen=True)
class Offer:
    """What one supplier may quote with on a project: a listed service it offers, with its ceiling
    (its agreement price, volume discounts applied, × the quantity)."""

    offering_id: str
    service_id: str
    service_name: str
    unit: str
    ceiling: Decimal


def serves(method: str, category_code: str, chosen_service_id: str | None, service_id: str,
           service_category: str) -> bool:
    """Whether a service answers the project: the chosen one (direct selection), or any of the
    project's category (secondary bidding)."""
    if method == Method.DIRECT:
        return service_id == chosen_service_id
    return domain.category_matches(category_code, service_category)


async def eligible_offers(session: AsyncSession, project: Project) -> dict[str, list[Offer]]:
    """{supplier_id: offers} of every active shortlisted supplier of the agreement with a listed
    service in the project's category (二次竞价 invites them all)."""
    out: dict[str, list[Offer]] = {}
    for offering, service, supplier in await listed_offerings(session, project.agreement_id):
        if supplier.status != "active" or not serves(project.method, project.category_code, project.service_id,
                                                     service.service_id, service.category_code):
            continue
        out.setdefault(supplier.supplier_id, []).append(Offer(
            offering.offering_id, service.service_id, service.name, service.unit,
            offering_ceiling(offering.agreement_price, offering.discount_tiers, project.quantity)))
    return out


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
            raise Invalid(f"supplier {data.supplier_id} is not shortlisted under {agreement.agreement_no}",
                          code="supplier_not_shortlisted")
        if supplier.status != "active":
            raise Invalid(f"{supplier.name} is suspended under {agreement.agreement_no}: {supplier.status_reason}",
                          code="supplier_suspended")
        service = await session.get(ServiceRef, (agreement.agreement_id, data.service_id))
        offering = (await session.exec(select(OfferingRef).where(
            OfferingRef.agreement_id == agreement.agreement_id, OfferingRef.service_id == data.service_id,
            OfferingRef.supplier_id == data.supplier_id, OfferingRef.listed.is_(True)))).first()
        if service is None or offering is None:
            raise Invalid(f"{supplier.name} has no listed service {data.service_id} under {agreement.agreement_no}",
                          code="service_not_listed")
        if not domain.category_matches(line.category_code, service.category_code):
            raise Invalid(f"the service's category {service.category_code} does not match plan line {line.line_no}'s "
                          f"category {line.category_code}", code="category_mismatch")
        _check_quantity(data.quantity, line)
        ceiling = offering_ceiling(offering.agreement_price, offering.discount_tiers, data.quantity)

        project_id = f"PJ{uuid4().hex[:16]}"
        bind_context(project_id=project_id)
        project = Project(
            id=project_id, project_no=await _new_project_no(session, Method.DIRECT, now), method=Method.DIRECT,
            name=data.name or f"{line.item_name}（{service.name}）直接选定",
            status=domain.next_status(Method.DIRECT, Status.DRAFT, Command.PUBLISH), funds=Funds.PENDING,
            purchaser_org_id=user.org_id, purchaser_name=plan.purchaser_name or user.org_name,
            purchaser_address=plan.purchaser_address, created_by=user.username, contact_name=data.contact_name,
            contact_phone=data.contact_phone, office_phone=data.office_phone, plan_id=plan.plan_id,
            plan_line_id=line.line_id, filing_no=plan.filing_no, item_name=line.item_name,
            category_code=service.category_code, agreement_id=agreement.agreement_id, service_id=service.service_id,
            supplier_id=supplier.supplier_id, quantity=data.quantity, unit=service.unit, ceiling_amount=ceiling,
            requirements=data.requirements, created_at=now, updated_at=now, published_at=now)
        session.add(project)
        session.add(Invitation(project_id=project_id, supplier_id=supplier.supplier_id, invited_at=now))
        await emit(session, _published_event(project, agreement))
    log.info("direct selection published", extra={"project_no": project.project_no})
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
        raise Invalid(f"category {project.category_code} is not covered by {agreement.agreement_no} "
                      f"({agreement.category_code} {agreement.category_name})", code="category_mismatch")
    if not domain.category_matches(line.category_code, project.category_code):
        raise Invalid(f"category {project.category_code} does not match plan line {line.line_no}'s category "
                      f"{line.category_code}", code="category_mismatch")
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
        raise NotFound(f"project {project_id} not found")
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
        raise Invalid(f"the bidding would end on {domain.fmt_time(ends_at)}, after {agreement.agreement_no} expires "
                      f"({agreement.valid_to.isoformat()}): the result could not be confirmed", code="ends_after_agreement")
    offers = await eligible_offers(session, project)
    if not offers:
        raise Invalid(f"no shortlisted supplier of {agreement.agreement_no} has a listed service in category "
                      f"{project.category_code}: nobody could quote", code="no_eligible_supplier")
    ceiling = max(o.ceiling for supplier_offers in offers.values() for o in supplier_offers)
    if project.price_limit is not None:
        ceiling = min(ceiling, project.price_limit)
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
            raise NotFound(f"project {project_id} not found")
        if stored.method != Method.SECONDARY:
            raise Conflict("only a secondary bidding has a procurement announcement", code="illegal_transition")
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


async def _store_announcement(session: AsyncSession, project: Project, rendered: Rendered,
                              now: datetime) -> Announcement:
    announcement = Announcement(
        id=f"AN{uuid4().hex[:16]}", project_id=project.id, project_no=project.project_no,
        project_name=project.name, kind=rendered.kind, title=rendered.title, content=rendered.content,
        details=rendered.details, purchaser_org_id=project.purchaser_org_id, purchaser_name=project.purchaser_name,
        published_at=now)
    session.add(announcement)
    await emit(session, AnnouncementPublished(
        announcement_id=announcement.id, project_id=project.id, project_no=project.project_no, kind=rendered.kind,
        title=rendered.title, content=rendered.content, published_at=now, project_name=project.name,
        purchaser_org_id=project.purchaser_org_id, purchaser_name=project.purchaser_name))
    return announcement


def ranked_quotes(quotes: list[Quote]) -> list[domain.RankedQuote]:
    return [domain.RankedQuote(q.id, q.supplier_id, q.amount, q.quoted_at, q.seq) for q in quotes]


async def record_failure(session: AsyncSession, project: Project, reason: str, now: datetime) -> None:
    """项目失败 (no valid quote): plans releases the reservation."""
    project.outcome_reason, project.ended_at, project.ended_by = reason, now, "system"
    session.add(project)
    await emit(session, ProjectFailed(project_id=project.id, project_no=project.project_no, method=project.method,
                                      plan_id=project.plan_id, plan_line_id=project.plan_line_id, reason=reason,
                                      previous_status=Status.QUOTING, failed_at=now))


# --- the chosen supplier declines (direct selection) ---------------------------------------------------

def quote_id_for(project_id: str, supplier_id: str) -> str:
    """One quote per supplier and project; revisions keep its id."""
    return "QT" + hashlib.sha256(f"{project_id}|{supplier_id}".encode()).hexdigest()[:16]


async def invited_project(session: AsyncSession, user: Principal, project_id: str) -> Project:
    """The project, if this supplier may see it (invited); else NotFound."""
    project = await session.get(Project, project_id)
    if project is None or await session.get(Invitation, (project_id, user.org_id)) is None:
        raise NotFound(f"project {project_id} not found")
    return project


async def decline(db: Database, user: Principal, project_id: str, reason: str, now: datetime) -> Project:
    """The chosen supplier of a direct selection declines to quote, with a reason: 项目失败."""
    async with db.transaction() as session:
        await invited_project(session, user, project_id)
        project = await lock_project(session, project_id)
        assert project is not None
        bind_context(project_id=project.id)
        project.status = domain.next_status(project.method, project.status, Command.DECLINE)
        project.closed_at = now
        await record_failure(session, project, f"供应商拒绝报价：{reason}", now)
        project.ended_by = user.username
    return project


# --- result (确认成交结果) and termination (终止) --------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    """The ranking as it stands now: quotes excluded at the close stay out; a supplier suspended since
    is excluded again at the award."""

    ranked: list[Quote]
    excluded: dict[str, str]  # quote id → why


async def standing(session: AsyncSession, project: Project) -> Standing:
    """While the result awaits confirmation, a supplier suspended since the close is excluded too;
    once decided, the ranking stays as it was decided (the award recorded its exclusions)."""
    quotes = await project_quotes(session, project.id)
    suspended = (await suspended_suppliers(session, project.agreement_id)
                 if project.status == Status.AWAITING else {})
    excluded = {q.id: q.excluded_reason or f"竞价结束后供应商资格被暂停：{suspended[q.supplier_id]}"
                for q in quotes if q.excluded_reason or q.supplier_id in suspended}
    by_id = {q.id: q for q in quotes}
    order = domain.rank(ranked_quotes([q for q in quotes if q.id not in excluded]))
    return Standing([by_id[r.quote_id] for r in order], excluded)


async def confirm_result(db: Database, user: Principal, project_id: str, quote_id: str | None,
                         now: datetime) -> Project:
    """Confirms the proposed winner: checks the agreement and the supplier again, publishes the award
    announcement and ResultConfirmed (orders, contracts and plans act on it), → 项目成功."""
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        status = domain.next_status(project.method, project.status, Command.CONFIRM)
        agreement = await _agreement(session, project.agreement_id, Method(project.method), now, at_award=True)
        current = await standing(session, project)
        if not current.ranked:
            raise Conflict("no eligible quote remains (the quoting suppliers are suspended): terminate the project",
                           code="no_eligible_quote")
        winner = current.ranked[0]
        if quote_id is not None and quote_id != winner.id:
            raise Conflict(f"the proposed winner is now {winner.supplier_name} (quote {winner.id}); review the quotes "
                           "and confirm again", code="winner_changed")
        for quote in await project_quotes(session, project.id):
            if quote.id in current.excluded and not quote.excluded_reason:  # excluded again at the award
                quote.excluded_reason = current.excluded[quote.id]
                session.add(quote)
        supplier = await session.get(SupplierRef, (project.agreement_id, winner.supplier_id))
        service = await session.get(ServiceRef, (project.agreement_id, winner.service_id))
        offering = await session.get(OfferingRef, winner.offering_id)
        assert supplier is not None and service is not None
        if offering is not None and winner.amount > offering_ceiling(offering.agreement_price,
                                                                    offering.discount_tiers, project.quantity):
            raise Conflict(f"the quote {winner.amount:.2f} is now above the agreement price × quantity",
                           code="above_ceiling")
        unit_price = domain.unit_price_of(winner.amount, project.quantity)
        rendered = award_announcement(AwardFacts(
            project_no=project.project_no, project_name=project.name, method_label=domain.METHOD_LABELS[project.method],
            purchaser_name=project.purchaser_name, purchaser_address=project.purchaser_address,
            contact_name=project.contact_name, contact_phone=project.contact_phone, supplier_name=supplier.name,
            supplier_address=supplier.address, agreement_no=agreement.agreement_no, agreement_name=agreement.name,
            service_name=service.name, requirements=project.requirements, quantity=project.quantity, unit=service.unit,
            unit_price=unit_price, amount=winner.amount, confirmed_at=now))
        announcement = await _store_announcement(session, project, rendered, now)
        project.status, project.winning_quote_id, project.award_amount = status, winner.id, winner.amount
        project.award_announcement_id, project.ended_at, project.ended_by = announcement.id, now, user.username
        project.updated_at = now
        session.add(project)
        assert project.ceiling_amount is not None
        await emit(session, ResultConfirmed(
            project_id=project.id, project_no=project.project_no, project_name=project.name, method=project.method,
            purchaser=_party_of_purchaser(project),
            supplier=Party(org_id=supplier.supplier_id, name=supplier.name, address=supplier.address,
                           contact_name=supplier.contact_name, contact_phone=supplier.contact_phone),
            plan_id=project.plan_id, plan_line_id=project.plan_line_id, filing_no=project.filing_no,
            agreement_id=agreement.agreement_id, agreement_no=agreement.agreement_no, agreement_name=agreement.name,
            contract_template=agreement.contract_template, service_id=service.service_id, service_name=service.name,
            category_code=service.category_code, unit=service.unit, quantity=project.quantity, unit_price=unit_price,
            amount=winner.amount, reserved_amount=project.ceiling_amount, requirements=project.requirements,
            award_announcement_id=announcement.id, confirmed_at=now, winning_quote_id=winner.id,
            quoted_at=winner.quoted_at))
    log.info("result confirmed", extra={"supplier_id": winner.supplier_id, "amount": str(winner.amount)})
    return project


async def terminate(db: Database, user: Principal, project_id: str, reason: str, now: datetime) -> Project:
    """终止项目 with a reason, from 草稿, 待开始, 项目报价中 or 结果待确认; plans releases the reservation."""
    async with db.transaction() as session:
        project = await _own_project(session, user, project_id)
        await record_termination(session, project, reason, user.username, now)
    return project


async def record_termination(session: AsyncSession, project: Project, reason: str, by: str, now: datetime, *,
                     command: Command = Command.TERMINATE) -> None:
    previous = project.status
    project.status = domain.next_status(project.method, project.status, command)
    project.outcome_reason, project.ended_by, project.ended_at, project.updated_at = reason, by, now, now
    session.add(project)
    if previous != Status.DRAFT:  # a draft was never public: nothing to release, nobody to tell
        await emit(session, ProjectTerminated(
            project_id=project.id, project_no=project.project_no, method=project.method, plan_id=project.plan_id,
            plan_line_id=project.plan_line_id, previous_status=previous, reason=reason, terminated_by=by,
            terminated_at=now))
    log.info("project terminated", extra={"previous_status": previous, "by": by})
