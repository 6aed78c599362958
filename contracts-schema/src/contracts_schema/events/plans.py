"""Events on `plans.events` (key: plan_id): purchase plans and their reservation ledger."""

from datetime import date

from pydantic import ConfigDict, Field

from contracts_schema.events.base import Documented, Event
from contracts_schema.types import Money, Quantity, UtcDateTime


class PlansEvent(Event):
    context = "plans"
    key_field = "plan_id"


class PlanLineSnapshot(Documented):
    """One plan line (采购计划明细) as it stands."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    line_id: str = Field(description="Plan line id, stable across edits")
    line_no: int = Field(description="Position of the line in the plan, from 1")
    category_code: str = Field(description="Procurement category (品目) code, e.g. C1204")
    item_name: str = Field(description="What is bought")
    quantity: Quantity = Field(description="Planned quantity")
    unit: str = Field(description="Unit of measure, e.g. 次, 平方米·月")
    budget_amount: Money = Field(description="Budget of the line, yuan")
    requirements: str = Field("", description="Requirements stated by the purchaser")


class _PlanSnapshot(PlansEvent):
    plan_id: str = Field(description="Plan id")
    plan_no: str = Field(description="Human-readable plan number")
    purchaser_org_id: str = Field(description="Purchaser unit that owns the plan")
    purchaser_name: str = Field(description="Purchaser unit name")
    purchaser_address: str = Field("", description="Purchaser unit address, named in announcements")
    name: str = Field(description="Plan name")
    year: int = Field(description="Budget year")
    filing_no: str = Field(description="Finance filing number (财政备案号) proving the plan was filed first")
    funding_source: str = Field(description="Funding source, e.g. 财政拨款")
    contact_name: str = Field(description="Contact person")
    contact_phone: str = Field(description="Contact phone")
    lines: list[PlanLineSnapshot] = Field(description="All lines of the plan as they stand")


class PlanCreated(_PlanSnapshot):
    """A purchaser entered a plan (录入计划)."""

    created_at: UtcDateTime = Field(description="When the plan was saved")


class PlanUpdated(_PlanSnapshot):
    """A plan's basic info or lines changed; carries the whole plan as it now stands."""

    revision: int = Field(description="Increases by one with every change of the plan")
    updated_at: UtcDateTime = Field(description="When the change was saved")


class PlanFundsReserved(PlansEvent):
    """The amount a published project may award was reserved on its plan line."""

    plan_id: str
    line_id: str
    project_id: str = Field(description="The project the reservation is for")
    amount: Money = Field(description="Reserved amount, yuan")
    line_remaining: Money = Field(description="What remains free on the line after this reservation")
    filing_no: str = Field(description="Finance filing number (财政备案号) of the plan")
    reserved_at: UtcDateTime


class PlanFundsRejected(PlansEvent):
    """A project's reservation was refused; bidding terminates the project with the reason."""

    plan_id: str
    line_id: str
    project_id: str
    reason_code: str = Field(
        description="plan_not_found | line_not_found | not_plan_owner | insufficient_budget | category_mismatch"
                    " | invalid_amount"
    )
    reason: str = Field(description="Human-readable reason, shown to the purchaser")
    rejected_at: UtcDateTime


class PlanFundsReleased(PlansEvent):
    """A reservation (or its unawarded rest) went back to the line: project terminated or failed."""

    plan_id: str
    line_id: str
    project_id: str
    amount: Money = Field(description="Amount given back to the line, yuan")
    reason: str = Field(description="terminated | failed")
    line_remaining: Money = Field(description="What remains free on the line after the release")
    released_at: UtcDateTime


class PlanFundsConsumed(PlansEvent):
    """An award consumed part of a reservation; the rest is released in the same step."""

    plan_id: str
    line_id: str
    project_id: str
    amount: Money = Field(description="Awarded amount now committed on the line")
    released_amount: Money = Field(description="Unawarded part of the reservation given back")
    line_remaining: Money = Field(description="What remains free on the line afterwards")
    consumed_at: UtcDateTime


class SpendingRecorded(PlansEvent):
    """A payment against an order was recorded on the plan line (actual spending)."""

    plan_id: str
    line_id: str
    order_id: str
    project_id: str
    payment_id: str
    amount: Money = Field(description="This payment, yuan")
    line_spent: Money = Field(description="Everything paid against the line so far, yuan")
    paid_on: date = Field(description="Day of the payment, as on the voucher")
    paid_at: UtcDateTime = Field(description="When the payment was recorded")


EVENTS = [PlanCreated, PlanUpdated, PlanFundsReserved, PlanFundsRejected, PlanFundsReleased,
          PlanFundsConsumed, SpendingRecorded]
