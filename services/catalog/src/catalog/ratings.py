"""The library's view of purchaser evaluations (用户评价): orders owns the evaluations (it knows the
acceptance and the parties); catalog keeps, per supplier and agreement, how many there are and the sum of
their scores, from EvaluationSubmitted (the inbox applies each event once), so the library shows the
average and the count beside the price without asking another service."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from catalog.store import SupplierRating
from contracts_schema.events.orders import EvaluationSubmitted
from contracts_schema.types import utcnow


async def evaluation_submitted(session: AsyncSession, event: EvaluationSubmitted) -> SupplierRating:
    key = (event.supplier_id, event.agreement_id)
    rating = await session.get(SupplierRating, key, with_for_update=True) or SupplierRating(
        supplier_id=event.supplier_id, agreement_id=event.agreement_id, updated_at=utcnow())
    rating.evaluation_count += 1
    rating.score_sum += sum(s.score for s in event.scores)
    rating.score_count += len(event.scores)
    rating.updated_at = utcnow()
    session.add(rating)
    return rating
