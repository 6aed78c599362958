"""PAdES signatures inside the contract PDF (pyHanko), the platform's trust services, and their
validation — pure crypto on bytes, no database.

- A seal is an incremental update of the PDF as it stands (the supplier's over the original, the
  purchaser's over the supplier's): a signature field over 甲方（盖章）/乙方（盖章） on the signature
  page (pdf.SEAL_BOXES), its appearance the red round seal (seal_art.py) with the date, the signer's
  certificate chain embedded, an RFC 3161 timestamp, and the CA's CRL embedded as validation data
  (PAdES B-LT: the file checks out offline, later too).
- Trusted time comes from TSA_URL when configured, else from the platform TSA: a key and a
  certificate (extended key usage timeStamping) the platform CA issues at start.
- The CRL lists every revoked seal certificate with its revocation time, signed by the CA; it is
  public (GET /api/v1/contracts/ca.crl) and named in every certificate's CRL distribution point.
- validate() checks every signature trusting only the platform CA, at the moment of its trusted
  timestamp against the current CRL: a certificate revoked after the seal keeps the seal valid."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from contracts import seal_art
from contracts.ca import CertificateAuthority

FIELD_NAMES = {"supplier": "乙方盖章", "purchaser": "甲方盖章"}


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


# ---- trust services: the TSA and the CRL -----------------------------------------------------------

@dataclass(frozen=True)
class TrustServices:
    ca: CertificateAuthority
    crl_url: str
    tsa_url: str | None = None
    tsa_certificate: x509.Certificate | None = None
    tsa_key: rsa.RSAPrivateKey | None = None

    def timestamper(self) -> timestamps.TimeStamper:
        if self.tsa_url:
            return timestamps.HTTPTimeStamper(self.tsa_url)
        assert self.tsa_certificate is not None and self.tsa_key is not None
        return DummyTimeStamper(tsa_cert=_asn1_cert(self.tsa_certificate), tsa_key=_asn1_key(self.tsa_key),
                                certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(self.ca.certificate)]))

    def tsa_pem(self) -> str:
        return self.tsa_certificate.public_bytes(serialization.Encoding.PEM).decode() if self.tsa_certificate else ""


def trust_services(ca: CertificateAuthority, settings) -> TrustServices:
    """The TSA and CRL address the service runs with: TSA_URL, or the platform TSA issued now."""
    crl_url = settings.public_base_url.rstrip("/") + "/api/v1/contracts/ca.crl"
    if settings.tsa_url:
        return TrustServices(ca=ca, crl_url=crl_url, tsa_url=settings.tsa_url)
    cert, key = platform_tsa(ca, crl_url=crl_url)
    return TrustServices(ca=ca, crl_url=crl_url, tsa_certificate=cert, tsa_key=key)


def crl_distribution_point(url: str) -> x509.CRLDistributionPoints:  # the same extension as ca.issue adds
    return x509.CRLDistributionPoints([x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(url)],
                                                              relative_name=None, reasons=None, crl_issuer=None)])


def platform_tsa(ca: CertificateAuthority, *, crl_url: str, days: int = 3650,
                 now: datetime | None = None) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The platform TSA's key (RSA: pyHanko's in-process TSA signs with RSA) and certificate, issued by the
    platform CA."""
    now = now or datetime.now(timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "湖南省政府采购平台"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, "湖南省政府采购平台时间戳服务")]))
            .issuer_name(ca.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(crl_distribution_point(crl_url), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.certificate.public_key()), critical=False)  # type: ignore[arg-type]
            .sign(ca.key, hashes.SHA256()))  # type: ignore[arg-type]
    return cert, key


def make_crl(ca: CertificateAuthority, revoked: list[tuple[str, datetime]], *, now: datetime | None = None,
             hours: int = 24) -> bytes:
    """The CA's CRL (DER): every revoked certificate (hex serial, revocation time)."""
    now = now or datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
               .last_update(now - timedelta(minutes=1)).next_update(now + timedelta(hours=hours)))
    for serial, at in revoked:
        # a CRL says whole seconds: round up, so a seal timestamped in the same second before the
        # revocation is not taken for one made after it
        at = at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(at).build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def _context(ca: CertificateAuthority, crl: bytes, *, moment: datetime | None = None,
             extra: list[x509.Certificate] = ()) -> ValidationContext:
    return ValidationContext(trust_roots=[_asn1_cert(ca.certificate)], crls=[asn1_crl.CertificateList.load(crl)],
                             other_certs=[_asn1_cert(c) for c in extra], allow_fetching=False,
                             revocation_mode="hard-fail", moment=moment)


# ---- sealing ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SealBox:
    page: int  # -1: the last page, the signature page
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in points
    seal_center: tuple[float, float]  # relative to the box
    date_at: tuple[float, float]  # relative to the box


def sign(document: bytes, *, role: str, unit_name: str, certificate: x509.Certificate,
         key: ec.EllipticCurvePrivateKey, trust: TrustServices, crl: bytes, where: SealBox, date_text: str,
         font_file: str | None = None) -> bytes:
    """The document with one more signature, as an incremental update. CPU-bound: call it in a thread."""
    signer = signers.SimpleSigner(signing_cert=_asn1_cert(certificate), signing_key=_asn1_key(key),
                                  cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(trust.ca.certificate)]))
    x1, y1, x2, y2 = where.box
    width, height = x2 - x1, y2 - y1
    drawing = (seal_art.plain_text(date_text, x=where.date_at[0], y=where.date_at[1], font_file=font_file) + "\n" +
               seal_art.seal_imprint(unit_name, cx=where.seal_center[0], cy=where.seal_center[1],
                                     radius=min(width, height) * 0.42, font_file=font_file))
    style = StaticStampStyle(background=RawContent(drawing.encode(), box=BoxConstraints(width, height)),
                             background_opacity=1.0, border_width=0)
    field_name = FIELD_NAMES[role]
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True, use_pades_lta=False,
        validation_context=_context(trust.ca, crl, extra=[trust.tsa_certificate] if trust.tsa_certificate else []),
        reason=f"{unit_name} 合同专用章", location="湖南省政府采购框架协议平台", name=unit_name)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=trust.timestamper(), stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec(field_name, on_page=where.page, box=where.box))
    writer = IncrementalPdfFileWriter(io.BytesIO(document), strict=False)
    out = pdf_signer.sign_pdf(writer, output=io.BytesIO())
    return out.getvalue()


# ---- validation ------------------------------------------------------------------------------------

@dataclass
class SignatureReport:
    field: str
    signer: str
    certificate_serial: str
    signed_at: datetime | None  # the trusted timestamp's time, else what the signer claims
    trusted_time: bool
    intact: bool  # the bytes it covers hash to what it signed
    valid: bool  # intact, chain to the platform CA, not revoked at the time it was made
    covers_revision: bool  # it covers the whole document as of its revision
    revision: int
    revoked: bool
    summary: str
    changed_after: bool = False  # a later revision changes more than validation data (DSS, timestamps)


@dataclass
class DocumentReport:
    signatures: list[SignatureReport]
    modified_after_last_seal: bool  # bytes appended after the last signature's revision


def _serial(cert: asn1_x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def _revoked_at(crl: bytes, serial: int) -> datetime | None:
    entry = x509.load_der_x509_crl(crl).get_revoked_certificate_by_serial_number(serial)
    return entry.revocation_date_utc if entry is not None else None


def _timestamp_time(sig) -> datetime | None:
    """The time of the signature's RFC 3161 timestamp token (unsigned attribute), if it has one."""
    for attr in sig.signer_info["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            signed = attr["values"][0]["content"]
            return signed["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def validate(document: bytes, ca: CertificateAuthority, crl: bytes) -> DocumentReport:
    """Every embedded signature checked trusting only the platform CA. CPU-bound: call it in a thread."""
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    reports = []
    for sig in reader.embedded_signatures:
        moment = _timestamp_time(sig)
        context = _context(ca, crl, moment=moment)
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)
            intact, valid = status.intact, status.bottom_line
            revoked = bool(getattr(status, "revoked", False))
            trusted = status.timestamp_validity is not None and status.timestamp_validity.valid and \
                status.timestamp_validity.trusted
            summary = status.summary()
            coverage = status.coverage
            level = status.modification_level
            changed_after = level is not None and level > ModificationLevel.LTA_UPDATES
        except Exception as exc:  # a malformed signature is reported, not raised
            intact = valid = revoked = trusted = False
            summary, coverage, changed_after = f"{type(exc).__name__}: {exc}", None, True
        cert = sig.signer_cert
        revoked_at = _revoked_at(crl, cert.serial_number)
        if revoked_at is not None and (moment is None or revoked_at <= moment):
            # the current CRL decides, not the one embedded when the seal was made (it may predate the revocation)
            valid, revoked = False, True
            summary = f"REVOKED {revoked_at.isoformat()} (before the seal): {summary}"
        name = cert.subject.native.get("organization_name") or cert.subject.human_friendly
        reports.append(SignatureReport(
            field=sig.field_name, signer=str(name), certificate_serial=_serial(cert),
            signed_at=moment or sig.self_reported_timestamp, trusted_time=bool(trusted and moment), intact=intact,
            valid=valid and bool(trusted), covers_revision=coverage is not None and coverage.name in (
                "ENTIRE_REVISION", "ENTIRE_FILE"),
            revision=sig.signed_revision, revoked=revoked, summary=summary, changed_after=changed_after))
    return DocumentReport(signatures=reports, modified_after_last_seal=bool(reports) and reports[-1].changed_after)
