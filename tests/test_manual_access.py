"""Who sees what (DESIGN §5), through the gateway with every service running: purchaser-a buys from
supplier-1 by direct selection, to a sealed contract and an accepted order with its acceptance report;
then another purchaser unit (purchaser-b), another shortlisted supplier of the same agreement
(supplier-2), the wrong role and an anonymous caller try to read and act on each of its things — the
plan, the project, its quotes, the contract and its files, the order and its files. Every attempt is
refused (404: another unit's thing is as absent as a missing one; 403: not the role's; 401: no login)
and nothing changes. Public announcements stay readable without login."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from devstack.walkthrough import MarketSpec, await_read_model, new_plan, open_market, shanghai_today
from platform_client import wait_for

pytestmark = pytest.mark.stack

CA_PASSWORD = "ca12345"
TODAY = str(shanghai_today())


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def pdf(name: str) -> dict:
    return {"file": (name, f"%PDF-1.4\n% {name}\n%%EOF\n".encode(), "application/pdf")}


def find(client, path: str, project_id: str) -> dict[str, Any] | None:
    items = ok(client.get(path, params={"limit": 200}))["items"]
    return next((item for item in items if item.get("project_id", item.get("id")) == project_id), None)


@pytest.fixture(scope="module")
def bought(stack, as_user) -> dict[str, Any]:
    """purchaser-a's plan, project, contract (purchaser-sealed) and order (accepted), won by supplier-1."""
    tag = uuid4().hex[:6].upper()
    market = open_market(as_user, MarketSpec(
        agreement_no=f"HNKJ-TAC-{tag}", name=f"公务用车维修保养服务框架协议（权限测试 {tag}）", category_code="C05",
        service_category="C0501", service_name=f"小型客车常规保养 {tag}", unit="次", description="更换机油、机滤",
        prices={"supplier-1": ("680.00", "660.00"), "supplier-2": ("700.00", "690.00")}, methods=("direct_selection",)))
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-1")
    plan = new_plan(purchaser, name=f"公务用车保养采购计划 {tag}", line={
        "category_code": "C0501", "item_name": "公务用车常规保养", "quantity": "20", "unit": "次",
        "budget_amount": "14000.00"})
    body = {"agreement_id": market.agreement["id"], "service_id": market.service_id,
            "supplier_id": market.suppliers["supplier-1"]["org_id"], "plan_id": plan["id"],
            "plan_line_id": plan["lines"][0]["id"], "quantity": "20", "contact_name": "李明",
            "contact_phone": "13800000001"}
    project = ok(await_read_model(lambda: purchaser.post("/api/v1/projects/direct-selections", json=body),
                                  "the plan and the listing reaching bidding"), 201)
    pid = project["id"]
    wait_for(lambda: ok(purchaser.get(f"/api/v1/projects/{pid}"))["status"] == "quoting", what="quoting opened")
    quote = ok(supplier.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "13000.00"}), 201)
    ok(purchaser.post(f"/api/v1/projects/{pid}/confirm-result", json={"quote_id": quote["id"]}))
    contract = wait_for(lambda: find(supplier, "/api/v1/contracts", pid), what="the contract drafted")
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", pid), what="the order created")
    cid, oid = contract["id"], order["id"]
    ok(supplier.post(f"/api/v1/contracts/{cid}/send"))
    ok(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}))
    ok(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    contract = ok(purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}))
    wait_for(lambda: ok(purchaser.get(f"/api/v1/orders/{oid}"))["status"] == "contracted", what="order in performance")
    order = ok(purchaser.post(f"/api/v1/orders/{oid}/acceptance", files=pdf("验收单.pdf")), 201)
    return {"plan": ok(purchaser.get(f"/api/v1/plans/{plan['id']}")), "quote": quote, "contract": contract,
            "project": ok(purchaser.get(f"/api/v1/projects/{pid}")), "order": order}


def reads(bought: dict[str, Any]) -> list[str]:
    """Every path that reads one of purchaser-a's things."""
    pid, cid, oid = bought["project"]["id"], bought["contract"]["id"], bought["order"]["id"]
    return [f"/api/v1/projects/{pid}", f"/api/v1/projects/{pid}/quotes",
            f"/api/v1/contracts/{cid}", f"/api/v1/contracts/{cid}/document",
            f"/api/v1/contracts/{cid}/files/{bought['contract']['document']['id']}",
            f"/api/v1/contracts/{cid}/verification",
            f"/api/v1/orders/{oid}", bought["order"]["acceptance_report"]["download_url"]]


def unchanged(as_user, bought: dict[str, Any]) -> None:
    """purchaser-a's things are exactly as they were."""
    purchaser = as_user("purchaser-a")
    assert ok(purchaser.get(f"/api/v1/plans/{bought['plan']['id']}")) == bought["plan"]
    assert ok(purchaser.get(f"/api/v1/projects/{bought['project']['id']}")) == bought["project"]
    assert ok(purchaser.get(f"/api/v1/contracts/{bought['contract']['id']}")) == bought["contract"]
    assert ok(purchaser.get(f"/api/v1/orders/{bought['order']['id']}")) == bought["order"]


def test_the_owners_read_it_all(bought, as_user):
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-1")
    for path in reads(bought):
        assert purchaser.get(path).status_code == 200, path
    for path in reads(bought)[2:]:  # the winner: its contract and order (its quote too, below)
        assert supplier.get(path).status_code == 200, path
    report = supplier.get(bought["order"]["acceptance_report"]["download_url"])
    assert report.content.startswith(b"%PDF-")
    own = ok(supplier.get(f"/api/v1/projects/{bought['project']['id']}/quotes"))
    assert [q["id"] for q in own["quotes"]] == [bought["quote"]["id"]]


def test_another_purchaser_unit_is_refused_everything(bought, as_user):
    other = as_user("purchaser-b")
    plan, project = bought["plan"], bought["project"]
    pid, cid, oid = project["id"], bought["contract"]["id"], bought["order"]["id"]
    for path in [f"/api/v1/plans/{plan['id']}", *reads(bought)]:
        response = other.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"], path
    writes = [
        other.patch(f"/api/v1/plans/{plan['id']}", json={"name": "别的单位的修改"}),
        other.post(f"/api/v1/projects/{pid}/terminate", json={"reason": "别的单位终止"}),
        other.post(f"/api/v1/projects/{pid}/confirm-result", json={}),
        other.post(f"/api/v1/contracts/{cid}/return", json={"reason": "别的单位退回"}),
        other.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}),
        other.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证.pdf"), data={"amount": "1.00",
                                                                                   "paid_on": TODAY}),
    ]
    assert [w.status_code for w in writes] == [404] * len(writes), [w.text for w in writes]
    # nor can it spend another unit's plan
    borrowed = other.post("/api/v1/projects/direct-selections", json={
        "agreement_id": project["agreement_id"], "service_id": project["service_id"],
        "supplier_id": project["supplier_id"], "plan_id": plan["id"], "plan_line_id": plan["lines"][0]["id"],
        "quantity": "1", "contact_name": "王芳", "contact_phone": "13800000002"})
    assert borrowed.status_code == 422 and borrowed.json()["error"]["code"] == "unknown_plan"
    assert find(other, "/api/v1/projects", pid) is None
    assert find(other, "/api/v1/contracts", pid) is None and find(other, "/api/v1/orders", pid) is None
    assert plan["id"] not in [p["id"] for p in ok(other.get("/api/v1/plans", params={"q": plan["plan_no"]}))["items"]]
    unchanged(as_user, bought)


def test_another_supplier_of_the_same_agreement_is_refused_everything(bought, as_user):
    other = as_user("supplier-2")
    pid, cid, oid = bought["project"]["id"], bought["contract"]["id"], bought["order"]["id"]
    for path in reads(bought):
        response = other.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"], path
    writes = [
        other.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "100.00"}),
        other.post(f"/api/v1/projects/{pid}/decline", json={"reason": "不是我的项目"}),
        other.post(f"/api/v1/contracts/{cid}/send"),
        other.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": CA_PASSWORD}),
        other.post(f"/api/v1/orders/{oid}/logistics", json={"description": "冒充物流"}),
        other.post(f"/api/v1/orders/{oid}/invoices", data={"invoice_no": "44000000000001", "amount": "1.00",
                                                            "issued_on": TODAY}),
    ]
    assert [w.status_code for w in writes] == [404] * len(writes), [w.text for w in writes]
    assert find(other, "/api/v1/projects", pid) is None
    assert find(other, "/api/v1/contracts", pid) is None and find(other, "/api/v1/orders", pid) is None
    assert other.get(f"/api/v1/plans/{bought['plan']['id']}").status_code == 403  # plans are purchasers' only
    unchanged(as_user, bought)


def test_each_side_is_refused_the_other_sides_actions(bought, as_user, anonymous):
    purchaser, supplier, agency = as_user("purchaser-a"), as_user("supplier-1"), as_user("agency")
    pid, cid, oid = bought["project"]["id"], bought["contract"]["id"], bought["order"]["id"]
    by_supplier = [
        supplier.post(f"/api/v1/projects/{pid}/terminate", json={"reason": "供应商不能终止"}),
        supplier.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}),
        supplier.post(f"/api/v1/orders/{oid}/payments", files=pdf("支付凭证.pdf"),
                      data={"amount": "1.00", "paid_on": TODAY}),
    ]
    by_purchaser = [
        purchaser.post(f"/api/v1/projects/{pid}/quotes", json={"amount": "1.00"}),
        purchaser.post(f"/api/v1/contracts/{cid}/send"),
        purchaser.post(f"/api/v1/orders/{oid}/logistics", json={"description": "采购人不能录物流"}),
    ]
    refused = by_supplier + by_purchaser
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert agency.get("/api/v1/projects").status_code == 403
    assert find(agency, "/api/v1/orders", pid) is None and find(agency, "/api/v1/contracts", pid) is None
    for path in (f"/api/v1/plans/{bought['plan']['id']}", *reads(bought)):
        assert anonymous.get(path).status_code == 401, path
    award = anonymous.get(f"/api/v1/announcements/{bought['project']['award_announcement_id']}")
    assert award.status_code == 200 and award.json()["kind"] == "award"
    unchanged(as_user, bought)
