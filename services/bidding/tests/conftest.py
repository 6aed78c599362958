"""Fixtures of the bidding service's tests: a fresh, migrated database per test (PostgreSQL under
TEST_DATABASE_URL, else SQLite), the service built on it without a bus, its timers driven by hand."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module below (tests import it through `fx`)

import bidding_fixtures  # noqa: E402
from bidding_fixtures import FakeClock, World  # noqa: E402
from servicekit.testing import TokenFactory, migrated_database  # noqa: E402


@pytest.fixture
def fx() -> ModuleType:
    """The helpers of these tests: event builders, ids, request bodies (bidding_fixtures.py)."""
    return bidding_fixtures


@pytest.fixture
async def bidding_url() -> AsyncIterator[str]:
    async with migrated_database("bidding") as url:
        yield url


@pytest.fixture
async def world(bidding_url: str, tokens: TokenFactory) -> AsyncIterator[World]:
    async with bidding_fixtures.running(bidding_url, tokens, FakeClock()) as world:
        yield world
