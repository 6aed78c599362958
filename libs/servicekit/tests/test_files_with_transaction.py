"""servicekit.files.store_file: a file's bytes and its row are kept together or not at all. When
the transaction that records the row does not commit — a rule refuses after the file was stored, or
the commit itself fails — the stored object is deleted: no orphan is left, in the local folder or in
S3 (moto's in-process S3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from sqlmodel import Field, select

from servicekit.db import Database
from servicekit.errors import Invalid
from servicekit.files import LocalStorage, S3Storage, Storage, StoredObjectMissing, Upload, new_file_key, store_file
from servicekit.tables import StoredFileColumns, table_base
from servicekit.testing import temporary_database

Table = table_base()


class Attachment(Table, StoredFileColumns, table=True):
    __tablename__ = "attachments"

    id: str = Field(primary_key=True, max_length=40)
    owner_id: str = Field(max_length=40)


PDF = Upload.of("验收单.pdf", "application/pdf", b"%PDF-1.7 acceptance report")


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database("files") as url:
        database = Database(url, metadata=Table.metadata)
        async with database.engine.begin() as conn:
            await conn.run_sync(Table.metadata.create_all)
        yield database
        await database.dispose()


@pytest.fixture(params=["local", "s3"])
async def storage(request, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "local":
        local = LocalStorage(tmp_path / "files")
        await local.start()
        yield local
        return
    with mock_aws():
        s3 = S3Storage(bucket="hunan-framework", endpoint_url=None, access_key_id="test", secret_access_key="test",
                       region="us-east-1", prefix="orders")
        await s3.start()
        yield s3


def stored_keys(storage: Storage) -> list[str]:
    if isinstance(storage, LocalStorage):
        return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file())
    listing = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="hunan-framework")
    return sorted(o["Key"].removeprefix("orders/") for o in listing.get("Contents", []))


def attachment(owner_id: str = "DD2026000001") -> Attachment:
    file_id, key = new_file_key(owner_id, "acceptance")
    return Attachment(id=file_id, owner_id=owner_id, **PDF.columns(key, by="purchaser-a", at=datetime.now(timezone.utc)))


async def rows(db: Database) -> list[Attachment]:
    async with db.read() as session:
        return list((await session.exec(select(Attachment))).all())


async def test_a_committed_transaction_keeps_the_file_and_its_row(db, storage):
    async with db.transaction() as session:
        row = await store_file(session, storage, attachment(), PDF.data)
    assert row.storage_key.startswith("DD2026000001/acceptance/F")
    assert await storage.read(row.storage_key) == PDF.data
    assert [r.id for r in await rows(db)] == [row.id] and stored_keys(storage) == [row.storage_key]


async def test_a_rule_refusing_after_the_file_was_stored_leaves_no_file(db, storage):
    with pytest.raises(Invalid):
        async with db.transaction() as session:
            row = await store_file(session, storage, attachment(), PDF.data)
            assert await storage.read(row.storage_key) == PDF.data  # stored, for now
            raise Invalid("付款金额超过订单金额", code="overpayment")
    assert await rows(db) == [] and stored_keys(storage) == []
    with pytest.raises(StoredObjectMissing):
        await storage.read(row.storage_key)


async def test_a_failing_commit_leaves_no_file(db, storage):
    async with db.transaction() as session:
        kept = await store_file(session, storage, attachment(), PDF.data)
    clash = attachment()
    clash.id = kept.id  # the same primary key: the insert fails when the transaction commits
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        async with db.transaction() as session:
            await store_file(session, storage, clash, PDF.data)
    assert [r.id for r in await rows(db)] == [kept.id] and stored_keys(storage) == [kept.storage_key]
