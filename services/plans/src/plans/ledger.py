"""The reservation ledger's commands: what bidding's and orders' events do to plan lines. Each runs in
the transaction the event handler was given (together with its inbox row), checks the rules of
domain.py, moves the line's balance, books a ledger entry and records the event it causes
(PlanFundsReserved / Rejected / Released / Consumed, SpendingRecorded).

Every command locks the plan before its line (the one lock order of this service) and is idempotent
by business key — one reservation row per project, one ledger entry per (kind, reference) — so the
same fact sent again under a new event id has no second effect, and a fact that arrives out of order
or names something unknown is logged and dropped, never retried forever."""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.events.bidding import ProjectPublished, ResultConfirmed
from contracts_schema.events.orders import PaymentRecorded
from contracts_schema.events.plans import (
    PlanFundsConsumed,
    PlanFundsRejected,
    PlanFundsReleased,
    PlanFundsReserved,
    SpendingRecorded,
)
from contracts_schema.types import utcnow
from plans import domain
from plans.store import LedgerEntry, Plan, PlanLine, Reservation, ledger_has, lock_plan
from servicekit.logging import bind_context
from servicekit.outbox import emit

log = logging.getLogger("plans.ledger")
ZERO = Decimal("0.00")
ENDINGS = {"terminated": "终止", "failed": "流标"}
"""Why a project gave its reservation back (ProjectTerminated, ProjectFailed), as a reason code and as shown."""


async def _plan_and_line(session: AsyncSession, plan_id: str, line_id: str) -> tuple[Plan | None, PlanLine | None]:
    plan = await lock_plan(session, plan_id)
    line = await session.get(PlanLine, line_id, populate_existing=True) if plan else None
    if line is not None and line.plan_id != plan_id:
        line = None
    return plan, line


def _book(session: AsyncSession, line: PlanLine, kind: str, reference: str, amount: Decimal, event_id: str,
          project_id: str = "", **extra: object) -> None:
    session.add(LedgerEntry(plan_id=line.plan_id, line_id=line.id, kind=kind, reference=reference,
                            project_id=project_id, amount=amount, event_id=event_id, at=utcnow(), **extra))


async def reserve(session: AsyncSession, event: ProjectPublished, event_id: str) -> None:
    """Reserve the project's ceiling on its plan line, or refuse with the reason (bidding terminates it)."""
    bind_context(line_id=event.plan_line_id)
    now = utcnow()
    plan, line = await _plan_and_line(session, event.plan_id, event.plan_line_id)
    if await session.get(Reservation, event.project_id) is not None:
        log.info("project already has its reservation row; nothing to do")
        return
    request = domain.ReservationRequest(project_id=event.project_id, purchaser_org_id=event.purchaser.org_id,
                                        category_code=event.category_code, amount=event.reserve_amount)
    rejection = domain.decide_reservation(request, plan_owner=plan.purchaser_org_id if plan else None,
                                          line_category=line.category_code if line else None,
                                          balance=line.balance() if line else None)
    reservation = Reservation(project_id=event.project_id, plan_id=event.plan_id, line_id=event.plan_line_id,
                              project_no=event.project_no, amount=event.reserve_amount, created_at=now,
                              updated_at=now, status="rejected" if rejection else "reserved")
    if rejection:
        reservation.reason_code, reservation.reason = rejection.code, rejection.reason
        session.add(reservation)
        log.warning("reservation refused: %s", rejection.reason, extra={"reason_code": rejection.code})
        await emit(session, PlanFundsRejected(plan_id=event.plan_id, line_id=event.plan_line_id,
                                              project_id=event.project_id, reason_code=rejection.code,
                                              reason=rejection.reason, rejected_at=now))
        return
    assert plan is not None and line is not None
    line.set_balance(line.balance().reserve(event.reserve_amount))
    session.add_all([reservation, line])
    _book(session, line, "reserve", event.project_id, event.reserve_amount, event_id, event.project_id)
    log.info("reserved %s on the plan line", event.reserve_amount)
    await emit(session, PlanFundsReserved(plan_id=plan.id, line_id=line.id, project_id=event.project_id,
                                          amount=event.reserve_amount, line_remaining=line.balance().remaining,
                                          filing_no=plan.filing_no, reserved_at=now))


async def release(session: AsyncSession, *, project_id: str, plan_id: str, line_id: str, reason: str,
                  event_id: str) -> None:
    """The project ended without an award (`reason`: terminated | failed): give its reservation back."""
    bind_context(line_id=line_id)
    now = utcnow()
    await lock_plan(session, plan_id)
    reservation = await session.get(Reservation, project_id, populate_existing=True)
    if reservation is None:
        # The project ended before its reservation was seen: leave a closed row, so a late
        # ProjectPublished of this project reserves nothing.
        session.add(Reservation(project_id=project_id, plan_id=plan_id, line_id=line_id, status="released",
                                amount=ZERO, reason_code=reason,
                                reason=f"项目在预留资金之前已{ENDINGS.get(reason, reason)}，未预留任何金额",
                                created_at=now, updated_at=now))
        log.warning("project %s without a reservation; recorded so a late publication reserves nothing", reason)
        return
    if reservation.status != "reserved":
        log.info("reservation is %s; nothing to release", reservation.status)
        return
    line = await session.get(PlanLine, reservation.line_id, populate_existing=True)
    reservation.status = domain.reservation_after(reservation.status, "release")
    reservation.released_amount, reservation.reason_code, reservation.updated_at = reservation.amount, reason, now
    session.add(reservation)
    if line is None:  # the line cannot be removed while reserved; defensive only
        log.error("reserved line %s is gone; reservation closed without a ledger entry", reservation.line_id)
        return
    line.set_balance(line.balance().release(reservation.amount))
    session.add(line)
    _book(session, line, "release", project_id, reservation.amount, event_id, project_id)
    await emit(session, PlanFundsReleased(plan_id=line.plan_id, line_id=line.id, project_id=project_id,
                                          amount=reservation.amount, reason=reason,
                                          line_remaining=line.balance().remaining, released_at=now))


async def consume(session: AsyncSession, event: ResultConfirmed, event_id: str) -> None:
    """The award consumes its amount on the line; the unawarded rest of the reservation goes back."""
    bind_context(line_id=event.plan_line_id)
    now = utcnow()
    plan, line = await _plan_and_line(session, event.plan_id, event.plan_line_id)
    if line is None or plan is None:
        log.error("award names an unknown plan line; nothing recorded")
        return
    reservation = await session.get(Reservation, event.project_id, populate_existing=True)
    if reservation is not None and reservation.status != "reserved":
        log.warning("award for a reservation that is %s; nothing recorded", reservation.status)
        return
    if await ledger_has(session, "consume", event.project_id):
        return
    held = reservation.amount if reservation else ZERO
    if reservation is None:
        # Never reserved (an award with no publication seen): record the award all the same, it is a fact.
        log.error("award without a reservation; consuming it from the line's free budget")
        reservation = Reservation(project_id=event.project_id, plan_id=plan.id, line_id=line.id,
                                  project_no=event.project_no, status="reserved", amount=ZERO, created_at=now,
                                  updated_at=now)
    if event.amount > held:
        log.error("award %s exceeds its reservation %s", event.amount, held)
    released = max(held - event.amount, ZERO)
    line.set_balance(line.balance().consume(held, event.amount))
    reservation.status = domain.reservation_after(reservation.status, "consume")
    reservation.consumed_amount, reservation.released_amount, reservation.updated_at = event.amount, released, now
    session.add_all([reservation, line])
    _book(session, line, "consume", event.project_id, event.amount, event_id, event.project_id)
    await emit(session, PlanFundsConsumed(plan_id=plan.id, line_id=line.id, project_id=event.project_id,
                                          amount=event.amount, released_amount=released,
                                          line_remaining=line.balance().remaining, consumed_at=now))


async def spend(session: AsyncSession, event: PaymentRecorded, event_id: str) -> None:
    """Record the spending on the plan line (once per payment)."""
    bind_context(line_id=event.plan_line_id)
    plan, line = await _plan_and_line(session, event.plan_id, event.plan_line_id)
    if line is None or plan is None:
        log.error("payment names an unknown plan line; nothing recorded")
        return
    if await ledger_has(session, "spend", event.payment_id):
        log.info("payment %s already recorded", event.payment_id)
        return
    line.set_balance(line.balance().spend(event.amount))
    session.add(line)
    _book(session, line, "spend", event.payment_id, event.amount, event_id, event.project_id, paid_on=event.paid_on)
    await emit(session, SpendingRecorded(plan_id=plan.id, line_id=line.id, order_id=event.order_id,
                                         project_id=event.project_id, payment_id=event.payment_id,
                                         amount=event.amount, line_spent=line.spent_amount, paid_on=event.paid_on,
                                         paid_at=utcnow()))
