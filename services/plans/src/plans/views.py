"""What the plans routes answer: the response models and how a plan is rendered (amounts per line and
totals, reservations with their labels, times shown 北京时间)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from contracts_schema.types import Money, Quantity
from plans import domain
from plans.store import PlanLine
from plans.workflow import PlanState
from servicekit.types import ShanghaiTime


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


def _totals(lines: list[PlanLine]) -> dict[str, Any]:
    def total(name: str) -> Decimal:
        return sum((getattr(line, name) for line in lines), Decimal("0.00"))

    budget, reserved, consumed = total("budget_amount"), total("reserved_amount"), total("consumed_amount")
    return {"line_count": len(lines), "budget_total": budget, "reserved_total": reserved,
            "consumed_total": consumed, "spent_total": total("spent_amount"),
            "remaining_total": domain.remaining(budget, reserved, consumed)}


def plan_summary(state: PlanState) -> PlanSummary:
    return PlanSummary(**state.plan.model_dump(include=set(PlanSummary.model_fields)), **_totals(state.lines))


def plan_out(state: PlanState) -> PlanOut:
    lines = sorted(state.lines, key=lambda line: line.line_no)
    return PlanOut(
        **state.plan.model_dump(include=set(PlanOut.model_fields)), **_totals(lines),
        lines=[PlanLineOut(**line.model_dump(exclude={"plan_id"}), remaining_amount=line.balance().remaining)
               for line in lines],
        reservations=[ReservationOut(**r.model_dump(), status_label=domain.RESERVATION_LABELS[r.status])
                      for r in state.reservations],
    )
