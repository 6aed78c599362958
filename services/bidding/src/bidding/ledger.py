"""The agreement's ledger (协议执行台账) as bidding knows it: every project that succeeded under an
agreement is an award (whatever its method), read from the projects and their winning quotes; the rules
(totals, the estimate, the warning) are ledger_rules.py's. Reads only: nothing here writes.

- the agency that published the agreement reads its ledger (`GET /api/v1/ledgers/{agreement_id}`);
- the purchaser sees, before confirming a result, whether the award would pass the estimate
  (`warning_before_award`, shown in the project)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bidding import domain, ledger_rules
from bidding.ledger_rules import Award, Estimate, Ledger
from bidding.store import AgreementRef, Project, Quote, ServiceRef, SupplierRef
from servicekit.auth import Principal
from servicekit.errors import Forbidden, NotFound


def estimate_of(agreement: AgreementRef) -> Estimate:
    return Estimate(amount=agreement.estimated_amount, quantity=agreement.estimated_quantity)


async def awards_of(session: AsyncSession, agreement_id: str, *, except_project: str | None = None) -> list[Award]:
    """Every award under the agreement: the projects that succeeded, with the supplier and service of
    their winning quote (a project without one names the supplier it was made for)."""
    supplier_id = sa.func.coalesce(Quote.supplier_id, Project.supplier_id)
    service_id = sa.func.coalesce(Quote.service_id, Project.service_id)
    query = (select(Project, supplier_id, service_id, SupplierRef.name, ServiceRef.name)
             .outerjoin(Quote, Quote.id == Project.winning_quote_id)
             .outerjoin(SupplierRef, sa.and_(SupplierRef.agreement_id == Project.agreement_id,
                                             SupplierRef.supplier_id == supplier_id))
             .outerjoin(ServiceRef, sa.and_(ServiceRef.agreement_id == Project.agreement_id,
                                            ServiceRef.service_id == service_id))
             .where(Project.agreement_id == agreement_id, Project.status == domain.Status.SUCCEEDED,
                    Project.award_amount.is_not(None)))  # type: ignore[union-attr]
    if except_project:
        query = query.where(Project.id != except_project)
    awards = []
    for project, supplier, _service, supplier_name, service_name in (await session.exec(query)).all():
        amount = project.award_amount
        awards.append(Award(
            project_id=project.id, project_no=project.project_no, project_name=project.name, method=project.method,
            purchaser_org_id=project.purchaser_org_id, purchaser_name=project.purchaser_name,
            supplier_id=supplier or "", supplier_name=supplier_name or supplier or "",
            service_name=service_name or project.item_name, quantity=project.quantity, unit=project.unit,
            unit_price=domain.unit_price_of(amount, project.quantity), amount=amount,
            awarded_at=project.ended_at or project.updated_at))
    return awards


async def agreement_ledger(session: AsyncSession, user: Principal, agreement_id: str) -> tuple[AgreementRef, Ledger]:
    """The ledger of an agreement, for the agency that published it."""
    agreement = await session.get(AgreementRef, agreement_id)
    if agreement is None:
        raise NotFound(f"框架协议 {agreement_id} 不存在", code="not_found")
    if not user.is_("agency") or agreement.agency_org_id != user.org_id:
        raise Forbidden("协议执行台账只对发布该框架协议的征集人开放。")
    awards = await awards_of(session, agreement_id)
    return agreement, ledger_rules.ledger(awards, estimate_of(agreement), _method_labels())


async def warning_before_award(session: AsyncSession, project: Project, amount: Decimal) -> str | None:
    """The warning the purchaser sees before confirming an award of `amount` on this project: the
    agreement's awards so far and this one pass its estimate. None: no estimate, or within it."""
    agreement = await session.get(AgreementRef, project.agreement_id)
    if agreement is None or not estimate_of(agreement).stated:
        return None
    so_far = await awards_of(session, project.agreement_id, except_project=project.id)
    return ledger_rules.warning_for(estimate_of(agreement), sum((a.amount for a in so_far), Decimal("0.00")),
                                    sum((a.quantity for a in so_far), Decimal("0")), amount, project.quantity)


def _method_labels() -> dict[str, str]:
    return {str(k): v for k, v in domain.METHOD_LABELS.items()}
