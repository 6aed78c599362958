"""Fixtures shared by every test folder: the broker, tokens."""

from __future__ import annotations

import pytest

import gateway  # noqa: F401  the installed package first: pytest's importlib mode would otherwise register
# the repository's gateway/ folder (it holds gateway/tests/) under the same name and hide the package
import web  # noqa: F401  the same for web/ (web/tests/)
from devstack.testing import broker_for_tests
from servicekit.testing import TokenFactory


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real Kafka-protocol broker for the whole run (see devstack.testing for which one)."""
    with broker_for_tests(tmp_path_factory.mktemp("broker")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory.generate()
