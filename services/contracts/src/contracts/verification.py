"""签章验证: a contract's seals checked against its stored document and the platform CA, with what
its status requires (which seals it must have; in offline mode, the signed scan unchanged). The
checks of one seal are in signing.py; this loads the rows and files they need."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import asyncio

from contracts import pades, signing
from contracts.ca import CertificateAuthority
from contracts.signing import SealRecord
from contracts.store import Contract, ContractFile, SealCertificate, contract_seals, sealed_document
from servicekit.files import Storage

ROLE_NAMES = {"supplier": "供应商", "purchaser": "采购单位"}


@dataclass
class Verification:
    document_sha256: str
    recorded_sha256: str
    seals: list[signing.SealCheck]
    failures: list[dict[str, str]]
    pdf: pades.DocumentReport | None = None  # the PAdES signatures in the sealed PDF

    @property
    def valid(self) -> bool:
        return not self.failures and all(s.valid for s in self.seals)


REQUIRED_SEALS = {"drafted": (), "sent": (), "confirmed": (), "supplier_sealed": ("supplier",),
                  "purchaser_sealed": ("supplier", "purchaser")}


async def verify(session: AsyncSession, storage: Storage, ca: CertificateAuthority, contract: Contract,
                 crl: bytes | None = None) -> Verification:
    """Every seal of the contract checked against its stored document and the platform CA, and
    what the contract's status requires (the seals it must have, the offline scan unchanged)."""
    rows = await contract_seals(session, contract.id)
    serials = {r.certificate_serial for r in rows}
    certs = {c.serial: c for c in (await session.exec(
        select(SealCertificate).where(col(SealCertificate.serial).in_(serials)))).all()} if serials else {}
    doc = await session.get(ContractFile, contract.document_file_id)
    failures: list[dict[str, str]] = []
    data = await storage.read(doc.storage_key) if doc else b""
    actual = signing.sha256_hex(data)
    if actual != contract.document_sha256:
        failures.append({"code": "document_changed", "message": "存储的合同文本不是合同记录的那一份（SHA-256 不同）。"})
    records = [SealRecord(seq=r.seq, role=r.role, org_id=r.org_id, org_name=r.org_name,
                          certificate_serial=r.certificate_serial, certificate_pem=r.certificate_pem,
                          statement=r.statement, signature=r.signature, sealed_at=r.sealed_at,
                          revoked_at=certs[r.certificate_serial].revoked_at if r.certificate_serial in certs else None)
               for r in rows]
    checks = signing.verify_seals(ca, data, records, contract_id=contract.id)
    required = list(REQUIRED_SEALS[contract.status])
    if contract.status == "purchaser_sealed" and contract.ca_mode == "offline":
        required = ["supplier"]
        scan = await session.get(ContractFile, contract.signed_scan_file_id or "")
        scan_bytes = await storage.read(scan.storage_key) if scan else b""
        if scan is None or signing.sha256_hex(scan_bytes) != scan.sha256:
            failures.append({"code": "scan_changed", "message": "签字盖章扫描件缺失或已被改动。"})
    parties = {"supplier": contract.supplier_id, "purchaser": contract.purchaser_org_id}
    for check in checks:
        if parties.get(check.role) != check.org_id:
            check.fail("party", "wrong_unit", f"{ROLE_NAMES.get(check.role, check.role)}签章由 {check.org_id} 所做，"
                                              f"该单位不是本合同的{ROLE_NAMES.get(check.role, check.role)}。")
    present = [c.role for c in checks]
    for role in required:
        if role not in present:
            failures.append({"code": "seal_missing", "message": f"缺少{ROLE_NAMES[role]}的签章。"})
    report = None
    sealed = await sealed_document(session, contract.id)
    if sealed is not None:
        sealed_bytes = await storage.read(sealed.storage_key)
        report = await asyncio.to_thread(pades.validate, sealed_bytes, ca, crl or pades.make_crl(ca, []))
        _check_pdf(report, checks, failures)
    elif rows:
        failures.append({"code": "pdf_signature_missing", "message": "合同 PDF 中没有电子签名。"})
    return Verification(pdf=report, document_sha256=actual, recorded_sha256=contract.document_sha256, seals=checks,
                        failures=failures)


def _check_pdf(report: pades.DocumentReport, checks: list[signing.SealCheck], failures: list[dict[str, str]]) -> None:
    """The PDF's signatures against the seals on record: one valid, timestamped signature per seal, in
    order, by the same certificate, and nothing but validation data added after the last."""
    for n, check in enumerate(checks):
        sig = report.signatures[n] if n < len(report.signatures) else None
        if sig is None or sig.certificate_serial != check.certificate_serial:
            check.fail("pdf_signature", "pdf_signature_missing", "合同 PDF 中没有该签章的电子签名。")
        elif not (sig.intact and sig.valid and sig.covers_revision):
            check.fail("pdf_signature", "pdf_signature_invalid",
                       f"合同 PDF 中的电子签名无效（{sig.summary}）：签名后文件被改动，或证书不可信、已吊销。")
        else:
            check.ok("pdf_signature")
    if len(report.signatures) > len(checks):
        failures.append({"code": "pdf_signature_unknown", "message": "合同 PDF 中有平台未记录的电子签名。"})
    if report.modified_after_last_seal:
        failures.append({"code": "modified_after_last_seal", "message": "最后一次盖章之后，合同 PDF 又被追加了内容。"})
