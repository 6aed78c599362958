"""HTTP routes of the plans service (reached through the gateway under /api/v1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import func, select

from contracts_schema.events.plans import PlanCreated, PlanLineSnapshot
from contracts_schema.types import Money, Quantity, utcnow
from plans import domain
from plans.store import Plan, PlanLine
from servicekit.app import DB
from servicekit.auth import CurrentUser, Purchaser
from servicekit.errors import NotFound
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import ShanghaiTime

router = APIRouter(prefix="/api/v1", tags=["plans 录入计划"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PlanLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_code: Annotated[str, StringConstraints(pattern=r"^[A-C]\d{2,8}$")]
    item_name: Text
    quantity: Quantity
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    budget_amount: Annotated[Money, Field(gt=0)]
    requirements: Annotated[str, StringConstraints(max_length=2000)] = ""


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    year: Annotated[int, Field(ge=2000, le=2100)]
    filing_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    funding_source: Text
    contact_name: Text
    contact_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]{7,20}$")]
    purchaser_address: Annotated[str, StringConstraints(max_length=300)] = ""
    lines: Annotated[list[PlanLineIn], Field(min_length=1, max_length=200)]


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
    remaining_amount: Money
    requirements: str


class PlanOut(BaseModel):
    id: str
    plan_no: str
    purchaser_org_id: str
    purchaser_name: str
    name: str
    year: int
    filing_no: str
    funding_source: str
    contact_name: str
    contact_phone: str
    revision: int
    created_at: ShanghaiTime
    updated_at: ShanghaiTime
    lines: list[PlanLineOut]


def _out(plan: Plan, lines: list[PlanLine]) -> PlanOut:
    return PlanOut(**plan.model_dump(exclude={"purchaser_address"}), lines=[PlanLineOut(
        **line.model_dump(exclude={"plan_id", "spent_amount"}),
        remaining_amount=domain.remaining(line.budget_amount, line.reserved_amount, line.consumed_amount),
    ) for line in sorted(lines, key=lambda l: l.line_no)])


@router.post("/plans", status_code=201, response_model=PlanOut, summary="录入计划: enter a purchase plan with lines")
async def create_plan(body: PlanIn, user: Purchaser, db: DB) -> PlanOut:
    filing_no = domain.check_filing_no(body.filing_no)
    now = utcnow()
    plan_id = f"PL{uuid4().hex[:16]}"
    bind_context(plan_id=plan_id)
    async with db.transaction() as session:
        count = (await session.exec(select(func.count()).select_from(Plan).where(Plan.year == body.year))).one()
        plan = Plan(id=plan_id, plan_no=domain.plan_no(body.year, count + 1), purchaser_org_id=user.org_id,
                    purchaser_name=user.org_name, purchaser_address=body.purchaser_address, name=body.name,
                    year=body.year, filing_no=filing_no, funding_source=body.funding_source,
                    contact_name=body.contact_name, contact_phone=body.contact_phone, created_at=now, updated_at=now)
        lines = [PlanLine(id=f"{plan_id}-{i}", plan_id=plan_id, line_no=i, **line.model_dump())
                 for i, line in enumerate(body.lines, 1)]
        session.add(plan)
        session.add_all(lines)
        await emit(session, PlanCreated(
            plan_id=plan.id, plan_no=plan.plan_no, purchaser_org_id=plan.purchaser_org_id,
            purchaser_name=plan.purchaser_name, purchaser_address=plan.purchaser_address, name=plan.name,
            year=plan.year, filing_no=plan.filing_no, funding_source=plan.funding_source,
            contact_name=plan.contact_name, contact_phone=plan.contact_phone, created_at=now,
            lines=[PlanLineSnapshot(line_id=l.id, line_no=l.line_no, category_code=l.category_code,
                                    item_name=l.item_name, quantity=l.quantity, unit=l.unit,
                                    budget_amount=l.budget_amount, requirements=l.requirements) for l in lines]))
    return _out(plan, lines)


@router.get("/plans/{plan_id}", response_model=PlanOut, summary="Open one of my unit's plans")
async def get_plan(plan_id: str, user: CurrentUser, db: DB) -> PlanOut:
    async with db.read() as session:
        plan = await session.get(Plan, plan_id)
        if plan is None or plan.purchaser_org_id != user.org_id:
            raise NotFound(f"plan {plan_id} not found")
        lines = list((await session.exec(select(PlanLine).where(PlanLine.plan_id == plan_id))).all())
    return _out(plan, lines)
