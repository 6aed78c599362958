"""The S3 file storage against a real S3-compatible HTTP server (moto's, in-process; MinIO in
docker-compose): bucket creation at start, put, whole and streamed reads, prefixes, missing objects,
delete — over the wire, as boto3 talks to MinIO."""

from __future__ import annotations

import pytest
from moto.server import ThreadedMotoServer

from devstack.broker import free_port
from servicekit.files import S3Storage, StoredObjectMissing


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def storage(endpoint: str, prefix: str) -> S3Storage:
    return S3Storage(bucket="hunan-framework", endpoint_url=endpoint, access_key_id="test", secret_access_key="test",
                     region="us-east-1", prefix=prefix)


async def test_files_round_trip_through_an_s3_server(s3_endpoint):
    orders, contracts = storage(s3_endpoint, "orders"), storage(s3_endpoint, "contracts")
    await orders.start()  # creates the bucket
    await contracts.start()  # finds it
    report = b"%PDF-1.7\n" + bytes(range(256)) * 1024  # 256 KiB: several chunks when streamed
    await orders.put("DD2026000001/acceptance/report.pdf", report, "application/pdf")
    assert await orders.read("DD2026000001/acceptance/report.pdf") == report
    streamed = b"".join([chunk async for chunk in await orders.open("DD2026000001/acceptance/report.pdf")])
    assert streamed == report

    head = orders.client.head_object(Bucket="hunan-framework", Key="orders/DD2026000001/acceptance/report.pdf")
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(report)
    with pytest.raises(StoredObjectMissing):  # the prefix keeps each service's files apart
        await contracts.read("DD2026000001/acceptance/report.pdf")

    await orders.delete("DD2026000001/acceptance/report.pdf")
    with pytest.raises(StoredObjectMissing):
        await orders.read("DD2026000001/acceptance/report.pdf")
