"""Events on `bidding.events` (key: project_id): projects by direct selection (直接选定) and secondary
bidding (二次竞价), rotation (顺序轮候), their results and announcements."""

from typing import Literal

from pydantic import Field

from contracts_schema.events.base import Event, Party
from contracts_schema.types import Money, Quantity, UtcDateTime

Method = Literal["direct_selection", "secondary_bidding", "rotation"]


class BiddingEvent(Event):
    context = "bidding"
    key_field = "project_id"


class ProjectPublished(BiddingEvent):
    """A purchaser published a project; plans reserves `reserve_amount` on the plan line."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    project_id: str
    project_no: str
    name: str
    method: Method
    purchaser: Party
    plan_id: str
    plan_line_id: str
    filing_no: str = Field(description="Finance filing number of the plan")
    agreement_id: str
    category_code: str
    service_id: str | None = Field(None, description="Direct selection: the chosen service")
    supplier_id: str | None = Field(None, description="Direct selection: the chosen supplier; rotation: the supplier "
                                                      "the project went to first")
    quantity: Quantity
    reserve_amount: Money = Field(description="Ceiling of the award (agreement price × quantity)")
    starts_at: UtcDateTime | None = Field(None, description="Secondary bidding: quoting opens")
    ends_at: UtcDateTime | None = Field(None, description="Secondary bidding: quoting closes")
    published_at: UtcDateTime
    agreement_no: str = Field("", description="Agreement number, e.g. HNKJ-2026-001")
    unit: str = Field("", description="Unit of measure of the quantity")
    requirements: str = Field("", description="Requirements stated by the purchaser")
    procurement_announcement_id: str | None = Field(
        None, description="Secondary bidding: the procurement announcement (采购公告) published with it")


class QuotingOpened(BiddingEvent):
    """Quoting (项目报价中) opened for the invited suppliers."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    project_id: str
    method: Method
    invited_supplier_ids: list[str]
    opened_at: UtcDateTime
    closes_at: UtcDateTime | None = Field(None, description="Secondary bidding: end of the quoting window")
    project_no: str = ""


class BiddingClosed(BiddingEvent):
    """A secondary-bidding window ended; the result awaits the purchaser's confirmation."""

    project_id: str
    valid_quote_count: int
    excluded_supplier_ids: list[str] = Field(default_factory=list,
                                             description="Suppliers excluded at the close (suspended)")
    closed_at: UtcDateTime
    project_no: str = ""
    ends_at: UtcDateTime | None = Field(None, description="The announced end of the window")


class ResultConfirmed(BiddingEvent):
    """The purchaser confirmed the result (确认成交结果): the project succeeded. Orders creates the order,
    contracts drafts the contract, plans consumes the reservation."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    project_id: str
    project_no: str
    project_name: str
    method: Method
    purchaser: Party
    supplier: Party
    plan_id: str
    plan_line_id: str
    filing_no: str
    agreement_id: str
    agreement_no: str
    agreement_name: str
    contract_template: str = ""
    service_id: str
    service_name: str
    category_code: str
    unit: str
    quantity: Quantity
    unit_price: Money
    amount: Money = Field(description="Awarded amount")
    reserved_amount: Money = Field(description="What was reserved on the plan line for the project")
    requirements: str = ""
    award_announcement_id: str | None = None
    confirmed_at: UtcDateTime
    winning_quote_id: str | None = Field(None, description="The quote awarded")
    quoted_at: UtcDateTime | None = Field(None, description="When the winning quote was made (its final revision)")


class ProjectTerminated(BiddingEvent):
    """The project was terminated (项目终止): by the purchaser, or because plans refused the funds."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    project_id: str
    plan_id: str
    plan_line_id: str
    previous_status: str
    reason: str
    terminated_by: str = Field(description="User who terminated it, or 'system'")
    terminated_at: UtcDateTime
    project_no: str = ""
    method: Method | None = None


class ProjectFailed(BiddingEvent):
    """No valid quote (项目失败): the window closed empty, or the supplier declined."""

    version = "1.1.0"  # 1.1.0: method may be "rotation"

    project_id: str
    plan_id: str
    plan_line_id: str
    reason: str
    failed_at: UtcDateTime
    project_no: str = ""
    method: Method | None = None
    previous_status: str = Field("", description="quoting: the supplier declined or the window closed empty")


class AnnouncementPublished(BiddingEvent):
    """A public announcement: procurement announcement (采购公告), single-award result (单笔成交结果公告), or
    the summary of an agreement's direct-selection awards after it expired (直接选定成交结果汇总公告: kind
    summary; its project_id is the agreement's id — the key names its subject — and project_no is empty).

    1.1.0 adds the kind summary, agreement_id and the deadline the measures set (due_at)."""

    version = "1.1.0"

    announcement_id: str
    project_id: str
    project_no: str
    kind: Literal["procurement", "award", "summary"]
    title: str
    content: str = Field(description="Full text as published")
    published_at: UtcDateTime
    project_name: str = ""
    purchaser_org_id: str = ""
    purchaser_name: str = ""
    agreement_id: str | None = Field(None, description="The agreement (a summary announcement's subject)")
    due_at: UtcDateTime | None = Field(None, description="Published at the latest by then (the measures' deadline: "
                                                         "an award of secondary bidding 2 working days after it, "
                                                         "the direct-selection summary 10 after the agreement "
                                                         "expired); none when no deadline applies")


class RotationOffered(BiddingEvent):
    """A rotation (顺序轮候) project went to the next supplier in the agreement's rotation order: that
    supplier accepts (ResultConfirmed, at the agreement price) or declines (RotationDeclined)."""

    project_id: str
    project_no: str
    agreement_id: str
    supplier_id: str
    supplier_name: str
    period: int = Field(description="Rotation period (轮次), 1, 2, …: each supplier is awarded at most once in one")
    position: int = Field(description="The supplier's place in the rotation order, 1 first")
    amount: Money = Field(description="What the award would be: the supplier's agreement price × quantity")
    offered_at: UtcDateTime = Field(description="When the project went to the supplier")


class RotationDeclined(BiddingEvent):
    """The supplier declined a rotation project with a reason; it goes to the next supplier. A decline
    without a valid reason (`valid_reason` false) counts toward clearing (清退) the supplier."""

    project_id: str
    project_no: str
    agreement_id: str
    supplier_id: str
    supplier_name: str
    period: int = Field(description="Rotation period (轮次) the decline used the supplier's turn in")
    reason_code: str = Field(description="Reason code (bidding.domain.DECLINE_REASONS), e.g. force_majeure, other")
    reason_label: str = Field(description="The reason code as the platform shows it")
    reason: str = Field(description="The supplier's own words")
    valid_reason: bool = Field(description="Whether the reason is a valid one (正当理由); false counts toward 清退")
    declined_at: UtcDateTime = Field(description="When the supplier declined")
    next_supplier_id: str | None = Field(None, description="Who the project went to next; null: nobody (项目失败)")


EVENTS = [ProjectPublished, QuotingOpened, BiddingClosed, ResultConfirmed, ProjectTerminated, ProjectFailed,
          AnnouncementPublished, RotationOffered, RotationDeclined]
