"""The command layer of a unit's seal certificate: enrollment (a key pair under the CA password, a
certificate from the platform CA), revocation, and opening the seal key with the CA password under a
lockout (too many wrong passwords in a row lock the seal for a while). Each command owns its
transaction. The crypto is in ca.py."""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from contracts import ca as authority
from contracts import pades
from contracts.ca import CertificateAuthority, WrongPassword
from contracts.settings import Settings
from contracts.store import SealCertificate, active_certificate
from contracts_schema.types import utcnow
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import APIError, Conflict, Forbidden, NotFound
from servicekit.types import SHANGHAI

log = logging.getLogger("contracts.certificates")


class Locked(APIError):
    """Too many wrong CA passwords: the seal is locked for a while."""

    status, code = 423, "seal_locked"


async def enroll(db: Database, ca: CertificateAuthority, settings: Settings, user: Principal,
                 password: str, first_use: bool = False) -> SealCertificate:
    """Generates the unit's key pair, has the CA issue its certificate, keeps the key encrypted.
    `first_use` (the demo CA enrolling a unit at its first seal): a certificate another request of the
    unit enrolled meanwhile is the one to use, not a conflict. Enrollments of one unit take their turns
    (SQLite's BEGIN IMMEDIATE; on PostgreSQL a transaction-scoped advisory lock on the unit)."""
    if user.role not in ("purchaser", "supplier"):
        raise Forbidden("只有采购单位和供应商需要签章证书。")
    now = utcnow()
    org_name = user.org_name or user.org_id
    enrollment = await asyncio.to_thread(authority.enroll, ca, org_id=user.org_id, org_name=org_name,
                                         password=password, days=settings.seal_certificate_days,
                                         kdf_n=settings.seal_kdf_n,
                                         crl_url=settings.public_base_url.rstrip("/") + "/api/v1/contracts/ca.crl")
    async with db.transaction() as session:
        if db.is_postgres:
            await session.exec(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"seal:{user.org_id}"))))
        current = await active_certificate(session, user.org_id)
        if current is not None and current.not_after > now and first_use:
            return current
        if current is not None and current.not_after > now:
            raise Conflict(f"本单位已有有效的签章证书（{current.serial}），请先吊销再重新办理。",
                           code="seal_already_enrolled")
        if current is not None:
            current.status = "expired"
            session.add(current)
        cert = SealCertificate(serial=enrollment.serial, org_id=user.org_id, org_name=org_name,
                               certificate_pem=enrollment.certificate_pem,
                               encrypted_key_pem=enrollment.encrypted_key_pem, kdf_salt=enrollment.kdf_salt,
                               kdf_n=enrollment.kdf_n, not_before=enrollment.not_before,
                               not_after=enrollment.not_after, enrolled_by=user.username, created_at=now)
        session.add(cert)
    log.info("seal certificate enrolled", extra={"serial": cert.serial, "org": user.org_id})
    return cert


async def revoke(db: Database, user: Principal, reason: str) -> SealCertificate:
    """Revokes the unit's active certificate (a lost or leaked password): seals made with it fail checks."""
    async with db.transaction() as session:
        cert = await active_certificate(session, user.org_id)
        if cert is None:
            raise NotFound("本单位没有有效的签章证书。", code="seal_not_enrolled")
        cert.status, cert.revoked_at, cert.revocation_reason = "revoked", utcnow(), reason
        session.add(cert)
    return cert


async def for_sealing(db: Database, ca: CertificateAuthority, settings: Settings, user: Principal,
                      password: str) -> SealCertificate:
    """The unit's own active certificate. With the demo CA, a unit that has none and gives the demo
    CA password is enrolled on first use."""
    async with db.read() as session:
        cert = await active_certificate(session, user.org_id)
    if cert is None and ca.demo and settings.demo_ca_password and \
            hmac.compare_digest(password.encode(), settings.demo_ca_password.encode()):
        cert = await enroll(db, ca, settings, user, password, first_use=True)
    if cert is None:
        raise Conflict("本单位尚未办理签章证书，请先办理（POST /api/v1/contracts/seal-certificate）。",
                       code="seal_not_enrolled")
    if cert.not_after <= utcnow():
        raise Conflict(f"本单位的签章证书 {cert.serial} 已于 {_shanghai(cert.not_after, '%Y-%m-%d')} 过期，"
                       "请重新办理。", code="certificate_expired")
    return cert


async def current_crl(db: Database, ca: CertificateAuthority) -> bytes:
    """The CA's CRL as of now: every revoked seal certificate with its revocation time (DER)."""
    async with db.read() as session:
        rows = (await session.exec(select(SealCertificate).where(SealCertificate.status == "revoked"))).all()
    return await asyncio.to_thread(pades.make_crl, ca, [(r.serial, r.revoked_at) for r in rows if r.revoked_at])


def _shanghai(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(pattern)


async def open_key(db: Database, settings: Settings, cert: SealCertificate, password: str) -> ec.EllipticCurvePrivateKey:
    """Opens the seal key, or counts a wrong password: after too many in a row the seal locks."""
    now = utcnow()
    if cert.locked_until is not None and cert.locked_until > now:
        raise Locked(f"CA 密码连续输错，签章已锁定至 {_shanghai(cert.locked_until)}（北京时间）。")
    try:
        return await asyncio.to_thread(authority.unlock, cert.encrypted_key_pem, cert.kdf_salt, cert.kdf_n, password)
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
        raise Locked(f"CA 密码错误，签章现已锁定 {settings.seal_lock_minutes} 分钟，至 "
                     f"{_shanghai(now + timedelta(minutes=settings.seal_lock_minutes))}（北京时间）。")
    raise Forbidden(f"CA 密码错误；再输错 {left} 次，签章将锁定 {settings.seal_lock_minutes} 分钟。",
                    code="wrong_ca_password")
