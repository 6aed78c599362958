"""The application side of e-seals: a unit's certificate (enrollment, revocation), opening the seal
key with the CA password under a lockout, and verifying a contract's seals from the stored rows and
files. The crypto itself is in seals.py."""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import seals
from contracts.seals import CertificateAuthority, SealRecord, WrongPassword
from contracts.settings import Settings
from contracts.store import Contract, ContractFile, Seal, SealCertificate
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import APIError, Conflict, Forbidden
from servicekit.files import Storage
from servicekit.types import SHANGHAI

log = logging.getLogger("contracts.sealing")


class Locked(APIError):
    """Too many wrong CA passwords: the seal is locked for a while."""

    status, code = 423, "seal_locked"


async def active_certificate(session: AsyncSession, org_id: str) -> SealCertificate | None:
    return (await session.exec(select(SealCertificate).where(SealCertificate.org_id == org_id,
                                                             SealCertificate.status == "active")
                               .order_by(col(SealCertificate.created_at).desc()))).first()


async def enroll(db: Database, ca: CertificateAuthority, settings: Settings, user: Principal,
                 password: str) -> SealCertificate:
    """Generates the unit's key pair, has the CA issue its certificate, keeps the key encrypted."""
    now = utcnow()
    enrollment = await asyncio.to_thread(seals.enroll, ca, org_id=user.org_id, org_name=user.org_name or user.org_id,
                                         password=password, days=settings.seal_certificate_days,
                                         kdf_n=settings.seal_kdf_n)
    async with db.transaction() as session:
        current = await active_certificate(session, user.org_id)
        if current is not None and current.not_after > now:
            raise Conflict(f"your unit already has an active seal certificate ({current.serial}); revoke it "
                           "before enrolling a new one", code="seal_already_enrolled")
        if current is not None:
            current.status = "expired"
            session.add(current)
        cert = SealCertificate(serial=enrollment.serial, org_id=user.org_id, org_name=user.org_name or user.org_id,
                               certificate_pem=enrollment.certificate_pem,
                               encrypted_key_pem=enrollment.encrypted_key_pem, kdf_salt=enrollment.kdf_salt,
                               kdf_n=enrollment.kdf_n, not_before=enrollment.not_before,
                               not_after=enrollment.not_after, enrolled_by=user.username, created_at=now)
        session.add(cert)
    log.info("seal certificate enrolled", extra={"serial": cert.serial, "org": user.org_id})
    return cert


async def certificate_for_sealing(db: Database, ca: CertificateAuthority, settings: Settings, user: Principal,
                                  password: str) -> SealCertificate:
    """The unit's own active certificate. With the demo CA, a unit that has none and gives the demo
    CA password is enrolled on first use."""
    async with db.read() as session:
        cert = await active_certificate(session, user.org_id)
    if cert is None and ca.demo and settings.demo_ca_password and \
            hmac.compare_digest(password.encode(), settings.demo_ca_password.encode()):
        cert = await enroll(db, ca, settings, user, password)
    if cert is None:
        raise Conflict("your unit has no seal certificate yet: enroll one first "
                       "(POST /api/v1/contracts/seal-certificate)", code="seal_not_enrolled")
    if cert.not_after <= utcnow():
        raise Conflict(f"your unit's seal certificate {cert.serial} expired on {cert.not_after:%Y-%m-%d}; "
                       "enroll a new one", code="certificate_expired")
    return cert


def _shanghai(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def unlock(db: Database, settings: Settings, cert: SealCertificate, password: str):
    """Opens the seal key, or counts a wrong password: after too many in a row the seal locks."""
    now = utcnow()
    if cert.locked_until is not None and cert.locked_until > now:
        raise Locked(f"the seal is locked after repeated wrong CA passwords until {_shanghai(cert.locked_until)} "
                     "(Beijing time)")
    try:
        return await asyncio.to_thread(seals.unlock, cert.encrypted_key_pem, cert.kdf_salt, cert.kdf_n, password)
    except WrongPassword:
        pass
    async with db.transaction() as session:
        row = (await session.exec(select(SealCertificate).where(SealCertificate.serial == cert.serial)
                                  .with_for_update())).one()
        row.failed_attempts += 1
        left = settings.seal_max_failed_attempts - row.failed_attempts
        if left <= 0:
            row.failed_attempts, row.locked_until = 0, now + timedelta(minutes=settings.seal_lock_minutes)
        session.add(row)
    log.warning("wrong CA password", extra={"serial": cert.serial, "tries_left": max(left, 0)})
    if left <= 0:
        raise Locked(f"wrong CA password; the seal is now locked for {settings.seal_lock_minutes} minutes, until "
                     f"{_shanghai(now + timedelta(minutes=settings.seal_lock_minutes))} (Beijing time)")
    raise Forbidden(f"wrong CA password; {left} more wrong {'try' if left == 1 else 'tries'} lock the seal for "
                    f"{settings.seal_lock_minutes} minutes", code="wrong_ca_password")


# ---- verification ----------------------------------------------------------------------------------

@dataclass
class Verification:
    document_sha256: str
    recorded_sha256: str
    seals: list[seals.SealCheck]
    failures: list[dict[str, str]]

    @property
    def valid(self) -> bool:
        return not self.failures and all(s.valid for s in self.seals)


REQUIRED_SEALS = {"drafted": (), "sent": (), "confirmed": (), "supplier_sealed": ("supplier",),
                  "purchaser_sealed": ("supplier", "purchaser")}


async def verify(session: AsyncSession, storage: Storage, ca: CertificateAuthority, contract: Contract) -> Verification:
    rows = list((await session.exec(select(Seal).where(Seal.contract_id == contract.id).order_by(col(Seal.seq)))).all())
    serials = {r.certificate_serial for r in rows}
    certs = {c.serial: c for c in (await session.exec(
        select(SealCertificate).where(col(SealCertificate.serial).in_(serials)))).all()} if serials else {}
    doc = await session.get(ContractFile, contract.document_file_id)
    failures: list[dict[str, str]] = []
    data = await storage.read(doc.storage_key) if doc else b""
    actual = seals.sha256_hex(data)
    if actual != contract.document_sha256:
        failures.append({"code": "document_changed", "message": "the stored contract document is not the one the "
                                                                "contract records (its SHA-256 differs)"})
    records = [SealRecord(seq=r.seq, role=r.role, org_id=r.org_id, org_name=r.org_name,
                          certificate_serial=r.certificate_serial, certificate_pem=r.certificate_pem,
                          statement=r.statement, signature=r.signature, sealed_at=r.sealed_at,
                          revoked_at=certs[r.certificate_serial].revoked_at if r.certificate_serial in certs else None)
               for r in rows]
    checks = seals.verify_seals(ca, data, records, contract_id=contract.id)
    required = list(REQUIRED_SEALS[contract.status])
    if contract.status == "purchaser_sealed" and contract.ca_mode == "offline":
        required = ["supplier"]
        scan = await session.get(ContractFile, contract.signed_scan_file_id or "")
        scan_bytes = await storage.read(scan.storage_key) if scan else b""
        if scan is None or seals.sha256_hex(scan_bytes) != scan.sha256:
            failures.append({"code": "scan_changed", "message": "the signed paper scan is missing or changed"})
    parties = {"supplier": contract.supplier_id, "purchaser": contract.purchaser_org_id}
    for check in checks:
        if parties.get(check.role) != check.org_id:
            check.fail("party", "wrong_unit", f"the {check.role} seal was made by {check.org_id}, who is not the "
                                              f"{check.role} of this contract")
    present = [c.role for c in checks]
    for role in required:
        if role not in present:
            failures.append({"code": "seal_missing", "message": f"the {role}'s seal is missing"})
    return Verification(document_sha256=actual, recorded_sha256=contract.document_sha256, seals=checks,
                        failures=failures)
