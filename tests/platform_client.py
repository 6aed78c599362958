"""Helpers of the cross-service tests: a logged-in gateway client, waiting for an effect, a
white-box look into one service's database, and the few reads the purchase walkthroughs share."""

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


# --- what the purchase walkthroughs (manual 1.2, 1.3) read through the gateway ---------------------------

def ok(response: httpx.Response, status: int = 200) -> Any:
    """The body of an answer that must have `status`."""
    assert response.status_code == status, response.text
    return response.json()


def project_in(client: httpx.Client, project_id: str, *statuses: str) -> dict[str, Any] | None:
    """The project as `client` sees it, once it is in one of `statuses` (else None: wait_for it)."""
    project = ok(client.get(f"/api/v1/projects/{project_id}"))
    return project if project["status"] in statuses else None


def line_of(purchaser: httpx.Client, plan_id: str) -> dict[str, Any]:
    """The first (only) line of a plan, with its reserved, consumed and spent amounts."""
    return ok(purchaser.get(f"/api/v1/plans/{plan_id}"))["lines"][0]


def find(client: httpx.Client, path: str, project_id: str) -> dict[str, Any] | None:
    """The order or contract of a project among those `client` may list at `path`."""
    return next((item for item in ok(client.get(path, params={"limit": 200}))["items"]
                 if item["project_id"] == project_id), None)


def pdf(name: str) -> dict[str, Any]:
    """A small PDF upload (an invoice, an acceptance report, a payment voucher)."""
    return {"file": (name, f"%PDF-1.4\n% {name}\n%%EOF\n".encode(), "application/pdf")}
