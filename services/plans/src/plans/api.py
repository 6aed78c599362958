"""HTTP routes of the plans service (reached through the gateway under /api/v1): 录入计划."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlmodel import func, or_, select

from contracts_schema.events.plans import PlanCreated, PlanLineSnapshot, PlanUpdated
from contracts_schema.types import Money, Quantity, utcnow
from plans import domain
from plans.store import Plan, PlanLine, Reservation, lines_of, lock_plan, next_plan_sequence, reservations_of
from servicekit.app import DB
from servicekit.auth import Principal, Purchaser
from servicekit.errors import Conflict, Invalid, NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import ShanghaiTime

router = APIRouter(prefix="/api/v1", tags=["plans 录入计划"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^C\d{2,8}$")]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Budget = Annotated[Money, Field(gt=0, le=Decimal("999999999999.99"))]
Requirements = Annotated[str, StringConstraints(max_length=2000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{7,20}$")]
FilingNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
MAX_LINES = 200


class PlanLineIn(BaseModel):
    """One plan line (采购计划明细)."""

    model_config = ConfigDict(extra="forbid")

    category_code: CategoryCode = Field(description="Category (品目) code, e.g. C1204")
    item_name: Text
    quantity: Quantity
    unit: Unit
    budget_amount: Budget = Field(description="Budget of the line, yuan, at most two decimal places")
    requirements: Requirements = ""


class PlanIn(BaseModel):
    """A purchase plan: basic info and its lines."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    year: Year
    filing_no: FilingNo = Field(description="财政备案号, e.g. 湘财采备〔2026〕00123")
    funding_source: Text
    contact_name: Text
    contact_phone: Phone
    purchaser_address: Address = ""
    lines: Annotated[list[PlanLineIn], Field(min_length=1, max_length=MAX_LINES)]


class _NoNulls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_nulls(self) -> Any:
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null: leave a field out to keep it")
        return self


class PlanLineChange(_NoNulls):
    """Changes to one existing line; fields left out keep their value."""

    id: str
    category_code: CategoryCode | None = None
    item_name: Text | None = None
    quantity: Quantity | None = None
    unit: Unit | None = None
    budget_amount: Budget | None = None
    requirements: Requirements | None = None


class PlanPatch(_NoNulls):
    """Changes to a plan: basic info (fields left out keep their value) and its lines (add, edit,
    remove). All of it applies, or none of it."""

    expected_revision: int | None = Field(None, description="Refuse (409) unless the plan is still at this revision")
    name: Text | None = None
    year: Year | None = None
    filing_no: FilingNo | None = None
    funding_source: Text | None = None
    contact_name: Text | None = None
    contact_phone: Phone | None = None
    purchaser_address: Address | None = None
    add_lines: Annotated[list[PlanLineIn], Field(max_length=MAX_LINES)] = []
    update_lines: Annotated[list[PlanLineChange], Field(max_length=MAX_LINES)] = []
    remove_lines: Annotated[list[str], Field(max_length=MAX_LINES, description="Ids of lines to remove")] = []


class PlanLineOut(BaseModel):
    id: str
    line_no: int
    category_code: str
    item_name: str
    quantity: Quantity
    unit: str
    budget_amount: Money
    reserved_amount: Money
    consumed_amount: Money
    spent_amount: Money
    remaining_amount: Money
    requirements: str


class ReservationOut(BaseModel):
    project_id: str
    line_id: str
    status: str
    status_label: str
    amount: Money = Field(description="Amount asked for and, unless rejected, reserved")
    consumed_amount: Money
    released_amount: Money
    reason: str
    created_at: ShanghaiTime
    updated_at: ShanghaiTime


class Totals(BaseModel):
    line_count: int
    budget_total: Money
    reserved_total: Money
    consumed_total: Money
    spent_total: Money
    remaining_total: Money


class PlanSummary(Totals):
    id: str
    plan_no: str
    name: str
    year: int
    filing_no: str
    funding_source: str
    revision: int
    created_at: ShanghaiTime
    updated_at: ShanghaiTime


class PlanOut(PlanSummary):
    purchaser_org_id: str
    purchaser_name: str
    purchaser_address: str
    contact_name: str
    contact_phone: str
    lines: list[PlanLineOut]
    reservations: list[ReservationOut]


class PlanPage(BaseModel):
    items: list[PlanSummary]
    total: int
    page: int
    page_size: int


# ── rendering ────────────────────────────────────────────────────────────────────────────────────


def _totals(lines: list[PlanLine]) -> dict[str, Any]:
    def total(field: str) -> Decimal:
        return sum((getattr(line, field) for line in lines), Decimal("0.00"))

    budget, reserved, consumed = total("budget_amount"), total("reserved_amount"), total("consumed_amount")
    return {"line_count": len(lines), "budget_total": budget, "reserved_total": reserved,
            "consumed_total": consumed, "spent_total": total("spent_amount"),
            "remaining_total": domain.remaining(budget, reserved, consumed)}


def _summary(plan: Plan, lines: list[PlanLine]) -> PlanSummary:
    return PlanSummary(**plan.model_dump(include=set(PlanSummary.model_fields)), **_totals(lines))


def _out(plan: Plan, lines: list[PlanLine], reservations: list[Reservation]) -> PlanOut:
    lines = sorted(lines, key=lambda line: line.line_no)
    return PlanOut(
        **plan.model_dump(include=set(PlanOut.model_fields)), **_totals(lines),
        lines=[PlanLineOut(**line.model_dump(exclude={"plan_id"}), remaining_amount=line.balance().remaining)
               for line in lines],
        reservations=[ReservationOut(**r.model_dump(), status_label=domain.RESERVATION_LABELS[r.status])
                      for r in reservations],
    )


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


def _new_line(plan: Plan, body: PlanLineIn, line_no: int) -> PlanLine:
    domain.check_category(body.category_code)
    plan.line_seq += 1
    return PlanLine(id=f"{plan.id}-{plan.line_seq}", plan_id=plan.id, line_no=line_no, **body.model_dump())


def _owned(plan: Plan | None, plan_id: str, user: Principal) -> Plan:
    """A unit sees only its own plans; another unit's plan is as absent as a missing one."""
    if plan is None or plan.purchaser_org_id != user.org_id:
        raise NotFound(f"plan {plan_id} not found among your unit's plans")
    return plan


# ── routes ───────────────────────────────────────────────────────────────────────────────────────


@router.post("/plans", status_code=201, response_model=PlanOut, summary="录入计划: enter a purchase plan with lines")
async def create_plan(body: PlanIn, user: Purchaser, db: DB) -> PlanOut:
    filing_no = domain.check_filing_no(body.filing_no)
    now = utcnow()
    plan_id = f"PL{uuid4().hex[:16]}"
    bind_context(plan_id=plan_id)
    async with db.transaction() as session:
        sequence = await next_plan_sequence(session, body.year)
        plan = Plan(id=plan_id, plan_no=domain.plan_no(body.year, sequence), purchaser_org_id=user.org_id,
                    purchaser_name=user.org_name, purchaser_address=body.purchaser_address, name=body.name,
                    year=body.year, filing_no=filing_no, funding_source=body.funding_source,
                    contact_name=body.contact_name, contact_phone=body.contact_phone, created_at=now, updated_at=now)
        lines = [_new_line(plan, line, i) for i, line in enumerate(body.lines, 1)]
        session.add(plan)
        await session.flush()
        session.add_all(lines)
        await emit(session, PlanCreated(**_snapshot(plan, lines), created_at=now))
    return _out(plan, lines, [])


@router.get("/plans", response_model=PlanPage, summary="我的计划: my unit's plans, newest first")
async def list_plans(
    user: Purchaser, db: DB,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Budget year")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name, plan number or filing number")] = None,
    category: Annotated[str | None, Query(pattern=r"^C\d{2,8}$", description="Plans with a line in this category "
                                                                             "(or beneath it)")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PlanPage:
    where = [Plan.purchaser_org_id == user.org_id]
    if year is not None:
        where.append(Plan.year == year)
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip().lower())}%"
        where.append(or_(*(func.lower(column).like(pattern, escape="\\")
                           for column in (Plan.name, Plan.plan_no, Plan.filing_no))))
    if category:
        where.append(Plan.id.in_(select(PlanLine.plan_id).where(  # type: ignore[union-attr]
            PlanLine.category_code.like(f"{category}%"))))  # type: ignore[union-attr]
    async with db.read() as session:
        total = (await session.exec(select(func.count()).select_from(Plan).where(*where))).one()
        plans = list((await session.exec(
            select(Plan).where(*where).order_by(Plan.created_at.desc(), Plan.plan_no.desc())  # type: ignore[attr-defined]
            .offset((page - 1) * page_size).limit(page_size))).all())
        lines = list((await session.exec(
            select(PlanLine).where(PlanLine.plan_id.in_([p.id for p in plans])))).all())  # type: ignore[attr-defined]
    by_plan: dict[str, list[PlanLine]] = {}
    for line in lines:
        by_plan.setdefault(line.plan_id, []).append(line)
    return PlanPage(items=[_summary(p, by_plan.get(p.id, [])) for p in plans], total=total, page=page,
                    page_size=page_size)


@router.get("/plans/{plan_id}", response_model=PlanOut,
            summary="Open one of my unit's plans: lines with budget, reserved, consumed and remaining amounts")
async def get_plan(plan_id: str, user: Purchaser, db: DB) -> PlanOut:
    bind_context(plan_id=plan_id)
    async with db.read() as session:
        plan = _owned(await session.get(Plan, plan_id), plan_id, user)
        return _out(plan, await lines_of(session, plan_id), await reservations_of(session, plan_id))


@router.patch("/plans/{plan_id}", response_model=PlanOut,
              summary="Edit a plan: basic info, add / edit / remove lines (all or nothing)")
async def update_plan(plan_id: str, body: PlanPatch, user: Purchaser, db: DB) -> PlanOut:
    """A line's budget never goes below what it has reserved plus consumed; a used line is never removed
    nor moved to another category; year and filing number are fixed once the plan is used (the plan
    number stays as issued). Every change publishes PlanUpdated with the whole plan and the next
    revision; a patch that changes nothing publishes nothing."""
    bind_context(plan_id=plan_id)
    basic = body.model_dump(include={"name", "year", "filing_no", "funding_source", "contact_name",
                                     "contact_phone", "purchaser_address"}, exclude_unset=True)
    if "filing_no" in basic:
        basic["filing_no"] = domain.check_filing_no(basic["filing_no"])
    async with db.transaction() as session:
        plan = _owned(await lock_plan(session, plan_id), plan_id, user)
        if body.expected_revision is not None and body.expected_revision != plan.revision:
            raise Conflict(f"the plan changed meanwhile: it is at revision {plan.revision}, not "
                           f"{body.expected_revision}; reload it", code="stale_revision")
        lines = await lines_of(session, plan_id)
        changed = _apply_basic(plan, basic, plan_used=any(line.balance().used for line in lines))
        lines, lines_changed = await _apply_lines(session, plan, lines, body)
        if changed or lines_changed:
            plan.revision += 1
            plan.updated_at = utcnow()
            session.add(plan)
            await emit(session, PlanUpdated(**_snapshot(plan, lines), revision=plan.revision,
                                            updated_at=plan.updated_at))
        reservations = await reservations_of(session, plan_id)
    return _out(plan, lines, reservations)


def _apply_basic(plan: Plan, basic: dict[str, Any], *, plan_used: bool) -> bool:
    changes = {k: v for k, v in basic.items() if getattr(plan, k) != v}
    domain.check_plan_edit(changes, plan_used=plan_used)
    for field, value in changes.items():
        setattr(plan, field, value)
    return bool(changes)


async def _apply_lines(session: Any, plan: Plan, lines: list[PlanLine], body: PlanPatch) -> tuple[list[PlanLine], bool]:
    by_id = {line.id: line for line in lines}
    named = [change.id for change in body.update_lines] + body.remove_lines
    if len(named) != len(set(named)):
        raise Invalid("a line may be named once: either edited or removed", code="line_named_twice")
    unknown = [line_id for line_id in named if line_id not in by_id]
    if unknown:
        raise Invalid(f"not lines of this plan: {', '.join(unknown)}", code="unknown_line")
    changed = False
    for change in body.update_lines:
        line = by_id[change.id]
        fields = {k: v for k, v in change.model_dump(exclude={"id"}, exclude_unset=True).items()
                  if getattr(line, k) != v}
        if not fields:
            continue
        if "category_code" in fields:
            domain.check_category(fields["category_code"])
        line.set_balance(domain.check_line_edit(fields, line.balance()))
        for field, value in fields.items():
            setattr(line, field, value)
        session.add(line)
        changed = True
    kept = [line for line in lines if line.id not in set(body.remove_lines)]
    if len(kept) + len(body.add_lines) > MAX_LINES:
        raise Invalid(f"a plan has at most {MAX_LINES} lines", code="too_many_lines")
    for line_id in body.remove_lines:
        domain.check_line_removal(by_id[line_id].balance(), lines_left=len(kept) + len(body.add_lines))
        await session.delete(by_id[line_id])
        changed = True
    added = [_new_line(plan, line, 0) for line in body.add_lines]
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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
