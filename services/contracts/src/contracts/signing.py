"""The seal protocol (CA签章), pure crypto and data: what a seal signs, and the checks of a seal.

- A seal signs a canonical statement naming the contract, the SHA-256 of the document's bytes and
  the SHA-256 of every seal before it, the unit, the certificate and the time (ECDSA-SHA256).
- Verification re-reads the document and checks, for every seal: the signature, the document hash,
  the chain of earlier seals, that the certificate was issued by the platform CA to that unit, that it
  was valid when the seal was made, and that it is not revoked. Each failed check is named.

The certificates and keys are in ca.py; loading rows and files is the caller's business
(verification.py)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from contracts.ca import CertificateAuthority, serial_hex
from servicekit.types import SHANGHAI

STATEMENT_VERSION = 1


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal_digest(signature_b64: str) -> str:
    """What a later seal signs of an earlier one: the SHA-256 of its signature."""
    return sha256_hex(base64.b64decode(signature_b64))


def statement(*, contract_id: str, contract_no: str, document_sha256: str, previous_seals: list[str], seq: int,
              role: str, org_id: str, org_name: str, certificate_serial: str, sealed_at: datetime) -> bytes:
    """The canonical bytes a seal signs (UTF-8 JSON, sorted keys, no spaces)."""
    body = {"v": STATEMENT_VERSION, "contract_id": contract_id, "contract_no": contract_no,
            "document_sha256": document_sha256, "previous_seals": previous_seals, "seq": seq, "role": role,
            "org_id": org_id, "org_name": org_name, "certificate_serial": certificate_serial,
            "sealed_at": sealed_at.astimezone(timezone.utc).isoformat()}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


# ---- verification ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SealRecord:
    """One seal as stored: what was signed, the signature and the certificate it was made with."""

    seq: int
    role: str
    org_id: str
    org_name: str
    certificate_serial: str
    certificate_pem: str
    statement: str
    signature: str
    sealed_at: datetime
    revoked_at: datetime | None = None


@dataclass
class SealCheck:
    seq: int
    role: str
    org_id: str
    org_name: str
    certificate_serial: str
    sealed_at: datetime
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    def fail(self, check: str, code: str, message: str) -> None:
        self.checks[check] = False
        self.failures.append({"code": code, "message": message})

    def ok(self, check: str) -> None:
        self.checks.setdefault(check, True)


def verify_seals(ca: CertificateAuthority, document: bytes, seals: list[SealRecord], *,
                 contract_id: str) -> list[SealCheck]:
    """Checks every seal against the document's bytes and the CA; names every failed check."""
    actual_sha = sha256_hex(document)
    results: list[SealCheck] = []
    earlier: list[str] = []
    for seal in sorted(seals, key=lambda s: s.seq):
        check = SealCheck(seq=seal.seq, role=seal.role, org_id=seal.org_id, org_name=seal.org_name,
                          certificate_serial=seal.certificate_serial, sealed_at=seal.sealed_at)
        results.append(check)
        try:
            signed = json.loads(seal.statement)
            cert = x509.load_pem_x509_certificate(seal.certificate_pem.encode())
        except (ValueError, TypeError):
            check.fail("signature", "seal_unreadable", "无法读取该签章的签名内容或证书。")
            earlier.append(seal_digest(seal.signature) if seal.signature else "")
            continue
        _check_signature(check, cert, seal)
        _check_statement(check, signed, seal, contract_id=contract_id, document_sha256=actual_sha, earlier=earlier)
        _check_certificate(check, ca, cert, seal)
        earlier.append(seal_digest(seal.signature))
    return results


def _check_signature(check: SealCheck, cert: x509.Certificate, seal: SealRecord) -> None:
    try:
        cert.public_key().verify(base64.b64decode(seal.signature), seal.statement.encode(),  # type: ignore[call-arg]
                                 ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg]
        check.ok("signature")
    except (InvalidSignature, ValueError, TypeError):
        check.fail("signature", "signature_invalid", "签名与该证书签署的内容不符（签章已被篡改）。")


def _check_statement(check: SealCheck, signed: dict, seal: SealRecord, *, contract_id: str, document_sha256: str,
                     earlier: list[str]) -> None:
    if signed.get("document_sha256") != document_sha256:
        check.fail("document", "document_changed",
                   f"合同文本在签章后被改动：签章时为 {str(signed.get('document_sha256'))[:16]}…，"
                   f"现在为 {document_sha256[:16]}…。")
    else:
        check.ok("document")
    if signed.get("previous_seals") != earlier:
        check.fail("chain", "seal_chain_broken", "此前的签章已不是本签章签署时所覆盖的签章。")
    else:
        check.ok("chain")
    claimed = (signed.get("contract_id"), signed.get("org_id"), signed.get("certificate_serial"), signed.get("seq"))
    if claimed != (contract_id, seal.org_id, seal.certificate_serial, seal.seq):
        check.fail("statement", "seal_mismatch", "该签章是为其他合同、单位或证书所做。")
    else:
        check.ok("statement")


def _check_certificate(check: SealCheck, ca: CertificateAuthority, cert: x509.Certificate, seal: SealRecord) -> None:
    try:
        cert.verify_directly_issued_by(ca.certificate)
        check.ok("issuer")
    except (ValueError, TypeError, InvalidSignature):
        check.fail("issuer", "foreign_certificate", f"证书 {serial_hex(cert)} 不是平台 CA（{ca.name}）签发的。")
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)]
    if orgs != [seal.org_id] or serial_hex(cert) != seal.certificate_serial:
        check.fail("subject", "wrong_unit", f"该证书属于 {'、'.join(orgs) or '无名单位'}，而不是 {seal.org_id}。")
    else:
        check.ok("subject")
    if not (cert.not_valid_before_utc <= seal.sealed_at <= cert.not_valid_after_utc):
        check.fail("validity", "certificate_expired",
                   f"签章时该证书不在有效期内（有效期 {cert.not_valid_before_utc:%Y-%m-%d} 至 "
                   f"{cert.not_valid_after_utc:%Y-%m-%d}）。")
    else:
        check.ok("validity")
    if seal.revoked_at is not None and seal.revoked_at <= seal.sealed_at:  # revoked later: the seal stands
        check.fail("revocation", "certificate_revoked",
                   f"证书 {seal.certificate_serial} 已于 {seal.revoked_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
                   "（北京时间）吊销，晚于该时间所盖的章无效。")
    else:
        check.ok("revocation")
