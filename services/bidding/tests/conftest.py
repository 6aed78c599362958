"""Fixtures of the bidding service's tests: a fresh, migrated database per test (PostgreSQL under
TEST_DATABASE_URL, else SQLite), the service built on it without a bus, its timers driven by hand."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module below (tests import it through `fx`)

import bidding_fixtures  # noqa: E402
from bidding.app import build  # noqa: E402
from bidding.settings import Settings  # noqa: E402
from bidding_fixtures import FakeClock, World  # noqa: E402
from servicekit.migrations import upgrade  # noqa: E402
from servicekit.testing import TokenFactory, temporary_database  # noqa: E402


@pytest.fixture
def fx() -> ModuleType:
    """The helpers of these tests: event builders, ids, request bodies (bidding_fixtures.py)."""
    return bidding_fixtures


@pytest.fixture
async def bidding_url() -> AsyncIterator[str]:
    async with temporary_database("bidding") as url:
        await asyncio.to_thread(upgrade, "bidding", url)
        yield url


def settings_for(url: str, tokens: TokenFactory, **overrides) -> Settings:
    return Settings(database_url=url, jwt_public_key=tokens.public_pem, bidding_min_duration_seconds=60,
                    bidding_max_duration_seconds=86400, **overrides)


@pytest.fixture
async def world(bidding_url: str, tokens: TokenFactory) -> AsyncIterator[World]:
    clock = FakeClock()
    service = build(settings_for(bidding_url, tokens), with_bus=False, clock=clock, with_timers=False)
    await service.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://t") as client:
            world = World(service, client, clock, tokens)
            await world.seed()
            yield world
    finally:
        await service.stop()
