"""PAdES seals in the contract PDF, checked with tools nobody here wrote: pyHanko's validator trusting
only the platform CA, and poppler's pdfsig. Two incremental signatures with trusted timestamps; a
changed byte, a revision appended after the last seal, and a certificate revoked before sealing are
caught; one revoked after sealing keeps its seal valid."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from contracts import ca as authority
from contracts import pades, pdf
from contracts.pdf import ContractDocument, Item, Party

SUPPLIER, PURCHASER = "湖南潇湘物业管理有限公司", "湖南省教育厅"
DRAWN_UP = datetime(2026, 11, 30, 2, 15, 7, tzinfo=timezone.utc)  # 北京时间 10:15:07


@pytest.fixture(scope="module")
def ca():
    return authority.create_ca()


@pytest.fixture(scope="module")
def trust(ca):
    url = "http://127.0.0.1:8000/api/v1/contracts/ca.crl"
    cert, key = pades.platform_tsa(ca, crl_url=url)
    return pades.TrustServices(ca=ca, crl_url=url, tsa_certificate=cert, tsa_key=key)


def unit(ca, org_id, name):
    enrollment = authority.enroll(ca, org_id=org_id, org_name=name, password="pw", days=30, kdf_n=2 ** 10)
    key = authority.unlock(enrollment.encrypted_key_pem, enrollment.kdf_salt, enrollment.kdf_n, "pw")
    return x509.load_pem_x509_certificate(enrollment.certificate_pem.encode()), key


def original() -> bytes:
    return pdf.render_document(pdf_document())


def pdf_document() -> ContractDocument:
    return ContractDocument(
        contract_no="HT2026000001", title="政府采购框架协议服务合同", project_no="XM2026000001",
        project_name="办公楼物业管理服务", method_label="直接选定", agreement_no="HNKJ-2026-001",
        agreement_name="湖南省物业管理服务框架协议", filing_no="湘财采备〔2026〕00123",
        purchaser=Party("甲方（采购人）", PURCHASER, "11430000006100011A"),
        supplier=Party("乙方（供应商）", SUPPLIER, "91430100MA4L1A0011"),
        items=(Item("办公楼物业管理", "月", "12", Decimal("25000.00"), Decimal("300000.00")),),
        amount=Decimal("300000.00"), amount_upper="叁拾万元整", terms="第一条 乙方向甲方提供办公楼物业管理。",
        created_at=DRAWN_UP)


def seal(document, ca, trust, role, name, cert, key, revoked=()):
    return pades.sign(document, role=role, unit_name=name, certificate=cert, key=key, trust=trust,
                      crl=pades.make_crl(ca, list(revoked)), where=pdf.SEAL_BOXES[role], date_text="2026年12月01日")


@pytest.fixture(scope="module")
def sealed(ca, trust):
    supplier, purchaser = unit(ca, "91430100MA4L1A0011", SUPPLIER), unit(ca, "11430000006100011A", PURCHASER)
    first = seal(original(), ca, trust, "supplier", SUPPLIER, *supplier)
    return seal(first, ca, trust, "purchaser", PURCHASER, *purchaser), supplier


def test_the_sealed_pdf_carries_two_valid_timestamped_signatures(ca, sealed):
    data, _ = sealed
    report = pades.validate(data, ca, pades.make_crl(ca, []))
    assert [(s.field, s.signer) for s in report.signatures] == [("乙方盖章", SUPPLIER), ("甲方盖章", PURCHASER)]
    assert all(s.intact and s.valid and s.trusted_time and s.covers_revision for s in report.signatures)
    assert report.signatures[0].revision < report.signatures[1].revision
    assert not report.modified_after_last_seal
    assert data.startswith(original()[:200])  # incremental: the original bytes come first, unchanged


def test_a_foreign_ca_does_not_validate_it(sealed):
    report = pades.validate(sealed[0], authority.create_ca("Rogue CA"), pades.make_crl(authority.create_ca(), []))
    assert [s.valid for s in report.signatures] == [False, False]


def test_pdfsig_lists_both_signatures(sealed, tmp_path):
    if shutil.which("pdfsig") is None:
        pytest.fail("pdfsig (poppler-utils) is not installed: apt-get install poppler-utils")
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed[0])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert "乙方盖章" in out and "甲方盖章" in out


def poppler(tool: str, path, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (poppler-utils) is not installed: apt-get install poppler-utils")
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=True).stdout


def test_every_font_is_embedded_as_a_subset_and_the_creation_date_is_the_documents(sealed, tmp_path):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed[0])
    fonts = [line.split() for line in poppler("pdffonts", path).splitlines()[2:]]
    assert fonts, "the text is set in some font"
    # columns from the right: object ID (2), uni, sub, emb
    assert all(row[-5] == "yes" and row[-4] == "yes" for row in fonts), fonts
    assert all("+" in row[0] for row in fonts), fonts  # a subset's name: ABCDEF+Font
    info = dict(line.split(":", 1) for line in poppler("pdfinfo", path, "-isodates").splitlines() if ":" in line)
    assert info["CreationDate"].strip() == "2026-11-30T02:15:07Z"
    assert original() == original()  # deterministic: the same document, the same bytes


def test_a_changed_byte_breaks_the_signatures(ca, sealed):
    data = sealed[0]
    at = data.index(b"/Type /Catalog") + 1  # inside the original revision
    changed = data[:at] + (b"U" if data[at:at + 1] != b"U" else b"V") + data[at + 1:]
    report = pades.validate(changed, ca, pades.make_crl(ca, []))
    assert [s.valid for s in report.signatures] == [False, False]


def test_a_revision_appended_after_the_last_seal_is_reported(ca, sealed):
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed[0]), strict=False)
    writer.root["/Lang"] = generic.TextStringObject("zh-CN")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    report = pades.validate(out.getvalue(), ca, pades.make_crl(ca, []))
    assert report.modified_after_last_seal


def test_revocation_after_the_seal_keeps_it_valid_and_before_fails_it(ca, trust, sealed):
    data, (cert, key) = sealed
    serial = format(cert.serial_number, "x")
    later = pades.make_crl(ca, [(serial, datetime.now(timezone.utc) + timedelta(seconds=1))])
    assert [s.valid for s in pades.validate(data, ca, later).signatures] == [True, True]
    revoked_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    forged = seal(original(), ca, trust, "supplier", SUPPLIER, cert, key)  # made with the key after revocation
    report = pades.validate(forged, ca, pades.make_crl(ca, [(serial, revoked_at)]))
    assert [s.valid for s in report.signatures] == [False]

