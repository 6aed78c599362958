"""From ResultConfirmed to 已支付 through the real broker and the real processes, as the people would
do it through the gateway: contracts drafts the contract and orders creates the order from the same
event; the supplier sends, the purchaser confirms, both seal (or the purchaser uploads the signed
scan); ContractStamped puts the order in performance; logistics, invoice, acceptance, payments.

ResultConfirmed is produced here as bidding would publish it (CloudEvents headers), so these tests
do not depend on a whole bidding round."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts_schema.envelope import Envelope, encode_headers
from contracts_schema.events import Party
from contracts_schema.events.bidding import ResultConfirmed
from gateway.demo import PURCHASER_A, PURCHASER_B, SUPPLIERS
from platform_client import Api, wait_for

pytestmark = pytest.mark.stack


def party(org) -> Party:
    return Party(org_id=org.org_id, name=org.name, address=org.address, contact_name=org.contact_name,
                 contact_phone=org.contact_phone)


def publish_result(stack, *, purchaser, supplier, method: str, amount: str, quantity: str, unit_price: str) -> str:
    project_id = f"PJ{uuid.uuid4().hex[:16]}"
    event = ResultConfirmed(
        project_id=project_id, project_no=f"XM2026{uuid.uuid4().int % 1000000:06d}",
        project_name="2026年度办公楼物业管理服务" if method == "direct_selection" else "2026年度会议服务二次竞价",
        method=method, purchaser=party(purchaser), supplier=party(supplier), plan_id="PLtest", plan_line_id="PLtest-1",
        filing_no="湘财采备〔2026〕00123", agreement_id="AGtest", agreement_no="HNKJ-2026-001",
        agreement_name="湖南省物业管理服务框架协议",
        contract_template="第一条 乙方提供{service_name}，数量{quantity}{unit}，金额{amount}元（{amount_upper}）。",
        service_id="SVtest", service_name="办公楼物业管理", category_code="C1204", unit="月",
        quantity=Decimal(quantity), unit_price=Decimal(unit_price), amount=Decimal(amount),
        reserved_amount=Decimal(amount), confirmed_at=datetime.now(timezone.utc))
    envelope = Envelope(type=event.ce_type(), source="/hunan-framework/bidding", subject=project_id, sequence=4)

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(event.topic(), event.model_dump_json().encode(), key=project_id.encode(),
                                         headers=[(k, v.encode()) for k, v in encode_headers(envelope).items()])
        finally:
            await producer.stop()

    asyncio.run(produce())
    return project_id


def find(client: Api, path: str, project_id: str) -> dict | None:
    response = client.get(path, params={"limit": 200})
    assert response.status_code == 200, response.text
    return next((item for item in response.json()["items"] if item["project_id"] == project_id), None)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def pdf(name: str, text: str) -> dict:
    return {"file": (name, f"%PDF-1.4\n% {text}\n%%EOF\n".encode(), "application/pdf")}


def perform_and_pay(purchaser: Api, supplier: Api, order_id: str, amount: str, payments: list[str]) -> dict:
    order = wait_for(lambda: (o := ok(purchaser.get(f"/api/v1/orders/{order_id}")))["status"] == "contracted" and o,
                     what="order in performance (履约中) after ContractStamped")
    assert order["status_label"] == "履约中" and order["contract"]["status"] == "purchaser_sealed"
    ok(supplier.post(f"/api/v1/orders/{order_id}/logistics",
                     json={"kind": "service", "description": "服务团队进场，完成首月服务"}), 201)
    ok(supplier.post(f"/api/v1/orders/{order_id}/invoices", data={
        "invoice_no": f"2443200000{uuid.uuid4().int % 10**10:010d}", "amount": amount, "issued_on": "2026-01-05"},
        files=pdf("发票.pdf", "invoice")), 201)
    accepted = ok(purchaser.post(f"/api/v1/orders/{order_id}/acceptance", files=pdf("验收单.pdf", "accepted")), 201)
    assert accepted["status_label"] == "已验收"
    report = supplier.get(accepted["acceptance_report"]["download_url"])
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")
    paid = None
    for i, part in enumerate(payments, 1):
        paid = ok(purchaser.post(f"/api/v1/orders/{order_id}/payments", data={"amount": part, "paid_on": "2026-01-06"},
                                 files=pdf(f"支付凭证{i}.pdf", "voucher")), 201)
    assert paid is not None
    return paid


def check_announcement_and_trust_material(stack, contract: dict) -> None:
    """Through the gateway without logging in: the 合同公告 (API and console page), with no person's
    name or phone; the CA certificate, CRL and TSA certificate an outsider verifies the seals with."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as anonymous:
        listing = ok(anonymous.get("/api/v1/contracts/announcements", params={"limit": 200}))
        item = next(i for i in listing["items"] if i["contract_no"] == contract["contract_no"])
        notice = anonymous.get(f"/api/v1/contracts/announcements/{item['id']}")
        assert notice.status_code == 200 and notice.json()["supplier_name"] == SUPPLIERS[0].name
        for person in (PURCHASER_A.contact_phone, SUPPLIERS[0].contact_phone, PURCHASER_A.contact_name,
                       SUPPLIERS[0].contact_name):
            assert person not in notice.text
        page = anonymous.get(f"/announcements/contracts/{item['id']}")
        assert page.status_code == 200 and contract["contract_no"] in page.text and "合同公告" in page.text
        assert PURCHASER_A.contact_phone not in page.text
        assert item["title"] in anonymous.get("/announcements", params={"kind": "contract"}).text
        ca = anonymous.get("/api/v1/contracts/ca-certificate")
        crl = anonymous.get("/api/v1/contracts/ca.crl")
        tsa = anonymous.get("/api/v1/contracts/tsa-certificate")
        assert ca.status_code == tsa.status_code == crl.status_code == 200
        assert ca.text.startswith("-----BEGIN CERTIFICATE-----") and tsa.text.startswith("-----BEGIN CERTIFICATE-----")
        assert crl.headers["content-type"] == "application/pkix-crl" and crl.content[:1] == b"\x30"  # DER


def test_direct_selection_with_ca_e_seals_from_result_to_paid(stack, as_user):
    purchaser, supplier = as_user("purchaser-a"), as_user("supplier-1")
    project_id = publish_result(stack, purchaser=PURCHASER_A, supplier=SUPPLIERS[0], method="direct_selection",
                                amount="300000.00", quantity="12", unit_price="25000.00")
    contract = wait_for(lambda: find(supplier, "/api/v1/contracts", project_id), what="contract drafted")
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", project_id), what="order created")
    assert contract["status_label"] == "待发送" and order["status_label"] == "待签合同"
    assert order["amount"] == contract["amount"] == "300000.00"
    assert order["filing_no"] == contract["filing_no"] == "湘财采备〔2026〕00123"
    cid, oid = contract["id"], order["id"]

    # Nobody else sees them.
    other = as_user("purchaser-b")
    assert other.get(f"/api/v1/contracts/{cid}").status_code == 404
    assert other.get(f"/api/v1/orders/{oid}").status_code == 404
    assert as_user("supplier-2").get(f"/api/v1/orders/{oid}").status_code == 404

    ok(supplier.post(f"/api/v1/contracts/{cid}/send"))
    document = purchaser.get(f"/api/v1/contracts/{cid}/document")
    assert document.status_code == 200 and document.content.startswith(b"%PDF-")
    ok(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "ca_seal"}))
    enrolled = supplier.get("/api/v1/contracts/seal-certificate").status_code == 200
    wrong = supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": "not-the-password"})
    # Enrolled: the password does not open the seal (403). Not yet: a wrong demo password never enrolls (409).
    assert (wrong.status_code, wrong.json()["error"]["code"] == "seal_not_enrolled") == (
        (403, False) if enrolled else (409, True)), wrong.text
    ok(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": "ca12345"}))
    wait_for(lambda: ok(purchaser.get(f"/api/v1/orders/{oid}"))["contract"]["status"] == "supplier_sealed",
             what="orders shows the supplier's seal")
    stamped = ok(purchaser.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": "ca12345"}))
    assert stamped["status_label"] == "采购单位已盖章"
    verification = ok(purchaser.get(f"/api/v1/contracts/{cid}/verification"))
    assert verification["valid"] is True and len(verification["seals"]) == 2
    check_announcement_and_trust_material(stack, stamped)
    wait_for(lambda: any(d["name"] == "contract_announcement" and d["marker"] == "已按时完成"
                         for d in ok(purchaser.get(f"/api/v1/orders/{oid}"))["deadlines"]),
             what="orders shows the contract announcement published on time")

    paid = perform_and_pay(purchaser, supplier, oid, "300000.00", ["100000.00", "200000.00"])
    assert paid["status"] == "paid" and paid["status_label"] == "已支付" and paid["paid_total"] == "300000.00"
    assert [p["amount"] for p in paid["payments"]] == ["100000.00", "200000.00"]


def test_secondary_bidding_signed_offline_from_result_to_paid(stack, as_user):
    purchaser, supplier = as_user("purchaser-b"), as_user("supplier-3")
    project_id = publish_result(stack, purchaser=PURCHASER_B, supplier=SUPPLIERS[2], method="secondary_bidding",
                                amount="48600.00", quantity="3", unit_price="16200.00")
    contract = wait_for(lambda: find(supplier, "/api/v1/contracts", project_id), what="contract drafted")
    order = wait_for(lambda: find(purchaser, "/api/v1/orders", project_id), what="order created")
    cid, oid = contract["id"], order["id"]

    ok(supplier.post(f"/api/v1/contracts/{cid}/send"))
    returned = ok(purchaser.post(f"/api/v1/contracts/{cid}/return", json={"reason": "请补充会场布置要求"}))
    assert returned["status_label"] == "待发送"
    ok(supplier.post(f"/api/v1/contracts/{cid}/send", json={"supplementary_terms": "第九条 会场布置按甲方要求执行。"}))
    ok(purchaser.post(f"/api/v1/contracts/{cid}/confirm", json={"ca_mode": "offline"}))
    ok(supplier.post(f"/api/v1/contracts/{cid}/seal", json={"ca_password": "ca12345"}))
    early = purchaser.post(f"/api/v1/orders/{oid}/acceptance", files=pdf("验收单.pdf", "too early"))
    assert early.status_code == 409
    done = ok(purchaser.post(f"/api/v1/contracts/{cid}/signed-scan", files=pdf("合同扫描件.pdf", "signed on paper")))
    assert done["status"] == "purchaser_sealed" and done["ca_mode"] == "offline"

    paid = perform_and_pay(purchaser, supplier, oid, "48600.00", ["48600.00"])
    assert paid["status"] == "paid"
    over = purchaser.post(f"/api/v1/orders/{oid}/payments", data={"amount": "0.01", "paid_on": "2026-01-06"},
                          files=pdf("多付.pdf", "no"))
    assert over.status_code == 409
