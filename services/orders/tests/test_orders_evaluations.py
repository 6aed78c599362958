"""Purchaser evaluations (用户评价): after acceptance, once per order, on the dimensions the agency set
(per agreement, else global, else 服务质量/响应速度/履约规范); the supplier sees it and answers once;
EvaluationSubmitted carries the scores (catalog keeps the averages)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts_schema.events.catalog import AgreementPublished
from contracts_schema.types import utcnow

from orders import domain
from servicekit.errors import Conflict, Invalid
from servicekit.testing import outbox_events


def pdf():
    return {"file": ("验收单.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}


def scores(*pairs):
    return [{"dimension": d, "score": s} for d, s in pairs]


DEFAULT = scores(("服务质量", 5), ("响应速度", 4), ("履约规范", 3))


async def accepted_order(w, **overrides):
    order = await w.new_order(stamped=True, **overrides)
    r = await w.client.post(f"/api/v1/orders/{order['id']}/acceptance", headers=w.purchaser_a, files=pdf())
    assert r.status_code == 201, r.text
    return r.json()


async def test_an_order_is_evaluated_once_after_acceptance_and_answered_once(orders_world):
    w = orders_world
    order = await w.new_order(stamped=True)
    early = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                                json={"scores": DEFAULT})
    assert early.status_code == 409 and "验收" in early.json()["error"]["message"]

    await w.client.post(f"/api/v1/orders/{order['id']}/acceptance", headers=w.purchaser_a, files=pdf())
    shown = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.purchaser_a)).json()
    assert shown["evaluable"] and shown["evaluation_dimensions"] == ["服务质量", "响应速度", "履约规范"]

    as_supplier = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.supplier_1,
                                      json={"scores": DEFAULT})
    assert as_supplier.status_code == 403
    other = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_b,
                                json={"scores": DEFAULT})
    assert other.status_code == 404
    missing = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                                  json={"scores": DEFAULT[:2]})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_scores"
    out_of_range = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                                       json={"scores": scores(("服务质量", 6), ("响应速度", 4), ("履约规范", 3))})
    assert out_of_range.status_code == 422

    done = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                               json={"scores": DEFAULT, "comment": "响应及时"})
    assert done.status_code == 201, done.text
    assert done.json()["average"] == 4.0 and done.json()["answer"] is None
    again = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                                json={"scores": DEFAULT})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_evaluated"

    seen = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.supplier_1)).json()
    assert seen["evaluation"]["comment"] == "响应及时" and not seen["evaluable"]
    by_purchaser = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation/answer", headers=w.purchaser_a,
                                       json={"answer": "谢谢"})
    assert by_purchaser.status_code == 403
    answered = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation/answer", headers=w.supplier_1,
                                   json={"answer": "感谢评价，我们将继续改进。"})
    assert answered.status_code == 200 and answered.json()["answer"] == "感谢评价，我们将继续改进。"
    twice = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation/answer", headers=w.supplier_1,
                                json={"answer": "再次回复"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_answered"

    submitted = [b for _, b in await outbox_events(w.service.db, "EvaluationSubmitted") if b["order_id"] == order["id"]]
    assert len(submitted) == 1
    assert submitted[0]["supplier_id"] == order["supplier_id"] and submitted[0]["agreement_id"] == "AG1"
    assert [s["score"] for s in submitted[0]["scores"]] == [5, 4, 3]
    assert [b for _, b in await outbox_events(w.service.db, "EvaluationAnswered") if b["order_id"] == order["id"]]


def published(agreement_id: str, agency_org_id: str = "12430000MB1A46001K") -> AgreementPublished:
    """What catalog tells orders when an agency publishes an agreement (only its owner matters here)."""
    return AgreementPublished(
        agreement_id=agreement_id, agreement_no=f"HNKJ-{agreement_id}", name="湖南省省直单位物业服务框架协议",
        agency_org_id=agency_org_id, agency_name="湖南省政府采购中心", category_code="C", category_name="服务",
        valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31), methods=["direct_selection"],
        contract_template="合同范本", suppliers=[], services=[], offerings=[], published_at=utcnow())


async def test_only_the_agency_that_published_an_agreement_sets_its_dimensions(orders_world):
    w = orders_world
    unknown = f"AG{uuid.uuid4().hex[:8]}"
    body = {"agreement_id": unknown, "dimensions": ["服务质量"]}
    missing = await w.client.put("/api/v1/orders/evaluation-dimensions", headers=w.agency, json=body)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "agreement_not_found"
    theirs = f"AG{uuid.uuid4().hex[:8]}"
    await w.service.dispatch(published(theirs, agency_org_id="12430100MB1A46009X"))  # 长沙市政府采购中心's
    refused = await w.client.put("/api/v1/orders/evaluation-dimensions", headers=w.agency,
                                 json={"agreement_id": theirs, "dimensions": ["价格"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_agreement_agency"
    shown = (await w.client.get("/api/v1/orders/evaluation-dimensions", headers=w.agency,
                                params={"agreement_id": theirs})).json()
    assert shown["dimensions"] == ["服务质量", "响应速度", "履约规范"]  # nothing changed


async def test_the_agency_sets_dimensions_per_agreement_and_globally(orders_world):
    w = orders_world
    agreement = f"AG{uuid.uuid4().hex[:8]}"
    await w.service.dispatch(published(agreement))
    refused = await w.client.put("/api/v1/orders/evaluation-dimensions", headers=w.purchaser_a,
                                 json={"agreement_id": agreement, "dimensions": ["价格"]})
    assert refused.status_code == 403
    duplicate = await w.client.put("/api/v1/orders/evaluation-dimensions", headers=w.agency,
                                   json={"agreement_id": agreement, "dimensions": ["价格", "价格"]})
    assert duplicate.status_code == 422
    own = await w.client.put("/api/v1/orders/evaluation-dimensions", headers=w.agency,
                             json={"agreement_id": agreement, "dimensions": ["服务质量", "安全保障"]})
    assert own.status_code == 200, own.text
    order = await accepted_order(w, agreement_id=agreement)
    assert order["evaluation_dimensions"] == ["服务质量", "安全保障"]
    old_dimensions = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                                         json={"scores": DEFAULT})
    assert old_dimensions.status_code == 422 and "安全保障" in old_dimensions.json()["error"]["message"]
    ok = await w.client.post(f"/api/v1/orders/{order['id']}/evaluation", headers=w.purchaser_a,
                             json={"scores": scores(("服务质量", 4), ("安全保障", 5))})
    assert ok.status_code == 201 and ok.json()["average"] == 4.5
    other = (await w.client.get("/api/v1/orders/evaluation-dimensions", headers=w.supplier_1,
                                params={"agreement_id": "AG-none"})).json()
    assert other["dimensions"] == ["服务质量", "响应速度", "履约规范"]


def test_scores_cover_every_dimension_once():
    dims = ["服务质量", "响应速度"]
    assert domain.check_scores([("响应速度", 2), ("服务质量", 5)], dims) == [("服务质量", 5), ("响应速度", 2)]
    for bad in ([("服务质量", 5)], [("服务质量", 5), ("响应速度", 0)], [("服务质量", 5), ("服务质量", 4)],
                [("服务质量", 5), ("响应速度", 3), ("价格", 1)]):
        with pytest.raises(Invalid):
            domain.check_scores(bad, dims)
    with pytest.raises(Conflict):
        domain.check_evaluable("contracted", False)
    with pytest.raises(Conflict):
        domain.check_evaluable("paid", True)
    assert domain.dimensions_for(None, ["价格"]) == ["价格"]
    assert domain.dimensions_for(["安全"], ["价格"]) == ["安全"]
