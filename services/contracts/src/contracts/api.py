"""HTTP routes of the contracts service, 我的合同 (reached through the gateway under /api/v1).

A purchaser sees its own unit's contracts, a supplier the contracts it won; anyone else gets 404 for
a contract and an empty list. Only the supplier sends and seals first; only the purchaser returns,
confirms and seals last (or uploads the signed scan when signing offline). A unit seals only with its
own certificate: the certificate is the one enrolled for the caller's unit, never chosen."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import domain, paperwork, seals, sealing
from contracts.domain import CA_MODE_LABELS, ContractStatus
from contracts.seals import CertificateAuthority
from contracts.store import Contract, ContractFile, Seal, SealCertificate
from contracts_schema.events.contracts import (ContractConfirmed, ContractReturned, ContractSent, ContractStamped,
                                               ContractSupplierSealed)
from contracts_schema.types import Money, Quantity, utcnow
from servicekit.app import DB
from servicekit.auth import CurrentUser, Principal, Purchaser, Supplier
from servicekit.errors import Conflict, Forbidden, NotFound
from servicekit.files import PDF, JPEG, PNG, Storage, download_response, read_upload
from servicekit.logging import bind_context
from servicekit.outbox import emit
from servicekit.types import ShanghaiTime

router = APIRouter(prefix="/api/v1", tags=["contracts 我的合同"])
Password = Annotated[str, StringConstraints(min_length=6, max_length=128)]


# ---- models ----------------------------------------------------------------------------------------

class FileOut(BaseModel):
    id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: ShanghaiTime
    download_url: str


class SealOut(BaseModel):
    seq: int
    role: str
    org_id: str
    org_name: str
    certificate_serial: str
    sealed_at: ShanghaiTime


class DeadlineOut(BaseModel):
    name: str = "contract_signing"
    due_on: date
    overdue: bool


class ContractSummary(BaseModel):
    id: str
    contract_no: str
    project_id: str
    project_no: str
    project_name: str
    purchaser_org_id: str
    purchaser_name: str
    supplier_id: str
    supplier_name: str
    filing_no: str
    amount: Money
    status: str
    status_label: str
    ca_mode: str | None
    ca_mode_label: str | None
    deadline: DeadlineOut
    created_at: ShanghaiTime


class ContractOut(ContractSummary):
    method: str
    agreement_no: str
    agreement_name: str
    service_name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    requirements: str
    supplementary_terms: str
    return_reason: str | None
    revision: int
    document: FileOut
    document_url: str = Field(description="The PDF to open: with a seal page once sealed")
    signed_scan: FileOut | None
    seals: list[SealOut]
    sent_at: ShanghaiTime | None
    confirmed_at: ShanghaiTime | None
    supplier_sealed_at: ShanghaiTime | None
    signed_at: ShanghaiTime | None


class ContractPage(BaseModel):
    items: list[ContractSummary]
    total: int


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplementary_terms: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = Field(
        None, description="补充条款 (after a return, say): the document is rendered again with them")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ca_mode: Literal["ca_seal", "offline"] = Field(description="ca_seal: the unit has a CA e-seal (已办理单位CA签章); "
                                                               "offline: it signs the paper contract")


class SealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ca_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: UploadFile


class EnrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ca_password: Password


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class CertificateOut(BaseModel):
    serial: str
    org_id: str
    org_name: str
    subject: str
    issuer: str
    not_before: ShanghaiTime
    not_after: ShanghaiTime
    status: str
    locked_until: ShanghaiTime | None
    revoked_at: ShanghaiTime | None
    certificate_pem: str


class CheckOut(BaseModel):
    code: str
    message: str


class SealCheckOut(SealOut):
    valid: bool
    checks: dict[str, bool]
    failures: list[CheckOut]


class VerificationOut(BaseModel):
    contract_id: str
    contract_no: str
    status: str
    status_label: str
    valid: bool
    document_sha256: str
    recorded_document_sha256: str
    ca: str
    ca_fingerprint_sha256: str
    seals: list[SealCheckOut]
    failures: list[CheckOut]
    checked_at: ShanghaiTime


# ---- helpers ---------------------------------------------------------------------------------------

def _storage(request: Request) -> Storage:
    return request.app.state.storage


def _ca(request: Request) -> CertificateAuthority:
    return request.app.state.ca


def _settings(request: Request):
    return request.app.state.service.settings


async def _load(session: AsyncSession, contract_id: str, user: Principal, *, lock: bool = False) -> Contract:
    bind_context(contract_id=contract_id)
    stmt = select(Contract).where(Contract.id == contract_id)
    if lock:
        stmt = stmt.with_for_update()
    contract = (await session.exec(stmt)).first()
    mine = contract is not None and user.is_party(purchaser_org_id=contract.purchaser_org_id, supplier_id=contract.supplier_id)
    if not mine:
        raise NotFound(f"contract {contract_id} not found")
    bind_context(project_id=contract.project_id)
    return contract


def _file_out(f: ContractFile) -> FileOut:
    return FileOut(id=f.id, kind=f.kind, filename=f.filename, content_type=f.content_type, size=f.size,
                   sha256=f.sha256, uploaded_at=f.uploaded_at,
                   download_url=f"/api/v1/contracts/{f.contract_id}/files/{f.id}")


def _summary_fields(c: Contract) -> dict:
    return dict(id=c.id, contract_no=c.contract_no, project_id=c.project_id, project_no=c.project_no,
                project_name=c.project_name, purchaser_org_id=c.purchaser_org_id, purchaser_name=c.purchaser_name,
                supplier_id=c.supplier_id, supplier_name=c.supplier_name, filing_no=c.filing_no, amount=c.amount,
                status=c.status, status_label=ContractStatus(c.status).label, ca_mode=c.ca_mode,
                ca_mode_label=CA_MODE_LABELS.get(c.ca_mode or ""),
                deadline=DeadlineOut(due_on=c.sign_due_on, overdue=domain.overdue(c.sign_due_on, c.signed_at,
                                                                                  utcnow())),
                created_at=c.created_at)


async def _seals(session: AsyncSession, contract_id: str) -> list[Seal]:
    return list((await session.exec(select(Seal).where(Seal.contract_id == contract_id)
                                    .order_by(col(Seal.seq)))).all())


async def _detail(session: AsyncSession, c: Contract) -> ContractOut:
    files = {f.id: f for f in (await session.exec(select(ContractFile)
                                                  .where(ContractFile.contract_id == c.id))).all()}
    scan = files.get(c.signed_scan_file_id or "")
    return ContractOut(
        **_summary_fields(c), method=c.method, agreement_no=c.agreement_no, agreement_name=c.agreement_name,
        service_name=c.service_name, unit=c.unit, quantity=c.quantity, unit_price=c.unit_price,
        requirements=c.requirements, supplementary_terms=c.supplementary_terms, return_reason=c.return_reason,
        revision=c.revision, document=_file_out(files[c.document_file_id]),
        document_url=f"/api/v1/contracts/{c.id}/document", signed_scan=_file_out(scan) if scan else None,
        seals=[SealOut(seq=s.seq, role=s.role, org_id=s.org_id, org_name=s.org_name,
                       certificate_serial=s.certificate_serial, sealed_at=s.sealed_at)
               for s in await _seals(session, c.id)],
        sent_at=c.sent_at, confirmed_at=c.confirmed_at, supplier_sealed_at=c.supplier_sealed_at, signed_at=c.signed_at)


def _certificate_out(cert: SealCertificate) -> CertificateOut:
    from cryptography import x509

    parsed = x509.load_pem_x509_certificate(cert.certificate_pem.encode())
    return CertificateOut(serial=cert.serial, org_id=cert.org_id, org_name=cert.org_name,
                          subject=parsed.subject.rfc4514_string(), issuer=parsed.issuer.rfc4514_string(),
                          not_before=cert.not_before, not_after=cert.not_after, status=cert.status,
                          locked_until=cert.locked_until if cert.locked_until and cert.locked_until > utcnow() else None,
                          revoked_at=cert.revoked_at, certificate_pem=cert.certificate_pem)


# ---- e-seal certificates ---------------------------------------------------------------------------

@router.get("/contracts/ca-certificate", summary="The platform CA's certificate (PEM), to verify seals outside")
async def ca_certificate(request: Request) -> Response:
    return Response(_ca(request).pem(), media_type="application/x-pem-file")


@router.get("/contracts/seal-certificate", response_model=CertificateOut, summary="My unit's seal certificate")
async def my_certificate(user: CurrentUser, db: DB) -> CertificateOut:
    async with db.read() as session:
        cert = await sealing.active_certificate(session, user.org_id)
    if cert is None:
        raise NotFound("your unit has no seal certificate", code="seal_not_enrolled")
    return _certificate_out(cert)


@router.post("/contracts/seal-certificate", status_code=201, response_model=CertificateOut,
             summary="Enroll my unit's seal: a key pair under the CA password, a certificate from the platform CA")
async def enroll_certificate(body: EnrollIn, user: CurrentUser, db: DB, request: Request) -> CertificateOut:
    if user.role not in ("purchaser", "supplier"):
        raise Forbidden("only purchaser units and suppliers seal contracts")
    return _certificate_out(await sealing.enroll(db, _ca(request), _settings(request), user, body.ca_password))


@router.post("/contracts/seal-certificate/revoke", response_model=CertificateOut,
             summary="Revoke my unit's seal certificate (lost or leaked password); seals made with it fail checks")
async def revoke_certificate(body: RevokeIn, user: CurrentUser, db: DB) -> CertificateOut:
    async with db.transaction() as session:
        cert = await sealing.active_certificate(session, user.org_id)
        if cert is None:
            raise NotFound("your unit has no active seal certificate", code="seal_not_enrolled")
        cert.status, cert.revoked_at, cert.revocation_reason = "revoked", utcnow(), body.reason
        session.add(cert)
    return _certificate_out(cert)


# ---- contracts -------------------------------------------------------------------------------------

@router.get("/contracts", response_model=ContractPage, summary="我的合同: my unit's contracts, newest first")
async def list_contracts(user: CurrentUser, db: DB,
                         status: Annotated[ContractStatus | None, Query(description="Filter by status code")] = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         offset: Annotated[int, Query(ge=0)] = 0) -> ContractPage:
    if user.role == "purchaser":
        stmt = select(Contract).where(Contract.purchaser_org_id == user.org_id)
    elif user.role == "supplier":
        stmt = select(Contract).where(Contract.supplier_id == user.org_id)
    else:
        return ContractPage(items=[], total=0)
    if status is not None:
        stmt = stmt.where(Contract.status == status.value)
    async with db.read() as session:
        rows = (await session.exec(stmt.order_by(col(Contract.created_at).desc(), col(Contract.id))
                                   .offset(offset).limit(limit))).all()
        total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    return ContractPage(items=[ContractSummary(**_summary_fields(c)) for c in rows], total=total)


@router.get("/contracts/{contract_id}", response_model=ContractOut, summary="Open one of my contracts")
async def get_contract(contract_id: str, user: CurrentUser, db: DB) -> ContractOut:
    async with db.read() as session:
        return await _detail(session, await _load(session, contract_id, user))


@router.get("/contracts/{contract_id}/document", response_class=StreamingResponse,
            summary="The contract PDF; once sealed, with its seal page. original=true: the exact bytes sealed")
async def get_document(contract_id: str, user: CurrentUser, db: DB, request: Request,
                       original: bool = False) -> Response:
    async with db.read() as session:
        contract = await _load(session, contract_id, user)
        doc = await session.get(ContractFile, contract.document_file_id)
        sealed = await _seals(session, contract.id)
    assert doc is not None
    if original or (not sealed and contract.signed_at is None):
        return await download_response(_storage(request), doc.storage_key, filename=doc.filename,
                                       content_type=doc.content_type, size=doc.size, inline=True)
    data = await paperwork.render(contract, sealed)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{contract.contract_no}-sealed.pdf"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.get("/contracts/{contract_id}/files/{file_id}", response_class=StreamingResponse,
            summary="Download a file of my contract (a document revision, the signed scan)")
async def download_file(contract_id: str, file_id: str, user: CurrentUser, db: DB, request: Request) -> Response:
    async with db.read() as session:
        await _load(session, contract_id, user)
        stored = await session.get(ContractFile, file_id)
    if stored is None or stored.contract_id != contract_id:
        raise NotFound(f"file {file_id} not found on contract {contract_id}")
    return await download_response(_storage(request), stored.storage_key, filename=stored.filename,
                                   content_type=stored.content_type, size=stored.size)


@router.post("/contracts/{contract_id}/send", response_model=ContractOut,
             summary="发送合同: the supplier sends the contract to the purchaser (→ 待确认)")
async def send_contract(contract_id: str, user: Supplier, db: DB, request: Request,
                        body: SendIn | None = None) -> ContractOut:
    body = body or SendIn()
    async with db.read() as session:
        contract = await _load(session, contract_id, user)
        domain.transition(contract.status, "send", role=user.role)
    new_doc = None
    if body.supplementary_terms is not None and body.supplementary_terms != contract.supplementary_terms:
        contract.supplementary_terms, contract.revision = body.supplementary_terms, contract.revision + 1
        new_doc = await paperwork.store_document(_storage(request), contract, by=user.username)
    async with db.transaction() as session:
        contract = await _load(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "send", role=user.role)
        now = utcnow()
        if new_doc is not None:
            contract.supplementary_terms, contract.revision = body.supplementary_terms or "", contract.revision + 1
            contract.document_file_id, contract.document_sha256 = new_doc.id, new_doc.sha256
            session.add(new_doc)
        contract.sent_at, contract.updated_at = now, now
        session.add(contract)
        await emit(session, ContractSent(contract_id=contract.id, contract_no=contract.contract_no,
                                         project_id=contract.project_id, purchaser_org_id=contract.purchaser_org_id,
                                         supplier_id=contract.supplier_id, document_sha256=contract.document_sha256,
                                         sent_at=now))
        await session.flush()
        return await _detail(session, contract)


@router.post("/contracts/{contract_id}/return", response_model=ContractOut,
             summary="退回: the purchaser returns the contract with a reason (→ 待发送, for the supplier to resend)")
async def return_contract(contract_id: str, body: ReturnIn, user: Purchaser, db: DB) -> ContractOut:
    async with db.transaction() as session:
        contract = await _load(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "return", role=user.role)
        now = utcnow()
        contract.return_reason, contract.updated_at = body.reason, now
        session.add(contract)
        await emit(session, ContractReturned(contract_id=contract.id, contract_no=contract.contract_no,
                                             project_id=contract.project_id, reason=body.reason, returned_at=now))
        await session.flush()
        return await _detail(session, contract)


@router.post("/contracts/{contract_id}/confirm", response_model=ContractOut,
             summary="确认合同: the purchaser confirms, choosing ca_mode (→ 已确认)")
async def confirm_contract(contract_id: str, body: ConfirmIn, user: Purchaser, db: DB) -> ContractOut:
    async with db.transaction() as session:
        contract = await _load(session, contract_id, user, lock=True)
        contract.status = domain.transition(contract.status, "confirm", role=user.role)
        now = utcnow()
        contract.ca_mode, contract.confirmed_at, contract.updated_at = body.ca_mode, now, now
        contract.return_reason = None
        session.add(contract)
        await emit(session, ContractConfirmed(contract_id=contract.id, contract_no=contract.contract_no,
                                              project_id=contract.project_id, ca_mode=body.ca_mode,
                                              confirmed_at=now))
        await session.flush()
        return await _detail(session, contract)


@router.post("/contracts/{contract_id}/seal", response_model=ContractOut,
             summary="盖章: seal with my unit's CA e-seal (supplier → 供应商已盖章, then purchaser → 采购单位已盖章)")
async def seal_contract(contract_id: str, body: SealIn, user: CurrentUser, db: DB, request: Request) -> ContractOut:
    ca, settings, storage = _ca(request), _settings(request), _storage(request)
    action = domain.seal_action(user.role)
    async with db.read() as session:
        contract = await _load(session, contract_id, user)
        domain.transition(contract.status, action, role=user.role, ca_mode=contract.ca_mode)
        doc = await session.get(ContractFile, contract.document_file_id)
    cert = await sealing.certificate_for_sealing(db, ca, settings, user, body.ca_password)
    key = await sealing.unlock(db, settings, cert, body.ca_password)
    document = await storage.read(doc.storage_key) if doc else b""
    async with db.transaction() as session:
        contract = await _load(session, contract_id, user, lock=True)
        status = domain.transition(contract.status, action, role=user.role, ca_mode=contract.ca_mode)
        if seals.sha256_hex(document) != contract.document_sha256:
            raise Conflict("the stored contract document does not match the contract; it cannot be sealed",
                           code="document_changed")
        current = await session.get(SealCertificate, cert.serial, with_for_update=True)
        if current is None or current.status != "active":
            raise Conflict("your unit's seal certificate was revoked meanwhile", code="certificate_revoked")
        earlier = await _seals(session, contract.id)
        now = utcnow()
        seq = len(earlier) + 1
        signed = seals.statement(contract_id=contract.id, contract_no=contract.contract_no,
                                 document_sha256=contract.document_sha256,
                                 previous_seals=[seals.seal_digest(s.signature) for s in earlier], seq=seq,
                                 role=user.role, org_id=user.org_id, org_name=current.org_name,
                                 certificate_serial=current.serial, sealed_at=now)
        seal = Seal(id=f"SL{uuid4().hex[:16]}", contract_id=contract.id, seq=seq, role=user.role, org_id=user.org_id,
                    org_name=current.org_name, certificate_serial=current.serial,
                    certificate_pem=current.certificate_pem, statement=signed.decode(),
                    signature=seals.sign(key, signed), sealed_by=user.username, sealed_at=now)
        current.failed_attempts = 0
        contract.status, contract.updated_at = status, now
        if user.role == "supplier":
            contract.supplier_sealed_at = now
        else:
            contract.signed_at = now
        session.add_all([seal, current, contract])
        await _emit_sealed(session, contract, current.serial, now)
        await session.flush()
        return await _detail(session, contract)


async def _emit_sealed(session: AsyncSession, contract: Contract, serial: str | None, now, scan_sha: str | None = None):
    if contract.status == ContractStatus.SUPPLIER_SEALED:
        await emit(session, ContractSupplierSealed(
            contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
            supplier_id=contract.supplier_id, certificate_serial=serial, document_sha256=contract.document_sha256,
            sealed_at=now))
        return
    await emit(session, ContractStamped(
        contract_id=contract.id, contract_no=contract.contract_no, project_id=contract.project_id,
        purchaser_org_id=contract.purchaser_org_id, supplier_id=contract.supplier_id, filing_no=contract.filing_no,
        amount=contract.amount, ca_mode=contract.ca_mode or "ca_seal", certificate_serial=serial,
        document_sha256=contract.document_sha256, signed_scan_sha256=scan_sha, signed_at=now,
        signed_on_time=not domain.overdue(contract.sign_due_on, now, now)))


@router.post("/contracts/{contract_id}/signed-scan", response_model=ContractOut,
             summary="线下签订: the purchaser uploads the scan of the signed paper contract (→ 采购单位已盖章)")
async def upload_signed_scan(contract_id: str, body: Annotated[ScanIn, Form()], user: Purchaser, db: DB,
                             request: Request) -> ContractOut:
    upload = await read_upload(body.file, max_bytes=_settings(request).file_max_bytes, allowed=(PDF, PNG, JPEG))
    async with db.read() as session:
        contract = await _load(session, contract_id, user)
        domain.transition(contract.status, "upload_scan", role=user.role, ca_mode=contract.ca_mode)
    storage = _storage(request)
    stored = await paperwork.store_file(storage, contract.id, "signed_scan", upload, by=user.username)
    try:
        async with db.transaction() as session:
            contract = await _load(session, contract_id, user, lock=True)
            contract.status = domain.transition(contract.status, "upload_scan", role=user.role,
                                                ca_mode=contract.ca_mode)
            now = utcnow()
            contract.signed_scan_file_id, contract.signed_at, contract.updated_at = stored.id, now, now
            session.add_all([stored, contract])
            await _emit_sealed(session, contract, None, now, scan_sha=stored.sha256)
            await session.flush()
            return await _detail(session, contract)
    except BaseException:
        await storage.delete(stored.storage_key)
        raise


@router.get("/contracts/{contract_id}/verification", response_model=VerificationOut,
            summary="签章验证: checks every seal against the document and the platform CA, naming what fails")
async def verify_contract(contract_id: str, user: CurrentUser, db: DB, request: Request) -> VerificationOut:
    ca = _ca(request)
    async with db.read() as session:
        contract = await _load(session, contract_id, user)
        result = await sealing.verify(session, _storage(request), ca, contract)
    return VerificationOut(
        contract_id=contract.id, contract_no=contract.contract_no, status=contract.status,
        status_label=ContractStatus(contract.status).label, valid=result.valid,
        document_sha256=result.document_sha256, recorded_document_sha256=result.recorded_sha256, ca=ca.name,
        ca_fingerprint_sha256=ca.fingerprint,
        seals=[SealCheckOut(seq=s.seq, role=s.role, org_id=s.org_id, org_name=s.org_name,
                            certificate_serial=s.certificate_serial, sealed_at=s.sealed_at, valid=s.valid,
                            checks=s.checks, failures=[CheckOut(**f) for f in s.failures]) for s in result.seals],
        failures=[CheckOut(**f) for f in result.failures], checked_at=utcnow())
