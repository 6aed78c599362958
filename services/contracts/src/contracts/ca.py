"""The platform CA and the seal certificates it issues to units (CA签章): pure crypto and files.

- The platform CA signs every unit's seal certificate (X.509). Its key and certificate come from
  config (CA_KEY_FILE, CA_CERT_FILE); without them a demo CA is created once under VAR_DIR/ca.
- Enrolling a unit generates its key pair (ECDSA P-256) on the server and keeps the private key only
  as encrypted PKCS#8. The PKCS#8 passphrase is derived from the unit's CA password with scrypt (a
  memory-hard KDF, per-certificate salt), so a stolen database does not give the password up cheaply.

What a seal signs and how seals are checked is in signing.py; a unit's certificate in the database
(enrollment, revocation, the lockout on wrong passwords) in certificates.py.

This module is also the contracts service's public entry point for deployment tools (devstack's
`keys`, a production install); keep its name and command line stable:

    python -m contracts.ca FOLDER [--name NAME]

writes FOLDER/ca.cert.pem and FOLDER/ca.key.pem (mode 0600), the CA_CERT_FILE and CA_KEY_FILE the
service reads, unless the certificate is there already; every unit's seal certificate chains to it."""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("contracts.ca")


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
              now: datetime | None = None, crl_url: str | None = None) -> x509.Certificate:
        """A seal certificate for one unit: subject = unit name + org id (organizationIdentifier)."""
        now = now or datetime.now(timezone.utc)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, org_id),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org_name} 电子印章"),
        ])
        builder = x509.CertificateBuilder()
        if crl_url:  # where the CA publishes revocation (pades.make_crl, GET /api/v1/contracts/ca.crl)
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None,
                crl_issuer=None)]), critical=False)
        return (builder
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
           kdf_n: int = 2 ** 14, now: datetime | None = None, crl_url: str | None = None) -> Enrollment:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.issue(org_id=org_id, org_name=org_name, public_key=key.public_key(), days=days, now=now,
                    crl_url=crl_url)
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


# ---- the CA the service runs with, and the command line that makes the platform's -----------------

def from_settings(settings: Any) -> CertificateAuthority:
    """The configured CA (CA_CERT_FILE + CA_KEY_FILE), or the embedded default's demo CA under VAR_DIR/ca."""
    if settings.ca_cert_file or settings.ca_key_file:
        if not (settings.ca_cert_file and settings.ca_key_file):
            raise SystemExit("contracts: cannot start: set both CA_CERT_FILE and CA_KEY_FILE (or neither for the "
                             "demo CA)")
        try:
            return load_ca(settings.ca_cert_file, settings.ca_key_file, settings.ca_key_password)
        except (OSError, ValueError, TypeError) as exc:
            raise SystemExit(f"contracts: cannot start: the CA in CA_CERT_FILE / CA_KEY_FILE cannot be loaded: "
                             f"{exc}") from None
    return demo_ca(Path(settings.var_dir) / "ca")


PLATFORM_CA_NAME = "湖南省政府采购平台电子签章CA"


def write_ca(folder: Path, name: str = PLATFORM_CA_NAME) -> tuple[Path, Path, bool]:
    """(certificate file, key file, whether they were made now)."""
    cert_file, key_file = folder / "ca.cert.pem", folder / "ca.key.pem"
    if cert_file.exists():
        return cert_file, key_file, False
    folder.mkdir(parents=True, exist_ok=True)
    ca = create_ca(name)
    key_file.write_bytes(ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[union-attr]
                                              serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_text(ca.pem())
    return cert_file, key_file, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.ca", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where ca.cert.pem and ca.key.pem are written")
    parser.add_argument("--name", default=PLATFORM_CA_NAME, help="the CA's common name")
    args = parser.parse_args(argv)
    cert_file, key_file, made = write_ca(args.folder, args.name)
    print(f"platform seal CA{'' if made else ' (already there)'}: {cert_file} (key {key_file}); "
          "keep the key safe: every seal chains to it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
