"""The command layer of plans (录入计划): entering, editing, finding a purchase plan. Each command is
one transaction that checks the rules of domain.py, changes the plan and records the event it causes
(PlanCreated, PlanUpdated) in the outbox. The routes call these functions; none of them knows HTTP.
The reservation ledger, driven by other services' events, is in ledger.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.events.plans import PlanCreated, PlanLineSnapshot, PlanUpdated
from contracts_schema.types import utcnow
from plans import domain
from plans.store import (
    Plan,
    PlanFilter,
    PlanLine,
    Reservation,
    lines_of,
    lock_plan,
    next_plan_sequence,
    reservations_of,
    search_plans,
)
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit

BASIC_FIELDS = ("name", "year", "filing_no", "funding_source", "contact_name", "contact_phone", "purchaser_address")
"""The plan's basic information: what a unit enters and may edit beside the lines."""


@dataclass(frozen=True)
class PlanState:
    """A plan as it stands: its lines (in order) and the reservations projects hold on them."""

    plan: Plan
    lines: list[PlanLine]
    reservations: list[Reservation] = field(default_factory=list)


@dataclass(frozen=True)
class PlanChanges:
    """An edit of a plan, all or nothing: basic fields to set, lines to add, edit (`id` and the fields
    to set) and remove (ids)."""

    expected_revision: int | None = None
    basic: dict[str, Any] = field(default_factory=dict)
    add_lines: list[dict[str, Any]] = field(default_factory=list)
    update_lines: list[dict[str, Any]] = field(default_factory=list)
    remove_lines: list[str] = field(default_factory=list)


def _owned(plan: Plan | None, plan_id: str, user: Principal) -> Plan:
    """A unit sees only its own plans; another unit's plan is as absent as a missing one."""
    if plan is None or plan.purchaser_org_id != user.org_id:
        raise NotFound(f"本单位没有编号为 {plan_id} 的采购计划")
    return plan


def _new_line(plan: Plan, values: dict[str, Any], line_no: int) -> PlanLine:
    domain.check_category(values["category_code"])
    plan.line_seq += 1
    return PlanLine(id=f"{plan.id}-{plan.line_seq}", plan_id=plan.id, line_no=line_no, **values)


def _snapshot(plan: Plan, lines: list[PlanLine]) -> dict[str, Any]:
    """The fields PlanCreated and PlanUpdated share: the whole plan as it stands."""
    return dict(
        plan_id=plan.id, plan_no=plan.plan_no, purchaser_org_id=plan.purchaser_org_id,
        purchaser_name=plan.purchaser_name, purchaser_address=plan.purchaser_address, name=plan.name,
        year=plan.year, filing_no=plan.filing_no, funding_source=plan.funding_source,
        contact_name=plan.contact_name, contact_phone=plan.contact_phone,
        lines=[PlanLineSnapshot(line_id=line.id, line_no=line.line_no, category_code=line.category_code,
                                item_name=line.item_name, quantity=line.quantity, unit=line.unit,
                                budget_amount=line.budget_amount, requirements=line.requirements)
               for line in sorted(lines, key=lambda line: line.line_no)])


# ── commands ─────────────────────────────────────────────────────────────────────────────────────


async def create_plan(db: Database, user: Principal, basic: dict[str, Any], lines: list[dict[str, Any]]) -> PlanState:
    """录入计划: the plan gets the next plan number of its year; PlanCreated carries the whole plan."""
    filing_no = domain.check_filing_no(basic["filing_no"])
    now = utcnow()
    plan_id = f"PL{uuid4().hex[:16]}"
    bind_context(plan_id=plan_id)
    async with db.transaction() as session:
        sequence = await next_plan_sequence(session, basic["year"])
        plan = Plan(**{**basic, "filing_no": filing_no}, id=plan_id, plan_no=domain.plan_no(basic["year"], sequence),
                    purchaser_org_id=user.org_id, purchaser_name=user.org_name, created_at=now, updated_at=now)
        new_lines = [_new_line(plan, line, i) for i, line in enumerate(lines, 1)]
        session.add(plan)
        await session.flush()
        session.add_all(new_lines)
        await emit(session, PlanCreated(**_snapshot(plan, new_lines), created_at=now))
    return PlanState(plan, new_lines)


async def update_plan(db: Database, user: Principal, plan_id: str, changes: PlanChanges) -> PlanState:
    """A line's budget never goes below what it has reserved plus consumed; a used line is never removed
    nor moved to another category; year and filing number are fixed once the plan is used (the plan
    number stays as issued). Every change publishes PlanUpdated with the whole plan and the next
    revision; an edit that changes nothing publishes nothing."""
    basic = dict(changes.basic)
    if "filing_no" in basic:
        basic["filing_no"] = domain.check_filing_no(basic["filing_no"])
    async with db.transaction() as session:
        plan = _owned(await lock_plan(session, plan_id), plan_id, user)
        if changes.expected_revision is not None and changes.expected_revision != plan.revision:
            raise Conflict(f"采购计划已被修改：当前版本为 {plan.revision}，不是 {changes.expected_revision}，"
                           "请重新打开后再编辑", code="stale_revision")
        lines = await lines_of(session, plan_id)
        changed = _apply_basic(plan, basic, plan_used=any(line.balance().used for line in lines))
        lines, lines_changed = await _apply_lines(session, plan, lines, changes)
        if changed or lines_changed:
            plan.revision += 1
            plan.updated_at = utcnow()
            session.add(plan)
            await emit(session, PlanUpdated(**_snapshot(plan, lines), revision=plan.revision,
                                            updated_at=plan.updated_at))
        reservations = await reservations_of(session, plan_id)
    return PlanState(plan, lines, reservations)


def _apply_basic(plan: Plan, basic: dict[str, Any], *, plan_used: bool) -> bool:
    changes = {k: v for k, v in basic.items() if getattr(plan, k) != v}
    domain.check_plan_edit(changes, plan_used=plan_used)
    for name, value in changes.items():
        setattr(plan, name, value)
    return bool(changes)


def _named(line: PlanLine) -> str:
    return f"第 {line.line_no} 条计划明细（{line.id}）"


async def _apply_lines(session: AsyncSession, plan: Plan, lines: list[PlanLine],
                       changes: PlanChanges) -> tuple[list[PlanLine], bool]:
    by_id = {line.id: line for line in lines}
    domain.check_line_names(list(by_id), updated=[change["id"] for change in changes.update_lines],
                            removed=changes.remove_lines)
    changed = False
    for change in changes.update_lines:
        line = by_id[change["id"]]
        fields = {k: v for k, v in change.items() if k != "id" and getattr(line, k) != v}
        if not fields:
            continue
        if "category_code" in fields:
            domain.check_category(fields["category_code"])
        line.set_balance(domain.check_line_edit(fields, line.balance(), line=_named(line)))
        for name, value in fields.items():
            setattr(line, name, value)
        session.add(line)
        changed = True
    kept = [line for line in lines if line.id not in set(changes.remove_lines)]
    domain.check_line_count(len(kept) + len(changes.add_lines))
    for line_id in changes.remove_lines:
        domain.check_line_removal(by_id[line_id].balance(), lines_left=len(kept) + len(changes.add_lines),
                                  line=_named(by_id[line_id]))
        await session.delete(by_id[line_id])
        changed = True
    added = [_new_line(plan, line, 0) for line in changes.add_lines]
    result = kept + added
    for position, line in enumerate(result, 1):
        if line.line_no != position:
            line.line_no = position
            session.add(line)
    if added:
        await session.flush()  # removals first: a unit may replace a line in one request
        session.add_all(added)
        changed = True
    return result, changed


# ── reads ────────────────────────────────────────────────────────────────────────────────────────


async def open_plan(db: Database, user: Principal, plan_id: str) -> PlanState:
    async with db.read() as session:
        plan = _owned(await session.get(Plan, plan_id), plan_id, user)
        return PlanState(plan, await lines_of(session, plan_id), await reservations_of(session, plan_id))


async def find_plans(db: Database, user: Principal, where: PlanFilter, *, page: int,
                     page_size: int) -> tuple[int, list[PlanState]]:
    """The unit's plans matching `where`, newest first: how many in all, and one page of them."""
    async with db.read() as session:
        total, plans, lines = await search_plans(session, user.org_id, where, offset=(page - 1) * page_size,
                                                 limit=page_size)
    by_plan: dict[str, list[PlanLine]] = {}
    for line in lines:
        by_plan.setdefault(line.plan_id, []).append(line)
    return total, [PlanState(plan, by_plan.get(plan.id, [])) for plan in plans]
