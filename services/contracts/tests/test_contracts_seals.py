"""E-seal crypto, pure: enrollment under the CA password, sealing, and verification that names which
check fails (changed document, foreign certificate, expired or revoked certificate, altered seal)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from contracts import ca as authority
from contracts import signing
from contracts.signing import SealRecord

DOC = b"%PDF-1.4 the contract both parties seal"
CONTRACT = "CT0001"


@pytest.fixture(scope="module")
def ca() -> authority.CertificateAuthority:
    return authority.create_ca()


def enroll(ca, org_id="91430100MA4L1A0011", name="湖南潇湘物业管理有限公司", password="ca12345", now=None, days=730):
    return authority.enroll(ca, org_id=org_id, org_name=name, password=password, days=days, kdf_n=2 ** 12, now=now)


def make_seal(enrollment, password, *, seq, role, org_id, name, earlier, document=DOC, sealed_at=None) -> SealRecord:
    key = authority.unlock(enrollment.encrypted_key_pem, enrollment.kdf_salt, enrollment.kdf_n, password)
    sealed_at = sealed_at or datetime.now(timezone.utc)
    statement = signing.statement(contract_id=CONTRACT, contract_no="HT2026000001",
                                document_sha256=signing.sha256_hex(document),
                                previous_seals=[signing.seal_digest(s.signature) for s in earlier], seq=seq, role=role,
                                org_id=org_id, org_name=name, certificate_serial=enrollment.serial, sealed_at=sealed_at)
    return SealRecord(seq=seq, role=role, org_id=org_id, org_name=name, certificate_serial=enrollment.serial,
                      certificate_pem=enrollment.certificate_pem, statement=statement.decode(),
                      signature=signing.sign(key, statement), sealed_at=sealed_at)


@pytest.fixture(scope="module")
def two_seals(ca):
    supplier = enroll(ca)
    purchaser = enroll(ca, org_id="11430000006100011A", name="湖南省教育厅", password="another-pass")
    first = make_seal(supplier, "ca12345", seq=1, role="supplier", org_id="91430100MA4L1A0011",
                      name="湖南潇湘物业管理有限公司", earlier=[])
    second = make_seal(purchaser, "another-pass", seq=2, role="purchaser", org_id="11430000006100011A",
                       name="湖南省教育厅", earlier=[first])
    return [first, second]


def failures(results):
    return [[f["code"] for f in r.failures] for r in results]


def test_the_certificate_names_the_unit_and_comes_from_the_ca(ca):
    enrollment = enroll(ca)
    cert = x509.load_pem_x509_certificate(enrollment.certificate_pem.encode())
    assert cert.issuer == ca.certificate.subject
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "91430100MA4L1A0011"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "湖南潇湘物业管理有限公司"
    assert "ENCRYPTED PRIVATE KEY" in enrollment.encrypted_key_pem
    cert.verify_directly_issued_by(ca.certificate)


def test_only_the_ca_password_opens_the_seal_key(ca):
    enrollment = enroll(ca)
    assert authority.unlock(enrollment.encrypted_key_pem, enrollment.kdf_salt, enrollment.kdf_n, "ca12345")
    for wrong in ("ca1234", "CA12345", "", "ca12345 "):
        with pytest.raises(authority.WrongPassword):
            authority.unlock(enrollment.encrypted_key_pem, enrollment.kdf_salt, enrollment.kdf_n, wrong)


def test_untouched_seals_verify(ca, two_seals):
    results = signing.verify_seals(ca, DOC, two_seals, contract_id=CONTRACT)
    assert [r.valid for r in results] == [True, True]
    assert set(results[0].checks) == {"signature", "document", "chain", "statement", "issuer", "subject", "validity",
                                      "revocation"}


def test_a_changed_document_fails_every_seal(ca, two_seals):
    results = signing.verify_seals(ca, DOC + b" one more clause", two_seals, contract_id=CONTRACT)
    assert failures(results) == [["document_changed"], ["document_changed"]]


def test_a_certificate_from_another_ca_is_foreign(ca, two_seals):
    rogue = authority.create_ca("Rogue CA")
    forged_cert = enroll(rogue)  # same unit, same name: only the issuer differs
    forged = make_seal(forged_cert, "ca12345", seq=1, role="supplier", org_id="91430100MA4L1A0011",
                       name="湖南潇湘物业管理有限公司", earlier=[])
    results = signing.verify_seals(ca, DOC, [forged], contract_id=CONTRACT)
    assert failures(results) == [["foreign_certificate"]]


def test_a_seal_made_outside_the_certificate_validity_is_expired(ca):
    long_ago = datetime.now(timezone.utc) - timedelta(days=400)
    old = enroll(ca, now=long_ago, days=30)
    late = make_seal(old, "ca12345", seq=1, role="supplier", org_id="91430100MA4L1A0011",
                     name="湖南潇湘物业管理有限公司", earlier=[], sealed_at=long_ago + timedelta(days=31))
    assert failures(signing.verify_seals(ca, DOC, [late], contract_id=CONTRACT)) == [["certificate_expired"]]


def test_a_certificate_revoked_before_a_seal_fails_it_and_one_revoked_after_does_not(ca, two_seals):
    before = two_seals[0].sealed_at - timedelta(seconds=1)
    revoked = [replace(two_seals[0], revoked_at=before), two_seals[1]]
    assert failures(signing.verify_seals(ca, DOC, revoked, contract_id=CONTRACT)) == [["certificate_revoked"], []]
    later = [replace(two_seals[0], revoked_at=datetime.now(timezone.utc)), two_seals[1]]
    assert failures(signing.verify_seals(ca, DOC, later, contract_id=CONTRACT)) == [[], []]


def test_an_altered_seal_or_a_removed_one_is_caught(ca, two_seals):
    altered = replace(two_seals[0], statement=two_seals[0].statement.replace('"seq":1', '"seq":1 '))
    assert "signature_invalid" in failures(signing.verify_seals(ca, DOC, [altered], contract_id=CONTRACT))[0]
    only_second = signing.verify_seals(ca, DOC, [two_seals[1]], contract_id=CONTRACT)
    assert failures(only_second) == [["seal_chain_broken"]]
    other_contract = signing.verify_seals(ca, DOC, two_seals, contract_id="CT0002")
    assert failures(other_contract) == [["seal_mismatch"], ["seal_mismatch"]]


def test_the_demo_ca_is_created_once_and_reused(tmp_path):
    first = authority.demo_ca(tmp_path / "ca")
    again = authority.demo_ca(tmp_path / "ca")
    assert first.demo and first.fingerprint == again.fingerprint
    assert oct((tmp_path / "ca" / "ca.key.pem").stat().st_mode)[-3:] == "600"
