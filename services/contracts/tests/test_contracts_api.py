"""The contracts service over HTTP and events: ResultConfirmed drafts the contract (待发送); the
supplier sends, the purchaser returns or confirms (ca_mode), the supplier seals, the purchaser seals or
uploads the signed scan; illegal steps change nothing; wrong CA passwords lock the seal; verification
names what was tampered with."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from cryptography import x509

from contracts import ca as authority
from contracts import signing
from contracts.store import ContractFile, Seal, SealCertificate


async def status_of(w, cid, unit) -> str:
    return (await w.get(f"/api/v1/contracts/{cid}", unit)).json()["status"]


async def test_result_confirmed_drafts_one_contract_with_its_document(contracts_world):
    w = contracts_world
    contract, purchaser, supplier = await w.drafted()
    cid = contract["id"]
    detail = (await w.get(f"/api/v1/contracts/{cid}", supplier)).json()
    assert detail["status"] == "drafted" and detail["status_label"] == "待发送"
    assert detail["contract_no"].startswith("HT2026") and detail["filing_no"] == "湘财采备〔2026〕00123"
    assert detail["amount"] == "300000.00" and detail["quantity"] == "12"
    assert detail["deadline"]["overdue"] is False
    document = await w.get(detail["document_url"], purchaser)
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-") and b"+UMingCN" in document.content  # embedded subset
    assert signing.sha256_hex(document.content) == detail["document"]["sha256"]

    drafted = await w.events("ContractDrafted", cid)
    assert len(drafted) == 1 and drafted[0]["document_sha256"] == detail["document"]["sha256"]
    assert drafted[0]["sign_due_on"] == detail["deadline"]["due_on"]
    replay = w.result(purchaser, supplier, project_id=contract["project_id"])
    await w.service.dispatch(replay)
    assert (await w.get("/api/v1/contracts", purchaser)).json()["total"] == 1


async def test_a_drafting_that_fails_and_is_retried_leaves_one_document_and_no_orphan(contracts_world, monkeypatch):
    from contracts import workflow

    w = contracts_world
    files = w.var_dir / "files" / "contracts"
    before = {p for p in files.rglob("*") if p.is_file()}
    real_emit, failures = workflow.emit, []

    async def emit_failing_twice(session, event):
        if len(failures) < 2:  # after the document is stored: the attempt's transaction rolls back
            failures.append(event)
            raise RuntimeError("the broker's outbox row could not be written")
        await real_emit(session, event)

    monkeypatch.setattr(workflow, "emit", emit_failing_twice)
    contract, purchaser, supplier = await w.drafted()
    assert len(failures) == 2
    detail = (await w.get(f"/api/v1/contracts/{contract['id']}", supplier)).json()
    added = {p for p in files.rglob("*") if p.is_file()} - before
    assert [p.relative_to(files).parts[:2] for p in added] == [(contract["id"], "document")]
    assert signing.sha256_hex(added.pop().read_bytes()) == detail["document"]["sha256"]
    numbers = [c["contract_no"] for c in (await w.get("/api/v1/contracts", purchaser)).json()["items"]]
    assert numbers == [detail["contract_no"]]


async def test_each_side_sees_only_its_own_contracts(contracts_world):
    w = contracts_world
    contract, purchaser, supplier = await w.drafted()
    cid = contract["id"]
    for stranger in (w.unit("purchaser"), w.unit("supplier")):
        assert (await w.get(f"/api/v1/contracts/{cid}", stranger)).status_code == 404
        assert (await w.get(f"/api/v1/contracts/{cid}/document", stranger)).status_code == 404
        assert (await w.get(f"/api/v1/contracts/{cid}/verification", stranger)).status_code == 404
        assert (await w.get("/api/v1/contracts", stranger)).json()["total"] == 0
        assert (await w.post(f"/api/v1/contracts/{cid}/send", stranger)).status_code in (403, 404)
    agency = w.tokens.headers("agency", "12430000MB1A46001K", "agency")
    assert (await w.client.get("/api/v1/contracts", headers=agency)).json()["items"] == []


async def test_illegal_steps_are_refused_and_change_nothing(contracts_world):
    w = contracts_world
    contract, purchaser, supplier = await w.drafted()
    cid = contract["id"]
    before = len(await w.events("ContractSent", cid)) + len(await w.events("ContractConfirmed", cid))

    early_confirm = await w.post(f"/api/v1/contracts/{cid}/confirm", purchaser, json={"ca_mode": "ca_seal"})
    assert early_confirm.status_code == 409 and early_confirm.json()["error"]["code"] == "illegal_transition"
    assert "待发送" in early_confirm.json()["error"]["message"]
    assert (await w.post(f"/api/v1/contracts/{cid}/send", purchaser)).status_code == 403  # only the supplier sends
    early_seal = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})
    assert early_seal.status_code == 409
    assert (await w.post(f"/api/v1/contracts/{cid}/send", supplier)).status_code == 200
    assert (await w.post(f"/api/v1/contracts/{cid}/send", supplier)).status_code == 409
    assert (await w.post(f"/api/v1/contracts/{cid}/confirm", supplier, json={"ca_mode": "ca_seal"})).status_code == 403
    bad_mode = await w.post(f"/api/v1/contracts/{cid}/confirm", purchaser, json={"ca_mode": "fax"})
    assert bad_mode.status_code == 422
    extra = await w.post(f"/api/v1/contracts/{cid}/confirm", purchaser, json={"ca_mode": "ca_seal", "x": 1})
    assert extra.status_code == 422

    assert await status_of(w, cid, purchaser) == "sent"
    after = len(await w.events("ContractSent", cid)) + len(await w.events("ContractConfirmed", cid))
    assert after == before + 1  # only the one legal send


async def test_returned_contract_is_resent_with_supplementary_terms(contracts_world):
    w = contracts_world
    contract, purchaser, supplier = await w.drafted()
    cid = contract["id"]
    first_sha = contract_sha = (await w.get(f"/api/v1/contracts/{cid}", supplier)).json()["document"]["sha256"]
    await w.post(f"/api/v1/contracts/{cid}/send", supplier)
    returned = await w.post(f"/api/v1/contracts/{cid}/return", purchaser, json={"reason": "请补充服务响应时间条款"})
    assert returned.status_code == 200
    body = returned.json()
    assert body["status"] == "drafted" and body["return_reason"] == "请补充服务响应时间条款"
    assert (await w.events("ContractReturned", cid))[0]["reason"] == "请补充服务响应时间条款"

    resent = await w.post(f"/api/v1/contracts/{cid}/send", supplier,
                          json={"supplementary_terms": "第八条 乙方接到报修后 30 分钟内响应。"})
    assert resent.status_code == 200, resent.text
    body = resent.json()
    assert body["status"] == "sent" and body["revision"] == 2
    assert body["document"]["sha256"] != first_sha
    sent = await w.events("ContractSent", cid)
    assert [e["document_sha256"] for e in sent] == [contract_sha, body["document"]["sha256"]]


async def test_ca_seal_flow_to_the_contract_in_force(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed("ca_seal")
    confirmed = (await w.get(f"/api/v1/contracts/{cid}", purchaser)).json()
    assert confirmed["status_label"] == "已确认" and confirmed["ca_mode_label"] == "已办理单位CA签章"
    assert (await w.post(f"/api/v1/contracts/{cid}/seal", purchaser, json={"ca_password": "ca12345"})).status_code == 409

    by_supplier = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})
    assert by_supplier.status_code == 200, by_supplier.text
    assert by_supplier.json()["status_label"] == "供应商已盖章"
    by_purchaser = await w.post(f"/api/v1/contracts/{cid}/seal", purchaser, json={"ca_password": "ca12345"})
    assert by_purchaser.status_code == 200, by_purchaser.text
    body = by_purchaser.json()
    assert body["status"] == "purchaser_sealed" and body["status_label"] == "采购单位已盖章"
    assert [(s["seq"], s["role"], s["org_id"]) for s in body["seals"]] == [
        (1, "supplier", supplier.party.org_id), (2, "purchaser", purchaser.party.org_id)]

    supplier_cert = (await w.get("/api/v1/contracts/seal-certificate", supplier)).json()
    assert supplier_cert["serial"] == body["seals"][0]["certificate_serial"]
    assert supplier.party.org_id in supplier_cert["subject"] and "电子印章" in supplier_cert["subject"]
    sealed_event = (await w.events("ContractSupplierSealed", cid))[0]
    assert sealed_event["certificate_serial"] == supplier_cert["serial"]
    stamped = (await w.events("ContractStamped", cid))[0]
    assert stamped["ca_mode"] == "ca_seal" and stamped["document_sha256"] == body["document"]["sha256"]
    assert stamped["certificate_serial"] == body["seals"][1]["certificate_serial"] and stamped["signed_on_time"]

    verification = (await w.get(f"/api/v1/contracts/{cid}/verification", supplier)).json()
    assert verification["valid"] is True, verification
    assert [s["valid"] for s in verification["seals"]] == [True, True]
    sealed_pdf = await w.get(f"/api/v1/contracts/{cid}/document", purchaser)
    original = await w.get(f"/api/v1/contracts/{cid}/document", purchaser, params={"original": "true"})
    assert sealed_pdf.content != original.content and sealed_pdf.content.count(b"/Type /Page\n") > \
        original.content.count(b"/Type /Page\n")
    assert signing.sha256_hex(original.content) == body["document"]["sha256"]
    again = await w.post(f"/api/v1/contracts/{cid}/seal", purchaser, json={"ca_password": "ca12345"})
    assert again.status_code == 409


async def test_offline_contract_is_completed_by_the_signed_scan(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed("offline")
    scan = {"file": ("合同扫描件.pdf", b"%PDF-1.4 signed paper scan", "application/pdf")}
    assert (await w.post(f"/api/v1/contracts/{cid}/signed-scan", purchaser, files=scan)).status_code == 409
    assert (await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})).status_code == 200
    refused = await w.post(f"/api/v1/contracts/{cid}/seal", purchaser, json={"ca_password": "ca12345"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "offline_contract"
    bad = await w.post(f"/api/v1/contracts/{cid}/signed-scan", purchaser,
                       files={"file": ("合同扫描件.pdf", b"not a pdf at all", "application/pdf")})
    assert bad.status_code == 415
    assert await status_of(w, cid, purchaser) == "supplier_sealed"

    done = await w.post(f"/api/v1/contracts/{cid}/signed-scan", purchaser, files=scan)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "purchaser_sealed" and body["signed_scan"]["filename"] == "合同扫描件.pdf"
    stamped = (await w.events("ContractStamped", cid))[0]
    assert stamped["ca_mode"] == "offline" and stamped["signed_scan_sha256"] == body["signed_scan"]["sha256"]
    assert (await w.get(f"/api/v1/contracts/{cid}/verification", supplier)).json()["valid"] is True
    download = await w.get(body["signed_scan"]["download_url"], supplier)
    assert download.content == b"%PDF-1.4 signed paper scan"


async def test_wrong_ca_password_changes_nothing_and_repeated_ones_lock_the_seal(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed()
    enrolled = await w.post("/api/v1/contracts/seal-certificate", supplier, json={"ca_password": "s3cret-pass"})
    assert enrolled.status_code == 201, enrolled.text
    assert (await w.post("/api/v1/contracts/seal-certificate", supplier,
                         json={"ca_password": "s3cret-pass"})).status_code == 409

    for left in (2, 1):
        wrong = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_ca_password"
        assert f"再输错 {left} 次" in wrong.json()["error"]["message"]
        assert await status_of(w, cid, supplier) == "confirmed"
    locking = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "nope-nope"})
    assert locking.status_code == 423 and locking.json()["error"]["code"] == "seal_locked"
    while_locked = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "s3cret-pass"})
    assert while_locked.status_code == 423
    assert (await w.get("/api/v1/contracts/seal-certificate", supplier)).json()["locked_until"]
    assert await status_of(w, cid, supplier) == "confirmed"
    assert await w.events("ContractSupplierSealed", cid) == []


async def test_without_a_certificate_only_the_demo_password_enrolls(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.confirmed()
    response = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "my-own-pass"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "seal_not_enrolled"
    assert (await w.get("/api/v1/contracts/seal-certificate", supplier)).status_code == 404
    ca_pem = await w.client.get("/api/v1/contracts/ca-certificate")
    assert ca_pem.text.startswith("-----BEGIN CERTIFICATE-----")


async def test_two_first_seals_of_a_unit_at_once_enroll_it_once(contracts_world):
    """The chaos suite's parallel flows found it (issue 11): a unit's first two seals at the same moment
    (the demo CA enrolls a unit at its first seal) — the second was refused 409 seal_already_enrolled."""
    w = contracts_world
    purchaser, supplier = w.unit("purchaser"), w.unit("supplier")
    cids = []
    for _ in range(2):
        contract, _, _ = await w.drafted(purchaser, supplier)
        assert (await w.post(f"/api/v1/contracts/{contract['id']}/send", supplier)).status_code == 200
        confirm = await w.post(f"/api/v1/contracts/{contract['id']}/confirm", purchaser, json={"ca_mode": "ca_seal"})
        assert confirm.status_code == 200, confirm.text
        cids.append(contract["id"])
    seals = await asyncio.gather(*(w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "ca12345"})
                                   for cid in cids))
    assert [s.status_code for s in seals] == [200, 200], [s.text for s in seals]
    assert seals[0].json()["seals"][0]["certificate_serial"] == seals[1].json()["seals"][0]["certificate_serial"]
    async with w.service.db.read() as session:
        certificates = (await session.exec(sa.select(SealCertificate.serial).where(
            SealCertificate.org_id == supplier.party.org_id))).all()
    assert len(certificates) == 1


async def test_verification_names_a_changed_document(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.sealed()
    async with w.service.db.read() as session:
        contract_doc = (await session.exec(sa.select(ContractFile).where(ContractFile.contract_id == cid,
                                                                         ContractFile.kind == "document"))).first()
    storage = w.service.app.state.storage
    original = await storage.read(contract_doc[0].storage_key)
    await storage.put(contract_doc[0].storage_key, original.replace(b"%PDF-1.4", b"%PDF-1.5", 1), "application/pdf")
    result = (await w.get(f"/api/v1/contracts/{cid}/verification", purchaser)).json()
    assert result["valid"] is False
    assert [f["code"] for f in result["failures"]] == ["document_changed"]
    assert [[f["code"] for f in s["failures"]] for s in result["seals"]] == [["document_changed"]] * 2


async def test_verification_names_a_foreign_certificate(contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.sealed()
    rogue = authority.create_ca("Rogue CA")
    forged = authority.enroll(rogue, org_id=supplier.party.org_id, org_name=supplier.party.name, password="x" * 8,
                          days=30, kdf_n=2 ** 12)
    async with w.service.db.transaction() as session:
        seal = (await session.exec(sa.select(Seal).where(Seal.contract_id == cid, Seal.seq == 1))).first()[0]
        key = authority.unlock(forged.encrypted_key_pem, forged.kdf_salt, forged.kdf_n, "x" * 8)
        statement = seal.statement.replace(seal.certificate_serial, forged.serial)
        seal.certificate_pem, seal.certificate_serial = forged.certificate_pem, forged.serial
        seal.statement, seal.signature = statement, signing.sign(key, statement.encode())
        session.add(seal)
    result = (await w.get(f"/api/v1/contracts/{cid}/verification", purchaser)).json()
    assert result["valid"] is False
    codes = [[f["code"] for f in s["failures"]] for s in result["seals"]]
    assert codes[0] == ["foreign_certificate", "pdf_signature_missing"]  # the PDF's signature is by the real one
    assert codes[1] == ["seal_chain_broken"]  # the purchaser sealed over the original supplier seal


async def test_a_certificate_revoked_after_the_seal_keeps_it_valid_and_one_revoked_before_cannot_seal(
        contracts_world):
    w = contracts_world
    cid, purchaser, supplier = await w.sealed()
    revoked = await w.post("/api/v1/contracts/seal-certificate/revoke", supplier, json={"reason": "密码泄露"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    result = (await w.get(f"/api/v1/contracts/{cid}/verification", supplier)).json()
    assert result["valid"] is True, result
    assert [s["trusted_timestamp"] and s["valid"] for s in result["pdf_signatures"]] == [True, True]
    crl = x509.load_der_x509_crl((await w.client.get("/api/v1/contracts/ca.crl")).content)
    assert crl.get_revoked_certificate_by_serial_number(int(revoked.json()["serial"], 16)) is not None

    cid, purchaser, supplier = await w.confirmed()
    enrolled = await w.post("/api/v1/contracts/seal-certificate", supplier, json={"ca_password": "own-pass-1"})
    assert enrolled.status_code == 201, enrolled.text
    await w.post("/api/v1/contracts/seal-certificate/revoke", supplier, json={"reason": "密码泄露"})
    refused = await w.post(f"/api/v1/contracts/{cid}/seal", supplier, json={"ca_password": "own-pass-1"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "seal_not_enrolled"
