"""HTTP routes of the bidding service (reached through the gateway under /api/v1, DESIGN §5).

Who sees what: a purchaser sees its own unit's projects; a supplier sees the projects it is invited to
quote on and only its own quote; quotes stay sealed from the purchaser (not even their count) until
the window closes; announcements are public."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bidding import domain, rotations, views, workflow
from bidding.domain import Method, Status
from bidding.views import (AnnouncementOut, AnnouncementPage, PreviewOut, ProjectOut, ProjectPage, QuoteOut, QuotesOut,
                           RotationOrderOut)
from servicekit.app import DB
from servicekit.auth import CurrentUser, Principal, Purchaser, Supplier
from servicekit.errors import Forbidden
from servicekit.openapi import errors
from servicekit.types import (Id, Instant, Limit, MoneyIn, Name, Offset, Patch, Phone, PositiveMoneyIn, QuantityIn,
                              paragraphs)

router = APIRouter(prefix="/api/v1", tags=["bidding 项目与公告"])

Reason = paragraphs(500, min_length=1)
Requirements = paragraphs(2000)
RequiredRequirements = paragraphs(2000, min_length=1)
Mobile = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^1[0-9]{10}$")]
Category = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-C][0-9]{2,8}$")]
Positive = PositiveMoneyIn
Seconds = Annotated[int, Field(ge=1, le=domain.LONGEST_WINDOW_SECONDS,
                               description="Length of the window in seconds, within the configured bounds "
                                           "(BIDDING_MIN_DURATION_SECONDS … BIDDING_MAX_DURATION_SECONDS)")]


def _clock(request: Request) -> domain.Clock:
    return request.app.state.clock


def _bounds(request: Request) -> domain.DurationBounds:
    return request.app.state.service.settings.duration_bounds


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FromPlanLine(Strict):
    """What a project published at once names: the agreement, the plan line and quantity, the contact."""

    agreement_id: Id
    plan_id: Id
    plan_line_id: Id
    quantity: QuantityIn
    contact_name: Name = Field(description="Contact person (联系人)")
    contact_phone: Mobile = Field(description="Mobile phone (手机), 11 digits")
    office_phone: Phone | Literal[""] = Field("", description="Office phone (办公电话)")
    requirements: Requirements = ""


class DirectSelectionIn(FromPlanLine):
    """直接选定: the purchaser picks agreement, service and supplier from the library and a plan line."""

    service_id: Id
    supplier_id: Id
    name: Name | None = Field(None, description="Project name; made from the plan line and service if left out")


class SecondaryBiddingIn(Strict):
    """二次竞价 新增/保存: a draft for a category, with agreement, plan line and requirements."""

    name: Name
    category_code: Category = Field(description="Category (品目) the project buys, e.g. C1204")
    agreement_id: Id
    plan_id: Id
    plan_line_id: Id
    quantity: QuantityIn | None = Field(None, description="Defaults to the plan line's quantity")
    requirements: RequiredRequirements
    contact_name: Name
    contact_phone: Mobile
    office_phone: Phone | Literal[""] = ""
    price_limit: Positive | None = Field(None, description="Optional ceiling (最高限价) below the agreement prices")


class SecondaryBiddingPatch(Patch):
    nullable = frozenset({"price_limit"})

    name: Name | None = None
    category_code: Category | None = None
    agreement_id: Id | None = None
    plan_id: Id | None = None
    plan_line_id: Id | None = None
    quantity: QuantityIn | None = None
    requirements: RequiredRequirements | None = None
    contact_name: Name | None = None
    contact_phone: Mobile | None = None
    office_phone: Phone | Literal[""] | None = None
    price_limit: Positive | None = Field(None, description="null removes the optional ceiling")


class WindowIn(Strict):
    starts_at: Instant | None = Field(
        None, description="Bidding start (with its UTC offset); never earlier than now; left out: start at once")
    duration_seconds: Seconds


class PreviewIn(Strict):
    starts_at: Instant | None = None
    duration_seconds: Seconds | None = Field(None, description="Defaults to the shortest allowed window")


class QuoteIn(Strict):
    amount: MoneyIn = Field(description="Total amount quoted, yuan (two decimal places)")
    service_id: Id | None = Field(None, description="Which of your listed services (needed if you list several)")
    note: paragraphs(500) = ""


class ReasonIn(Strict):
    reason: Reason


class RotationIn(FromPlanLine):
    """顺序轮候: the purchaser names agreement and plan line; the project goes to the next supplier."""

    name: Name | None = Field(None, description="Project name; made from the plan line if left out")
    category_code: Category | None = Field(None, description="Category (品目); defaults to the plan line's")


class DeclineIn(Strict):
    reason: Reason
    reason_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = Field(
        None, description="Rotation: why (force_majeure, conflict_of_interest, outside_scope, "
                          "purchaser_changed_terms: valid reasons; other: counts toward 清退)")


class ConfirmIn(Strict):
    quote_id: Id | None = Field(None, description="The proposed winner's quote as you saw it; refused if it changed")


# --- 直接选定 / 二次竞价 ----------------------------------------------------------------------------------

@router.post("/projects/direct-selections", status_code=201, response_model=ProjectOut,
             summary="直接选定 → 发布项目: publish a direct selection")
async def create_direct_selection(body: DirectSelectionIn, user: Purchaser, db: DB, request: Request) -> ProjectOut:
    project = await workflow.create_direct_selection(
        db, user, workflow.DirectSelectionInput(**body.model_dump()), _clock(request)())
    return await _view(db, user, project.id, request)


@router.post("/projects/rotations", status_code=201, response_model=ProjectOut,
             summary="顺序轮候 → 发布项目: publish a rotation project; it goes to the next supplier in the order")
async def create_rotation(body: RotationIn, user: Purchaser, db: DB, request: Request) -> ProjectOut:
    project = await rotations.create_rotation(db, user, rotations.RotationInput(**body.model_dump()),
                                              _clock(request)())
    return await _view(db, user, project.id, request)


@router.get("/projects/rotation-orders/{agreement_id}", response_model=RotationOrderOut,
            summary="轮候顺序: an agreement's rotation order and the current period (anyone logged in)")
async def rotation_order(agreement_id: Id, user: CurrentUser, db: DB) -> RotationOrderOut:
    return await views.rotation_order_view(db, agreement_id)


@router.post("/projects/secondary-biddings", status_code=201, response_model=ProjectOut,
             summary="二次竞价 新增/保存: save a secondary bidding as a draft")
async def create_secondary_bidding(body: SecondaryBiddingIn, user: Purchaser, db: DB, request: Request) -> ProjectOut:
    project = await workflow.create_secondary_bidding(db, user, body.model_dump(), _clock(request)())
    return await _view(db, user, project.id, request)


@router.patch("/projects/{project_id}", response_model=ProjectOut, summary="Edit a draft secondary bidding")
async def edit_project(project_id: Id, body: SecondaryBiddingPatch, user: Purchaser, db: DB,
                       request: Request) -> ProjectOut:
    await workflow.edit_draft(db, user, project_id, body.model_dump(exclude_unset=True), _clock(request)())
    return await _view(db, user, project_id, request)


@router.post("/projects/{project_id}/announcement-preview", response_model=PreviewOut,
             summary="预览公告: the procurement announcement as it would be published")
async def preview(project_id: Id, user: Purchaser, db: DB, request: Request,
                  body: PreviewIn | None = None) -> PreviewOut:
    body = body or PreviewIn()
    bounds = _bounds(request)
    duration = timedelta(seconds=body.duration_seconds) if body.duration_seconds else bounds.minimum
    rendered = await workflow.preview_announcement(db, user, project_id, workflow.Window(body.starts_at, duration),
                                                   bounds, _clock(request)())
    return PreviewOut(kind=rendered.kind, title=rendered.title, content=rendered.content, details=rendered.details)


@router.post("/projects/{project_id}/publish", response_model=ProjectOut,
             summary="发布: publish a secondary bidding with its start time and duration")
async def publish(project_id: Id, body: WindowIn, user: Purchaser, db: DB, request: Request) -> ProjectOut:
    window = workflow.Window(body.starts_at, timedelta(seconds=body.duration_seconds))
    await workflow.publish_secondary(db, user, project_id, window, _bounds(request), _clock(request)())
    return await _view(db, user, project_id, request)


# --- 查看 / 终止 / 确认 ------------------------------------------------------------------------------------

@router.get("/projects", response_model=ProjectPage, responses=errors(403),
            summary="My unit's projects (purchaser) or the projects I may quote on (supplier)")
async def list_projects(user: CurrentUser, db: DB, request: Request, status: Status | None = None,
                        method: Method | None = None, limit: Limit = 50,
                        offset: Offset = 0) -> ProjectPage:
    if not (user.is_("purchaser") or user.is_("supplier")):
        raise Forbidden("项目仅供采购单位和供应商查看")
    return await views.project_page(db, user, _clock(request)(), status=status, method=method, limit=limit,
                                    offset=offset)


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="查看项目")
async def get_project(project_id: Id, user: CurrentUser, db: DB, request: Request) -> ProjectOut:
    return await _view(db, user, project_id, request)


async def _view(db: DB, user: Principal, project_id: Id, request: Request) -> ProjectOut:
    return await views.project_view(db, user, project_id, _clock(request)())


@router.post("/projects/{project_id}/terminate", response_model=ProjectOut, summary="终止项目 with a reason")
async def terminate(project_id: Id, body: ReasonIn, user: Purchaser, db: DB, request: Request) -> ProjectOut:
    await workflow.terminate(db, user, project_id, body.reason, _clock(request)())
    return await _view(db, user, project_id, request)


@router.post("/projects/{project_id}/confirm-result", response_model=ProjectOut,
             summary="确认成交结果: confirm the proposed winner")
async def confirm_result(project_id: Id, user: Purchaser, db: DB, request: Request,
                         body: ConfirmIn | None = None) -> ProjectOut:
    await workflow.confirm_result(db, user, project_id, (body or ConfirmIn()).quote_id, _clock(request)(),
                                  calendar=request.app.state.calendar)
    return await _view(db, user, project_id, request)


# --- 报价 ------------------------------------------------------------------------------------------------

@router.post("/projects/{project_id}/quotes", status_code=201, response_model=QuoteOut,
             summary="报价: quote, or revise my quote within the window")
async def submit_quote(project_id: Id, body: QuoteIn, user: Supplier, db: DB, request: Request) -> QuoteOut:
    quote, quantity = await workflow.submit_quote(db, user, project_id, body.amount, body.service_id, body.note,
                                                  _clock(request))
    return views.quote_out(quote, quantity)


@router.post("/projects/{project_id}/decline", response_model=ProjectOut,
             summary="Decline a direct selection (项目失败) or a rotation award (→ the next supplier), with a reason")
async def decline(project_id: Id, body: DeclineIn, user: Supplier, db: DB, request: Request) -> ProjectOut:
    await rotations.decline_any(db, user, project_id, body.reason_code, body.reason, _clock(request)())
    return await _view(db, user, project_id, request)


@router.post("/projects/{project_id}/accept", response_model=ProjectOut,
             summary="顺序轮候: accept the award at your agreement price (项目成功; the order and contract follow)")
async def accept(project_id: Id, user: Supplier, db: DB, request: Request) -> ProjectOut:
    await rotations.accept(db, user, project_id, _clock(request)(), calendar=request.app.state.calendar)
    return await _view(db, user, project_id, request)


@router.get("/projects/{project_id}/quotes", response_model=QuotesOut, responses=errors(codes={409: ["quotes_sealed"]}),
            summary="Quotes: a supplier sees its own; the purchaser sees all, ranked, once the window closed")
async def list_quotes(project_id: Id, user: CurrentUser, db: DB, request: Request) -> QuotesOut:
    return await views.quotes_view(db, user, project_id, _clock(request)())


# --- 公告 (public) ----------------------------------------------------------------------------------------

@router.get("/announcements", response_model=AnnouncementPage, summary="公告: public announcements, newest first")
async def list_announcements(db: DB, kind: Literal["procurement", "award", "summary"] | None = None,
                             project_id: Annotated[Id | None, Query()] = None,
                             agreement_id: Annotated[Id | None, Query()] = None, limit: Limit = 20,
                             offset: Offset = 0) -> AnnouncementPage:
    return await views.announcement_page(db, kind=kind, project_id=project_id, limit=limit, offset=offset,
                                         agreement_id=agreement_id)


@router.get("/announcements/{announcement_id}", response_model=AnnouncementOut, summary="One public announcement")
async def get_announcement(announcement_id: Id, db: DB) -> AnnouncementOut:
    return await views.announcement_view(db, announcement_id)
