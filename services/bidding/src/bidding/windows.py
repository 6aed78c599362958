"""How a project moves without anyone clicking, driven by events (handlers.py) and by time
(timers.py): the plan's answer to a published project (funds reserved or refused), the window opened
at its start and closed at its end; and the two ways a project ends that every path records alike
(`record_failure`, `record_termination`, used by workflow.py too). Each function runs in the
caller's transaction, except `run_due` and `open_if_due`, which make their own."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain
from bidding.domain import Clock, Command, Funds, Method, Status
from bidding.store import Invitation, Project, eligible_offers, lock_project, release_rotation_turn, standing
from contracts_schema.events.bidding import BiddingClosed, ProjectFailed, ProjectTerminated, QuotingOpened
from servicekit.db import Database
from servicekit.logging import log_context
from servicekit.outbox import emit
from servicekit.tasks import deadline_met

log = logging.getLogger("bidding.windows")


async def funds_reserved(session: AsyncSession, project_id: str, amount: Decimal, now: datetime) -> None:
    """Plans reserved the funds: a direct selection opens for quoting at once; a secondary bidding
    opens at its start time (now, if that has come)."""
    project = await lock_project(session, project_id)
    if project is None or project.status != Status.SCHEDULED or project.funds != Funds.PENDING:
        log.info("funds reservation ignored: the project no longer waits for it",
                 extra={"status": project.status if project else None})
        return
    if amount != project.ceiling_amount:
        log.warning("plans reserved %s, the project asked for %s", amount, project.ceiling_amount)
    project.funds, project.updated_at = Funds.RESERVED, now
    if project.method in (Method.DIRECT, Method.ROTATION):
        project.status = domain.next_status(project.method, project.status, Command.FUNDS_RESERVED)
        project.opened_at = now
        await emit(session, QuotingOpened(project_id=project.id, project_no=project.project_no, method=project.method,
                                          invited_supplier_ids=[project.supplier_id or ""], opened_at=now))
    elif domain.due_action(project.method, project.status, project.funds, project.starts_at, project.ends_at,
                           now) == domain.Due.OPEN:
        await open_window(session, project, now)
    session.add(project)


async def funds_rejected(session: AsyncSession, project_id: str, reason: str, now: datetime) -> None:
    """Plans refused the funds: the project ends (项目终止) with the plan's reason."""
    project = await lock_project(session, project_id)
    if project is None or project.status != Status.SCHEDULED or project.funds != Funds.PENDING:
        log.info("funds rejection ignored: the project no longer waits for it")
        return
    project.funds = Funds.REJECTED
    await record_termination(session, project, f"采购计划资金预留未通过：{reason}", "system", now,
                             command=Command.FUNDS_REJECTED)


async def open_window(session: AsyncSession, project: Project, now: datetime) -> None:
    """项目报价中: invites every supplier eligible now (active, with a listed service of the category)."""
    project.status = domain.next_status(project.method, project.status, Command.OPEN)
    project.opened_at = project.updated_at = now
    offers = await eligible_offers(session, project)
    await session.exec(delete(Invitation).where(Invitation.project_id == project.id))
    session.add_all([Invitation(project_id=project.id, supplier_id=s, invited_at=now) for s in sorted(offers)])
    await emit(session, QuotingOpened(project_id=project.id, project_no=project.project_no, method=project.method,
                                      invited_supplier_ids=sorted(offers), opened_at=now, closes_at=project.ends_at))
    log.info("quoting opened", extra={"invited": len(offers)})
    if project.ends_at is not None and now >= project.ends_at:
        await close_window(session, project, now)  # funds came after the window: it closes empty at once


async def close_window(session: AsyncSession, project: Project, now: datetime) -> None:
    """The window ended: suspended suppliers are excluded; no valid quote → 项目失败, else 结果待确认."""
    current = await standing(session, project)
    excluded = []
    for quote, reason in current.excluded:
        quote.excluded_reason = reason
        excluded.append(quote.supplier_id)
        session.add(quote)
    valid = current.ranked
    project.status = domain.next_status(project.method, project.status, Command.CLOSE, has_valid_quote=bool(valid))
    project.closed_at = project.updated_at = now
    session.add(project)
    await emit(session, BiddingClosed(project_id=project.id, project_no=project.project_no,
                                      valid_quote_count=len(valid), excluded_supplier_ids=sorted(excluded),
                                      closed_at=now, ends_at=project.ends_at))
    if project.status == Status.FAILED:
        await record_failure(session, project, "竞价结束时没有有效报价", now)
    log.info("bidding closed", extra={"status": project.status, "valid_quotes": len(valid),
                                      "excluded": len(excluded)})


async def record_failure(session: AsyncSession, project: Project, reason: str, now: datetime) -> None:
    """项目失败 (no valid quote, or the chosen supplier declined): plans releases the reservation."""
    project.outcome_reason, project.ended_at, project.ended_by = reason, now, "system"
    session.add(project)
    await emit(session, ProjectFailed(project_id=project.id, project_no=project.project_no, method=project.method,
                                      plan_id=project.plan_id, plan_line_id=project.plan_line_id, reason=reason,
                                      previous_status=Status.QUOTING, failed_at=now))


async def record_termination(session: AsyncSession, project: Project, reason: str, by: str, now: datetime, *,
                             command: Command = Command.TERMINATE) -> None:
    """项目终止 (by the purchaser, or the plan refused the funds): plans releases the reservation."""
    previous = project.status
    project.status = domain.next_status(project.method, project.status, command)
    project.outcome_reason, project.ended_by, project.ended_at, project.updated_at = reason, by, now, now
    session.add(project)
    if project.method == Method.ROTATION:
        await release_rotation_turn(session, project.id)
    if previous != Status.DRAFT:  # a draft was never public: nothing to release, nobody to tell
        await emit(session, ProjectTerminated(
            project_id=project.id, project_no=project.project_no, method=project.method, plan_id=project.plan_id,
            plan_line_id=project.plan_line_id, previous_status=previous, reason=reason, terminated_by=by,
            terminated_at=now))
    log.info("project terminated", extra={"previous_status": previous, "by": by})


async def run_due(db: Database, clock: Clock, *, limit: int = 1000) -> int:
    """Opens and closes every window that is due; returns how many. Each project in its own
    transaction, claimed with FOR UPDATE SKIP LOCKED on PostgreSQL: two replicas never act on the same
    window, and a project that fails does not hold the others back."""
    done, failed = 0, set()
    while done + len(failed) < limit:
        now = clock()
        due = sa.or_(
            sa.and_(Project.status == Status.SCHEDULED, Project.funds == Funds.RESERVED, Project.starts_at <= now),
            sa.and_(Project.status == Status.QUOTING, Project.ends_at <= now))
        query = (select(Project).where(Project.method == Method.SECONDARY, due, Project.id.not_in(failed))
                 .order_by(Project.ends_at).limit(1).with_for_update(skip_locked=True)
                 .execution_options(populate_existing=True))
        project_id, due_at = None, None
        try:
            async with db.transaction() as session:
                project = (await session.exec(query)).first()
                if project is None:
                    return done
                project_id = project.id
                with log_context(project_id=project.id):
                    action = domain.due_action(project.method, project.status, project.funds, project.starts_at,
                                               project.ends_at, now)
                    if action == domain.Due.OPEN:
                        await open_window(session, project, now)
                    elif action == domain.Due.CLOSE:
                        await close_window(session, project, now)
                    if action in (domain.Due.OPEN, domain.Due.CLOSE):
                        due_at = project.starts_at if action == domain.Due.OPEN else project.ends_at
            if due_at is not None:
                deadline_met("bidding windows", due_at, now)  # how late the window moved (/metrics)
            done += 1
        except Exception:
            if project_id is None:
                raise
            log.exception("timer could not act on the project; it is retried at the next tick",
                          extra={"project_id": project_id})
            failed.add(project_id)
    return done


async def open_if_due(db: Database, project_id: str, clock: Clock) -> None:
    """Opens one window whose start has come (a quote arrived before the timer's tick)."""
    async with db.transaction() as session:
        project = await lock_project(session, project_id)
        now = clock()
        if project is not None and domain.due_action(project.method, project.status, project.funds,
                                                     project.starts_at, project.ends_at, now) == domain.Due.OPEN:
            await open_window(session, project, now)
            session.add(project)
