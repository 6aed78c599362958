"""Test helpers shared by every service's tests (not used at run time).

- `temporary_database(name)`: a fresh database for a test module: a new PostgreSQL database when
  TEST_DATABASE_URL is set (CI), a SQLite file otherwise; dropped afterwards.
- `TokenFactory`: an RSA key pair and tokens for any principal, as the gateway would issue them.
- `outbox_events(db)`: what a service recorded to publish.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import make_url

from servicekit.settings import normalize_database_url


def _pg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(normalize_database_url(url)).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def create_postgres_database(base_url: str, name: str) -> str:
    conn = await asyncpg.connect(_pg_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return normalize_database_url(_pg_dsn(base_url, name))


async def drop_postgres_database(base_url: str, name: str) -> None:
    conn = await asyncpg.connect(_pg_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def temporary_database(name: str) -> AsyncIterator[str]:
    """Yields a database URL; PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        db_name = f"t_{name}_{uuid.uuid4().hex[:8]}"
        url = await create_postgres_database(base, db_name)
        try:
            yield url
        finally:
            await drop_postgres_database(base, db_name)
    else:
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / (name + '.db')}"


def database_kind() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"


@dataclass
class TokenFactory:
    private_pem: str
    public_pem: str
    issuer: str = "hunan-framework-gateway"
    audience: str = "hunan-framework"

    @classmethod
    def generate(cls) -> TokenFactory:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return cls(private, public)

    def token(self, username: str, org_id: str, role: str, org_name: str = "", ttl: int = 3600) -> str:
        now = int(time.time())
        return jwt.encode({"sub": username, "uid": username, "org": org_id, "org_name": org_name or org_id,
                           "role": role, "iss": self.issuer, "aud": self.audience, "iat": now, "exp": now + ttl},
                          self.private_pem, algorithm="RS256")

    def headers(self, username: str, org_id: str, role: str, org_name: str = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, org_id, role, org_name)}"}


async def outbox_events(db: Any, event_type: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(short type name, body) of every outbox row, oldest first; filter by the short name."""
    table = db.metadata.tables["outbox"]
    async with db.read() as session:
        rows = (await session.exec(sa.select(table.c.type, table.c.body).order_by(table.c.id))).all()
    events = [(row.type.split(".")[-2], json.loads(row.body)) for row in rows]
    return [e for e in events if event_type is None or e[0] == event_type]


async def eventually(check: Any, *, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Polls `check()` (sync or async) until it returns a truthy value; fails with the last value.
    For effects that cross a broker: it waits for a condition, never for a fixed time."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
        await asyncio.sleep(interval)


@asynccontextmanager
async def migrated_database(package: str) -> AsyncIterator[str]:
    """`temporary_database` with the service's Alembic migrations applied (so the tests try them too)."""
    from servicekit.migrations import upgrade

    async with temporary_database(package) as url:
        await asyncio.to_thread(upgrade, package, url)
        yield url


@asynccontextmanager
async def service_for_tests(package: str, make: Any) -> AsyncIterator[tuple[Any, Any]]:
    """A service on a migrated temporary database, started, and an HTTP client on its app:

        async with service_for_tests("plans", lambda url: build(Settings(database_url=url, ...),
                                                                 with_bus=False)) as (service, client):
    """
    import httpx

    async with migrated_database(package) as url:
        service = make(url)
        await service.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://t") as client:
                yield service, client
        finally:
            await service.stop()
