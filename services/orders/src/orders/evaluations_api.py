"""HTTP routes of purchaser evaluations (用户评价), under /api/v1/orders:
- the agency sets the evaluation dimensions, globally or for one agreement;
- the purchaser evaluates the supplier of an accepted order, once; the supplier answers, once.

The evaluation is shown in the order (`GET /orders/{id}`: `evaluation`, `evaluation_dimensions`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from orders import workflow
from orders.store import Evaluation, dimensions_of
from servicekit.app import DB
from servicekit.auth import Agency, CurrentUser, Purchaser, Supplier
from servicekit.openapi import errors
from servicekit.types import ShanghaiTime, line, paragraphs

router = APIRouter(prefix="/api/v1/orders", tags=["orders 用户评价"])

Dimension = line(20)
AgreementId = Annotated[str, Query(max_length=40, pattern=r"^[0-9A-Za-z\-]*$",
                                   description="The agreement; empty: the global dimensions")]


class ScoreOut(BaseModel):
    dimension: str
    score: int


class EvaluationOut(BaseModel):
    id: str
    order_id: str
    supplier_id: str
    scores: list[ScoreOut]
    average: float
    comment: str
    submitted_at: ShanghaiTime
    answer: str | None
    answered_at: ShanghaiTime | None


class DimensionsOut(BaseModel):
    agreement_id: str
    dimensions: list[str]


class DimensionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_id: Annotated[str, Field(max_length=40, pattern=r"^[0-9A-Za-z\-]*$")] = Field(
        "", description="The agreement these dimensions are for; empty: every agreement without its own")
    dimensions: Annotated[list[Dimension], Field(min_length=1, max_length=10)]


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: Dimension
    score: int = Field(ge=1, le=5, description="1 (worst) to 5 (best)")


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: Annotated[list[ScoreIn], Field(min_length=1, max_length=10)]
    comment: paragraphs(1000) = ""


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: paragraphs(1000, min_length=1)


def evaluation_out(e: Evaluation) -> EvaluationOut:
    scores = [ScoreOut(**s) for s in e.scores]
    return EvaluationOut(id=e.id, order_id=e.order_id, supplier_id=e.supplier_id, scores=scores,
                         average=round(sum(s.score for s in scores) / len(scores), 2), comment=e.comment,
                         submitted_at=e.submitted_at, answer=e.answer, answered_at=e.answered_at)


@router.get("/evaluation-dimensions", response_model=DimensionsOut,
            summary="The evaluation dimensions of an agreement (its own, else the global ones, else the default)")
async def get_dimensions(user: CurrentUser, db: DB, agreement_id: AgreementId = "") -> DimensionsOut:
    async with db.read() as session:
        return DimensionsOut(agreement_id=agreement_id, dimensions=await dimensions_of(session, agreement_id))


@router.put("/evaluation-dimensions", response_model=DimensionsOut,
            responses=errors(codes={403: ["not_agreement_agency"], 404: ["agreement_not_found"]}),
            summary="Set the evaluation dimensions, globally or for one agreement (the agency that published it)")
async def set_dimensions(body: DimensionsIn, user: Agency, db: DB) -> DimensionsOut:
    names = await workflow.set_dimensions(db, user, body.agreement_id, body.dimensions)
    return DimensionsOut(agreement_id=body.agreement_id, dimensions=names)


@router.post("/{order_id}/evaluation", status_code=201, response_model=EvaluationOut,
             summary="用户评价: the purchaser scores the supplier after acceptance, once per order")
async def submit_evaluation(order_id: str, body: EvaluationIn, user: Purchaser, db: DB) -> EvaluationOut:
    scores = [(s.dimension, s.score) for s in body.scores]
    return evaluation_out(await workflow.submit_evaluation(db, user, order_id, scores, body.comment))


@router.post("/{order_id}/evaluation/answer", response_model=EvaluationOut,
             summary="The supplier answers the purchaser's evaluation, once")
async def answer_evaluation(order_id: str, body: AnswerIn, user: Supplier, db: DB) -> EvaluationOut:
    return evaluation_out(await workflow.answer_evaluation(db, user, order_id, body.answer))
