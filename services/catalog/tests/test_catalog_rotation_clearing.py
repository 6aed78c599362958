"""Rotation order (顺序轮候) and clearing (清退) in the catalog: the order fixed at publication and shown
to everyone, the clearing with its cause and who did it, the supplier out of the order and the library,
and the cases that may lead to clearing counted from bidding's and contracts' events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog import domain
from contracts_schema.events.bidding import RotationDeclined
from contracts_schema.events.contracts import ContractDrafted, ContractStamped
from contracts_schema.types import utcnow
from servicekit.errors import Conflict, Invalid


def test_the_rotation_order_rules():
    assert domain.rotation_order(["rotation"], ["A", "B", "C"], None) == ["A", "B", "C"], "stage-1 ranking"
    assert domain.rotation_order(["rotation"], ["A", "B", "C"], ["C", "A", "B"]) == ["C", "A", "B"]
    assert domain.rotation_order(["direct_selection"], ["A"], None) is None
    for bad in (["A", "B"], ["A", "B", "C", "D"], ["A", "A", "B", "C"]):
        with pytest.raises(Invalid):
            domain.rotation_order(["rotation"], ["A", "B", "C"], bad)
    assert domain.without(["A", "B", "C"], "B") == ["A", "C"]
    assert domain.appended(["A", "C"], "D") == ["A", "C", "D"]
    with pytest.raises(Conflict):
        domain.appended(["A"], "A")
    assert domain.supplier_after("suspended", "clear") == "cleared"
    with pytest.raises(Conflict):
        domain.supplier_after("cleared", "reinstate")
    with pytest.raises(Invalid):
        domain.clearing_cause("late")


async def test_the_rotation_order_is_published_with_the_agreement_and_shown_to_everyone(catalog, tag, suppliers):
    one, six = suppliers[1][0], suppliers[6][0]
    agreement = await catalog.publish(tag, methods=["direct_selection", "rotation"], rotation_order=[six, one])
    assert [(p["position"], p["supplier_id"]) for p in agreement["rotation_order"]] == [(1, six), (2, one)]
    [event] = await catalog.events("AgreementPublished", agreement_id=agreement["id"])
    assert event["rotation_order"] == [six, one] and "rotation" in event["methods"]
    seen = await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}", headers=catalog.headers(1))
    assert [p["supplier_id"] for p in seen.json()["rotation_order"]] == [six, one]
    default = await catalog.publish(f"{tag}b", methods=["rotation"])
    assert [p["supplier_id"] for p in default["rotation_order"]] == [one, six], "stage-1 ranking by default"
    plain = await catalog.publish(f"{tag}c")
    assert plain["rotation_order"] is None


async def test_the_agency_clears_a_supplier_for_good_with_cause_and_who(catalog, tag, suppliers):
    one, six = suppliers[1][0], suppliers[6][0]
    agreement = await catalog.publish(tag, methods=["rotation"])
    assert (await catalog.list_service(agreement, 1, "办公楼物业管理服务", "4.40")).status_code == 200
    url = f"/api/v1/catalog/agreements/{agreement['id']}/suppliers/{one}/clear"
    body = {"cause": "refused_award", "reason": "LH2026000001、LH2026000003 两次无正当理由拒绝授予"}
    for who, status, code in [(1, 403, "forbidden"), ("other_agency", 403, "forbidden")]:
        r = await catalog.client.post(url, json=body, headers=catalog.headers(who))
        assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    r = await catalog.client.post(url, json={**body, "cause": "late"}, headers=catalog.headers())
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_clearing_cause"
    r = await catalog.client.post(url, json=body, headers=catalog.headers())
    assert r.status_code == 200, r.text
    assert r.json()["cause_label"] == "无正当理由拒不接受合同授予" and r.json()["cleared_by"] == "agency"
    [event] = await catalog.events("SupplierCleared", agreement_id=agreement["id"])
    assert event["supplier_id"] == one and event["rotation_order"] == [six] and event["cause"] == "refused_award"
    again = await catalog.client.post(url, json=body, headers=catalog.headers())
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    back = await catalog.client.post(f"/api/v1/catalog/agreements/{agreement['id']}/suppliers/{one}/reinstate",
                                     json={}, headers=catalog.headers())
    assert back.status_code == 409
    relist = await catalog.list_service(agreement, 1, "办公楼物业管理服务", "4.30")
    assert relist.status_code == 409 and relist.json()["error"]["code"] == "supplier_cleared"
    assert (await catalog.search(q=f"办公楼物业管理服务{tag}"))["total"] == 0, "its services leave the library"
    shown = (await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}", headers=catalog.headers(6))).json()
    assert [(p["supplier_id"], p["status"], bool(p["removed_at"])) for p in shown["rotation_order"]] == [
        (one, "cleared", True), (six, "active", False)]


async def test_the_cases_that_may_lead_to_clearing_are_counted_for_the_agency(catalog, tag, suppliers):
    one, six = suppliers[1][0], suppliers[6][0]
    agreement = await catalog.publish(tag, methods=["rotation"])
    now = utcnow()

    def declined(project: str, who: str, valid: bool) -> RotationDeclined:
        return RotationDeclined(project_id=project, project_no=f"LH-{project}", agreement_id=agreement["id"],
                                supplier_id=who, supplier_name="x", period=1, reason_code="other" if not valid else
                                "force_majeure", reason_label="其他原因", reason="人手不足", valid_reason=valid,
                                declined_at=now)

    def drafted(contract: str, due_days: int) -> ContractDrafted:
        return ContractDrafted(contract_id=contract, contract_no=f"HT-{contract}", project_id="PJ1", project_no="LH1",
                               purchaser_org_id="P", supplier_id=six, agreement_no=agreement["agreement_no"],
                               amount="100.00", sign_due_on=(now + timedelta(days=due_days)).date(), drafted_at=now)

    for event in (declined("PJ1", one, False), declined("PJ1", one, False), declined("PJ2", one, False),
                  declined("PJ3", one, True), drafted("CT1", -3), drafted("CT2", -3), drafted("CT3", 10),
                  ContractStamped(contract_id="CT2", contract_no="HT-CT2", project_id="PJ1", ca_mode="offline",
                                  document_sha256="0" * 64, signed_at=now)):
        outcome = await catalog.service.dispatch(event)
        assert outcome.status in ("handled", "duplicate"), outcome
    r = await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}/clearing", headers=catalog.headers())
    assert r.status_code == 200, r.text
    counts = {s["supplier"]["supplier_id"]: (s["declines_without_reason"], s["overdue_contracts"])
              for s in r.json()["suppliers"]}
    assert counts == {one: (2, 0), six: (0, 1)}
    assert {c["code"] for c in r.json()["causes"]} >= {"refused_award", "not_performing"}
    other = await catalog.client.get(f"/api/v1/catalog/agreements/{agreement['id']}/clearing",
                                     headers=catalog.headers("other_agency"))
    assert other.status_code == 403


async def test_a_supplementary_solicitation_appends_a_supplier_to_the_rotation_order(catalog, tag, suppliers):
    one, two, six = suppliers[1][0], suppliers[2][0], suppliers[6][0]
    agreement = await catalog.publish(tag, methods=["rotation"], rotation_order=[six, one])
    added = {"supplier_id": two, "name": suppliers[2][1], "services": [
        {"category_code": "C120401", "name": f"办公楼物业管理服务{tag}", "unit": "平方米·月", "agreement_price": "4.40"}]}
    url = f"/api/v1/catalog/agreements/{agreement['id']}/suppliers"
    r = await catalog.client.post(url, json=added, headers=catalog.headers("other_agency"))
    assert r.status_code == 403
    r = await catalog.client.post(url, json=added, headers=catalog.headers())
    assert r.status_code == 201, r.text
    assert [p["supplier_id"] for p in r.json()["rotation_order"]] == [six, one, two]
    events = await catalog.events("AgreementPublished", agreement_id=agreement["id"])
    assert [e["rotation_order"] for e in events] == [[six, one], [six, one, two]]
    again = await catalog.client.post(url, json=added, headers=catalog.headers())
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_supplier"
