"""HTTP routes of the contracts service, 我的合同 (reached through the gateway under /api/v1).

A purchaser sees its own unit's contracts, a supplier the contracts it won; anyone else gets 404 for
a contract and an empty list. Only the supplier sends and seals first; only the purchaser returns,
confirms and seals last (or uploads the signed scan when signing offline). A unit seals only with its
own certificate: the certificate is the one enrolled for the caller's unit, never chosen."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import certificates, verification, workflow
from contracts.ca import CertificateAuthority
from contracts.domain import CA_MODE_LABELS, ContractStatus
from contracts.settings import Settings
from contracts.pdf import METHOD_LABELS
from contracts.store import (Contract, ContractAnnouncement, ContractFile, SealCertificate, active_certificate,
                             contract_seals, party_contract, sealed_document, visible_to)
from contracts_schema.types import Money, Quantity, utcnow
from servicekit.types import SHANGHAI
from servicekit.deadlines import Deadline, track
from servicekit.workdays import WorkingCalendar
from servicekit.app import DB
from servicekit.auth import CurrentUser, Purchaser, Supplier
from servicekit.errors import NotFound
from servicekit.files import JPEG, PDF, PNG, Storage, download_response, read_upload
from servicekit.openapi import download, errors
from servicekit.queries import page_of
from servicekit.types import Limit, Offset, ShanghaiTime, line, paragraphs

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
    name: str = Field("contract_signing", description="contract_signing | contract_announcement | contract_filing")
    label: str = Field("合同签订", description="合同签订 / 合同公告 / 合同备案")
    due_on: date = Field(description="The last day (北京时间); working-day deadlines by the Chinese calendar")
    done_on: date | None = None
    overdue: bool
    days_left: int | None = Field(None, description="Days left (working days for 公告 and 备案); None once done or late")
    marker: str = Field("", description="已逾期 / 剩余 N 个工作日 / 今日截止 / 已按时完成 / 逾期完成")
    provisional: bool = Field(False, description="The year's holidays are not announced yet: counted on weekdays")


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
    deadline: DeadlineOut = Field(description="The signing deadline (also first in `deadlines`)")
    deadlines: list[DeadlineOut] = Field(description="签订; once in force 合同公告 and 合同备案 too")
    overdue: bool = Field(description="Some deadline is past and its step not done (已逾期)")
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
    announced_at: ShanghaiTime | None = None
    announcement_url: str | None = Field(None, description="The public 合同公告 (no login)")
    filed_at: ShanghaiTime | None = None
    filing_reference: str | None = None


class ContractPage(BaseModel):
    items: list[ContractSummary]
    total: int


class AnnouncementSummary(BaseModel):
    id: str
    title: str
    contract_no: str
    project_no: str
    project_name: str
    purchaser_name: str
    supplier_name: str
    amount: Money
    signed_at: ShanghaiTime
    published_at: ShanghaiTime


class AnnouncementOut(AnnouncementSummary):
    """合同公告: the contract's key facts and the units; no person's name or phone number."""

    kind: str = "contract"
    contract_id: str
    method: str
    method_label: str
    purchaser_address: str
    supplier_address: str
    agreement_no: str
    agreement_name: str
    filing_no: str
    service_name: str
    unit: str
    quantity: Quantity
    unit_price: Money
    awarded_at: ShanghaiTime
    due_on: date = Field(description="The last day it was due: 2 working days after signing")
    published_on_time: bool


class AnnouncementPage(BaseModel):
    items: list[AnnouncementSummary]
    total: int


class FilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filing_reference: line(100, min_length=2) = Field(description="The finance department's filing reference (备案号)")


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplementary_terms: paragraphs(5000) | None = Field(
        None, description="补充条款 (after a return, say): the document is rendered again with them")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: paragraphs(1000, min_length=2)


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

    reason: paragraphs(500, min_length=2)


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


class PdfSignatureOut(BaseModel):
    field: str = Field(description="The signature field in the PDF (甲方盖章 / 乙方盖章)")
    signer: str
    certificate_serial: str
    signed_at: ShanghaiTime | None = Field(description="The RFC 3161 timestamp's time (else the signer's claim)")
    trusted_timestamp: bool
    intact: bool = Field(description="The bytes it covers are the bytes signed")
    valid: bool = Field(description="Intact, chained to the platform CA, not revoked when made, timestamped")
    covers_revision: bool = Field(description="It covers the whole document as of its revision")
    revision: int
    summary: str


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
    pdf_signatures: list[PdfSignatureOut] = Field(default_factory=list,
                                                  description="The PAdES signatures in the sealed PDF, in order")
    modified_after_last_seal: bool = Field(False, description="Something besides validation data was added to "
                                                              "the PDF after its last seal")
    crl_url: str = ""


# ---- helpers ---------------------------------------------------------------------------------------

def _storage(request: Request) -> Storage:
    return request.app.state.storage


def _ca(request: Request) -> CertificateAuthority:
    return request.app.state.ca


def _settings(request: Request) -> Settings:
    return request.app.state.service.settings


def _file_out(f: ContractFile) -> FileOut:
    return FileOut(id=f.id, kind=f.kind, filename=f.filename, content_type=f.content_type, size=f.size,
                   sha256=f.sha256, uploaded_at=f.uploaded_at,
                   download_url=f"/api/v1/contracts/{f.contract_id}/files/{f.id}")


def _deadline_out(d: Deadline) -> DeadlineOut:
    return DeadlineOut(name=d.name, label=d.label, due_on=d.due_on, done_on=d.done_on, overdue=d.overdue,
                       days_left=d.days_left, marker=d.marker, provisional=d.provisional)


def _deadlines(c: Contract, calendar: WorkingCalendar) -> list[Deadline]:
    """签订, then (once in force) 合同公告 and 合同备案 (working days), each against what was done when."""
    now = utcnow()
    found = [track("contract_signing", c.sign_due_on, c.signed_at, now)]
    if c.announcement_due_on is not None:
        found.append(track("contract_announcement", c.announcement_due_on, c.announced_at, now, calendar))
    if c.filing_due_on is not None:
        found.append(track("contract_filing", c.filing_due_on, c.filed_at, now, calendar))
    return found


def _summary_fields(c: Contract, calendar: WorkingCalendar) -> dict:
    deadlines = _deadlines(c, calendar)
    return dict(id=c.id, contract_no=c.contract_no, project_id=c.project_id, project_no=c.project_no,
                project_name=c.project_name, purchaser_org_id=c.purchaser_org_id, purchaser_name=c.purchaser_name,
                supplier_id=c.supplier_id, supplier_name=c.supplier_name, filing_no=c.filing_no, amount=c.amount,
                status=c.status, status_label=ContractStatus(c.status).label, ca_mode=c.ca_mode,
                ca_mode_label=CA_MODE_LABELS.get(c.ca_mode or ""), deadline=_deadline_out(deadlines[0]),
                deadlines=[_deadline_out(d) for d in deadlines],
                overdue=any(d.overdue and d.done_on is None for d in deadlines), created_at=c.created_at)


async def _detail(session: AsyncSession, c: Contract, calendar: WorkingCalendar) -> ContractOut:
    notice = (await session.exec(select(ContractAnnouncement).where(ContractAnnouncement.contract_id == c.id))).first()
    files = {f.id: f for f in (await session.exec(select(ContractFile)
                                                  .where(ContractFile.contract_id == c.id))).all()}
    scan = files.get(c.signed_scan_file_id or "")
    return ContractOut(
        **_summary_fields(c, calendar), method=c.method, agreement_no=c.agreement_no, agreement_name=c.agreement_name,
        service_name=c.service_name, unit=c.unit, quantity=c.quantity, unit_price=c.unit_price,
        requirements=c.requirements, supplementary_terms=c.supplementary_terms, return_reason=c.return_reason,
        revision=c.revision, document=_file_out(files[c.document_file_id]),
        document_url=f"/api/v1/contracts/{c.id}/document", signed_scan=_file_out(scan) if scan else None,
        seals=[SealOut(seq=s.seq, role=s.role, org_id=s.org_id, org_name=s.org_name,
                       certificate_serial=s.certificate_serial, sealed_at=s.sealed_at)
               for s in await contract_seals(session, c.id)],
        sent_at=c.sent_at, confirmed_at=c.confirmed_at, supplier_sealed_at=c.supplier_sealed_at, signed_at=c.signed_at,
        announced_at=c.announced_at, announcement_url=f"/api/v1/contracts/announcements/{notice.id}" if notice else None,
        filed_at=c.filed_at, filing_reference=c.filing_reference)


async def _show(db: DB, request: Request, contract: Contract) -> ContractOut:
    """The contract as it now stands (after a command: what it committed)."""
    async with db.read() as session:
        return await _detail(session, contract, _calendar(request))


def _calendar(request: Request) -> WorkingCalendar:
    return request.app.state.calendar


def _announcement_summary(a: ContractAnnouncement) -> dict:
    return dict(id=a.id, title=a.title, contract_no=a.contract_no, project_no=a.project_no,
                project_name=a.project_name, purchaser_name=a.purchaser_name, supplier_name=a.supplier_name,
                amount=a.amount, signed_at=a.signed_at, published_at=a.published_at)


def _certificate_out(cert: SealCertificate) -> CertificateOut:
    from cryptography import x509

    parsed = x509.load_pem_x509_certificate(cert.certificate_pem.encode())
    return CertificateOut(serial=cert.serial, org_id=cert.org_id, org_name=cert.org_name,
                          subject=parsed.subject.rfc4514_string(), issuer=parsed.issuer.rfc4514_string(),
                          not_before=cert.not_before, not_after=cert.not_after, status=cert.status,
                          locked_until=cert.locked_until if cert.locked_until and cert.locked_until > utcnow() else None,
                          revoked_at=cert.revoked_at, certificate_pem=cert.certificate_pem)


# ---- e-seal certificates ---------------------------------------------------------------------------

@router.get("/contracts/ca-certificate", responses=download("application/x-pem-file", description="PEM"),
            summary="The platform CA's certificate (PEM), to verify seals outside")
async def ca_certificate(request: Request) -> Response:
    return Response(_ca(request).pem(), media_type="application/x-pem-file")


@router.get("/contracts/ca.crl", responses=download("application/pkix-crl", description="DER"), summary="The platform CA's CRL (DER): revoked seal certificates, public")
async def ca_crl(request: Request, db: DB) -> Response:
    return Response(await certificates.current_crl(db, _ca(request)), media_type="application/pkix-crl",
                    headers={"Cache-Control": "public, max-age=60"})


@router.get("/contracts/tsa-certificate", responses={**download("application/x-pem-file", description="PEM"),
                                                     **errors(codes={404: ["external_tsa"]})},
            summary="The platform TSA's certificate (PEM), public")
async def tsa_certificate(request: Request) -> Response:
    trust = request.app.state.trust
    if not trust.tsa_pem():
        raise NotFound("本平台使用外部时间戳服务（TSA_URL），其证书随每个时间戳嵌入 PDF。", code="external_tsa")
    return Response(trust.tsa_pem(), media_type="application/x-pem-file")


@router.get("/contracts/seal-certificate", response_model=CertificateOut,
            responses=errors(codes={404: ["seal_not_enrolled"]}), summary="My unit's seal certificate")
async def my_certificate(user: CurrentUser, db: DB) -> CertificateOut:
    async with db.read() as session:
        cert = await active_certificate(session, user.org_id)
    if cert is None:
        raise NotFound("本单位尚未办理签章证书。", code="seal_not_enrolled")
    return _certificate_out(cert)


@router.post("/contracts/seal-certificate", status_code=201, response_model=CertificateOut, responses=errors(403),
             summary="Enroll my unit's seal: a key pair under the CA password, a certificate from the platform CA")
async def enroll_certificate(body: EnrollIn, user: CurrentUser, db: DB, request: Request) -> CertificateOut:
    return _certificate_out(await certificates.enroll(db, _ca(request), _settings(request), user, body.ca_password))


@router.post("/contracts/seal-certificate/revoke", response_model=CertificateOut,
             responses=errors(codes={404: ["seal_not_enrolled"]}),
             summary="Revoke my unit's seal certificate (lost or leaked password); seals made with it fail checks")
async def revoke_certificate(body: RevokeIn, user: CurrentUser, db: DB) -> CertificateOut:
    return _certificate_out(await certificates.revoke(db, user, body.reason))


# ---- 合同公告 (public, no login) -----------------------------------------------------------------------

@router.get("/contracts/announcements", response_model=AnnouncementPage,
            summary="合同公告: the announcements of signed contracts, newest first (public, no login)")
async def list_announcements(db: DB, limit: Limit = 20, offset: Offset = 0) -> AnnouncementPage:
    async with db.read() as session:
        total, rows = await page_of(session, select(ContractAnnouncement),
                                    (col(ContractAnnouncement.published_at).desc(), col(ContractAnnouncement.id)),
                                    offset=offset, limit=limit)
    return AnnouncementPage(items=[AnnouncementSummary(**_announcement_summary(a)) for a in rows], total=total)


@router.get("/contracts/announcements/{announcement_id}", response_model=AnnouncementOut,
            summary="One 合同公告 (public, no login): the contract's key facts, no person's name or phone")
async def get_announcement(announcement_id: str, db: DB) -> AnnouncementOut:
    async with db.read() as session:
        a = await session.get(ContractAnnouncement, announcement_id)
    if a is None:
        raise NotFound(f"合同公告 {announcement_id} 不存在。", code="announcement_not_found")
    return AnnouncementOut(
        **_announcement_summary(a), contract_id=a.contract_id, method=a.method,
        method_label=METHOD_LABELS.get(a.method, a.method), purchaser_address=a.purchaser_address,
        supplier_address=a.supplier_address, agreement_no=a.agreement_no, agreement_name=a.agreement_name,
        filing_no=a.filing_no, service_name=a.service_name, unit=a.unit, quantity=a.quantity,
        unit_price=a.unit_price, awarded_at=a.awarded_at, due_on=a.due_on,
        published_on_time=a.published_at.astimezone(SHANGHAI).date() <= a.due_on)


# ---- contracts -------------------------------------------------------------------------------------

@router.get("/contracts", response_model=ContractPage, summary="我的合同: my unit's contracts, newest first")
async def list_contracts(user: CurrentUser, db: DB, request: Request,
                         status: Annotated[ContractStatus | None, Query(description="Filter by status code")] = None,
                         limit: Limit = 50,
                         offset: Offset = 0) -> ContractPage:
    visible = visible_to(user)
    if visible is None:
        return ContractPage(items=[], total=0)
    stmt = select(Contract).where(visible)
    if status is not None:
        stmt = stmt.where(Contract.status == status.value)
    async with db.read() as session:
        total, rows = await page_of(session, stmt, (col(Contract.created_at).desc(), col(Contract.id)),
                                    offset=offset, limit=limit)
    calendar = _calendar(request)
    return ContractPage(items=[ContractSummary(**_summary_fields(c, calendar)) for c in rows], total=total)


@router.get("/contracts/{contract_id}", response_model=ContractOut, summary="Open one of my contracts")
async def get_contract(contract_id: str, user: CurrentUser, db: DB, request: Request) -> ContractOut:
    async with db.read() as session:
        return await _detail(session, await party_contract(session, contract_id, user), _calendar(request))


@router.get("/contracts/{contract_id}/document", response_class=StreamingResponse,
            responses=download(PDF.content_type, description="The PDF"),
            summary="The contract PDF; once sealed, the PDF with its PAdES seals. original=true: the unsealed original")
async def get_document(contract_id: str, user: CurrentUser, db: DB, request: Request,
                       original: bool = False) -> Response:
    async with db.read() as session:
        contract = await party_contract(session, contract_id, user)
        doc = await session.get(ContractFile, contract.document_file_id)
        sealed = await sealed_document(session, contract.id)
    assert doc is not None
    shown = doc if original or sealed is None else sealed
    return await download_response(_storage(request), shown.storage_key, filename=shown.filename,
                                   content_type=shown.content_type, size=shown.size, inline=True)


@router.get("/contracts/{contract_id}/files/{file_id}", response_class=StreamingResponse,
            responses=download(PDF.content_type, PNG.content_type, JPEG.content_type),
            summary="Download a file of my contract (a document revision, the signed scan)")
async def download_file(contract_id: str, file_id: str, user: CurrentUser, db: DB, request: Request) -> Response:
    async with db.read() as session:
        await party_contract(session, contract_id, user)
        stored = await session.get(ContractFile, file_id)
    if stored is None or stored.contract_id != contract_id:
        raise NotFound(f"合同 {contract_id} 没有文件 {file_id}。")
    return await download_response(_storage(request), stored.storage_key, filename=stored.filename,
                                   content_type=stored.content_type, size=stored.size)


@router.post("/contracts/{contract_id}/send", response_model=ContractOut,
             summary="发送合同: the supplier sends the contract to the purchaser (→ 待确认)")
async def send_contract(contract_id: str, user: Supplier, db: DB, request: Request,
                        body: SendIn | None = None) -> ContractOut:
    terms = (body or SendIn()).supplementary_terms
    return await _show(db, request, await workflow.send(db, _storage(request), user, contract_id, terms))


@router.post("/contracts/{contract_id}/return", response_model=ContractOut,
             summary="退回: the purchaser returns the contract with a reason (→ 待发送, for the supplier to resend)")
async def return_contract(contract_id: str, body: ReturnIn, user: Purchaser, db: DB, request: Request) -> ContractOut:
    return await _show(db, request, await workflow.return_to_supplier(db, user, contract_id, body.reason))


@router.post("/contracts/{contract_id}/confirm", response_model=ContractOut,
             summary="确认合同: the purchaser confirms, choosing ca_mode (→ 已确认)")
async def confirm_contract(contract_id: str, body: ConfirmIn, user: Purchaser, db: DB,
                           request: Request) -> ContractOut:
    return await _show(db, request, await workflow.confirm(db, user, contract_id, body.ca_mode))


@router.post("/contracts/{contract_id}/seal", response_model=ContractOut,
             responses=errors(codes={403: ["wrong_party"], 409: ["offline_contract", "certificate_revoked"]}),
             summary="盖章: seal with my unit's CA e-seal (supplier → 供应商已盖章, then purchaser → 采购单位已盖章)")
async def seal_contract(contract_id: str, body: SealIn, user: CurrentUser, db: DB, request: Request) -> ContractOut:
    return await _show(db, request, await workflow.seal(db, _storage(request), _ca(request), _settings(request), user,
                                               contract_id, body.ca_password, trust=request.app.state.trust))


@router.post("/contracts/{contract_id}/signed-scan", response_model=ContractOut,
             summary="线下签订: the purchaser uploads the scan of the signed paper contract (→ 采购单位已盖章)")
async def upload_signed_scan(contract_id: str, body: Annotated[ScanIn, Form()], user: Purchaser, db: DB,
                             request: Request) -> ContractOut:
    upload = await read_upload(body.file, max_bytes=_settings(request).file_max_bytes, allowed=(PDF, PNG, JPEG))
    return await _show(db, request, await workflow.upload_signed_scan(db, _storage(request), _settings(request), user,
                                                                      contract_id, upload))


@router.post("/contracts/{contract_id}/filing", response_model=ContractOut,
             summary="合同备案: the purchaser records the filing with the finance department (within 7 working days)")
async def record_filing(contract_id: str, body: FilingIn, user: Purchaser, db: DB, request: Request) -> ContractOut:
    return await _show(db, request, await workflow.record_filing(db, user, contract_id, body.filing_reference))


@router.get("/contracts/{contract_id}/verification", response_model=VerificationOut,
            summary="签章验证: checks every seal against the document and the platform CA, naming what fails")
async def verify_contract(contract_id: str, user: CurrentUser, db: DB, request: Request) -> VerificationOut:
    ca = _ca(request)
    async with db.read() as session:
        contract = await party_contract(session, contract_id, user)
        crl = await certificates.current_crl(db, ca)
        result = await verification.verify(session, _storage(request), ca, contract, crl)
    return VerificationOut(
        contract_id=contract.id, contract_no=contract.contract_no, status=contract.status,
        status_label=ContractStatus(contract.status).label, valid=result.valid,
        document_sha256=result.document_sha256, recorded_document_sha256=result.recorded_sha256, ca=ca.name,
        ca_fingerprint_sha256=ca.fingerprint,
        seals=[SealCheckOut(seq=s.seq, role=s.role, org_id=s.org_id, org_name=s.org_name,
                            certificate_serial=s.certificate_serial, sealed_at=s.sealed_at, valid=s.valid,
                            checks=s.checks, failures=[CheckOut(**f) for f in s.failures]) for s in result.seals],
        failures=[CheckOut(**f) for f in result.failures], checked_at=utcnow(),
        pdf_signatures=[PdfSignatureOut(field=s.field, signer=s.signer, certificate_serial=s.certificate_serial,
                                        signed_at=s.signed_at, trusted_timestamp=s.trusted_time, intact=s.intact,
                                        valid=s.valid, covers_revision=s.covers_revision, revision=s.revision,
                                        summary=s.summary) for s in (result.pdf.signatures if result.pdf else [])],
        modified_after_last_seal=bool(result.pdf and result.pdf.modified_after_last_seal),
        crl_url=request.app.state.trust.crl_url)
