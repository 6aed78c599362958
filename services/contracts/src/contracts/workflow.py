"""The command layer of contracts: every command is one transaction that checks the rules of
domain.py, changes the contract and records the events it causes (outbox). The routes (api.py) and
the event handler (handlers.py) call these functions; none of them knows HTTP.

The route commands open their own transaction (`db.transaction()`); drafting runs in the
transaction the inbox opened for ResultConfirmed (it takes its `session`). A document or scan is
stored inside the transaction that records it (servicekit.files.store_file): a refused, failed or
retried command leaves no file behind. Sealing opens the unit's key first (certificates.py: scrypt,
the lockout), outside the contract's transaction, then seals in it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from uuid import uuid4

from cryptography import x509
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import certificates, domain, pades, pdf, signing
from contracts.ca import CertificateAuthority
from contracts.domain import ContractStatus
from contracts.settings import Settings
from contracts.store import (Contract, ContractAnnouncement, ContractFile, Seal, SealCertificate, contract_seals,
                             party_contract, sealed_document)
from contracts_schema.events.bidding import ResultConfirmed
from contracts_schema.events.contracts import (CaMode, ContractAnnounced, ContractConfirmed, ContractDrafted,
                                               ContractFiled, ContractReturned, ContractSent, ContractStamped,
                                               ContractSupplierSealed)
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import Conflict
from servicekit.files import Storage, Upload, new_file_key, store_file
from servicekit.logging import bind_context
from servicekit.numbering import next_number
from servicekit.outbox import emit
from servicekit.types import SHANGHAI
from servicekit.workdays import WorkingCalendar

log = logging.getLogger("contracts.workflow")


async def _store(session: AsyncSession, storage: Storage, contract_id: str, kind: str, upload: Upload, *,
                 by: str, now: datetime) -> ContractFile:
    file_id, key = new_file_key(contract_id, kind)
    row = ContractFile(id=file_id, contract_id=contract_id, kind=kind, **upload.columns(key, by=by, at=now))
    return await store_file(session, storage, row, upload.data)


async def _document(contract: Contract) -> Upload:
    """The contract as it stands, rendered without seals: the document the parties seal."""
    data = await pdf.render(contract)
    return Upload.of(f"{contract.contract_no}-v{contract.revision}.pdf", "application/pdf", data)


# ---- from bidding's ResultConfirmed ------------------------------------------------------------------

async def draft(session: AsyncSession, event: ResultConfirmed, storage: Storage, *,
                contract_sign_days: int) -> Contract | None:
    """Drafts the contract (待发送) from the agreement's template and the award, stores its document
    and publishes ContractDrafted, which carries the signing deadline; None when the project has its
    contract already (a replay)."""
    bind_context(project_id=event.project_id)
    existing = (await session.exec(select(Contract).where(Contract.project_id == event.project_id))).first()
    if existing is not None:
        log.info("the project's contract is drafted already; result ignored", extra={"contract_id": existing.id})
        return None
    now = utcnow()
    year = event.confirmed_at.astimezone(SHANGHAI).year
    contract_no = domain.contract_no(year, await next_number(session, f"contract:{year}"))
    contract_id = f"CT{uuid4().hex[:16]}"
    bind_context(contract_id=contract_id)
    purchaser, supplier = event.purchaser, event.supplier
    contract = Contract(
        id=contract_id, contract_no=contract_no, project_id=event.project_id,
        project_no=event.project_no, project_name=event.project_name, method=event.method,
        purchaser_org_id=purchaser.org_id, purchaser_name=purchaser.name, purchaser_address=purchaser.address,
        purchaser_contact=purchaser.contact_name, purchaser_phone=purchaser.contact_phone,
        supplier_id=supplier.org_id, supplier_name=supplier.name, supplier_address=supplier.address,
        supplier_contact=supplier.contact_name, supplier_phone=supplier.contact_phone, filing_no=event.filing_no,
        agreement_id=event.agreement_id, agreement_no=event.agreement_no, agreement_name=event.agreement_name,
        template=event.contract_template, service_id=event.service_id, service_name=event.service_name,
        unit=event.unit, quantity=event.quantity, unit_price=event.unit_price, amount=event.amount,
        requirements=event.requirements, status=ContractStatus.DRAFTED, document_file_id="", document_sha256="",
        awarded_at=event.confirmed_at, sign_due_on=domain.sign_due_on(event.confirmed_at, contract_sign_days),
        created_at=now, updated_at=now)
    document = await _document(contract)
    session.add(contract)
    await session.flush()
    doc = await _store(session, storage, contract.id, "document", document, by="system", now=now)
    contract.document_file_id, contract.document_sha256 = doc.id, doc.sha256
    session.add(contract)
    await emit(session, ContractDrafted(
        contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
        project_no=contract.project_no, purchaser_org_id=contract.purchaser_org_id,
        purchaser_name=contract.purchaser_name, supplier_id=contract.supplier_id,
        supplier_name=contract.supplier_name, filing_no=contract.filing_no, agreement_no=contract.agreement_no,
        amount=contract.amount, document_sha256=contract.document_sha256, sign_due_on=contract.sign_due_on,
        drafted_at=now))
    log.info("contract drafted", extra={"contract_no": contract.contract_no})
    return contract


# ---- commands of the parties -------------------------------------------------------------------------

async def send(db: Database, storage: Storage, user: Principal, contract_id: str,
               supplementary_terms: str | None) -> Contract:
    """发送合同: the supplier sends the contract (→ 待确认); new supplementary terms (after a return,
    say) render the document again as a new revision."""
    async with db.read() as session:
        contract = await party_contract(session, contract_id, user)
        domain.transition(contract.status, "send", role=user.role)
    document = None
    if supplementary_terms is not None and supplementary_terms != contract.supplementary_terms:
        contract.supplementary_terms, contract.revision = supplementary_terms, contract.revision + 1
        contract.updated_at = utcnow()  # the new revision's date (its CreationDate)
        document = await _document(contract)  # rendered outside the transaction (CPU-bound)
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "send", role=user.role)
        now = utcnow()
        if document is not None:
            doc = await _store(session, storage, contract.id, "document", document, by=user.username, now=now)
            contract.supplementary_terms, contract.revision = supplementary_terms or "", contract.revision + 1
            contract.document_file_id, contract.document_sha256 = doc.id, doc.sha256
        contract.sent_at, contract.updated_at = now, now
        session.add(contract)
        await emit(session, ContractSent(contract_id=contract.id, contract_no=contract.contract_no,
                                         project_id=contract.project_id, purchaser_org_id=contract.purchaser_org_id,
                                         supplier_id=contract.supplier_id, document_sha256=contract.document_sha256,
                                         sent_at=now))
    return contract


async def return_to_supplier(db: Database, user: Principal, contract_id: str, reason: str) -> Contract:
    """退回: the purchaser returns the contract with a reason (→ 待发送, for the supplier to resend)."""
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "return", role=user.role)
        now = utcnow()
        contract.return_reason, contract.updated_at = reason, now
        session.add(contract)
        await emit(session, ContractReturned(contract_id=contract.id, contract_no=contract.contract_no,
                                             project_id=contract.project_id, reason=reason, returned_at=now))
    return contract


async def confirm(db: Database, user: Principal, contract_id: str, ca_mode: CaMode) -> Contract:
    """确认合同: the purchaser confirms, choosing the CA e-seal or offline signing (→ 已确认)."""
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "confirm", role=user.role)
        now = utcnow()
        contract.ca_mode, contract.confirmed_at, contract.updated_at = ca_mode, now, now
        contract.return_reason = None
        session.add(contract)
        await emit(session, ContractConfirmed(contract_id=contract.id, contract_no=contract.contract_no,
                                              project_id=contract.project_id, ca_mode=ca_mode, confirmed_at=now))
    return contract


def _sealed_event(contract: Contract, serial: str | None, now: datetime,
                  scan_sha: str | None = None) -> ContractSupplierSealed | ContractStamped:
    if contract.status == ContractStatus.SUPPLIER_SEALED:
        return ContractSupplierSealed(
            contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
            supplier_id=contract.supplier_id, certificate_serial=serial, document_sha256=contract.document_sha256,
            sealed_at=now)
    return ContractStamped(
        contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
        purchaser_org_id=contract.purchaser_org_id, supplier_id=contract.supplier_id, filing_no=contract.filing_no,
        amount=contract.amount, ca_mode=contract.ca_mode or "ca_seal", certificate_serial=serial,
        document_sha256=contract.document_sha256, signed_scan_sha256=scan_sha, signed_at=now,
        signed_on_time=not domain.overdue(contract.sign_due_on, now, now),
        announcement_due_on=contract.announcement_due_on, filing_due_on=contract.filing_due_on)


def _set_deadlines(contract: Contract, settings: Settings, calendar: WorkingCalendar) -> None:
    """合同公告 and 合同备案 deadlines, in working days from the signing (domain.working_due_on)."""
    assert contract.signed_at is not None
    contract.announcement_due_on = domain.working_due_on(calendar, contract.signed_at,
                                                         settings.contract_announce_working_days)
    contract.filing_due_on = domain.working_due_on(calendar, contract.signed_at, settings.contract_filing_working_days)


async def publish_announcement(session: AsyncSession, contract: Contract, now: datetime) -> ContractAnnouncement:
    """合同公告: publishes the signed contract's key facts (domain.ANNOUNCED_FIELDS, no person's name or
    phone) in the caller's transaction, with ContractAnnounced. The platform does it itself, in the
    transaction of the last seal (or of the signed scan); `publish_pending` catches up any it missed."""
    assert contract.signed_at is not None and contract.announcement_due_on is not None
    notice = ContractAnnouncement(
        id=f"HG{uuid4().hex[:16]}", contract_id=contract.id, title=domain.announcement_title(contract.project_name),
        **{name: getattr(contract, name) for name in domain.ANNOUNCED_FIELDS}, awarded_at=contract.awarded_at,
        signed_at=contract.signed_at, due_on=contract.announcement_due_on, published_at=now)
    contract.announced_at = now
    session.add_all([notice, contract])
    on_time = not domain.overdue(contract.announcement_due_on, now, now)
    await emit(session, ContractAnnounced(contract_id=contract.id, contract_no=contract.contract_no,
                                          project_id=contract.project_id, announcement_id=notice.id,
                                          title=notice.title, due_on=contract.announcement_due_on,
                                          published_on_time=on_time, published_at=now))
    log.info("contract announcement published", extra={"announcement_id": notice.id, "on_time": on_time})
    return notice


async def _in_force(session: AsyncSession, contract: Contract, settings: Settings, now: datetime, *,
                    serial: str | None = None, scan_sha: str | None = None) -> None:
    """The purchaser's seal (or scan) made the contract in force: its deadlines, ContractStamped, and
    the announcement published at once."""
    _set_deadlines(contract, settings, settings.working_calendar())
    await emit(session, _sealed_event(contract, serial, now, scan_sha))
    await publish_announcement(session, contract, now)


async def publish_pending(db: Database, settings: Settings) -> int:
    """Publishes the announcement of every contract in force that has none (signed before this
    existed, say): late ones are published too, and shown late. The number published."""
    calendar = settings.working_calendar()
    async with db.transaction() as session:
        rows = (await session.exec(select(Contract).where(Contract.status == ContractStatus.PURCHASER_SEALED,
                                                          Contract.announced_at == None)  # noqa: E711
                                   .with_for_update())).all()
        now = utcnow()
        for contract in rows:
            if contract.announcement_due_on is None:
                _set_deadlines(contract, settings, calendar)
            await publish_announcement(session, contract, now)
    return len(rows)


async def record_filing(db: Database, user: Principal, contract_id: str, reference: str) -> Contract:
    """合同备案: the purchaser records that the contract in force was filed with the finance department."""
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        domain.check_filing(contract.status, contract.filed_at, role=user.role)
        now = utcnow()
        contract.filed_at, contract.filing_reference, contract.updated_at = now, reference, now
        session.add(contract)
        due = contract.filing_due_on
        await emit(session, ContractFiled(contract_id=contract.id, contract_no=contract.contract_no,
                                          project_id=contract.project_id, filing_reference=reference, due_on=due,
                                          filed_on_time=due is None or not domain.overdue(due, now, now),
                                          filed_at=now))
    return contract


async def seal(db: Database, storage: Storage, ca: CertificateAuthority, settings: Settings, user: Principal,
               contract_id: str, password: str, trust: pades.TrustServices | None = None) -> Contract:
    """盖章: the unit seals with its own certificate (supplier → 供应商已盖章, then purchaser →
    采购单位已盖章, in force). The seal signs the document's SHA-256 and every earlier seal, and is
    a PAdES signature in the PDF itself: an incremental update of the PDF as sealed so far, with the
    red seal over the unit's 盖章 place, an RFC 3161 timestamp and the CA's CRL (pades.py)."""
    action = domain.seal_action(user.role)
    trust = trust or pades.trust_services(ca, settings)
    async with db.read() as session:
        contract = await party_contract(session, contract_id, user)
        domain.transition(contract.status, action, role=user.role, ca_mode=contract.ca_mode)
        doc = await session.get(ContractFile, contract.document_file_id)
        before = await sealed_document(session, contract.id)
    cert = await certificates.for_sealing(db, ca, settings, user, password)
    key = await certificates.open_key(db, settings, cert, password)
    document = await storage.read(doc.storage_key) if doc else b""
    if signing.sha256_hex(document) != contract.document_sha256:
        raise Conflict("存储的合同文本与合同记录不一致，不能盖章。", code="document_changed")
    current_pdf = await storage.read(before.storage_key) if before else document
    crl = await certificates.current_crl(db, ca)
    sealed_pdf = await asyncio.to_thread(
        pades.sign, current_pdf, role=user.role, unit_name=cert.org_name,
        certificate=x509.load_pem_x509_certificate(cert.certificate_pem.encode()), key=key, trust=trust, crl=crl,
        where=pdf.SEAL_BOXES[user.role], date_text=utcnow().astimezone(SHANGHAI).strftime("%Y年%m月%d日"),
        font_file=str(settings.seal_font_file) if settings.seal_font_file else None)
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        status = domain.transition(contract.status, action, role=user.role, ca_mode=contract.ca_mode)
        if signing.sha256_hex(document) != contract.document_sha256:
            raise Conflict("存储的合同文本与合同记录不一致，不能盖章。", code="document_changed")
        current = await session.get(SealCertificate, cert.serial, with_for_update=True)
        if current is None or current.status != "active":
            raise Conflict("本单位的签章证书已在此期间被吊销。", code="certificate_revoked")
        earlier = await contract_seals(session, contract.id)
        now = utcnow()
        seq = len(earlier) + 1
        signed = signing.statement(contract_id=contract.id, contract_no=contract.contract_no,
                                   document_sha256=contract.document_sha256,
                                   previous_seals=[signing.seal_digest(s.signature) for s in earlier], seq=seq,
                                   role=user.role, org_id=user.org_id, org_name=current.org_name,
                                   certificate_serial=current.serial, sealed_at=now)
        row = Seal(id=f"SL{uuid4().hex[:16]}", contract_id=contract.id, seq=seq, role=user.role, org_id=user.org_id,
                   org_name=current.org_name, certificate_serial=current.serial,
                   certificate_pem=current.certificate_pem, statement=signed.decode(),
                   signature=signing.sign(key, signed), sealed_by=user.username, sealed_at=now)
        latest = await sealed_document(session, contract.id)
        if (latest.id if latest else None) != (before.id if before else None):
            raise Conflict("合同在此期间已被另一方盖章，请刷新后重试。", code="sealed_meanwhile")
        await _store(session, storage, contract.id, "sealed",
                     Upload.of(f"{contract.contract_no}-sealed-{seq}.pdf", "application/pdf", sealed_pdf),
                     by=user.username, now=now)
        current.failed_attempts = 0
        contract.status, contract.updated_at = status, now
        session.add_all([row, current, contract])
        if user.role == "supplier":
            contract.supplier_sealed_at = now
            await emit(session, _sealed_event(contract, current.serial, now))
        else:
            contract.signed_at = now
            await _in_force(session, contract, settings, now, serial=current.serial)
    return contract


async def upload_signed_scan(db: Database, storage: Storage, settings: Settings, user: Principal, contract_id: str,
                             upload: Upload) -> Contract:
    """线下签订: the purchaser uploads the scan of the signed paper contract (→ 采购单位已盖章, in force)."""
    async with db.transaction() as session:
        contract = await party_contract(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "upload_scan", role=user.role, ca_mode=contract.ca_mode)
        now = utcnow()
        stored = await _store(session, storage, contract.id, "signed_scan", upload, by=user.username, now=now)
        contract.signed_scan_file_id, contract.signed_at, contract.updated_at = stored.id, now, now
        session.add(contract)
        await _in_force(session, contract, settings, now, scan_sha=stored.sha256)
    return contract
