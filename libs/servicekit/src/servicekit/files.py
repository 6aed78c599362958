"""Uploaded files (acceptance reports, payment vouchers, invoices, signed contract scans, contract
documents): checked before anything is stored, kept behind a small storage interface, streamed back.

    storage = storage_from_settings(settings, "orders")        # local folder or S3-compatible
    upload = await read_upload(file, max_bytes=settings.file_max_bytes)   # 4xx on anything wrong
    async with db.transaction() as session:                   # the file and its row, together
        file_id, key = new_file_key(order.id, "payment")
        await store_file(session, storage, OrderFile(id=file_id, ..., **upload.columns(key, by=..., at=now)),
                         upload.data)
    return download_response(storage, key, filename=..., content_type=..., size=...)

`store_file` is the one way a service writes a file: the bytes are stored inside the transaction
that records the file's row, and deleted again if that transaction does not commit (a rule refuses
after it, the commit fails, an event handler is retried): no stored object is ever left without its
row.

Checks (each a 4xx, nothing stored): a file name that is empty, too long, has a path or control
characters; an empty file; a file over the limit; a type outside PDF, PNG, JPEG and OFD, judged by
its first bytes and required to agree with the declared type and the file name's extension.

OFD (GB/T 33190) is accepted because Chinese e-invoices (全电发票) and many e-documents are issued as
OFD: a ZIP container whose root holds OFD.xml.

Settings (environment): VAR_DIR (the local folder's parent, default ./var), FILE_STORAGE (local | s3),
FILE_MAX_BYTES (default 20 MiB), and for s3: S3_ENDPOINT_URL, S3_BUCKET, S3_ACCESS_KEY_ID,
S3_SECRET_ACCESS_KEY, S3_REGION, S3_PREFIX."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tempfile
import unicodedata
import urllib.parse
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from uuid import uuid4

from fastapi import UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import on_rollback
from servicekit.errors import APIError, BadRequest, Invalid, NotFound, TooLarge, error_body

CHUNK = 64 * 1024
MAX_NAME_CHARS = 120
R = TypeVar("R", bound="StoredRecord")


class UnsupportedType(APIError):
    status, code = 415, "unsupported_file_type"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]
    label: str


PDF = FileType("application/pdf", (".pdf",), "PDF")
PNG = FileType("image/png", (".png",), "PNG")
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG")
OFD = FileType("application/ofd", (".ofd",), "OFD")
DOCUMENT_TYPES: tuple[FileType, ...] = (PDF, PNG, JPEG, OFD)
# What browsers and tools send for the same formats.
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf",
            "application/octet-stream+ofd": "application/ofd"}


def sniff(data: bytes) -> FileType | None:
    """The type the content itself shows (magic bytes; for OFD, the ZIP must hold OFD.xml)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "OFD.xml" in archive.namelist():
                    return OFD
        except zipfile.BadZipFile:
            return None
    return None


def check_filename(name: str | None) -> str:
    """The file name as the user gave it, or BadRequest: no path, no control characters, not too long."""
    if name is None or not name.strip():
        raise BadRequest("文件没有名称", code="bad_file_name")
    if len(name) > MAX_NAME_CHARS or len(name.encode()) > 255:
        raise BadRequest(f"文件名超过 {MAX_NAME_CHARS} 个字符", code="bad_file_name")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise BadRequest("文件名含有控制字符", code="bad_file_name")
    if "/" in name or "\\" in name or name.strip() in (".", "..") or ".." in name or ":" in name:
        raise BadRequest("文件名只能是名称，不能含有路径", code="bad_file_name")
    if name != name.strip() or name.startswith("."):
        raise BadRequest("文件名不能以点开头，也不能以空格开头或结尾", code="bad_file_name")
    return name


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes

    @classmethod
    def of(cls, filename: str, content_type: str, data: bytes) -> Upload:
        """A file the service makes itself (a rendered PDF, say): no checks."""
        return cls(filename=filename, content_type=content_type, size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), data=data)

    def columns(self, storage_key: str, *, by: str, at: datetime) -> dict[str, Any]:
        """The servicekit.tables.StoredFileColumns of this file stored under `storage_key`."""
        return dict(filename=self.filename, content_type=self.content_type, size=self.size, sha256=self.sha256,
                    storage_key=storage_key, uploaded_by=by, uploaded_at=at)


def check_file(filename: str | None, declared_type: str | None, data: bytes, *, max_bytes: int,
               allowed: tuple[FileType, ...] = DOCUMENT_TYPES) -> Upload:
    """Pure check of one file (no I/O): returns it with its size and SHA-256, or raises a 4xx."""
    name = check_filename(filename)
    if not data:
        raise Invalid("文件是空的", code="empty_file")
    if len(data) > max_bytes:
        raise TooLarge(f"文件超过 {max_bytes} 字节的上限", code="file_too_large")
    names = "、".join(t.label for t in allowed)
    found = sniff(data)
    if found is None or found not in allowed:
        raise UnsupportedType(f"文件内容不是以下类型之一：{names}")
    declared = (declared_type or "").split(";")[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    if declared and declared not in ("application/octet-stream", found.content_type):
        raise UnsupportedType(f"文件声明的类型是 {declared}，但其内容是 {found.label}")
    if not name.lower().endswith(found.extensions):
        raise UnsupportedType(f"{found.label} 文件的文件名应以 {' 或 '.join(found.extensions)} 结尾")
    return Upload(filename=name, content_type=found.content_type, size=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), data=data)


async def read_upload(upload: UploadFile, *, max_bytes: int,
                      allowed: tuple[FileType, ...] = DOCUMENT_TYPES) -> Upload:
    """Reads an uploaded file (stopping one byte past the limit) and checks it."""
    buffer = bytearray()
    while chunk := await upload.read(CHUNK):
        buffer.extend(chunk)
        if len(buffer) > max_bytes:
            raise TooLarge(f"文件超过 {max_bytes} 字节的上限", code="file_too_large")
    return check_file(upload.filename, upload.content_type, bytes(buffer), max_bytes=max_bytes, allowed=allowed)


class StoredRecord(Protocol):
    """A row with servicekit.tables.StoredFileColumns."""

    storage_key: str
    content_type: str


def new_file_key(owner_id: str, kind: str) -> tuple[str, str]:
    """A new file id and its storage key, `<owner>/<kind>/<file id>` (never a user's file name)."""
    file_id = f"F{uuid4().hex[:20]}"
    return file_id, f"{owner_id}/{kind}/{file_id}"


async def store_file(session: AsyncSession, storage: Storage, row: R, data: bytes) -> R:
    """Stores `data` under `row.storage_key` and adds `row` to the session, whose write transaction
    (servicekit.db.Database.transaction) then keeps both or neither: if it does not commit, the
    stored object is deleted again."""
    on_rollback(session, partial(storage.delete, row.storage_key))
    await storage.put(row.storage_key, data, row.content_type)
    session.add(row)
    return row


class StoredObjectMissing(NotFound):
    code = "file_missing"


class Storage(Protocol):
    """Where file bytes live. Keys are made by the service (never from a user's file name)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Opens the object now (StoredObjectMissing if it is not there) and returns its chunks."""
        ...
    async def read(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def start(self) -> None: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts) or any(ord(c) < 32 for c in key):
        raise ValueError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """A folder (the embedded default: VAR_DIR/files/<service>). Writes are atomic (temp + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        path = (self.root / _check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"bad storage key {key!r}")
        return path

    async def start(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self.path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise StoredObjectMissing(f"存储中没有文件 {key}") from None
        return _chunks(handle)

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise StoredObjectMissing(f"存储中没有文件 {key}") from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)


class S3Storage:
    """S3-compatible object storage (MinIO in docker-compose) through boto3, in worker threads."""

    def __init__(self, *, bucket: str, endpoint_url: str | None, access_key_id: str | None,
                 secret_access_key: str | None, region: str, prefix: str = "", create_bucket: bool = True) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.create_bucket = create_bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None, region_name=region,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"}))

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def start(self) -> None:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
        except ClientError:
            if not self.create_bucket:
                raise
            await asyncio.to_thread(self.client.create_bucket, Bucket=self.bucket)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data,
                                ContentType=content_type,
                                ChecksumAlgorithm="SHA256")

    async def _get(self, key: str) -> Any:
        from botocore.exceptions import ClientError

        try:
            return await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise StoredObjectMissing(f"存储中没有文件 {key}") from None
            raise

    async def open(self, key: str) -> AsyncIterator[bytes]:
        return _chunks((await self._get(key))["Body"])

    async def read(self, key: str) -> bytes:
        body = (await self._get(key))["Body"]
        try:
            return await asyncio.to_thread(body.read)
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))


async def _chunks(handle: Any) -> AsyncIterator[bytes]:
    """Reads a file-like object (a local file, an S3 body) chunk by chunk in a worker thread."""
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        handle.close()


class FileSettings(BaseModel):
    """Mixed into a service's settings (same environment names)."""

    var_dir: Path = Field(Path("var"), description="Folder of local state (files, demo CA); devstack sets it")
    file_storage: Literal["local", "s3"] = Field("local", description="local folder under VAR_DIR, or s3")
    file_max_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest upload accepted, in bytes")
    s3_endpoint_url: str | None = Field(None, description="e.g. http://minio:9000; unset for AWS")
    s3_bucket: str = "hunan-framework"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"
    s3_prefix: str = Field("", description="Key prefix inside the bucket; the service name is added after it")


def storage_from_settings(settings: Any, service: str) -> Storage:
    if settings.file_storage == "s3":
        prefix = "/".join(p for p in (settings.s3_prefix.strip("/"), service) if p)
        return S3Storage(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
                         access_key_id=settings.s3_access_key_id, secret_access_key=settings.s3_secret_access_key,
                         region=settings.s3_region, prefix=prefix)
    return LocalStorage(Path(settings.var_dir) / "files" / service)


def content_disposition(filename: str, inline: bool = False) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(filename)}"


async def download_response(storage: Storage, key: str, *, filename: str, content_type: str,
                            size: int | None = None, inline: bool = False) -> StreamingResponse:
    """Streams a stored file; a missing object is a 404 before anything is sent."""
    chunks = await storage.open(key)
    headers = {"Content-Disposition": content_disposition(filename, inline), "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, no-store"}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(chunks, media_type=content_type, headers=headers)


class BodySizeLimit:
    """Pure ASGI: a request body past `max_bytes` is refused with a JSON 413 as soon as it is seen
    (chunked bodies too, which carry no Content-Length), before anything is spooled or stored. Past
    the limit the app is told the client left, and whatever it answers is replaced by the 413."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        too_large = False
        refused = False

        async def counting_receive() -> dict:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        await self.app(scope, counting_receive, guarded_send)
        if too_large and not refused:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        import json

        body = json.dumps(error_body("request_too_large", f"请求体超过 {self.max_bytes} 字节的上限"),
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
