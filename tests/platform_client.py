"""Helpers of the cross-service tests: a logged-in gateway client, waiting for an effect, and a
white-box look into one service's database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

from devstack.stack import LocalStack
from servicekit.db import Database
from servicekit.settings import normalize_database_url

T = TypeVar("T")


class Api(httpx.Client):
    """An httpx client on the gateway, logged in as one demo account."""

    username: str



def wait_for(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Polls until `check()` is truthy: waits for a condition, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} not met within {timeout}s"
        time.sleep(0.05)
    return result


def query(stack: LocalStack, service: str, sql: str, **params: Any) -> list[sa.Row]:
    """White-box read of one service's database (only to observe what HTTP does not show)."""

    async def run() -> list[sa.Row]:
        db = Database(normalize_database_url(stack.database_urls[service]))
        try:
            async with db.read() as session:
                return list((await session.exec(sa.text(sql), params=params)).all())
        finally:
            await db.dispose()

    return asyncio.run(run())
