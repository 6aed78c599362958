"""CA e-seals (CA签章): the platform's CA, per-unit seal certificates, sealing and verification.

- The platform CA signs every unit's seal certificate (X.509). Its key and certificate come from
  config (CA_KEY_FILE, CA_CERT_FILE); without them a demo CA is created once under VAR_DIR/ca.
- Enrolling a unit generates its key pair (ECDSA P-256) on the server and keeps the private key only
  as encrypted PKCS#8. The PKCS#8 passphrase is derived from the unit's CA password with scrypt (a
  memory-hard KDF, per-certificate salt), so a stolen database does not give the password up cheaply.
- A seal signs a canonical statement naming the contract, the SHA-256 of the document's bytes and
  the SHA-256 of every seal before it, the unit, the certificate and the time (ECDSA-SHA256).
- Verification re-reads the document and checks, for every seal: the signature, the document hash,
  the chain of earlier seals, that the certificate was issued by the platform CA to that unit, that it
  was valid when the seal was made, and that it is not revoked. Each failed check is named.

Pure crypto and data here; loading rows and files is the caller's business."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("contracts.seals")

STATEMENT_VERSION = 1


class WrongPassword(Exception):
    """The CA password does not open the seal's private key."""


# ---- the platform CA -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | object
    demo: bool = False

    @property
    def name(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, *, org_id: str, org_name: str, public_key: ec.EllipticCurvePublicKey, days: int,
              now: datetime | None = None) -> x509.Certificate:
        """A seal certificate for one unit: subject = unit name + org id (organizationIdentifier)."""
        now = now or datetime.now(timezone.utc)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, org_id),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org_name} 电子印章"),
        ])
        return (x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(self.certificate.subject)
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5))
                .not_valid_after(now + timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False),
                               critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.certificate.public_key()), critical=False)  # type: ignore[arg-type]
                .sign(self.key, hashes.SHA256()))  # type: ignore[arg-type]


def create_ca(name: str = "湖南省政府采购电子签章演示CA", *, days: int = 3650,
              now: datetime | None = None) -> CertificateAuthority:
    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "湖南省政府采购平台"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return CertificateAuthority(cert, key)


def load_ca(cert_file: Path, key_file: Path, password: str | None = None) -> CertificateAuthority:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = serialization.load_pem_private_key(key_file.read_bytes(), password.encode() if password else None)
    if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise ValueError("CA_KEY_FILE does not belong to CA_CERT_FILE")
    return CertificateAuthority(cert, key)


def demo_ca(folder: Path) -> CertificateAuthority:
    """The embedded default's CA: created once under `folder` (VAR_DIR/ca), then reused."""
    cert_file, key_file = folder / "ca.cert.pem", folder / "ca.key.pem"
    if not cert_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ca = create_ca()
        key_pem = ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore
                                       serialization.NoEncryption())
        try:  # exclusive create: two processes starting together keep one CA
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(key_pem)
            tmp = cert_file.with_suffix(".tmp")
            tmp.write_bytes(ca.pem().encode())
            os.replace(tmp, cert_file)
            log.warning("created a demo CA under %s: for the embedded default only; configure CA_CERT_FILE and "
                        "CA_KEY_FILE in production", folder)
    for _ in range(100):  # another process may be writing it right now
        if cert_file.exists():
            break
        time.sleep(0.05)
    ca = load_ca(cert_file, key_file)
    return CertificateAuthority(ca.certificate, ca.key, demo=True)


# ---- enrollment and the sealed key -----------------------------------------------------------------

@dataclass(frozen=True)
class Enrollment:
    serial: str
    certificate_pem: str
    encrypted_key_pem: str
    kdf_salt: str
    kdf_n: int
    not_before: datetime
    not_after: datetime


def _passphrase(password: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(password.encode()).hex().encode()


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def enroll(ca: CertificateAuthority, *, org_id: str, org_name: str, password: str, days: int,
           kdf_n: int = 2 ** 14, now: datetime | None = None) -> Enrollment:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.issue(org_id=org_id, org_name=org_name, public_key=key.public_key(), days=days, now=now)
    salt = os.urandom(16)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(_passphrase(password, salt, kdf_n)))
    return Enrollment(serial=serial_hex(cert), certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                      encrypted_key_pem=encrypted.decode(), kdf_salt=salt.hex(), kdf_n=kdf_n,
                      not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc)


def unlock(encrypted_key_pem: str, kdf_salt: str, kdf_n: int, password: str) -> ec.EllipticCurvePrivateKey:
    """The seal's private key, or WrongPassword. CPU-bound (scrypt): call it in a worker thread."""
    try:
        key = serialization.load_pem_private_key(encrypted_key_pem.encode(),
                                                 _passphrase(password, bytes.fromhex(kdf_salt), kdf_n))
    except ValueError:
        raise WrongPassword from None
    return key  # type: ignore[return-value]


# ---- sealing ---------------------------------------------------------------------------------------

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
            check.fail("signature", "seal_unreadable", "the seal's statement or certificate cannot be read")
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
        check.fail("signature", "signature_invalid",
                   "the signature does not match what was sealed with this certificate (seal altered)")


def _check_statement(check: SealCheck, signed: dict, seal: SealRecord, *, contract_id: str, document_sha256: str,
                     earlier: list[str]) -> None:
    if signed.get("document_sha256") != document_sha256:
        check.fail("document", "document_changed",
                   f"the contract document changed after this seal: it was sealed as "
                   f"{str(signed.get('document_sha256'))[:16]}…, the document now is {document_sha256[:16]}…")
    else:
        check.ok("document")
    if signed.get("previous_seals") != earlier:
        check.fail("chain", "seal_chain_broken", "the seals before this one are not the ones it sealed over")
    else:
        check.ok("chain")
    claimed = (signed.get("contract_id"), signed.get("org_id"), signed.get("certificate_serial"), signed.get("seq"))
    if claimed != (contract_id, seal.org_id, seal.certificate_serial, seal.seq):
        check.fail("statement", "seal_mismatch", "the seal was made for another contract, unit or certificate")
    else:
        check.ok("statement")


def _check_certificate(check: SealCheck, ca: CertificateAuthority, cert: x509.Certificate, seal: SealRecord) -> None:
    try:
        cert.verify_directly_issued_by(ca.certificate)
        check.ok("issuer")
    except (ValueError, TypeError, InvalidSignature):
        check.fail("issuer", "foreign_certificate",
                   f"the certificate {serial_hex(cert)} was not issued by the platform CA ({ca.name})")
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)]
    if orgs != [seal.org_id] or serial_hex(cert) != seal.certificate_serial:
        check.fail("subject", "wrong_unit", f"the certificate belongs to {orgs or 'nobody'}, not to {seal.org_id}")
    else:
        check.ok("subject")
    if not (cert.not_valid_before_utc <= seal.sealed_at <= cert.not_valid_after_utc):
        check.fail("validity", "certificate_expired",
                   f"the certificate was not valid when the seal was made (valid "
                   f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})")
    else:
        check.ok("validity")
    if seal.revoked_at is not None:
        check.fail("revocation", "certificate_revoked",
                   f"the certificate {seal.certificate_serial} was revoked on {seal.revoked_at:%Y-%m-%d %H:%M} UTC")
    else:
        check.ok("revocation")
