"""The file checks and storages the orders service keeps its uploads with (servicekit.files):
content sniffing, hostile names, the local folder, and the S3 calls (botocore's Stubber: the exact
requests boto3 would send to MinIO or S3, without a server)."""

from __future__ import annotations

import io
import zipfile

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from hypothesis import given
from hypothesis import strategies as st

from servicekit.errors import APIError, BadRequest
from servicekit.files import (JPEG, OFD, PDF, PNG, LocalStorage, S3Storage, StoredObjectMissing, UnsupportedType,
                              check_file, check_filename, sniff)


def ofd_bytes(with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml" if with_root else "other.xml", "<ofd:OFD/>")
    return buffer.getvalue()


def test_types_are_judged_by_content():
    assert sniff(b"%PDF-1.7 ...") is PDF
    assert sniff(b"\x89PNG\r\n\x1a\n...") is PNG
    assert sniff(b"\xff\xd8\xff\xe0...") is JPEG
    assert sniff(ofd_bytes()) is OFD
    assert sniff(ofd_bytes(with_root=False)) is None  # any other ZIP (a .docx, say) is not OFD
    assert sniff(b"<html><script>") is None
    upload = check_file("电子发票.ofd", "application/ofd", ofd_bytes(), max_bytes=10_000)
    assert upload.content_type == "application/ofd" and len(upload.sha256) == 64
    assert check_file("scan.JPG", "image/jpg", b"\xff\xd8\xff\xe0", max_bytes=100).content_type == "image/jpeg"
    with pytest.raises(UnsupportedType):
        check_file("voucher.pdf", "image/png", b"%PDF-1.4", max_bytes=100)


plain_names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd"), max_codepoint=0x9FFF),
                      min_size=1, max_size=60)


@given(plain_names)
def test_plain_names_pass(stem):
    assert check_filename(f"{stem}.pdf") == f"{stem}.pdf"


@given(plain_names, st.sampled_from(["/", "\\", "..", "\x00", "\n", "\r", "\x1b", "\u202e", "\u2028", ":"]),
       plain_names)
def test_names_with_a_path_or_control_characters_are_refused(before, bad, after):
    with pytest.raises(BadRequest):
        check_filename(f"{before}{bad}{after}.pdf")


def test_long_and_empty_names_are_refused():
    for name in ("", "   ", "a" * 121 + ".pdf", ".hidden.pdf", None):
        with pytest.raises(BadRequest):
            check_filename(name)


async def test_local_storage_round_trip_and_no_way_out(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    await storage.start()
    await storage.put("ORD1/payment/F1", b"%PDF-1.4 voucher", "application/pdf")
    assert await storage.read("ORD1/payment/F1") == b"%PDF-1.4 voucher"
    chunks = [c async for c in await storage.open("ORD1/payment/F1")]
    assert b"".join(chunks) == b"%PDF-1.4 voucher"
    for key in ("../escape", "ORD1/../../x", "/etc/passwd", "a//b", ""):
        with pytest.raises(ValueError):
            await storage.put(key, b"x", "application/pdf")
    await storage.delete("ORD1/payment/F1")
    with pytest.raises(StoredObjectMissing):
        await storage.open("ORD1/payment/F1")
    assert not any(p.name.startswith(".upload-") for p in (tmp_path / "files").rglob("*"))


async def test_s3_storage_sends_what_minio_expects():
    storage = S3Storage(bucket="hunan-framework", endpoint_url="http://127.0.0.1:9", access_key_id="minio",
                        secret_access_key="minio-secret", region="us-east-1", prefix="prod/orders")
    data = b"%PDF-1.4 acceptance"
    with Stubber(storage.client) as stub:
        stub.add_client_error("head_bucket", "404", expected_params={"Bucket": "hunan-framework"})
        stub.add_response("create_bucket", {}, {"Bucket": "hunan-framework"})
        stub.add_response("put_object", {}, {"Bucket": "hunan-framework", "Key": "prod/orders/ORD1/acceptance/F1",
                                             "Body": data, "ContentType": "application/pdf",
                                             "ChecksumAlgorithm": "SHA256"})
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))},
                          {"Bucket": "hunan-framework", "Key": "prod/orders/ORD1/acceptance/F1"})
        stub.add_client_error("get_object", "NoSuchKey", http_status_code=404,
                              expected_params={"Bucket": "hunan-framework", "Key": ANY})
        stub.add_response("delete_object", {}, {"Bucket": "hunan-framework", "Key": "prod/orders/ORD1/acceptance/F1"})

        await storage.start()
        await storage.put("ORD1/acceptance/F1", data, "application/pdf")
        assert b"".join([c async for c in await storage.open("ORD1/acceptance/F1")]) == data
        with pytest.raises(StoredObjectMissing):
            await storage.read("ORD1/acceptance/missing")
        await storage.delete("ORD1/acceptance/F1")
        stub.assert_no_pending_responses()


def test_errors_are_4xx():
    for exc in (UnsupportedType("x"), BadRequest("x")):
        assert isinstance(exc, APIError) and 400 <= exc.status < 500


def test_the_storage_follows_the_settings(tmp_path):
    from orders.settings import Settings
    from servicekit.files import storage_from_settings

    local = storage_from_settings(Settings(var_dir=tmp_path), "orders")
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "files" / "orders").resolve()
    s3 = storage_from_settings(Settings(file_storage="s3", s3_bucket="procurement", s3_prefix="prod",
                                        s3_endpoint_url="http://minio:9000", s3_access_key_id="k",
                                        s3_secret_access_key="s"), "orders")
    assert isinstance(s3, S3Storage) and s3.bucket == "procurement" and s3.prefix == "prod/orders"
    assert s3.client.meta.endpoint_url == "http://minio:9000"
