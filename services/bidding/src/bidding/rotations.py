"""The commands of rotation projects (顺序轮候), one transaction each; the rules are domain.py's rotation
section (who is next, which declines count), the transaction is here:

- `create_rotation`: the purchaser publishes a rotation project; it goes at once to the next supplier in
  the agreement's rotation order (RotationOffered) and asks plans for the funds (ProjectPublished);
- `accept`: that supplier accepts → 项目成功 at its agreement price: the award announcement and the same
  ResultConfirmed as the other methods (orders, contracts and plans need nothing new);
- `decline`: it declines with a reason code → the next supplier (RotationDeclined, then RotationOffered),
  or 项目失败 when nobody can take it;
- `pass_on_cleared`: a supplier cleared (清退) while a project waits for its answer: the project goes to
  the next supplier.

Two purchasers racing for the next supplier: every pick locks the agreement's RotationState row
(SELECT … FOR UPDATE; SQLite serializes write transactions anyway), reads the period's turns after the
lock, and inserts the turn under the primary key (agreement, period, supplier) — the database itself
refuses a second turn for one supplier in one period."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain, workflow
from bidding.domain import Command, Method, Status
from bidding.store import (Invitation, Project, RotationSlot, RotationState, RotationTurn, ServiceRef, SupplierRef,
                           eligible_offers, invited_project, lock_project)
from bidding.windows import record_failure
from bidding.workflow import (_agreement, _check_quantity, _plan_line,
                              _publish_award, _published_event, _published_project,
                              _result_confirmed)
from contracts_schema.events.bidding import RotationDeclined, RotationOffered
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, Invalid
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.workdays import CHINA, WorkingCalendar

log = logging.getLogger("bidding.rotations")


@dataclass(frozen=True)
class RotationInput:
    agreement_id: str
    plan_id: str
    plan_line_id: str
    quantity: Decimal
    contact_name: str
    contact_phone: str
    office_phone: str = ""
    requirements: str = ""
    name: str | None = None
    category_code: str | None = None


# --- the pick: the next supplier in the order, under the agreement's lock -------------------------------

async def _lock_state(session: AsyncSession, agreement_id: str) -> RotationState:
    query = (select(RotationState).where(RotationState.agreement_id == agreement_id).with_for_update()
             .execution_options(populate_existing=True))
    state = (await session.exec(query)).first()
    if state is None:  # the agreement arrived before the state existed (AgreementPublished makes it)
        session.add(RotationState(agreement_id=agreement_id, period=1))
        await session.flush()
        state = (await session.exec(query)).one()
    return state


async def order_of(session: AsyncSession, agreement_id: str) -> list[str]:
    rows = await session.exec(select(RotationSlot.supplier_id).where(RotationSlot.agreement_id == agreement_id)
                              .order_by(RotationSlot.position))
    return list(rows.all())


async def _pick(session: AsyncSession, project: Project, declined: set[str], now: datetime) -> RotationTurn | None:
    """Gives the project to the next supplier (domain.next_in_rotation): its turn, the project's supplier
    and service, its invitation. Nothing is emitted: the caller tells in the order it chooses."""
    state = await _lock_state(session, project.agreement_id)
    order = await order_of(session, project.agreement_id)
    turns = set((await session.exec(select(RotationTurn.supplier_id).where(
        RotationTurn.agreement_id == project.agreement_id, RotationTurn.period == state.period))).all())
    active = set((await session.exec(select(SupplierRef.supplier_id).where(
        SupplierRef.agreement_id == project.agreement_id, SupplierRef.status == "active"))).all())
    offers = await eligible_offers(session, project)
    pick = domain.next_in_rotation(order, state.period, turns, active=active, serving=set(offers), declined=declined)
    if pick is None:
        return None
    offer = min(offers[pick.supplier_id], key=lambda o: (domain.ceiling(o, project), o.service_id))
    state.period, state.updated_at = pick.period, now
    session.add(state)
    turn = RotationTurn(agreement_id=project.agreement_id, period=pick.period, supplier_id=pick.supplier_id,
                        position=pick.position, project_id=project.id, outcome="offered",
                        amount=domain.ceiling(offer, project), offered_at=now)
    session.add(turn)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("轮候顺序刚被其他项目占用，请重试", code="rotation_busy") from None
    project.supplier_id, project.service_id, project.updated_at = pick.supplier_id, offer.service_id, now
    session.add(project)
    if await session.get(Invitation, (project.id, pick.supplier_id)) is None:
        session.add(Invitation(project_id=project.id, supplier_id=pick.supplier_id, invited_at=now))
    return turn


async def _offered(session: AsyncSession, project: Project, turn: RotationTurn) -> None:
    supplier = await session.get(SupplierRef, (project.agreement_id, turn.supplier_id))
    await emit(session, RotationOffered(
        project_id=project.id, project_no=project.project_no, agreement_id=project.agreement_id,
        supplier_id=turn.supplier_id, supplier_name=supplier.name if supplier else "", period=turn.period,
        position=turn.position, amount=turn.amount, offered_at=turn.offered_at))
    log.info("rotation project offered", extra={"supplier_id": turn.supplier_id, "period": turn.period})


async def _current_turn(session: AsyncSession, project: Project) -> RotationTurn | None:
    query = (select(RotationTurn).where(RotationTurn.project_id == project.id, RotationTurn.outcome == "offered")
             .with_for_update().execution_options(populate_existing=True))
    return (await session.exec(query)).first()


async def _declined_by(session: AsyncSession, project_id: str) -> set[str]:
    return set((await session.exec(select(RotationTurn.supplier_id).where(
        RotationTurn.project_id == project_id, RotationTurn.outcome == "declined"))).all())


# --- the commands ------------------------------------------------------------------------------------------

async def create_rotation(db: Database, user: Principal, data: RotationInput, now: datetime) -> Project:
    """Checks and publishes a rotation project, and gives it to the next supplier in the order."""
    async with db.transaction() as session:
        plan, line = await _plan_line(session, user, data.plan_id, data.plan_line_id)
        agreement = await _agreement(session, data.agreement_id, Method.ROTATION, now)
        category = data.category_code or line.category_code
        if not domain.category_matches(agreement.category_code, category):
            raise Invalid(f"品目 {category} 不在框架协议 {agreement.agreement_no}（{agreement.category_code} "
                          f"{agreement.category_name}）的范围内", code="category_mismatch")
        if not domain.category_matches(line.category_code, category):
            raise Invalid(f"品目 {category} 与计划明细 {line.line_no} 的品目 {line.category_code} 不符",
                          code="category_mismatch")
        _check_quantity(data.quantity, line)
        project = await _published_project(session, user, plan, line, data, Method.ROTATION, now,
                                           name=f"{line.item_name}顺序轮候", category_code=category,
                                           agreement_id=agreement.agreement_id, unit=line.unit)
        offers = await eligible_offers(session, project)
        if not offers:
            raise Invalid(f"框架协议 {agreement.agreement_no} 的入围供应商中没有人上架品目 {category} 的服务",
                          code="no_eligible_supplier")
        # What plans reserves: the most any supplier of the order could be awarded (its agreement price).
        project.ceiling_amount = domain.project_ceiling((o for os in offers.values() for o in os), project)
        session.add(project)
        await session.flush()
        turn = await _pick(session, project, set(), now)
        if turn is None:
            raise Invalid(f"框架协议 {agreement.agreement_no} 的轮候顺序中没有资格正常且上架品目 {category} 服务的供应商",
                          code="no_rotation_supplier")
        service = await session.get(ServiceRef, (project.agreement_id, project.service_id))
        project.unit = service.unit if service else project.unit
        await emit(session, _published_event(project, agreement))
        await _offered(session, project, turn)
    log.info("rotation project published", extra={"project_no": project.project_no})
    return project


async def _supplier_project(session: AsyncSession, user: Principal, project_id: str) -> Project:
    """The project, locked, if it now waits for this supplier's answer."""
    if await invited_project(session, project_id, user.org_id) is None:
        raise domain.no_such_project(project_id)
    project = await lock_project(session, project_id)
    assert project is not None
    bind_context(project_id=project.id)
    if project.method != Method.ROTATION:
        raise Conflict("只有顺序轮候项目需要接受或拒绝授予", code="illegal_transition")
    if project.supplier_id != user.org_id:
        raise Conflict("该项目已转给轮候顺序中的下一家供应商", code="not_your_turn")
    return project


async def accept(db: Database, user: Principal, project_id: str, now: datetime, *,
                 calendar: WorkingCalendar = CHINA) -> Project:
    """The supplier accepts: checks the agreement and its standing again, awards at its agreement price,
    publishes the award announcement (due 2 working days after the award, like secondary bidding's) and
    ResultConfirmed → 项目成功."""
    async with db.transaction() as session:
        project = await _supplier_project(session, user, project_id)
        status = domain.next_status(project.method, project.status, Command.ACCEPT)
        agreement = await _agreement(session, project.agreement_id, Method.ROTATION, now, at_award=True)
        supplier = await session.get(SupplierRef, (project.agreement_id, user.org_id))
        assert supplier is not None
        if supplier.status != "active":
            raise Conflict(f"贵单位在框架协议 {agreement.agreement_no} 下的资格{'已清退' if supplier.status == 'cleared' else '已暂停'}"
                           f"：{supplier.status_reason}", code=f"supplier_{supplier.status}")
        offers = (await eligible_offers(session, project)).get(user.org_id, [])
        offer = next((o for o in offers if o.service_id == project.service_id), None)
        turn = await _current_turn(session, project)
        if offer is None or turn is None:
            raise Conflict("贵单位已下架本项目所需的服务，无法接受授予", code="service_not_listed")
        amount = domain.ceiling(offer, project)
        unit_price = domain.unit_price_of(amount, project.quantity)
        service = await session.get(ServiceRef, (project.agreement_id, offer.service_id))
        assert service is not None and project.ceiling_amount is not None
        announcement = await _publish_award(session, project, agreement, service, supplier, unit_price, amount, now,
                                            calendar)
        turn.outcome, turn.answered_at, turn.amount = "awarded", now, amount
        session.add(turn)
        project.status, project.award_amount, project.award_announcement_id = status, amount, announcement.id
        project.closed_at = project.ended_at = project.updated_at = now
        project.ended_by = user.username
        session.add(project)
        await emit(session, _result_confirmed(project, agreement, service, supplier, unit_price, amount,
                                              announcement, now))
    log.info("rotation award accepted", extra={"supplier_id": user.org_id, "amount": str(amount)})
    return project


async def decline(db: Database, user: Principal, project_id: str, reason_code: str, reason: str,
                  now: datetime) -> Project:
    """The supplier declines with a reason: its turn in the period is used; the project goes to the next
    supplier, or fails when nobody can take it (plans releases the funds)."""
    label, valid = domain.decline_reason(reason_code)
    async with db.transaction() as session:
        project = await _supplier_project(session, user, project_id)
        domain.next_status(project.method, project.status, Command.PASS)
        turn = await _current_turn(session, project)
        assert turn is not None
        turn.outcome, turn.answered_at = "declined", now
        turn.reason_code, turn.reason, turn.valid_reason = reason_code, reason, valid
        session.add(turn)
        await session.flush()
        supplier = await session.get(SupplierRef, (project.agreement_id, user.org_id))
        following = await _pick(session, project, await _declined_by(session, project.id), now)
        await emit(session, RotationDeclined(
            project_id=project.id, project_no=project.project_no, agreement_id=project.agreement_id,
            supplier_id=user.org_id, supplier_name=supplier.name if supplier else "", period=turn.period,
            reason_code=reason_code, reason_label=label, reason=reason, valid_reason=valid, declined_at=now,
            next_supplier_id=following.supplier_id if following else None))
        if following is not None:
            await _offered(session, project, following)
        else:
            await _fail(session, project, f"轮候顺序中已无可接受授予的供应商（最后拒绝：{label}：{reason}）", now)
    return project


async def _fail(session: AsyncSession, project: Project, reason: str, now: datetime) -> None:
    project.status = domain.next_status(project.method, project.status, Command.DECLINE)
    project.closed_at = project.updated_at = now
    await record_failure(session, project, reason, now)


async def pass_on_cleared(session: AsyncSession, agreement_id: str, supplier_id: str, reason: str,
                          now: datetime) -> list[str]:
    """In the SupplierCleared handler's transaction: every rotation project waiting for the cleared
    supplier's answer loses that turn and goes to the next supplier (or fails). Returns their ids."""
    turns = (await session.exec(select(RotationTurn).where(
        RotationTurn.agreement_id == agreement_id, RotationTurn.supplier_id == supplier_id,
        RotationTurn.outcome == "offered"))).all()
    moved = []
    for turn in turns:
        project = await lock_project(session, turn.project_id)
        await session.exec(sa.delete(RotationTurn.__table__).where(
            RotationTurn.__table__.c.agreement_id == turn.agreement_id, RotationTurn.__table__.c.period == turn.period,
            RotationTurn.__table__.c.supplier_id == turn.supplier_id))
        if project is None or project.status not in (Status.SCHEDULED, Status.QUOTING):
            continue
        following = await _pick(session, project, await _declined_by(session, project.id) | {supplier_id}, now)
        if following is not None:
            await _offered(session, project, following)
        elif project.status == Status.QUOTING:
            await _fail(session, project, f"原轮候供应商已被清退（{reason}），轮候顺序中已无可接受授予的供应商", now)
        moved.append(project.id)
    return moved


async def decline_any(db: Database, user: Principal, project_id: str, reason_code: str | None, reason: str,
                      now: datetime) -> Project:
    """POST /projects/{id}/decline for both methods: a rotation project needs a reason code."""
    async with db.read() as session:
        project = await invited_project(session, project_id, user.org_id)
    if project is None or project.method != Method.ROTATION:
        return await workflow.decline(db, user, project_id, reason, now)
    if reason_code is None:
        raise Invalid(f"请选择拒绝理由（{'、'.join(f'{k} {v[0]}' for k, v in domain.DECLINE_REASONS.items())}）",
                      code="reason_code_required")
    return await decline(db, user, project_id, reason_code, reason, now)
