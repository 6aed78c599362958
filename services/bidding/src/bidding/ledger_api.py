"""HTTP route of the agreement's ledger (协议执行台账), for the agency that published the agreement:
every award by supplier, purchaser and method, the totals against the agreement's estimate, and the
warnings (reached through the gateway at /api/v1/ledgers)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from bidding import domain, ledger
from bidding.ledger_rules import Award, Total
from contracts_schema.types import Money, Quantity
from servicekit.app import DB
from servicekit.auth import Agency
from servicekit.logging import bind_context
from servicekit.types import Id, ShanghaiTime
from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/ledgers", tags=["bidding 协议执行台账"])


class AwardOut(BaseModel):
    project_id: str
    project_no: str
    project_name: str
    method: str
    method_label: str
    purchaser_org_id: str
    purchaser_name: str
    supplier_id: str
    supplier_name: str
    service_name: str
    quantity: Quantity
    unit: str
    unit_price: Money
    amount: Money
    awarded_at: ShanghaiTime
    passed_estimate: bool


class TotalOut(BaseModel):
    key: str
    name: str
    count: int
    amount: Money
    quantity: str


class LedgerOut(BaseModel):
    agreement_id: str
    agreement_no: str
    agreement_name: str
    valid_from: date
    valid_to: date
    estimated_amount: Money | None
    estimated_quantity: Quantity | None
    total: TotalOut
    remaining_amount: str | None
    by_supplier: list[TotalOut]
    by_purchaser: list[TotalOut]
    by_method: list[TotalOut]
    awards: list[AwardOut]
    exceeded: bool
    warnings: list[str]


def _total(t: Total) -> TotalOut:
    return TotalOut(key=t.key, name=t.name, count=t.count, amount=t.amount,
                    quantity=format(t.quantity.normalize(), "f") if t.quantity else "0")


def _award(a: Award) -> AwardOut:
    return AwardOut(**{k: getattr(a, k) for k in AwardOut.model_fields if k != "method_label"},
                    method_label=domain.METHOD_LABELS.get(a.method, a.method))


@router.get("/{agreement_id}", response_model=LedgerOut,
            summary="协议执行台账: every award under the agreement, totals against its estimate (the agency)")
async def agreement_ledger(agreement_id: Id, user: Agency, db: DB) -> LedgerOut:
    bind_context(agreement_id=agreement_id)
    async with db.read() as session:
        agreement, found = await ledger.agreement_ledger(session, user, agreement_id)
    remaining = (f"{agreement.estimated_amount - found.total.amount:.2f}"
                 if agreement.estimated_amount is not None else None)
    return LedgerOut(agreement_id=agreement.agreement_id, agreement_no=agreement.agreement_no,
                     agreement_name=agreement.name, valid_from=agreement.valid_from, valid_to=agreement.valid_to,
                     estimated_amount=agreement.estimated_amount, estimated_quantity=agreement.estimated_quantity,
                     total=_total(found.total), remaining_amount=remaining,
                     by_supplier=[_total(t) for t in found.by_supplier],
                     by_purchaser=[_total(t) for t in found.by_purchaser],
                     by_method=[_total(t) for t in found.by_method], awards=[_award(a) for a in found.awards],
                     exceeded=found.exceeded, warnings=found.warnings)
