"""Purchaser evaluations in the library: EvaluationSubmitted (orders) keeps each supplier's average and
count, shown beside its price in the service's offers; a redelivered event counts once."""

from __future__ import annotations

import uuid

from contracts_schema.envelope import Envelope
from contracts_schema.events.orders import EvaluationScore, EvaluationSubmitted
from contracts_schema.types import utcnow


def evaluation(supplier_id: str, agreement_id: str, *scores: int) -> EvaluationSubmitted:
    names = ["服务质量", "响应速度", "履约规范"]
    return EvaluationSubmitted(
        order_id=f"OD{uuid.uuid4().hex[:12]}", project_id="PJ1", agreement_id=agreement_id,
        purchaser_org_id="11430000006100011A", supplier_id=supplier_id, evaluation_id=f"EV{uuid.uuid4().hex[:8]}",
        scores=[EvaluationScore(dimension=n, score=s) for n, s in zip(names, scores, strict=True)],
        submitted_at=utcnow())


async def test_the_library_shows_each_suppliers_average_and_count_beside_its_price(catalog, tag, suppliers):
    agreement = await catalog.publish(tag)
    for supplier, price in ((1, "4.20"), (6, "4.10")):
        assert (await catalog.list_service(agreement, supplier, "办公楼", price)).status_code == 200
    service_id = catalog.offering(agreement, 1, "办公楼")["service_id"]
    before = await catalog.service_detail(service_id)
    assert {o["rating"]["count"] for o in before["offers"]} == {0}
    assert {o["rating"]["average"] for o in before["offers"]} == {None}

    first = evaluation(suppliers[1][0], agreement["id"], 5, 4, 4)
    envelope = Envelope(type=first.ce_type(), source="/test", subject=first.aggregate_id, sequence=1)
    assert (await catalog.service.dispatch(first, envelope)).status == "handled"
    assert (await catalog.service.dispatch(first, envelope)).status == "duplicate"
    await catalog.service.dispatch(evaluation(suppliers[1][0], "AG-other", 3, 3, 3))  # another agreement counts too

    after = await catalog.service_detail(service_id)
    by_supplier = {o["supplier"]["supplier_id"]: o for o in after["offers"]}
    assert by_supplier[suppliers[1][0]]["rating"] == {"average": "3.67", "count": 2}
    assert by_supplier[suppliers[1][0]]["price"] == "4.20"
    assert by_supplier[suppliers[6][0]]["rating"] == {"average": None, "count": 0}


async def test_an_agreement_may_state_its_estimate_and_publishes_it(catalog, tag):
    agreement = await catalog.publish(tag, estimated_amount="5000000.00", estimated_quantity="1200")
    assert agreement["estimated_amount"] == "5000000.00" and agreement["estimated_quantity"] == "1200"
    [event] = await catalog.events("AgreementPublished", agreement_id=agreement["id"])
    assert event["estimated_amount"] == "5000000.00" and event["estimated_quantity"] == "1200"
    plain = await catalog.publish(f"{tag}b")
    assert plain["estimated_amount"] is None
