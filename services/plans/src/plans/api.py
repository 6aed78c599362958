"""HTTP routes of the plans service (reached through the gateway under /api/v1): 录入计划."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from plans import workflow
from plans.domain import MAX_LINES
from plans.store import PlanFilter
from plans.views import PlanOut, PlanPage, plan_out, plan_summary
from servicekit.app import DB
from servicekit.auth import Purchaser
from servicekit.logging import bind_context
from servicekit.types import (CategoryCode, Id, Name, Page, PageSize, Patch, Phone, PositiveMoneyIn, QuantityIn, Revision,
                              line, paragraphs)

router = APIRouter(prefix="/api/v1", tags=["plans 录入计划"])

Unit = line(20)
Budget = PositiveMoneyIn
Requirements = paragraphs(2000)
FilingNo = Annotated[line(60), WithJsonSchema({  # the rule is plans.domain.check_filing_no (invalid_filing_no)
    "type": "string", "maxLength": 60, "pattern": r"^(湘财采备〔[0-9]{4}〕[0-9]{3,6}|[A-Z]{2,6}-[0-9]{4}-[0-9]{3,6})$"})]
Year = Annotated[int, Field(ge=2000, le=2100)]
Address = line(300, min_length=0)


class PlanLineIn(BaseModel):
    """One plan line (采购计划明细)."""

    model_config = ConfigDict(extra="forbid")

    category_code: CategoryCode = Field(description="Category (品目) code, e.g. C1204")
    item_name: Name
    quantity: QuantityIn
    unit: Unit
    budget_amount: Budget = Field(description="Budget of the line, yuan, at most two decimal places")
    requirements: Requirements = ""


class PlanIn(BaseModel):
    """A purchase plan: basic info and its lines."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    year: Year
    filing_no: FilingNo = Field(description="财政备案号, e.g. 湘财采备〔2026〕00123")
    funding_source: Name
    contact_name: Name
    contact_phone: Phone
    purchaser_address: Address = ""
    lines: Annotated[list[PlanLineIn], Field(min_length=1, max_length=MAX_LINES)]


class PlanLineChange(Patch):
    """Changes to one existing line; fields left out keep their value."""

    id: Id
    category_code: CategoryCode | None = None
    item_name: Name | None = None
    quantity: QuantityIn | None = None
    unit: Unit | None = None
    budget_amount: Budget | None = None
    requirements: Requirements | None = None


class PlanPatch(Patch):
    """Changes to a plan: basic info (fields left out keep their value) and its lines (add, edit,
    remove). All of it applies, or none of it."""

    expected_revision: Revision | None = Field(None, description="Refuse (409) unless the plan is still at this revision")
    name: Name | None = None
    year: Year | None = None
    filing_no: FilingNo | None = None
    funding_source: Name | None = None
    contact_name: Name | None = None
    contact_phone: Phone | None = None
    purchaser_address: Address | None = None
    add_lines: Annotated[list[PlanLineIn], Field(max_length=MAX_LINES)] = []
    update_lines: Annotated[list[PlanLineChange], Field(max_length=MAX_LINES)] = []
    remove_lines: Annotated[list[Id], Field(max_length=MAX_LINES, description="Ids of lines to remove")] = []


# ── routes ───────────────────────────────────────────────────────────────────────────────────────


@router.post("/plans", status_code=201, response_model=PlanOut, summary="录入计划: enter a purchase plan with lines")
async def create_plan(body: PlanIn, user: Purchaser, db: DB) -> PlanOut:
    state = await workflow.create_plan(db, user, body.model_dump(exclude={"lines"}),
                                       [line.model_dump() for line in body.lines])
    return plan_out(state)


@router.get("/plans", response_model=PlanPage, summary="我的计划: my unit's plans, newest first")
async def list_plans(
    user: Purchaser, db: DB,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Budget year")] = None,
    q: Annotated[line(100, min_length=0) | None, Query(description="Part of the name, plan number or filing number")] = None,
    category: Annotated[str | None, Query(pattern=r"^C[0-9]{2,8}$", description="Plans with a line in this category "
                                                                               "(or beneath it)")] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> PlanPage:
    total, plans = await workflow.find_plans(db, user, PlanFilter(year=year, text=q or "", category=category),
                                             page=page, page_size=page_size)
    return PlanPage(items=[plan_summary(p) for p in plans], total=total, page=page, page_size=page_size)


@router.get("/plans/{plan_id}", response_model=PlanOut,
            summary="Open one of my unit's plans: lines with budget, reserved, consumed and remaining amounts")
async def get_plan(plan_id: Id, user: Purchaser, db: DB) -> PlanOut:
    bind_context(plan_id=plan_id)
    return plan_out(await workflow.open_plan(db, user, plan_id))


@router.patch("/plans/{plan_id}", response_model=PlanOut,
              summary="Edit a plan: basic info, add / edit / remove lines (all or nothing)")
async def update_plan(plan_id: Id, body: PlanPatch, user: Purchaser, db: DB) -> PlanOut:
    """A line's budget never goes below what it has reserved plus consumed; a used line is never removed
    nor moved to another category; year and filing number are fixed once the plan is used (the plan
    number stays as issued). Every change publishes PlanUpdated with the whole plan and the next
    revision; a patch that changes nothing publishes nothing."""
    bind_context(plan_id=plan_id)
    changes = workflow.PlanChanges(
        expected_revision=body.expected_revision,
        basic=body.model_dump(include=set(workflow.BASIC_FIELDS), exclude_unset=True),
        add_lines=[line.model_dump() for line in body.add_lines],
        update_lines=[change.model_dump(exclude_unset=True) for change in body.update_lines],
        remove_lines=body.remove_lines)
    return plan_out(await workflow.update_plan(db, user, plan_id, changes))
