"""The orders service over HTTP and events: ResultConfirmed → 待签合同 → ContractStamped → 履约中 →
acceptance → 已验收 → payments → 已支付; who sees what; illegal steps change nothing; uploads are
checked before anything is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from servicekit.testing import outbox_events


def pdf(name: str = "验收单.pdf", data: bytes | None = None, ctype: str = "application/pdf"):
    return {"file": (name, data if data is not None else b"%PDF-1.4\n%%EOF\n", ctype)}


async def test_result_confirmed_creates_one_order_awaiting_its_contract(orders_world, order_events):
    w = orders_world
    event = order_events.result_confirmed()
    assert (await w.service.dispatch(event)).status == "handled"
    replay = order_events.result_confirmed(project_id=event.project_id)  # same result, a new event id
    assert (await w.service.dispatch(replay)).status == "handled"

    listing = (await w.client.get("/api/v1/orders", headers=w.purchaser_a)).json()
    mine = [o for o in listing["items"] if o["project_id"] == event.project_id]
    assert len(mine) == 1
    order = (await w.client.get(f"/api/v1/orders/{mine[0]['id']}", headers=w.purchaser_a)).json()
    assert order["status"] == "awaiting_contract" and order["status_label"] == "待签合同"
    assert order["amount"] == "300000.00" and order["filing_no"] == "湘财采备〔2026〕00123"
    assert order["order_no"].startswith("DD2026")
    assert order["items"] == [{"service_id": "SV1", "name": "办公楼物业管理", "unit": "月", "quantity": "12",
                               "unit_price": "25000.00", "amount": "300000.00", "requirements": ""}]
    assert order["deadlines"][0]["name"] == "contract_signing" and not order["deadlines"][0]["overdue"]
    assert order["created_at"].endswith("+08:00")

    created = [body for _, body in await outbox_events(w.service.db, "OrderCreated")
               if body["project_id"] == event.project_id]
    assert len(created) == 1
    assert created[0]["order_no"] == order["order_no"] and created[0]["items"][0]["quantity"] == "12"
    assert created[0]["contract_due_on"] == order["deadlines"][0]["due_on"]


async def test_each_side_sees_only_its_own_orders(orders_world, order_events):
    w = orders_world
    order = await w.new_order()
    oid = order["id"]
    assert (await w.client.get(f"/api/v1/orders/{oid}", headers=w.supplier_1)).status_code == 200
    for other in (w.purchaser_b, w.supplier_2, w.agency):
        response = await w.client.get(f"/api/v1/orders/{oid}", headers=other)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
        ids = [o["id"] for o in (await w.client.get("/api/v1/orders", headers=other)).json()["items"]]
        assert oid not in ids
    assert (await w.client.get(f"/api/v1/orders/{oid}")).status_code == 401


async def test_illegal_steps_are_409_and_change_nothing(orders_world, order_events):
    w = orders_world
    order = await w.new_order()
    oid = order["id"]
    before_files = w.stored_files()
    before_events = len(await outbox_events(w.service.db))

    early_acceptance = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.purchaser_a, files=pdf())
    assert early_acceptance.status_code == 409, early_acceptance.text
    assert "履约中" in early_acceptance.json()["error"]["message"]
    early_payment = await w.client.post(f"/api/v1/orders/{oid}/payments", headers=w.purchaser_a,
                                        data={"amount": "1.00", "paid_on": "2026-01-05"}, files=pdf("凭证.pdf"))
    assert early_payment.status_code == 409
    early_logistics = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.supplier_1,
                                          json={"description": "进场服务"})
    assert early_logistics.status_code == 409

    after = (await w.client.get(f"/api/v1/orders/{oid}", headers=w.purchaser_a)).json()
    assert after["status"] == "awaiting_contract" and after["logistics"] == [] and after["payments"] == []
    assert w.stored_files() == before_files, "a refused upload is not stored"
    assert len(await outbox_events(w.service.db)) == before_events


async def test_only_the_right_side_acts(orders_world, order_events):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    as_purchaser = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.purchaser_a,
                                       json={"description": "x"})
    assert as_purchaser.status_code == 403
    as_supplier = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.supplier_1, files=pdf())
    assert as_supplier.status_code == 403
    other_supplier = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.supplier_2,
                                         json={"description": "x"})
    assert other_supplier.status_code == 404
    other_purchaser = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.purchaser_b, files=pdf())
    assert other_purchaser.status_code == 404


async def test_from_contract_to_paid_in_full(orders_world, order_events):
    w = orders_world
    event = order_events.result_confirmed(amount=Decimal("1000.00"), unit_price=Decimal("100.00"),
                                          quantity=Decimal("10"))
    await w.service.dispatch(event)
    oid = next(o["id"] for o in (await w.client.get("/api/v1/orders", headers=w.purchaser_a,
                                                    params={"limit": 200})).json()["items"]
               if o["project_id"] == event.project_id)
    stamped = order_events.contract_stamped(event.project_id, contract_no="HT2026000009")
    await w.service.dispatch(stamped, order_events.envelope_for(stamped, 6))
    order = (await w.client.get(f"/api/v1/orders/{oid}", headers=w.supplier_1)).json()
    assert order["status"] == "contracted" and order["status_label"] == "履约中"
    assert order["contract"]["contract_no"] == "HT2026000009" and order["contract"]["status_label"] == "采购单位已盖章"

    logistics = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.supplier_1, json={
        "kind": "service", "description": "物业服务团队进场", "carrier": "", "tracking_no": ""})
    assert logistics.status_code == 201, logistics.text
    invoice = await w.client.post(f"/api/v1/orders/{oid}/invoices", headers=w.supplier_1,
                                  data={"invoice_no": "24432000000012345678", "amount": "1000.00",
                                        "issued_on": "2026-01-05"}, files=pdf("发票.pdf"))
    assert invoice.status_code == 201, invoice.text
    assert invoice.json()["invoices"][0]["file"]["sha256"]
    duplicate = await w.client.post(f"/api/v1/orders/{oid}/invoices", headers=w.supplier_1,
                                    data={"invoice_no": "24432000000012345678", "amount": "1.00",
                                          "issued_on": "2026-01-05"})
    assert duplicate.status_code == 409

    accepted = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.purchaser_a,
                                   files=pdf(data=b"%PDF-1.7\n acceptance report \n%%EOF"))
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted" and body["status_label"] == "已验收"
    assert [d["name"] for d in body["deadlines"]] == ["contract_signing", "payment"]
    report = body["acceptance_report"]
    download = await w.client.get(report["download_url"], headers=w.supplier_1)
    assert download.status_code == 200 and download.content == b"%PDF-1.7\n acceptance report \n%%EOF"
    assert download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''%E9%AA%8C%E6%94%B6%E5%8D%95.pdf" in download.headers["content-disposition"]
    assert (await w.client.get(report["download_url"], headers=w.purchaser_b)).status_code == 404
    again = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.purchaser_a, files=pdf())
    assert again.status_code == 409

    first = await w.client.post(f"/api/v1/orders/{oid}/payments", headers=w.purchaser_a,
                                data={"amount": "400.00", "paid_on": "2026-01-06"}, files=pdf("凭证1.pdf"))
    assert first.status_code == 201 and first.json()["status"] == "accepted"
    over = await w.client.post(f"/api/v1/orders/{oid}/payments", headers=w.purchaser_a,
                               data={"amount": "600.01", "paid_on": "2026-01-06"}, files=pdf("凭证2.pdf"))
    assert over.status_code == 422 and over.json()["error"]["code"] == "overpayment"
    last = await w.client.post(f"/api/v1/orders/{oid}/payments", headers=w.purchaser_a,
                               data={"amount": "600.00", "paid_on": "2026-01-07"},
                               files={"file": ("凭证2.png", order_events.png, "image/png")})
    assert last.status_code == 201, last.text
    paid = last.json()
    assert paid["status"] == "paid" and paid["status_label"] == "已支付" and paid["paid_total"] == "1000.00"
    assert len(paid["payments"]) == 2 and not paid["overdue"]
    assert (await w.client.post(f"/api/v1/orders/{oid}/payments", headers=w.purchaser_a,
                                data={"amount": "0.01", "paid_on": "2026-01-07"}, files=pdf())).status_code == 409

    mine = lambda evs: [b for _, b in evs if b["order_id"] == oid]  # noqa: E731
    assert len(mine(await outbox_events(w.service.db, "LogisticsRecorded"))) == 1
    assert len(mine(await outbox_events(w.service.db, "InvoiceRecorded"))) == 1
    acceptance = mine(await outbox_events(w.service.db, "AcceptanceRecorded"))
    assert acceptance[0]["report_sha256"] == report["sha256"]
    payments = mine(await outbox_events(w.service.db, "PaymentRecorded"))
    assert [(p["amount"], p["paid_total"]) for p in payments] == [("400.00", "400.00"), ("600.00", "1000.00")]
    assert payments[0]["plan_line_id"] == "PL1-1"
    completed = mine(await outbox_events(w.service.db, "OrderCompleted"))
    assert len(completed) == 1 and completed[0]["amount"] == "1000.00"


@pytest.mark.parametrize("name,data,ctype,status,code", [
    ("验收单.pdf", b"", "application/pdf", 422, "empty_file"),
    ("验收单.pdf", b"hello, not a pdf", "application/pdf", 415, "unsupported_file_type"),
    ("验收单.pdf", b"\x89PNG\r\n\x1a\n....", "application/pdf", 415, "unsupported_file_type"),
    ("验收单.png", b"%PDF-1.4 ...", "application/pdf", 415, "unsupported_file_type"),
    ("run.exe", b"MZ\x90\x00", "application/octet-stream", 415, "unsupported_file_type"),
    ("../../etc/passwd.pdf", b"%PDF-1.4", "application/pdf", 400, "bad_file_name"),
    ("..\\..\\boot.pdf", b"%PDF-1.4", "application/pdf", 400, "bad_file_name"),
    ("a\x00b.pdf", b"%PDF-1.4", "application/pdf", 400, "bad_file_name"),
    ("a\u202egpj.pdf", b"%PDF-1.4", "application/pdf", 400, "bad_file_name"),
    ("x" * 200 + ".pdf", b"%PDF-1.4", "application/pdf", 400, "bad_file_name"),
    ("big.pdf", b"%PDF-1.4" + b"0" * 5000, "application/pdf", 413, "file_too_large"),
])
async def test_bad_uploads_are_refused_and_nothing_is_stored(orders_world, name, data, ctype, status, code):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    before = w.stored_files()
    # Built by hand: httpx would percent-escape control characters in the name.
    boundary = "----test-boundary-7MA4YWxkTrZu0gW"
    raw = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
           f"Content-Type: {ctype}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    response = await w.client.post(f"/api/v1/orders/{oid}/acceptance", content=raw, headers={
        **w.purchaser_a, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert w.stored_files() == before
    order = (await w.client.get(f"/api/v1/orders/{oid}", headers=w.purchaser_a)).json()
    assert order["status"] == "contracted" and order["acceptance_report"] is None


async def test_a_body_far_over_the_limit_is_cut_off(orders_world):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    response = await w.client.post(f"/api/v1/orders/{oid}/acceptance", headers=w.purchaser_a,
                                   files=pdf(data=b"%PDF-1.4" + b"0" * 200_000))
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"


async def test_extra_fields_and_bad_amounts_are_refused(orders_world):
    w = orders_world
    oid = (await w.new_order(stamped=True))["id"]
    extra = await w.client.post(f"/api/v1/orders/{oid}/logistics", headers=w.supplier_1,
                                json={"description": "x", "status": "paid"})
    assert extra.status_code == 422
    future = await w.client.post(f"/api/v1/orders/{oid}/invoices", headers=w.supplier_1,
                                 data={"invoice_no": "12345678", "amount": "1.00", "issued_on": "2999-01-01"})
    assert future.status_code == 422
    three_places = await w.client.post(f"/api/v1/orders/{oid}/invoices", headers=w.supplier_1,
                                       data={"invoice_no": "12345678", "amount": "1.001", "issued_on": "2026-01-01"})
    assert three_places.status_code == 422
    too_much = await w.client.post(f"/api/v1/orders/{oid}/invoices", headers=w.supplier_1,
                                   data={"invoice_no": "12345678", "amount": "300000.01", "issued_on": "2026-01-01"})
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "overinvoiced"


async def test_contract_stamped_before_the_order_exists_starts_it_in_performance(orders_world, order_events):
    w = orders_world
    event = order_events.result_confirmed()
    stamped = order_events.contract_stamped(event.project_id)
    await w.service.dispatch(stamped, order_events.envelope_for(stamped, 6))
    await w.service.dispatch(event)
    order = await w.new_order(project_id=event.project_id)  # replay: still one order
    assert order["status"] == "contracted"
    assert order["contract"]["status"] == "purchaser_sealed"


async def test_older_contract_events_do_not_roll_progress_back(orders_world, order_events):
    from contracts_schema.events.contracts import ContractSent
    from contracts_schema.types import utcnow

    w = orders_world
    order = await w.new_order()
    stamped = order_events.contract_stamped(order["project_id"])
    await w.service.dispatch(stamped, order_events.envelope_for(stamped, 6))
    late = ContractSent(contract_id=stamped.contract_id, project_id=order["project_id"], document_sha256="0" * 64,
                        sent_at=utcnow())
    await w.service.dispatch(late, order_events.envelope_for(late, 2))
    after = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.purchaser_a)).json()
    assert after["status"] == "contracted" and after["contract"]["status"] == "purchaser_sealed"


def contract_drafted(project_id: str, sign_due_on):
    from contracts_schema.events.contracts import ContractDrafted
    from contracts_schema.types import utcnow

    return ContractDrafted(contract_id=f"CT{project_id}", contract_no="HT2026000001", project_id=project_id,
                           purchaser_org_id="11430000006100011A", supplier_id="91430100MA4L1A0011",
                           amount=Decimal("300000.00"), sign_due_on=sign_due_on, drafted_at=utcnow())


async def test_the_signing_deadline_is_the_contracts_whichever_event_comes_first(orders_world, order_events):
    from datetime import date

    w = orders_world
    order = await w.new_order()  # before ContractDrafted: the award + CONTRACT_SIGN_DAYS stands in
    drafted = contract_drafted(order["project_id"], date(2027, 3, 1))
    await w.service.dispatch(drafted, order_events.envelope_for(drafted, 1))
    after = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.purchaser_a)).json()
    assert {k: after["deadlines"][0][k] for k in ("name", "label", "due_on", "done_on", "overdue")} == {
        "name": "contract_signing", "label": "合同签订", "due_on": "2027-03-01", "done_on": None, "overdue": False}

    event = order_events.result_confirmed()  # ContractDrafted before the order: the order starts with it
    early = contract_drafted(event.project_id, date(2027, 4, 2))
    await w.service.dispatch(early, order_events.envelope_for(early, 1))
    created = await w.new_order(project_id=event.project_id)
    assert created["deadlines"][0]["due_on"] == "2027-04-02"
    published = [b for _, b in await outbox_events(w.service.db, "OrderCreated") if b["project_id"] == event.project_id]
    assert [b["contract_due_on"] for b in published] == ["2027-04-02"]


async def test_the_contracts_announcement_and_filing_deadlines_show_on_the_order(orders_world, order_events):
    """ContractStamped brings the 合同公告 and 合同备案 days; ContractAnnounced and ContractFiled meet them."""
    from datetime import date, datetime, timedelta, timezone

    from contracts_schema.events.contracts import ContractAnnounced, ContractFiled
    from contracts_schema.types import utcnow

    w = orders_world
    order = await w.new_order()
    pid = order["project_id"]
    long_ago = utcnow() - timedelta(days=40)
    stamped = order_events.contract_stamped(pid, signed_at=long_ago, announcement_due_on=date(2026, 10, 9),
                                            filing_due_on=date(2026, 10, 15))
    await w.service.dispatch(stamped, order_events.envelope_for(stamped, 5))
    announced = ContractAnnounced(contract_id=f"CT{pid}", project_id=pid, announcement_id="HG1",
                                  due_on=date(2026, 10, 9), published_at=datetime(2026, 10, 8, 2, tzinfo=timezone.utc))
    await w.service.dispatch(announced, order_events.envelope_for(announced, 6))

    def shown(body):
        return {d["name"]: (d["due_on"], d["marker"], d["overdue"]) for d in body["deadlines"]}

    body = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.purchaser_a)).json()
    assert shown(body)["contract_announcement"] == ("2026-10-09", "已按时完成", False)
    assert shown(body)["contract_filing"] == ("2026-10-15", "已逾期", True) and body["overdue"] is True
    filed = ContractFiled(contract_id=f"CT{pid}", project_id=pid, filing_reference="湘财合备〔2026〕1",
                          due_on=date(2026, 10, 15), filed_on_time=False, filed_at=utcnow())
    await w.service.dispatch(filed, order_events.envelope_for(filed, 7))
    body = (await w.client.get(f"/api/v1/orders/{order['id']}", headers=w.purchaser_a)).json()
    assert shown(body)["contract_filing"] == ("2026-10-15", "逾期完成", True)
